"""Consent records that mean what they say, over HTTP.

A withdrawal names the grant it ends; a withdrawn, foreign or expired grant id stores nothing
(view credit, booking and lead attribution, offline conversions); purposes are stored exactly.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import g
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import (
    Booking,
    ConsentRecord,
    EmbedSettings,
    Lead,
    WidgetAttribution,
    WidgetView,
)
from scheduling.operations.ad_conversions import consented_conversions
from tests.conftest import FROZEN_NOW
from tests.web.test_embed_flow import (  # noqa: F401 (allow, event_type, qualifying: fixtures)
    HOST,
    SLOT,
    allow,
    attribution,
    book,
    event_type,
    log_consent,
    qualify,
    qualifying,
)
from tests.web.test_funnel_consent import credit, view

CLICK = {"at": 1_893_000_000_000, "utm_source": "ads", "gclid": "G-1"}


@pytest.fixture
def widget(make_event_type, frozen_now):
    made = make_event_type(title="Intro call")
    _allow(made.organisation_id, cookie_days=30)
    return made


def _allow(organisation_id, cookie_days=30):
    db.session.add(
        EmbedSettings(
            organisation_id=organisation_id,
            allowed_origins=[HOST],
            own_prompt=False,
            prompt_text="",
            cookie_days=cookie_days,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()


def grant(client, target, **extra) -> str:
    response = log_consent(client, target, **extra)
    assert response.status_code == 201, response.text
    return response.get_json()["consent"]


def withdraw(client, target, grant_id):
    response = log_consent(
        client, target, "withdrawn", ends=grant_id, purposes=["attribution", "ads"]
    )
    g.pop("embed", None)
    return response


def records() -> list[ConsentRecord]:
    db.session.rollback()  # what the server committed
    return list(db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)))


def last_attribution() -> WidgetAttribution:
    db.session.rollback()
    booking = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    return db.session.scalar(
        select(WidgetAttribution).where(WidgetAttribution.booking_id == booking.id)
    )


def test_a_withdrawal_names_and_ends_the_grant(client, widget):
    grant_id = grant(client, widget)
    response = withdraw(client, widget, grant_id)
    assert response.status_code == 201
    body = response.get_json()
    assert body["decision"] == "withdrawn" and body["ends"] == grant_id
    assert body["consent"] != grant_id
    granted, withdrawal = records()
    assert withdrawal.decision == "withdrawn" and withdrawal.consent_id == body["consent"]
    assert withdrawal.ends_consent_id == granted.id
    assert granted.withdrawn_at == FROZEN_NOW and granted.ends_consent_id is None
    assert withdrawal.purposes == ["attribution", "ads"]


def test_withdrawing_twice_is_refused_and_stores_nothing(client, widget):
    grant_id = grant(client, widget)
    assert withdraw(client, widget, grant_id).status_code == 201
    again = withdraw(client, widget, grant_id)
    assert again.status_code == 400
    assert again.get_json()["message"] == "That consent was already withdrawn."
    assert again.get_json()["fields"] == {"ends": "withdrawn_twice"}
    assert [r.decision for r in records()] == ["granted", "withdrawn"]


@pytest.mark.parametrize("case", ["unknown", "foreign", "a_refusal", "missing", "malformed"])
def test_withdrawing_what_is_no_grant_of_this_organisation_stores_nothing(
    client, widget, make_event_type, case
):
    ends = {"unknown": "f" * 32, "missing": None, "malformed": "not an id"}.get(case)
    if case == "foreign":
        other = make_event_type(title="Theirs")
        _allow(other.organisation_id)
        ends = grant(client, other)
    elif case == "a_refusal":
        ends = grant(client, widget, decision="refused")
    before = len(records())
    response = withdraw(client, widget, ends)
    assert response.status_code == 400
    body = response.get_json()
    if case in ("unknown", "foreign"):
        assert body["message"] == "No consent of this organisation has that id."
    elif case == "a_refusal":
        assert body["fields"] == {"ends": "not_granted"}
    else:
        assert body["fields"]["ends"] == "A withdrawal names the consent id of the grant it ends."
    rows = records()
    assert len(rows) == before
    assert all(row.withdrawn_at is None and row.ends_consent_id is None for row in rows)


def test_only_a_withdrawal_names_a_grant(client, widget):
    grant_id = grant(client, widget)
    response = log_consent(client, widget, ends=grant_id)
    assert response.status_code == 400
    assert response.get_json()["fields"]["ends"] == "Only a withdrawal names a grant it ends."
    assert len(records()) == 1


def test_a_replayed_withdrawn_grant_gets_no_view_credit(client, widget):
    view(client, widget)
    grant_id = grant(client, widget)
    withdraw(client, widget, grant_id)
    response = credit(client, widget, grant_id)
    assert response.status_code == 403
    body = response.get_json()
    assert body["message"] == "That consent was withdrawn; it no longer allows storing anything."
    assert body["fields"] == {"consent": "withdrawn"}
    db.session.rollback()
    assert [v.first_touch for v in db.session.scalars(select(WidgetView))] == [None]


def test_a_replayed_withdrawn_grant_attributes_no_booking(client, widget):
    grant_id = grant(client, widget)
    book(client, widget, attribution(grant_id))
    assert last_attribution().last_touch["utm_source"] == "ads"  # before: attributed
    withdraw(client, widget, grant_id)
    book(client, widget, attribution(grant_id), slot="2030-01-08T10:00:00+00:00")
    row = last_attribution()
    assert row.first_touch is None and row.last_touch is None
    assert row.visitor_id is None and row.consent_record_id is None


def test_a_foreign_grant_stores_nothing(client, widget, make_event_type):
    other = make_event_type(title="Theirs")
    _allow(other.organisation_id)
    theirs = grant(client, other)
    view(client, widget)
    response = credit(client, widget, theirs)
    assert response.status_code == 403
    assert response.get_json()["message"] == "No consent of this organisation has that id."
    book(client, widget, attribution(theirs))
    row = last_attribution()
    assert row.last_touch is None and row.consent_record_id is None and row.visitor_id is None


def _age(consent_id: str, days: int) -> None:
    row = db.session.scalar(select(ConsentRecord).where(ConsentRecord.consent_id == consent_id))
    row.decided_at = FROZEN_NOW - timedelta(days=days)
    db.session.commit()


def test_a_grant_expires_with_the_attribution_cookie_lifetime(client, widget):
    """cookie_days is 30: a grant of 29 days ago still counts, one of 30 days ago no longer."""
    young, old = grant(client, widget), grant(client, widget)
    _age(young, 29)
    _age(old, 30)
    view(client, widget)
    view(client, widget)
    expired = credit(client, widget, old)
    assert expired.status_code == 403
    assert expired.get_json()["fields"] == {"consent": "expired"}
    assert credit(client, widget, young).get_json() == {"credited": 1}
    book(client, widget, attribution(old))
    row = last_attribution()
    assert row.last_touch is None and row.consent_record_id is None
    book(client, widget, attribution(young), slot="2030-01-08T10:00:00+00:00")
    assert last_attribution().consent_record.consent_id == young


def test_a_booking_after_qualification_does_not_inherit_a_withdrawn_grant(
    client,
    qualifying,  # noqa: F811 (the fixture imported above)
    allow,  # noqa: F811
):
    allow(HOST)
    et = qualifying
    grant_id = grant(client, et)
    _, response = qualify(client, et, "large", attribution(grant_id))
    assert response.status_code == 303
    db.session.rollback()
    lead = db.session.scalars(select(Lead)).one()
    lead_row = db.session.scalar(
        select(WidgetAttribution).where(WidgetAttribution.lead_id == lead.id)
    )
    assert lead_row.first_touch["utm_source"] == "news"  # the lead kept it while granted
    assert withdraw(client, et, grant_id).status_code == 201
    lead_uid = re.search(r"lead=([0-9a-f]+)", response.headers["Location"]).group(1)
    page = client.get(
        f"/book/{et.slug}/confirm?embed=1&lead={lead_uid}&start={quote(SLOT)}&tz=Europe/Berlin"
    )
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text).group(1)
    data = {
        "start": SLOT,
        "tz": "Europe/Berlin",
        "form_token": token,
        "lead": lead_uid,
        "name": "Ada",
        "email": "ada@example.com",
    }
    assert client.post(f"/book/{et.slug}/confirm?embed=1", data=data).status_code == 303
    row = last_attribution()
    assert row.last_touch is None and row.first_touch is None and row.consent_record_id is None


def test_conversions_stop_with_the_withdrawal(client, widget):
    grant_id = grant(client, widget, purposes=["attribution", "ads"])
    book(client, widget, attribution(grant_id, last=CLICK))
    start, end = FROZEN_NOW - timedelta(days=1), FROZEN_NOW + timedelta(days=1)
    assert [c.gclid for c in consented_conversions(widget.organisation_id, start, end)] == ["G-1"]
    withdraw(client, widget, grant_id)
    db.session.rollback()
    assert consented_conversions(widget.organisation_id, start, end) == []


@pytest.mark.parametrize(
    ("purposes", "message"),
    [
        (["attribution", "attribution"], "Name each purpose once."),
        (["attribution", "marketing"], "A list of: attribution, ads."),
        (["ads"], "The ads purpose comes only with attribution."),
        ([], "A list of: attribution, ads."),
        ("attribution", "A list of: attribution, ads."),
    ],
)
def test_purposes_are_checked_against_the_known_set(client, widget, purposes, message):
    response = log_consent(client, widget, purposes=purposes)
    assert response.status_code == 400
    assert response.get_json()["fields"]["purposes"] == message
    assert records() == []


def test_the_log_keeps_the_notice_hash_and_the_exact_purposes(client, widget):
    grant(client, widget, purposes=["ads", "attribution"], notice="Banner v7")
    [row] = records()
    assert row.purposes == ["ads", "attribution"]
    assert len(row.notice_hash) == 64
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 1
