"""Public pages: pick a time, book, see the confirmation, cancel, reschedule. No cookies."""

from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy import select

from scheduling import clock
from scheduling.errors import N_, InvalidRequest, SlotUnavailable
from scheduling.extensions import db
from scheduling.ical import render_calendar
from scheduling.models import Booking, EventType, Lead
from scheduling.operations import public_pages
from scheduling.operations.bookings import (
    cancel_booking,
    get_booking,
    get_event_type,
    reschedule_booking,
)
from scheduling.operations.calendar_items import calendar_event_for
from scheduling.operations.locations import offered_locations
from scheduling.operations.payloads import meeting_hosts
from scheduling.operations.public_pages import listed_event_types
from scheduling.operations.routing import (
    book_for_route,
    bookable_host_ids,
    get_lead,
    lead_for_event_type,
    qualify,
)
from scheduling.operations.slots import compute_event_type_slots
from scheduling.routing import COUNTRIES
from scheduling.security.links import check_booking_token
from scheduling.web.answers import answers_from_form
from scheduling.web.formatting import local_datetime, week_first_day
from scheduling.web.i18n import normalise as normalise_locale
from scheduling.web.security import (
    check_form_token,
    check_same_origin_post,
    make_form_token,
    make_visitor_token,
    read_visitor_token,
)
from scheduling.web.urls import booking_link

from .calendar import build_calendar, default_tz, parse_tz, visitor_tz, zone_choices
from .direct_consent import install_direct_consent
from .durations import chosen_duration, duration_args, duration_choice, rescheduled_duration
from .embed_mode import install_embed_mode, note_result, ordered_questions, signal
from .forms import BookingForm, CancelForm, RescheduleForm
from .rebook import rebook_prefill

bp = Blueprint("public", __name__)


@bp.app_template_filter("split_query")
def split_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a URL into its path and query pairs, for a GET form whose buttons add one more.

    A browser drops the query string of a GET form's action, so the pairs become hidden fields.
    """
    parts = urlsplit(url)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


NOTICES = {
    "taken": N_("This time was just taken, pick another."),
    "unavailable": N_("That time is no longer available, pick another."),
    "expired": N_("The form expired before it was sent. Please pick a time again."),
}


def _notice() -> str | None:
    notice = NOTICES.get(request.args.get("notice", ""))
    return gettext(notice) if notice else None


def _shown(message: str) -> str:
    """A domain message (or field message) in the page's language."""
    return gettext(getattr(message, "template", message), **getattr(message, "params", {}))


def _shown_error(exc: InvalidRequest) -> dict:
    if exc.fields:
        return {key: _shown(value) for key, value in exc.fields.items()}
    return {"_form": gettext(exc.template, **exc.params)}


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _video_base() -> str:
    return current_app.config["JITSI_BASE_URL"]


def _load_booking(uid: str, token: str, purpose: str) -> Booking:
    booking = get_booking(uid)
    if not check_booking_token(_secret(), booking.uid, booking.token_version, purpose, token):
        abort(404)
    return booking


def _parse_start(value: str | None) -> datetime:
    try:
        start = datetime.fromisoformat(value or "")
    except ValueError:
        message = N_("The chosen time could not be read. Please pick it again.")
        raise InvalidRequest(message) from None
    if start.tzinfo is None:
        raise InvalidRequest(N_("The chosen time has no UTC offset. Please pick it again."))
    return start


def _is_offered(
    event_type: EventType,
    start: datetime,
    exclude_booking_id: int | None = None,
    host_ids: list[int] | None = None,
    duration: int | None = None,
):
    """Whether the time is a free slot right now (the grid does not depend on the range asked)."""
    slots = compute_event_type_slots(
        event_type,
        start,
        start + timedelta(minutes=1),
        clock.utcnow(),
        exclude_booking_id,
        host_ids,
        duration,
    )
    return start in slots


def _times_page(**context):
    """The booking page, or only its month and day part (`?fragment=times`, for timezone.js)."""
    if request.args.get("fragment") == "times":
        return render_template("public/_times.html", **context)
    return render_template("public/book.html", **context)


@bp.get("/")
def index():
    return render_template("public/index.html", event_types=listed_event_types())


# The view arguments are not called `slug`: embed mode reads `slug` as an event type's.
@bp.get("/u/<host_slug>")
def host_page(host_slug: str):
    host, event_types = public_pages.host_page(host_slug)
    return render_template("public/host.html", host=host, event_types=event_types)


@bp.get("/t/<team_slug>")
def team_page(team_slug: str):
    team, event_types = public_pages.team_page(team_slug)
    return render_template("public/team.html", team=team, event_types=event_types)


