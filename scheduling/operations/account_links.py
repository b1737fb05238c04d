"""Invitations and set-password links: create, resend, revoke, open and use them.

No admin types another person's password: an invitation (or a set-password link for an existing
account) goes out by email through the outbox, and the person chooses their own password. Each
link is single use, expires, and dies when it is resent (new nonce) or revoked.
Managers invite reps only; admins invite any role.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from scheduling.errors import InvalidRequest, NotFound, PermissionDenied
from scheduling.extensions import db
from scheduling.models import ROLES, AccountLink, Host, Organisation, User
from scheduling.security.account_links import check_account_link_token, new_nonce

from .accounts import check_password_rules, create_user, normalise_email, set_password
from .audit import record
from .hosts import create_host
from .outbox import enqueue
from .users import check_host_link

LIFETIMES = {"invite": timedelta(days=7), "password": timedelta(days=2)}
MANAGER_ROLES = ("rep",)
MANAGERS_INVITE_REPS_ONLY = (
    "Managers may invite reps only. Ask an admin to invite a manager or admin."
)


class LinkUnusable(Exception):
    """The link cannot be used; `reason` is unknown, used, revoked or expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def roles_for(actor: User) -> tuple[str, ...]:
    """The roles this person may invite."""
    if actor.role == "admin":
        return ROLES
    if actor.role == "manager":
        return MANAGER_ROLES
    return ()


def _check_may_invite(actor: User, role: str) -> None:
    if role not in ROLES:
        raise InvalidRequest("Choose a role from the list.", {"role": "unknown"})
    if role not in roles_for(actor):
        raise PermissionDenied(MANAGERS_INVITE_REPS_ONLY)


def _pending(query, now: datetime):
    return query.where(
        AccountLink.used_at.is_(None),
        AccountLink.revoked_at.is_(None),
        AccountLink.expires_at > now,
    )


def _issue(actor: User, now: datetime, **fields) -> AccountLink:
    """A new link by `actor`, emailed at once (_send sets its nonce and expiry)."""
    link = AccountLink(
        created_by_id=actor.id, created_at=now, nonce="", sent_at=now, expires_at=now, **fields
    )
    db.session.add(link)
    _send(link, now)
    return link


def _send(link: AccountLink, now: datetime) -> None:
    """A fresh nonce, a fresh expiry and an email carrying the new link (the old one is dead)."""
    link.nonce = new_nonce()
    link.sent_at = now
    link.expires_at = now + LIFETIMES[link.purpose]
    db.session.flush()
    enqueue(
        link.organisation_id,
        "email",
        f"account.{link.purpose}",
        {"template": f"account.{link.purpose}", "link_id": link.id, "nonce": link.nonce},
        f"account-link:{link.id}:{link.nonce}",
        now,
    )


def invite_user(
    actor: User,
    name: str,
    email: str,
    role: str,
    host: Host | None,
    now: datetime,
    *,
    new_host: bool = False,
) -> AccountLink:
    """Invite a person by email; for a new rep, `new_host` creates their host on the way."""
    _check_may_invite(actor, role)
    email = normalise_email(email)
    name = name.strip()
    organisation = actor.organisation
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidRequest("A user with this email exists already.", {"email": "taken"})
    pending = _pending(select(AccountLink.id), now).where(AccountLink.purpose == "invite")
    if db.session.scalar(pending.where(AccountLink.email == email)) is not None:
        raise InvalidRequest(
            "This address has a pending invitation already. Resend it from the list.",
            {"email": "invited"},
        )
    if new_host:
        host = create_host(organisation, name, email, organisation.tz, now, actor)
    if role == "rep" and host is None:
        raise InvalidRequest("A rep must be linked to a host.", {"host_id": "required for reps"})
    if host is not None:
        check_host_link(None, host, organisation.id)
        if db.session.scalar(pending.where(AccountLink.host_id == host.id)) is not None:
            raise InvalidRequest(
                f"{host.name} is promised to a pending invitation already.", {"host_id": "taken"}
            )
    link = _issue(
        actor,
        now,
        organisation_id=organisation.id,
        purpose="invite",
        email=email,
        name=name,
        role=role,
        host=host,
    )
    record(
        organisation.id,
        actor,
        "user.invite",
        "invitation",
        link.id,
        f"Invited {email} as {role}",
        now,
        {"host": [None, host.name if host else None]},
    )
    return link


