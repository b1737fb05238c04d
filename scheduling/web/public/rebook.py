"""A no-show's "book again" link: the earlier booking's answers and details prefill the flow."""

from scheduling.extensions import db
from scheduling.models import Booking, EventType
from scheduling.operations.leads import answers_of_booking
from scheduling.web.outcome_tokens import read_rebook_token
from scheduling.web.security import make_visitor_token


def rebook_prefill(event_type: EventType, token: str | None) -> tuple[dict, str | None]:
    """(answers for the questions page, a visitor value for the booking form) from a rebook
    link; ({}, None) for a bad link or a booking of another event type."""
    booking_id = read_rebook_token(token)
    booking = db.session.get(Booking, booking_id) if booking_id is not None else None
    if booking is None or booking.event_type_id != event_type.id:
        return {}, None
    visitor = make_visitor_token(name=booking.invitee_name, email=booking.invitee_email)
    return answers_of_booking(booking.id), visitor