def _route(event_type: EventType, lead_uid: str | None) -> tuple[Lead | None, list[int]]:
    """The lead (when the event type asks questions) and the hosts the visitor may book."""
    lead = lead_for_event_type(event_type, lead_uid) if lead_uid else None
    if lead is not None and lead.status == "disqualified":
        raise InvalidRequest(N_("These answers do not qualify for a call."))
    return lead, bookable_host_ids(event_type, lead, clock.utcnow())


@bp.get("/book/<slug>")
def book(slug: str):
    event_type = get_event_type(slug)
    lead_uid = request.args.get("lead") or None
    answers, rebook_visitor = rebook_prefill(event_type, request.args.get("rebook"))
    if event_type.routing_form is not None and lead_uid is None:
        return _questions_page(event_type, answers, {})
    lead, host_ids = _route(event_type, lead_uid)
    minutes = chosen_duration(event_type, request.args.get("duration"))
    if lead is not None:
        signal("qualified", lead.uid, lead=lead.uid)
    tz = visitor_tz(default_tz(event_type))
    view = build_calendar(
        event_type,
        tz,
        request.args.get("month"),
        request.args.get("date"),
        clock.utcnow(),
        host_ids=host_ids,
        first_weekday=week_first_day(),
        duration=minutes,
    )
    args = {"slug": slug, "lead": lead.uid} if lead else {"slug": slug}
    args.update(duration_args(event_type, minutes))
    visitor = request.args.get("visitor") or rebook_visitor
    if read_visitor_token(visitor):
        args["visitor"] = visitor  # carried to the next form, which it prefills
    return _times_page(
        event_type=event_type,
        view=view,
        **zone_choices(tz, event_type),
        notice=_notice(),
        page_endpoint="public.book",
        page_args=args,
        confirm_endpoint="public.confirm",
        rescheduling=None,
        minutes=minutes,
        durations=duration_choice(event_type, minutes, "public.book", args, tz),
    )


def _questions_page(event_type: EventType, answers: dict, errors: dict, status: int = 200):
    form = event_type.routing_form
    return render_template(
        "public/qualify.html",
        event_type=event_type,
        questions=ordered_questions(form.questions),
        answers=answers,
        errors=errors,
        countries=sorted(COUNTRIES.items(), key=lambda item: item[1]),
        form_token=make_form_token(kind="qualify", event=event_type.slug),
    ), status


@bp.post("/book/<slug>/qualify")
def qualify_answers(slug: str):
    event_type = get_event_type(slug)
    if event_type.routing_form is None:
        return redirect(url_for("public.book", slug=slug), code=303)
    check_same_origin_post()
    raw = answers_from_form(event_type.routing_form, request.form)
    try:
        check_form_token(request.form.get("form_token", ""), kind="qualify", event=slug)
    except InvalidRequest as exc:
        return _questions_page(event_type, raw, _shown_error(exc), 400)
    try:
        lead = qualify(event_type, raw, clock.utcnow())
    except InvalidRequest as exc:
        db.session.rollback()
        return _questions_page(event_type, raw, _shown_error(exc), 400)
    note_result(lead=lead)
    db.session.commit()
    if lead.status == "disqualified":
        return redirect(url_for("public.not_a_fit", slug=slug, lead=lead.uid), code=303)
    return redirect(url_for("public.book", slug=lead.event_type.slug, lead=lead.uid), code=303)


@bp.get("/book/<slug>/not-a-fit/<lead>")
def not_a_fit(slug: str, lead: str):
    event_type = get_event_type(slug)
    row = get_lead(lead)
    if row.organisation_id != event_type.organisation_id or row.status != "disqualified":
        abort(404)
    decision = row.decision or {}
    signal("disqualified", row.uid, lead=row.uid)
    url = decision.get("redirect_url") or ""
    seconds = int(decision.get("redirect_seconds") or 0)
    return render_template(
        "public/not_a_fit.html",
        event_type=event_type,
        message=decision.get("message") or gettext("Thank you for your answers."),
        redirect_url=url if url.startswith(("https://", "http://")) else "",
        redirect_seconds=max(0, min(seconds, 60)),
    )


def _back_to_day(endpoint: str, notice: str, start: datetime | None, tz: str, **args):
    if start is not None:
        args["date"] = start.astimezone(ZoneInfo(tz)).date().isoformat()
    return redirect(url_for(endpoint, tz=tz, notice=notice, **args), code=303)


