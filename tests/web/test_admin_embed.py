"""Admin pages of the widget: embed settings, funnel report and CSV, A/B tests (HTTP)."""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import (
    AbTest,
    AuditEntry,
    EmbedSettings,
    EventType,
    Outcome,
    Question,
    RoutingForm,
    WidgetAttribution,
    WidgetView,
)
from scheduling.operations.bookings import Invitee, create_booking
from tests.conftest import FROZEN_NOW, csrf_from, post_form


def text(response) -> str:
    return html.unescape(response.text)


def settings_data(**changes) -> dict:
    data = {
        "allowed_origins": "https://www.example.com\nhttp://localhost:8000",
        "cookie_days": "180",
    }
    data.update(changes)
    return data


def saved_settings(org_id) -> EmbedSettings | None:
    db.session.rollback()
    return db.session.scalar(select(EmbedSettings).where(EmbedSettings.organisation_id == org_id))


def test_admin_saves_the_allowlist_and_sees_the_snippet(client, login_as, make_event_type):
    admin = login_as("admin")
    event_type = make_event_type(hosts=[], organisation=admin.organisation, slug="demo-call")
    response = post_form(client, "/admin/embed", settings_data(own_prompt="y", cookie_days="30"))
    assert response.status_code == 302
    row = saved_settings(admin.organisation_id)
    assert row.allowed_origins == ["https://www.example.com", "http://localhost:8000"]
    assert row.own_prompt and row.cookie_days == 30
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "embed.update"))
    page = text(client.get("/admin/embed"))
    assert '<script src="http://localhost/static/embed.js" defer></script>' in page
    assert f'<div data-rendezvous="{event_type.slug}"></div>' in page
    assert "https://www.example.com\nhttp://localhost:8000" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"allowed_origins": "*"}, "Line 1"),
        ({"allowed_origins": "http://www.example.com"}, "http only for localhost"),
        ({"allowed_origins": "https://www.example.com/path"}, "Line 1"),
        ({"cookie_days": "400"}, "Between 1 and 395 days."),
        ({"cookie_days": "0"}, "Between 1 and 395 days."),
        ({"cookie_days": "soon"}, "Enter a number of days."),
    ],
)
def test_bad_embed_settings_are_refused_per_field(client, login_as, changes, message):
    admin = login_as("admin")
    response = post_form(client, "/admin/embed", settings_data(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert saved_settings(admin.organisation_id) is None


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://files.example.com",
        "file:///etc/passwd",
        "https://*.example.com",
        "*",
        "https://example.com/landing",
        "https://example.com?x=1",
        "//example.com",
        "example.com",
        "'self'",
        "https://a.example; script-src *",
        "https://999.1.1.1",
    ],
)
def test_allowlist_editor_names_the_bad_line(client, login_as, origin):
    admin = login_as("admin")
    response = post_form(
        client, "/admin/embed", settings_data(allowed_origins=f"https://ok.example\n{origin}")
    )
    assert response.status_code == 400
    page = text(response)
    assert f"Line 2: {origin[:80]!r} is not an origin such as https://www.example.com" in page
    assert saved_settings(admin.organisation_id) is None


def test_reps_do_not_edit_embed_settings(client, login_as):
    login_as("rep")
    assert client.get("/admin/embed").status_code == 403


@pytest.fixture
def funnel_data(app, make_event_type, make_host, make_org):
    """One organisation with a widget view, a consented booking (won) and an unconsented one."""

    def build(org):
        host = make_host(org=org, name="Hannah")
        event_type = make_event_type(hosts=[host], title="Demo")
        db.session.add(
            WidgetView(organisation_id=org.id, event_type_id=event_type.id, viewed_at=FROZEN_NOW)
        )
        touch = {"utm_source": "news", "utm_medium": "email", "utm_campaign": "spring", "at": "x"}
        bookings = []
        for day, touched in ((1, True), (2, False)):
            booking = create_booking(
                event_type,
                FROZEN_NOW.replace(hour=9) + timedelta(days=day),
                Invitee("Ada", "ada@example.com", "Europe/Berlin"),
                FROZEN_NOW,
                video_base_url="https://meet.example",
            )
            db.session.add(
                WidgetAttribution(
                    organisation_id=org.id,
                    booking_id=booking.id,
                    first_touch=touch if touched else None,
                    last_touch={**touch, "utm_source": "ads"} if touched else None,
                    created_at=FROZEN_NOW,
                )
            )
            bookings.append(booking)
        db.session.add(
            Outcome(
                booking_id=bookings[0].id,
                status="won",
                deal_value=Decimal("1200.00"),
                currency="EUR",
                recorded_at=FROZEN_NOW,
            )
        )
        db.session.commit()
        return event_type

    return build


