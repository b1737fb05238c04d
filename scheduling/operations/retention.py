"""Retention: erase personal data whose time is up, or count what the next pass would erase.

The cut-offs come from security/retention_periods.py (pure). Rows are not deleted but
pseudonymised: names become "erased", addresses a non-deliverable placeholder, free text and
payloads empty, and `erased_at` is set; status, times, event type, host and outcome stay, so
reports count the same. Login attempts are deleted, and so are the .eml files of the no-MAIL_HOST
mode. Each call handles at most `batch` rows per kind, oldest first; flush only.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    ConsentRecord,
    Lead,
    LoginAttempt,
    Organisation,
    OutboxMessage,
    Outcome,
    Question,
    WebhookDelivery,
    WebhookSubscription,
    WidgetAttribution,
    WidgetView,
)
from scheduling.security.retention_periods import cutoffs, periods_from, scrub_touch, strictest

from .audit import record

ERASED = "erased"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never deliverable
FINISHED_OUTBOX = ("done", "dropped", "failed")
# Answers that are whatever the person typed; choices, numbers and countries stay for reports.
FREE_TEXT_KINDS = ("short_text", "long_text", "email", "phone")
# Per organisation, in the order reports and the settings page show them.
ORG_KINDS = (
    "bookings",
    "leads_unbooked",
    "leads_disqualified",
    "consent_log",
    "outbox_messages",
    "webhook_deliveries",
    "widget_views",
)
INSTALLATION_KINDS = ("login_attempts", "mail_files")


@dataclass
class RetentionCounts:
    """How many rows of each kind were (or would be) erased."""

    per_organisation: dict[int, dict[str, int]] = field(default_factory=dict)
    installation: dict[str, int] = field(default_factory=dict)

    def organisation(self, organisation_id: int) -> dict[str, int]:
        return self.per_organisation.get(organisation_id, dict.fromkeys(ORG_KINDS, 0))

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.per_organisation.values()) + sum(
            self.installation.values()
        )


def placeholder_email() -> str:
    """A random address that can never be delivered and names nobody."""
    return f"{ERASED}-{secrets.token_hex(8)}@{ERASED_DOMAIN}"


def _due(organisation_id: int, cut: dict[str, datetime]) -> dict:
    """The query conditions per kind: rows of this organisation not yet erased and past cut-off."""
    booking = (
        Booking.organisation_id == organisation_id,
        Booking.erased_at.is_(None),
        Booking.end_at < cut["bookings"],
    )
    lead_base = (Lead.organisation_id == organisation_id, Lead.erased_at.is_(None))
    return {
        "bookings": (Booking, Booking.end_at, booking),
        "leads_unbooked": (
            Lead,
            Lead.updated_at,
            (
                *lead_base,
                Lead.status != "disqualified",
                Lead.booking_id.is_(None),
                Lead.updated_at < cut["leads_unbooked"],
            ),
        ),
        "leads_disqualified": (
            Lead,
            Lead.updated_at,
            (
                *lead_base,
                Lead.status == "disqualified",
                Lead.updated_at < cut["leads_disqualified"],
            ),
        ),
        "consent_log": (
            ConsentRecord,
            ConsentRecord.decided_at,
            (
                ConsentRecord.organisation_id == organisation_id,
                ConsentRecord.erased_at.is_(None),
                ConsentRecord.decided_at < cut["consent_log"],
            ),
        ),
        "outbox_messages": (
            OutboxMessage,
            OutboxMessage.updated_at,
            (
                OutboxMessage.organisation_id == organisation_id,
                OutboxMessage.erased_at.is_(None),
                OutboxMessage.status.in_(FINISHED_OUTBOX),
                OutboxMessage.updated_at < cut["delivery_logs"],
            ),
        ),
        "webhook_deliveries": (
            WebhookDelivery,
            WebhookDelivery.created_at,
            (
                WebhookDelivery.subscription_id.in_(
                    select(WebhookSubscription.id).where(
                        WebhookSubscription.organisation_id == organisation_id
                    )
                ),
                WebhookDelivery.erased_at.is_(None),
                WebhookDelivery.created_at < cut["delivery_logs"],
            ),
        ),
        # Views of visitors who may never have left a lead: kept like unbooked leads.
        "widget_views": (
            WidgetView,
            WidgetView.viewed_at,
            (
                WidgetView.organisation_id == organisation_id,
                WidgetView.erased_at.is_(None),
                WidgetView.viewed_at < cut["leads_unbooked"],
            ),
        ),
    }


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.id)))


def _installation_cutoffs(organisations: list[Organisation], now: datetime) -> dict[str, datetime]:
    """Login attempts and mail files belong to no organisation: the shortest period applies."""
    periods = [periods_from(org.retention_periods) for org in organisations]
    return {
        "login_attempts": strictest(periods, "login_attempts", now),
        "mail_files": strictest(periods, "delivery_logs", now),
    }


def _written_at(path: Path) -> datetime:
    """When a mail file was written: its name starts with the app clock's time
    (delivery/emails.py); files named otherwise go by their modification time."""
    try:
        return datetime.strptime(path.name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _old_mail_files(mail_dir: Path | None, before: datetime) -> list[Path]:
    if mail_dir is None or not mail_dir.is_dir():
        return []
    return sorted(p for p in mail_dir.glob("*.eml") if p.is_file() and _written_at(p) < before)


def count_due(
    now: datetime, mail_dir: Path | None = None, organisation_id: int | None = None
) -> RetentionCounts:
    """What a full retention run at `now` would erase (the dry run); one organisation's rows
    only when `organisation_id` is given (the installation-wide counts always)."""
    counts = RetentionCounts()
    organisations = _organisations()
    for org in organisations:
        if organisation_id is not None and org.id != organisation_id:
            continue
        due = _due(org.id, cutoffs(org.retention_periods, now))
        counts.per_organisation[org.id] = {
            kind: db.session.scalar(select(func.count()).select_from(model).where(*conditions))
            for kind, (model, _order, conditions) in due.items()
        }
    cut = _installation_cutoffs(organisations, now)
    counts.installation = {
        "login_attempts": db.session.scalar(
            select(func.count()).where(LoginAttempt.created_at < cut["login_attempts"])
        ),
        "mail_files": len(_old_mail_files(mail_dir, cut["mail_files"])),
    }
    return counts


def erase_lead(lead: Lead, now: datetime) -> None:
    free_text = set()
    if lead.routing_form_id is not None:
        free_text = set(
            db.session.scalars(
                select(Question.key).where(
                    Question.routing_form_id == lead.routing_form_id,
                    Question.kind.in_(FREE_TEXT_KINDS),
                )
            )
        )
        known = set(
            db.session.scalars(
                select(Question.key).where(Question.routing_form_id == lead.routing_form_id)
            )
        )
    else:
        known = set()
    lead.answers = {
        key: value
        for key, value in (lead.answers or {}).items()
        if key in known and key not in free_text
    }
    # The trace quotes answers; the verdict (kind, target, rule) stays.
    lead.decision = {**(lead.decision or {}), "trace": []}
    lead.name = ERASED if lead.name else ""
    lead.email = placeholder_email() if lead.email else ""
    lead.erased_at = now
    _scrub_attribution(WidgetAttribution.lead_id == lead.id)


def _scrub_attribution(condition) -> None:
    for attribution in db.session.scalars(select(WidgetAttribution).where(condition)):
        attribution.visitor_id = None
        attribution.first_touch = scrub_touch(attribution.first_touch)
        attribution.last_touch = scrub_touch(attribution.last_touch)


def erase_booking(booking: Booking, now: datetime) -> None:
    booking.invitee_name = ERASED
    booking.invitee_email = placeholder_email()
    booking.note = ""
    booking.cancel_reason = ""
    booking.reschedule_reason = ""
    booking.erased_at = now
    for outcome in db.session.scalars(select(Outcome).where(Outcome.booking_id == booking.id)):
        outcome.note = ""  # status, value and lost reason stay for the reports
    for lead in db.session.scalars(
        select(Lead).where(Lead.booking_id == booking.id, Lead.erased_at.is_(None))
    ):
        erase_lead(lead, now)
    _scrub_attribution(WidgetAttribution.booking_id == booking.id)


def erase_consent(row: ConsentRecord, now: datetime) -> None:
    # A fresh random id: the visitor's cookie no longer points at this decision.
    row.consent_id = secrets.token_hex(16)
    row.erased_at = now


def erase_outbox_message(message: OutboxMessage, now: datetime) -> None:
    message.payload = {}
    message.last_error = ""
    message.erased_at = now


def erase_delivery(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.error = ""
    delivery.erased_at = now


def _erase_view(view: WidgetView, now: datetime) -> None:
    view.first_touch = scrub_touch(view.first_touch)
    view.last_touch = scrub_touch(view.last_touch)
    view.erased_at = now


ERASERS = {
    "bookings": erase_booking,
    "leads_unbooked": erase_lead,
    "leads_disqualified": erase_lead,
    "consent_log": erase_consent,
    "outbox_messages": erase_outbox_message,
    "webhook_deliveries": erase_delivery,
    "widget_views": _erase_view,
}


def _summary(counts: dict[str, int]) -> str:
    return "Retention erased " + ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)


def run_retention(now: datetime, batch: int, mail_dir: Path | None = None) -> RetentionCounts:
    """Erase up to `batch` due rows per kind and organisation; audit the counts (no data)."""
    counts = RetentionCounts()
    organisations = _organisations()
    for org in organisations:
        done = {}
        for kind, (model, order, conditions) in _due(
            org.id, cutoffs(org.retention_periods, now)
        ).items():
            # Two workers at once (PostgreSQL): each erases rows the other has not locked.
            query = select(model).where(*conditions).order_by(order, model.id).limit(batch)
            rows = list(db.session.scalars(query.with_for_update(skip_locked=True, of=model)))
            for row in rows:
                ERASERS[kind](row, now)
            done[kind] = len(rows)
        db.session.flush()
        counts.per_organisation[org.id] = done
    cut = _installation_cutoffs(organisations, now)
    old_attempts = select(LoginAttempt.id).where(LoginAttempt.created_at < cut["login_attempts"])
    ids = list(db.session.scalars(old_attempts.order_by(LoginAttempt.id).limit(batch)))
    if ids:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
    files = 0
    for path in _old_mail_files(mail_dir, cut["mail_files"])[:batch]:
        path.unlink(missing_ok=True)
        files += 1
    counts.installation = {"login_attempts": len(ids), "mail_files": files}
    _audit(organisations, counts, now)
    return counts


def _audit(organisations: list[Organisation], counts: RetentionCounts, now: datetime) -> None:
    """One entry per organisation with something erased; installation counts go to the first."""
    for index, org in enumerate(organisations):
        done = dict(counts.per_organisation.get(org.id, {}))
        if index == 0:
            done.update(counts.installation)
        if any(done.values()):
            changes = {kind: n for kind, n in done.items() if n}
            record(
                org.id, None, "retention.run", "organisation", org.id, _summary(done), now, changes
            )


def run_retention_fully(now: datetime, batch: int, mail_dir: Path | None = None) -> RetentionCounts:
    """Run passes until nothing is due (the CLI); the caller commits."""
    total = RetentionCounts()
    while True:
        counts = run_retention(now, batch, mail_dir)
        for org_id, done in counts.per_organisation.items():
            mine = total.per_organisation.setdefault(org_id, dict.fromkeys(ORG_KINDS, 0))
            for kind, n in done.items():
                mine[kind] += n
        for kind, n in counts.installation.items():
            total.installation[kind] = total.installation.get(kind, 0) + n
        if counts.total == 0:
            return total
