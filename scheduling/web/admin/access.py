"""Who is logged in, and which objects they may see or change. Checked on the server, always.

Rules: admins act on everything in their organisation. Managers act on every host, booking, lead,
event type, routing form, team, the funnel, A/B tests, the embed settings and webhooks; users,
settings, API keys, the outbox and the audit log stay admin-only (the role's text in
accounts/user_forms.py says the same). A rep acts only on their own host, its hours and bookings.
"""

from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from scheduling.errors import NotFound, PermissionDenied
from scheduling.extensions import db
from scheduling.models import Booking, BusyBlock, EventType, Host, User
from scheduling.security.addresses import truncate_address

SESSION_USER = "uid"
SESSION_VERSION = "sv"


def load_current_user() -> None:
    """Put the session's user on g (or None); a stale session version logs out."""
    g.user = None
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active or session.get(SESSION_VERSION) != user.session_version:
        session.clear()
        return
    g.user = user


def login_user(user: User) -> None:
    session.clear()
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_VERSION] = user.session_version


def current_user() -> User | None:
    return g.get("user")


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str):
    """Login required, and one of these roles; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user().role not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_manager(user: User) -> bool:
    return user.role in ("admin", "manager")


def visible_hosts(user: User) -> list[Host]:
    """The hosts whose calendars the user may see and edit."""
    if is_manager(user):
        return list(
            db.session.scalars(
                select(Host).where(Host.organisation_id == user.organisation_id).order_by(Host.name)
            )
        )
    return [user.host] if user.host else []


def visible_host_ids(user: User) -> list[int]:
    return [host.id for host in visible_hosts(user)]


def get_host(user: User, host_id: int) -> Host:
    """A host the user may act on, or NotFound (the same answer whether it exists or not)."""
    host = db.session.get(Host, host_id)
    if host is None or host.organisation_id != user.organisation_id:
        raise NotFound("No such host.")
    if not is_manager(user) and user.host_id != host.id:
        raise NotFound("No such host.")
    return host


def get_booking(user: User, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.organisation_id != user.organisation_id:
        raise NotFound("No such booking.")
    if not is_manager(user) and booking.host_id != user.host_id:
        raise NotFound("No such booking.")
    return booking


def get_event_type(user: User, event_type_id: int) -> EventType:
    """Event types are shared settings: managers and admins only."""
    if not is_manager(user):
        raise PermissionDenied("Only managers and admins edit event types.")
    event_type = db.session.get(EventType, event_type_id)
    if event_type is None or event_type.organisation_id != user.organisation_id:
        raise NotFound("No such event type.")
    return event_type


def get_busy_block(user: User, block_id: int) -> BusyBlock:
    block = db.session.get(BusyBlock, block_id)
    if block is None:
        raise NotFound("No such blocked time.")
    get_host(user, block.host_id)
    return block


def get_user(user: User, user_id: int) -> User:
    """Users are managed by admins only."""
    if user.role != "admin":
        raise PermissionDenied("Only admins manage users.")
    other = db.session.get(User, user_id)
    if other is None or other.organisation_id != user.organisation_id:
        raise NotFound("No such user.")
    return other


def client_address() -> str:
    """The client's network prefix (IPv4 /24, IPv6 /48): a full IP address is never stored."""
    return truncate_address(request.remote_addr)


def secret_key() -> str:
    return current_app.config["SECRET_KEY"]