@bp.route("/book/<slug>/confirm", methods=["GET", "POST"])
def confirm(slug: str):
    event_type = get_event_type(slug)
    values = request.form if request.method == "POST" else request.args
    lead_uid = values.get("lead") or None
    if event_type.routing_form is not None and lead_uid is None:
        return redirect(url_for("public.book", slug=slug), code=303)
    lead, host_ids = _route(event_type, lead_uid)
    minutes = chosen_duration(event_type, values.get("duration"))
    day_args = {"slug": slug, "lead": lead_uid} if lead_uid else {"slug": slug}
    day_args.update(duration_args(event_type, minutes))
    if read_visitor_token(values.get("visitor")):
        day_args["visitor"] = values.get("visitor")
    tz = parse_tz(values.get("tz"), default_tz(event_type))
    start = _parse_start(values.get("start"))
    claims = {"kind": "book", "event": slug, "start": start.isoformat(), "lead": lead_uid or ""}
    claims["duration"] = str(minutes)  # the token binds the chosen length too
    form = BookingForm()
    status = 200
    offered = offered_locations(event_type)
    if request.method == "POST":
        check_same_origin_post()
        form.set_locations(offered, posted=True)
        # What the visitor typed, kept for the next form if this one cannot book.
        typed = {
            **day_args,
            "visitor": make_visitor_token(
                name=form.name.data,
                email=form.email.data,
                note=form.note.data,
                location=form.location.data,
                phone=form.phone.data,
            ),
        }
        try:
            check_form_token(form.form_token.data, **claims)
        except InvalidRequest:
            return _back_to_day("public.book", "expired", start, tz, **typed)
        locale = _posted_locale(form.locale.data)
        if form.validate():
            try:
                booking = book_for_route(
                    event_type,
                    start,
                    replace(form.invitee(tz, locale), duration=minutes),
                    clock.utcnow(),
                    lead=lead,
                    video_base_url=_video_base(),
                )
            except (SlotUnavailable, InvalidRequest) as exc:
                notice = "taken" if isinstance(exc, SlotUnavailable) else "unavailable"
                return _back_to_day("public.book", notice, start, tz, **typed)
            note_result(lead=lead, booking=booking)
            # The operator's thank-you page, on the public page only: in the widget the frame
            # stays, and the host page gets the `booked` event from our confirmation page.
            after = None if g.embed else public_pages.after_booking_url(event_type, booking.uid)
            response = redirect(after or booking_link(booking, "view"), code=303)  # pre-commit
            db.session.commit()
            return response
        status = 400
    else:
        if not _is_offered(event_type, start, host_ids=host_ids, duration=minutes):
            return _back_to_day("public.book", "unavailable", start, tz, **day_args)
        typed = read_visitor_token(values.get("visitor"))
        if typed:
            form.name.data = typed["name"]
            form.email.data = typed["email"]
            form.note.data = typed["note"]
            form.location.data = typed["location"]
            form.phone.data = typed["phone"]
        form.set_locations(offered, posted=False)
        if lead is not None:
            form.name.data = form.name.data or lead.name
            form.email.data = form.email.data or lead.email
        signal("slot_selected", start.isoformat(), start=start.isoformat())
    form.form_token.data = make_form_token(**claims)
    form.locale.data = str(get_locale())
    return render_template(
        "public/confirm.html",
        event_type=event_type,
        start=start,
        tz=tz,
        form=form,
        lead=lead,
        action=url_for("public.confirm", slug=slug),
        back=url_for("public.book", tz=tz, date=_local_day(start, tz), **day_args),
        rescheduling=None,
        minutes=minutes,
    ), status


def _posted_locale(value: str | None) -> str:
    """The language the form was shown in (missing: this page's); an unknown one is refused."""
    if not value:
        return str(get_locale())
    locale = normalise_locale(value)
    if locale is None or locale != value.strip().lower():
        raise InvalidRequest(
            N_("Unsupported language %(locale)s: use one of %(languages)s."),
            {"locale": "unsupported language"},
            locale=value[:20],
            languages=", ".join(current_app.config["LANGUAGES"]),
        )
    return locale


def _local_day(start: datetime, tz: str) -> str:
    return start.astimezone(ZoneInfo(tz)).date().isoformat()


@bp.get("/booking/<uid>/<token>")
def booking(uid: str, token: str):
    booking = _load_booking(uid, token, "view")
    successor = db.session.scalars(
        select(Booking).where(Booking.rescheduled_from_id == booking.id)
    ).first()
    now = clock.utcnow()
    changeable = booking.is_confirmed and booking.start_at > now
    if booking.is_confirmed:
        signal(
            "booked",
            booking.uid,
            id=booking.uid,
            start=booking.start_at.isoformat(),
            host=booking.host.name,
        )
    return render_template(
        "public/booking.html",
        booking=booking,
        hosts=meeting_hosts(booking),
        successor_link=booking_link(successor, "view") if successor else None,
        ics_link=url_for("public.booking_ics", uid=uid, token=token),
        my_data_link=url_for("public.my_data", uid=uid, token=token),
        cancel_link=booking_link(booking, "cancel") if changeable else None,
        reschedule_link=booking_link(booking, "reschedule") if changeable else None,
    )