def send_password_link(actor: User, user: User, now: datetime) -> AccountLink:
    """Email a set-password link to an existing user; their earlier links stop working."""
    for old in db.session.scalars(
        _pending(select(AccountLink), now).where(
            AccountLink.user_id == user.id, AccountLink.purpose == "password"
        )
    ):
        old.revoked_at = now
    link = _issue(
        actor,
        now,
        organisation_id=user.organisation_id,
        purpose="password",
        email=user.email,
        name=user.name,
        role=user.role,
        user_id=user.id,
    )
    record(
        user.organisation_id,
        actor,
        "user.password_link",
        "user",
        user.id,
        f"Sent a set-password link to {user.email}",
        now,
    )
    return link


def get_invitation(actor: User, link_id: int) -> AccountLink:
    """An invitation of the actor's organisation that they may act on, or NotFound."""
    link = db.session.get(AccountLink, link_id)
    if link is None or link.organisation_id != actor.organisation_id or link.purpose != "invite":
        raise NotFound("No such invitation.")
    if link.role not in roles_for(actor):
        raise NotFound("No such invitation.")
    return link


def open_invitations(actor: User) -> list[AccountLink]:
    """Invitations not accepted or revoked (expired ones too: they can be resent)."""
    return list(
        db.session.scalars(
            select(AccountLink)
            .where(
                AccountLink.organisation_id == actor.organisation_id,
                AccountLink.purpose == "invite",
                AccountLink.role.in_(roles_for(actor)),
                AccountLink.used_at.is_(None),
                AccountLink.revoked_at.is_(None),
            )
            .order_by(AccountLink.created_at.desc(), AccountLink.id.desc())
        )
    )


def resend_invitation(actor: User, link: AccountLink, now: datetime) -> None:
    """A new link by email (another 7 days); the link sent before stops working."""
    if link.used_at is not None or link.revoked_at is not None:
        raise InvalidRequest("This invitation was accepted or revoked; it cannot be resent.")
    if db.session.scalar(select(User.id).where(User.email == link.email)) is not None:
        raise InvalidRequest("A user with this email exists already.")
    _send(link, now)
    record(
        link.organisation_id,
        actor,
        "user.invite_resend",
        "invitation",
        link.id,
        f"Resent the invitation to {link.email}",
        now,
    )


def revoke_invitation(actor: User, link: AccountLink, now: datetime) -> None:
    """The link stops working; a host created for the invitation stays (it may take bookings)."""
    if link.used_at is not None or link.revoked_at is not None:
        raise InvalidRequest("This invitation was accepted or revoked already.")
    link.revoked_at = now
    record(
        link.organisation_id,
        actor,
        "user.invite_revoke",
        "invitation",
        link.id,
        f"Revoked the invitation to {link.email}",
        now,
    )


def find_link(secret: str, link_id: int, token: str, now: datetime) -> AccountLink:
    """The link a presented token opens, or LinkUnusable saying why not."""
    link = db.session.get(AccountLink, link_id) if 0 < link_id < 2**31 else None
    if link is None or not check_account_link_token(
        secret, link.id, link.nonce, link.purpose, token
    ):
        raise LinkUnusable("unknown")
    state = link.state(now)
    if state == "pending" and link.purpose == "password" and not link.user.active:
        state = "revoked"
    if state != "pending":
        raise LinkUnusable(state)
    return link


def _claim(link: AccountLink, now: datetime) -> None:
    """Mark the link used in one conditional UPDATE, so of two concurrent uses only one wins.

    PostgreSQL: the second UPDATE waits for the first to commit, then finds no pending row.
    SQLite: the write lock serialises them the same way.
    """
    claimed = db.session.execute(
        update(AccountLink)
        .where(
            AccountLink.id == link.id,
            AccountLink.nonce == link.nonce,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
            AccountLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise LinkUnusable("used")
    link.used_at = now


def use_link(link: AccountLink, password: str, now: datetime) -> User:
    """Set the password the person chose; an invitation creates their account now.

    Raises InvalidRequest (password rules, address or host taken meanwhile) or LinkUnusable
    (another request used the link first); the caller rolls back on either.
    """
    check_password_rules(password)
    _claim(link, now)
    if link.purpose == "invite":
        try:
            user = create_user(
                db.session.get(Organisation, link.organisation_id),
                link.email,
                link.name,
                password,
                link.role,
                now,
                host=link.host,
            )
        except IntegrityError:  # a concurrent request created the same address or host link
            raise InvalidRequest("A user with this email exists already.") from None
        link.user = user
        action, summary = "user.invite_accept", f"{user.email} accepted the invitation"
    else:
        user = link.user
        set_password(user, password, now, actor=user)
        action, summary = "user.password_link_used", f"{user.email} set a password by link"
    db.session.flush()
    record(link.organisation_id, user, action, "user", user.id, summary, now)
    return user