def test_funnel_shows_counts_by_touch_and_the_unattributed_share(
    client, login_as, funnel_data, frozen_now
):
    manager = login_as("manager")
    funnel_data(manager.organisation)
    page = text(client.get("/admin/funnel?from=2030-01-01&to=2030-01-31"))
    assert "50.0%" in page  # one of two bookings without consent
    assert "ads" in page and "not attributed" in page
    first = text(client.get("/admin/funnel?from=2030-01-01&to=2030-01-31&touch=first"))
    assert "news" in first and ">ads<" not in first


def test_funnel_csv_export(client, login_as, funnel_data, frozen_now):
    manager = login_as("manager")
    funnel_data(manager.organisation)
    response = client.get("/admin/funnel/export.csv?from=2030-01-01&to=2030-01-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["touch", "source", "medium", "campaign", "views"]
    by_source = {row[1]: row for row in rows[1:]}
    assert by_source["ads"][7:10] == ["1", "1", "1"]
    assert by_source["ads"][10] == "EUR 1200.00"
    assert by_source["not attributed"][7] == "1"
    assert by_source["TOTAL"][4] == "1"


def test_funnel_is_scoped_to_the_organisation(client, login_as, funnel_data, make_org, frozen_now):
    login_as("manager")
    funnel_data(make_org(name="Other"))
    page = text(client.get("/admin/funnel?from=2030-01-01&to=2030-01-31"))
    assert "Nothing came through the widget" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("event_type=999", "Choose the event type filter"),
        ("event_type=%D9%A1", "Choose the event type filter"),
        ("host=abc", "Choose the host filter"),
        ("variant=-1", "Choose the variant filter"),
        ("touch=middle", "Choose first or last touch."),
        ("from=2030-02-01&to=2030-01-01", "must not be before"),
        ("from=2030-13-01", "from"),
        ("from=" + "1" * 5000, "from"),
        ("from=9999-12-31&to=9999-12-31", "9999"),
        ("from=0001-01-01&to=0001-01-01", "0001"),
        ("from=2000-01-01&to=2030-01-01", "at most"),
    ],
)
def test_funnel_bad_filters(client, login_as, query, message, frozen_now):
    login_as("manager")
    response = client.get(f"/admin/funnel?{query}")
    assert response.status_code == 400
    assert message in text(response)
    export = client.get(f"/admin/funnel/export.csv?{query}")
    assert export.status_code == 400 and export.mimetype == "text/html"


def test_funnel_filters_of_another_organisation_are_refused(
    client, login_as, funnel_data, make_org, frozen_now
):
    login_as("manager")
    theirs = funnel_data(make_org(name="Other"))
    response = client.get(f"/admin/funnel?event_type={theirs.id}")
    assert response.status_code == 400 and "Choose the event type filter" in text(response)
    host_id = theirs.hosts[0].id
    assert client.get(f"/admin/funnel/export.csv?host={host_id}").status_code == 400


def test_reps_do_not_see_the_funnel(client, login_as):
    login_as("rep")
    assert client.get("/admin/funnel").status_code == 403
    assert client.get("/admin/ab-tests").status_code == 403


def new_test_data(event_type, **changes) -> dict:
    data = {
        "name": "Headline test",
        "event_type": str(event_type.id),
        "variants-0-name": "Control",
        "variants-0-weight": "50",
        "variants-0-layout": "standard",
        "variants-1-name": "Bold",
        "variants-1-weight": "50",
        "variants-1-headline": "Talk to an expert",
        "variants-1-intro": "Twenty minutes, no slides.",
        "variants-1-layout": "compact",
        "variants-2-name": "",
        "variants-2-layout": "standard",
    }
    data.update(changes)
    return data


