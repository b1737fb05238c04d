"""The invitee's own data, from the signed link of their booking page (GDPR Art. 15, 17, 20).

The page lists what this organisation stores about the booking's email address, the JSON
download carries the same, and a POST (signed form token, same-origin, no cookie) asks for
erasure: an open request lands in the admin's privacy area, due one month ahead. Asking again
while one is open changes nothing.
"""

import json

from flask import current_app, redirect, render_template, request, url_for

from scheduling import clock
from scheduling.delivery.mail import mail_folder
from scheduling.extensions import db
from scheduling.models import Booking
from scheduling.operations.privacy_requests import request_erasure
from scheduling.operations.subject_export import export_subject
from scheduling.operations.subject_requests import find_subject, open_requests_for
from scheduling.web.security import check_form_token, check_same_origin_post, make_form_token

from .views import _load_booking, bp

FORM_KIND = "erasure"


def _data(booking: Booking) -> dict:
    found = find_subject(
        booking.organisation_id, booking.invitee_email, mail_folder(current_app.instance_path)
    )
    return export_subject(found, booking.organisation, clock.utcnow())


def _erased(booking: Booking) -> bool:
    return booking.erased_at is not None


@bp.get("/booking/<uid>/<token>/my-data")
def my_data(uid: str, token: str):
    booking = _load_booking(uid, token, "view")
    erased = _erased(booking)
    pending = [] if erased else open_requests_for(booking.organisation_id, booking.invitee_email)
    return render_template(
        "public/my_data.html",
        booking=booking,
        data=None if erased else _data(booking),
        pending=pending[0] if pending else None,
        requested=request.args.get("requested") == "1",
        form_token=make_form_token(kind=FORM_KIND, booking=uid),
        back=url_for("public.booking", uid=uid, token=token),
        json_link=url_for("public.my_data_json", uid=uid, token=token),
        erase_action=url_for("public.my_data_erase", uid=uid, token=token),
    )


@bp.get("/booking/<uid>/<token>/my-data.json")
def my_data_json(uid: str, token: str):
    booking = _load_booking(uid, token, "view")
    body = {} if _erased(booking) else _data(booking)
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@bp.post("/booking/<uid>/<token>/my-data/erase")
def my_data_erase(uid: str, token: str):
    booking = _load_booking(uid, token, "view")
    check_same_origin_post()
    check_form_token(request.form.get("form_token", ""), kind=FORM_KIND, booking=uid)
    if not _erased(booking):
        request_erasure(booking.organisation_id, booking.invitee_email, clock.utcnow())
        db.session.commit()
    return redirect(url_for("public.my_data", uid=uid, token=token, requested=1), code=303)
