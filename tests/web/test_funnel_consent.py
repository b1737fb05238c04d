"""Funnel accuracy over HTTP: views counted before consent are credited to the visit's campaign."""

from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from scheduling import clock
from scheduling.extensions import db
from scheduling.models import WidgetView
from tests.conftest import FROZEN_NOW
from tests.web.test_embed_flow import HOST, book, log_consent

TOUCH = {"at": 1_893_000_000_000, "utm_source": "news", "utm_campaign": "spring", "gclid": "G1"}


@pytest.fixture
def widget(make_event_type, frozen_now, app):
    from scheduling.models import EmbedSettings

    event_type = make_event_type(title="Intro call")
    db.session.add(
        EmbedSettings(
            organisation_id=event_type.organisation_id,
            allowed_origins=[HOST],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    return event_type


def view(client, event_type):
    response = client.get(f"/book/{event_type.slug}?embed=1&entry=1")
    assert response.status_code == 303
    g.pop("embed", None)


def credit(client, event_type, consent, views=1, **extra):
    body = {
        "slug": event_type.slug,
        "consent": consent,
        "first": TOUCH,
        "last": TOUCH,
        "views": views,
        "ab": "",
        **extra,
    }
    response = client.post(
        "/embed/view-credit", json=body, headers={"Sec-Fetch-Site": "same-origin"}
    )
    g.pop("embed", None)
    return response


def touches():
    db.session.rollback()
    return [v.last_touch for v in db.session.scalars(select(WidgetView).order_by(WidgetView.id))]


def test_a_view_before_consent_is_credited_to_the_visits_campaign(client, widget):
    view(client, widget)
    assert touches() == [None]
    consent = log_consent(client, widget).get_json()["consent"]
    response = credit(client, widget, consent)
    assert response.status_code == 200 and response.get_json() == {"credited": 1}
    [touch] = touches()
    assert touch["utm_campaign"] == "spring" and touch["utm_source"] == "news"
    # Views carry no click id, whatever the consent: only the platform's name.
    assert "gclid" not in touch and touch["click"] == "google"
    # Once credited, the same view is not credited again.
    assert credit(client, widget, consent).get_json() == {"credited": 0}


def test_only_as_many_views_as_sent_and_only_recent_uncredited_ones(client, widget, monkeypatch):
    view(client, widget)  # two hours and a minute before the others: another visit
    monkeypatch.setattr(clock, "utcnow", lambda: FROZEN_NOW + timedelta(hours=2, minutes=1))
    view(client, widget)
    view(client, widget)
    view(client, widget)
    consent = log_consent(client, widget).get_json()["consent"]
    assert credit(client, widget, consent, views=2).get_json() == {"credited": 2}
    assert [bool(t) for t in touches()] == [False, False, True, True]
    assert credit(client, widget, consent, views=5).get_json() == {"credited": 1}
    assert [bool(t) for t in touches()] == [False, True, True, True]


@pytest.mark.parametrize("decision", ["refused", "withdrawn"])
def test_no_credit_without_a_granted_consent(client, widget, decision):
    view(client, widget)
    extra = {}
    if decision == "withdrawn":  # the withdrawal's own id; the grant it ends is refused too
        grant = log_consent(client, widget).get_json()["consent"]
        extra = {"ends": grant}
    consent = log_consent(client, widget, decision=decision, **extra).get_json()["consent"]
    assert credit(client, widget, consent).status_code == 403
    if extra:
        assert credit(client, widget, extra["ends"]).status_code == 403
    assert credit(client, widget, "f" * 32).status_code == 403
    assert touches() == [None]


def test_no_credit_with_another_organisations_consent(client, widget, make_event_type):
    view(client, widget)
    other = make_event_type(title="Other org")
    from scheduling.models import EmbedSettings

    db.session.add(
        EmbedSettings(
            organisation_id=other.organisation_id,
            allowed_origins=[HOST],
            own_prompt=False,
            prompt_text="",
            cookie_days=90,
            updated_at=FROZEN_NOW,
        )
    )
    db.session.commit()
    consent = log_consent(client, other).get_json()["consent"]
    assert credit(client, widget, consent).status_code == 403
    assert touches() == [None]


@pytest.mark.parametrize(
    "changes",
    [
        {"views": 0},
        {"views": 21},
        {"views": True},
        {"views": "1"},
        {"first": {"utm_source": "no time"}},
        {"last": None},
    ],
)
def test_bad_credits_are_refused_and_change_nothing(client, widget, changes):
    view(client, widget)
    consent = log_consent(client, widget).get_json()["consent"]
    response = credit(client, widget, consent, **changes)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert touches() == [None]


def test_credit_comes_only_from_the_widget_itself(client, widget):
    view(client, widget)
    consent = log_consent(client, widget).get_json()["consent"]
    response = client.post(
        "/embed/view-credit",
        json={"slug": widget.slug, "consent": consent, "first": TOUCH, "last": TOUCH, "views": 1},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert touches() == [None]


def test_funnel_says_how_many_views_and_bookings_had_no_consent(client, widget, login_as):
    view(client, widget)
    view(client, widget)
    consent = log_consent(client, widget).get_json()["consent"]
    credit(client, widget, consent)
    book(client, widget)  # no attribution: no consent
    g.pop("embed", None)
    book(
        client,
        widget,
        {"visitor": "v" * 32, "consent": consent, "first": TOUCH, "last": TOUCH},
        slot="2030-01-09T09:00:00+00:00",
    )
    g.pop("embed", None)
    login_as("manager", org=widget.organisation)
    page = client.get("/admin/funnel?from=2030-01-01&to=2030-01-31").text
    assert 'id="views-without-consent">1<' in page
    assert 'id="bookings-without-consent">1<' in page
    # The credited view sits next to its booking under the campaign.
    row = page[page.index(">news<") :]
    cells = [c.split("<")[0] for c in row.split('class="num" data-label=')[1:8]]
    assert [c.split(">")[1] for c in cells][:4] == ["1", "0", "0", "1"]