def test_manager_runs_a_test_and_promotes_the_winner(client, login_as, make_event_type, frozen_now):
    manager = login_as("manager")
    event_type = make_event_type(hosts=[], organisation=manager.organisation, title="Intro")
    response = post_form(client, "/admin/ab-tests", new_test_data(event_type))
    assert response.status_code == 302, text(response)
    db.session.rollback()
    test = db.session.scalars(select(AbTest)).one()
    assert [v.name for v in test.variants] == ["Control", "Bold"]
    assert test.variants[0].is_control and test.variants[1].layout == "compact"
    detail = text(client.get(f"/admin/ab-tests/{test.id}"))
    assert "Chance to beat control" in detail and "Bold" in detail
    assert "95% interval" in detail and "95%%" not in detail
    again = post_form(client, "/admin/ab-tests", new_test_data(event_type, name="Second"))
    assert again.status_code == 400 and "already runs a test" in text(again)
    bold = test.variants[1]
    stop = post_form(
        client,
        f"/admin/ab-tests/{test.id}/stop",
        {"winner": str(bold.id)},
        f"/admin/ab-tests/{test.id}",
    )
    assert stop.status_code == 302
    db.session.rollback()
    event_type = db.session.get(EventType, event_type.id)
    assert event_type.title == "Talk to an expert"
    assert event_type.description == "Twenty minutes, no slides."
    test = db.session.get(AbTest, test.id)
    assert test.status == "stopped" and test.variants[1].is_winner
    control = test.variants[0]
    control.headline = "Back to the old one"
    db.session.commit()
    twice = client.post(
        f"/admin/ab-tests/{test.id}/stop",
        data={"winner": str(control.id), "csrf_token": csrf_from(detail_page(client, test))},
    )
    assert twice.status_code == 400 and "already stopped" in text(twice)
    db.session.rollback()
    assert db.session.get(EventType, event_type.id).title == "Talk to an expert"
    assert not db.session.get(AbTest, test.id).variants[0].is_winner


def detail_page(client, test) -> str:
    return client.get(f"/admin/ab-tests/{test.id}").text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"variants-1-name": "", "variants-1-headline": "", "variants-1-intro": ""},
            "A test needs a control and 1 to 4 variants.",
        ),
        ({"variants-1-name": ""}, "Give variant 1 a name, or clear its texts."),
        ({"variants-1-question_order": "budget"}, "No such question on this event type"),
        ({"variants-0-weight": "-1"}, "Between 0 and 100."),
        ({"variants-1-weight": "1e2"}, "Enter a whole number from 0 to 100."),
        ({"variants-1-layout": "wide"}, "Choose a layout."),
        (
            {"variants-0-weight": "0", "variants-1-weight": "0"},
            "Give at least one variant some traffic.",
        ),
        ({"variants-1-name": "control"}, "Each variant needs its own name."),
        ({"variants-1-weight": "150"}, "Between 0 and 100."),
        ({"name": ""}, "Give the test a name."),
    ],
)
def test_bad_tests_are_refused(client, login_as, make_event_type, changes, message):
    manager = login_as("manager")
    event_type = make_event_type(hosts=[], organisation=manager.organisation)
    response = post_form(client, "/admin/ab-tests", new_test_data(event_type, **changes))
    assert response.status_code == 400
    assert message in text(response)
    db.session.rollback()
    assert db.session.scalars(select(AbTest)).all() == []


def test_tests_of_other_organisations_are_invisible(
    client, login_as, make_event_type, make_org, make_host
):
    login_as("manager")
    other = make_org(name="Other")
    event_type = make_event_type(hosts=[make_host(org=other)])
    test = AbTest(
        organisation_id=other.id, event_type_id=event_type.id, name="Theirs", started_at=FROZEN_NOW
    )
    db.session.add(test)
    db.session.commit()
    assert client.get(f"/admin/ab-tests/{test.id}").status_code == 404
    assert client.get("/admin/ab-tests/99999999999").status_code == 404  # not a PG integer
    page = client.get("/admin/ab-tests")
    token = csrf_from(page.text)
    response = client.post(
        f"/admin/ab-tests/{test.id}/stop", data={"winner": "0", "csrf_token": token}
    )
    assert response.status_code == 404
    foreign = post_form(client, "/admin/ab-tests", new_test_data(event_type))
    assert foreign.status_code == 400
    assert "Choose an event type from the list." in text(foreign)


@pytest.fixture
def asking(login_as, make_host, make_event_type, frozen_now):
    """A manager's event type that asks two questions (name first), and a host to book."""
    manager = login_as("manager")
    host = make_host(org=manager.organisation)
    event_type = make_event_type(hosts=[host], title="Intro", description="Old intro.")
    form = RoutingForm(organisation_id=manager.organisation_id, name="Fit", created_at=FROZEN_NOW)
    form.questions = [
        Question(key="full_name", label="Your name", kind="short_text", position=1),
        Question(key="budget", label="Budget in euros", kind="short_text", position=2),
    ]
    event_type.routing_form = form
    db.session.commit()
    return event_type


def body_class(page: str) -> str:
    return re.search(r'<body class="([^"]*)"', page).group(1)


