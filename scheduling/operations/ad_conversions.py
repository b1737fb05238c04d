"""Use cases of offline ad conversions: the names per goal and the consented conversions to export.

Nothing here contacts an ad platform: the admin downloads a file and uploads it.
"""

from datetime import datetime

from sqlalchemy import select

from scheduling.attribution.conversions import Conversion, clean_names, click_ids
from scheduling.errors import InvalidRequest
from scheduling.extensions import db
from scheduling.models import Booking, ConsentRecord, Organisation, Outcome, User, WidgetAttribution

from .audit import diff, record
from .embed_settings import settings_of

NAME_FIELDS = {
    "booked": "conversion_booked",
    "attended": "conversion_attended",
    "won": "conversion_won",
}


def conversion_names(organisation_id: int) -> dict[str, str]:
    """The organisation's conversion name per goal (empty: that goal is not exported)."""
    settings = settings_of(organisation_id)
    return {goal: getattr(settings, column) or "" for goal, column in NAME_FIELDS.items()}


def update_conversion_names(
    organisation: Organisation, raw: dict, *, actor: User, now: datetime
) -> dict:
    """Save the conversion names per goal; return the changes (audited)."""
    names, errors = clean_names(raw)
    if errors:
        raise InvalidRequest(
            "A conversion name has at most 100 printable characters.",
            {f"conversion_{goal}": "invalid" for goal in errors},
        )
    settings = settings_of(organisation.id)
    if settings.id is None:
        settings.updated_at = now
        db.session.add(settings)
    changes = diff(settings, {NAME_FIELDS[goal]: names[goal] for goal in NAME_FIELDS})
    if changes:
        settings.updated_at = now
        db.session.flush()
        record(
            organisation.id,
            actor,
            "embed.conversion_names",
            "organisation",
            organisation.id,
            "Offline conversion names changed",
            now,
            changes,
        )
    return changes


def consented_conversions(organisation_id: int, start: datetime, end: datetime) -> list[Conversion]:
    """Goals reached in [start, end) by bookings whose consent included `ads` and a click id.

    Only under grants not withdrawn (a withdrawal stops every later export of that grant).

    booked: when the booking was made (bookings still confirmed); attended and won: when the
    outcome was recorded (won and lost calls were attended too).
    """
    query = (
        select(WidgetAttribution, Booking, ConsentRecord, Outcome)
        .join(Booking, Booking.id == WidgetAttribution.booking_id)
        .join(ConsentRecord, ConsentRecord.id == WidgetAttribution.consent_record_id)
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .where(
            WidgetAttribution.organisation_id == organisation_id,
            Booking.organisation_id == organisation_id,
            ConsentRecord.organisation_id == organisation_id,
            ConsentRecord.decision == "granted",
            # A withdrawal ends the export too: nothing more leaves under that grant.
            ConsentRecord.withdrawn_at.is_(None),
        )
        .order_by(Booking.id)
    )
    found: list[Conversion] = []
    for attribution, booking, consent, outcome in db.session.execute(query):
        if "ads" not in (consent.purposes or []):
            continue
        # The last click wins; the first touch's id only when the last carried none.
        ids = click_ids(attribution.last_touch) or click_ids(attribution.first_touch)
        gclid, msclkid = ids.get("gclid", ""), ids.get("msclkid", "")
        if not (gclid or msclkid):
            continue
        events = []
        if booking.status == "confirmed":
            events.append(("booked", booking.created_at, None, ""))
        if outcome is not None and outcome.status in ("attended", "won", "lost"):
            events.append(("attended", outcome.recorded_at, None, ""))
        if outcome is not None and outcome.status == "won":
            events.append(("won", outcome.recorded_at, outcome.deal_value, outcome.currency or ""))
        for goal, at, value, currency in events:
            if start <= at < end:
                found.append(
                    Conversion(
                        goal=goal,
                        at=at,
                        gclid=gclid,
                        msclkid=msclkid,
                        value=value,
                        currency=currency,
                    )
                )
    return found