@bp.get("/booking/<uid>/<token>/invite.ics")
def booking_ics(uid: str, token: str):
    booking = _load_booking(uid, token, "view")
    if booking.status == "rescheduled":
        # The old time's file would carry a stale SEQUENCE: give the latest state of this UID.
        booking = db.session.scalars(
            select(Booking)
            .where(Booking.ical_uid == booking.ical_uid)
            .order_by(Booking.sequence.desc(), Booking.id.desc())
        ).first()
    with force_locale(booking.invitee_locale):  # the invitee's file: in the language they booked
        item = calendar_event_for(
            booking,
            clock.utcnow(),
            url=booking_link(booking, "view"),
            gettext=gettext,
            when=local_datetime(booking.start_at, booking.invitee_tz),
        )
    # An invitation (host organises, invitee attends) or its withdrawal with the same UID and a
    # higher SEQUENCE, so calendars update or remove the event they already have.
    method = "REQUEST" if booking.is_confirmed else "CANCEL"
    body = render_calendar([item], method=method)
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="booking-{booking.uid[:8]}.ics"'},
    )


@bp.route("/booking/<uid>/cancel/<token>", methods=["GET", "POST"])
def cancel(uid: str, token: str):
    booking = _load_booking(uid, token, "cancel")
    form = CancelForm()
    status = 200
    if request.method == "POST":
        check_same_origin_post()
        check_form_token(form.form_token.data, kind="cancel", booking=uid)
        if form.validate():
            cancel_booking(booking, (form.reason.data or "").strip(), clock.utcnow())
            response = redirect(booking_link(booking, "view"), code=303)
            db.session.commit()
            return response
        status = 400
    form.form_token.data = make_form_token(kind="cancel", booking=uid)
    return render_template(
        "public/cancel.html",
        booking=booking,
        hosts=meeting_hosts(booking),
        form=form,
        view_link=booking_link(booking, "view"),
    ), status


@bp.get("/booking/<uid>/reschedule/<token>")
def reschedule(uid: str, token: str):
    booking = _load_booking(uid, token, "reschedule")
    if not booking.is_confirmed or booking.start_at <= clock.utcnow():
        return redirect(booking_link(booking, "view"), code=303)
    tz = visitor_tz(booking.invitee_tz)
    view = build_calendar(
        booking.event_type,
        tz,
        request.args.get("month"),
        request.args.get("date"),
        clock.utcnow(),
        exclude_booking_id=booking.id,
        first_weekday=week_first_day(),
        duration=rescheduled_duration(booking),
    )
    return _times_page(
        event_type=booking.event_type,
        view=view,
        **zone_choices(tz, booking.event_type),
        notice=_notice(),
        page_endpoint="public.reschedule",
        page_args={"uid": uid, "token": token},
        confirm_endpoint="public.reschedule_confirm",
        rescheduling=booking,
        minutes=rescheduled_duration(booking),
    )


@bp.route("/booking/<uid>/reschedule/<token>/confirm", methods=["GET", "POST"])
def reschedule_confirm(uid: str, token: str):
    booking = _load_booking(uid, token, "reschedule")
    values = request.form if request.method == "POST" else request.args
    tz = parse_tz(values.get("tz"), booking.invitee_tz)
    start = _parse_start(values.get("start"))
    start_key = start.isoformat()
    form = RescheduleForm()
    if request.method == "POST":
        check_same_origin_post()
        try:
            check_form_token(form.form_token.data, kind="reschedule", booking=uid, start=start_key)
        except InvalidRequest:
            return _back_to_day("public.reschedule", "expired", start, tz, uid=uid, token=token)
        try:
            new = reschedule_booking(booking, start, clock.utcnow(), video_base_url=_video_base())
        except SlotUnavailable:
            return _back_to_day("public.reschedule", "taken", start, tz, uid=uid, token=token)
        except InvalidRequest:
            return _back_to_day("public.reschedule", "unavailable", start, tz, uid=uid, token=token)
        response = redirect(booking_link(new, "view"), code=303)
        db.session.commit()
        return response
    minutes = rescheduled_duration(booking)
    if not _is_offered(booking.event_type, start, exclude_booking_id=booking.id, duration=minutes):
        return _back_to_day("public.reschedule", "unavailable", start, tz, uid=uid, token=token)
    form.form_token.data = make_form_token(kind="reschedule", booking=uid, start=start_key)
    return render_template(
        "public/confirm.html",
        event_type=booking.event_type,
        start=start,
        tz=tz,
        form=form,
        action=url_for("public.reschedule_confirm", uid=uid, token=token),
        back=url_for("public.reschedule", uid=uid, token=token, tz=tz, date=_local_day(start, tz)),
        rescheduling=booking,
        minutes=minutes,
    )


install_embed_mode(bp)
install_direct_consent(bp)