def test_promotion_copies_all_five_properties_and_every_visitor_sees_them(client, asking):
    data = new_test_data(
        asking,
        **{
            "variants-1-button_label": "Show me times",
            "variants-1-question_order": "budget, full_name",
        },
    )
    assert post_form(client, "/admin/ab-tests", data).status_code == 302
    db.session.rollback()
    test = db.session.scalars(select(AbTest)).one()
    bold = test.variants[1]
    # While the test runs, the direct page is still the event type's own.
    plain = client.get(f"/book/{asking.slug}").text
    assert "Continue to the calendar" in plain and "Show me times" not in plain
    assert body_class(plain) == "public layout-standard" and "page-layout.css" not in plain
    assert plain.index("Your name") < plain.index("Budget in euros")
    stop = post_form(
        client,
        f"/admin/ab-tests/{test.id}/stop",
        {"winner": str(bold.id)},
        f"/admin/ab-tests/{test.id}",
    )
    assert stop.status_code == 302
    db.session.rollback()
    event_type = db.session.get(EventType, asking.id)
    assert (event_type.title, event_type.description) == (
        "Talk to an expert",
        "Twenty minutes, no slides.",
    )
    assert (event_type.button_label, event_type.layout) == ("Show me times", "compact")
    assert [q.key for q in sorted(event_type.routing_form.questions, key=lambda q: q.position)] == [
        "budget",
        "full_name",
    ]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ab_test.stop")).one()
    assert entry.changes["button_label"] == ["", "Show me times"]
    assert entry.changes["layout"] == ["standard", "compact"]
    # No test runs now: the direct page and the widget both show what won, to every visitor.
    direct = client.get(f"/book/{asking.slug}").text
    entered = client.get(f"/book/{asking.slug}?embed=1&entry=1")
    assert entered.status_code == 303 and "ab=" not in entered.headers["Location"]
    embedded = client.get(entered.headers["Location"]).text
    for page, classes in (
        (direct, "public layout-compact"),
        (embedded, "public embedded layout-compact"),
    ):
        assert body_class(page) == classes
        assert "/static/css/page-layout.css" in page
        assert "<h1>Talk to an expert</h1>" in page and "Twenty minutes, no slides." in page
        assert ">Show me times</button>" in page and "Continue to the calendar" not in page
        assert page.index("Budget in euros") < page.index("Your name")
    css = client.get("/static/css/page-layout.css")
    assert css.status_code == 200 and b"body.layout-compact" in css.data
    css.close()


def test_promoting_a_variant_without_a_label_keeps_the_pages_own(client, asking):
    asking.button_label, asking.layout = "Pick a time", "compact"
    db.session.commit()
    assert post_form(client, "/admin/ab-tests", new_test_data(asking)).status_code == 302
    db.session.rollback()
    test = db.session.scalars(select(AbTest)).one()
    control = test.variants[0]  # no texts, the standard layout
    stop = post_form(
        client,
        f"/admin/ab-tests/{test.id}/stop",
        {"winner": str(control.id)},
        f"/admin/ab-tests/{test.id}",
    )
    assert stop.status_code == 302
    db.session.rollback()
    event_type = db.session.get(EventType, asking.id)
    assert (event_type.title, event_type.button_label) == ("Intro", "Pick a time")
    assert event_type.layout == "standard"  # what the control's visitors saw
    page = client.get(f"/book/{asking.slug}").text
    assert ">Pick a time</button>" in page and body_class(page) == "public layout-standard"


def test_a_running_variant_overrides_the_event_types_label_and_layout(client, asking):
    asking.button_label, asking.layout = "Pick a time", "compact"
    db.session.commit()
    data = new_test_data(
        asking,
        **{
            "variants-0-weight": "0",
            "variants-1-weight": "100",
            "variants-1-layout": "standard",
            "variants-1-button_label": "Variant label",
        },
    )
    assert post_form(client, "/admin/ab-tests", data).status_code == 302
    entered = client.get(f"/book/{asking.slug}?embed=1&entry=1")
    assert "ab=" in entered.headers["Location"]
    in_test = client.get(entered.headers["Location"]).text
    assert ">Variant label</button>" in in_test and "Pick a time" not in in_test
    assert body_class(in_test) == "public embedded layout-standard"
    assert "page-layout.css" not in in_test
    direct = client.get(f"/book/{asking.slug}").text  # outside the widget: no variant
    assert ">Pick a time</button>" in direct and body_class(direct) == "public layout-compact"
