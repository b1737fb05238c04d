"""Admin leads: the list with filters and pages, the detail page, the CSV export, who sees what."""

import csv
import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Booking, Lead, Pool, Question, RoutingForm
from scheduling.operations.bookings import new_uid
from tests.conftest import FROZEN_NOW, csrf_from, login

UTC = FROZEN_NOW.tzinfo


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 1, day, hour, minute, tzinfo=UTC)


def booking_for(event_type, host, start: datetime) -> Booking:
    booking = Booking(
        uid=new_uid(),
        organisation_id=event_type.organisation_id,
        event_type_id=event_type.id,
        host_id=host.id,
        invitee_name="Invitee",
        invitee_email="invitee@example.com",
        invitee_tz="UTC",
        start_at=start,
        end_at=start + timedelta(minutes=30),
        occupied_from=start,
        occupied_until=start + timedelta(minutes=30),
        location_kind="video",
        ical_uid=new_uid(),
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add(booking)
    return booking


def lead(org, event_type, created: datetime, status: str, name: str, email: str, **kw) -> Lead:
    row = Lead(
        uid=new_uid(),
        organisation_id=org.id,
        event_type_id=event_type.id,
        status=status,
        name=name,
        email=email,
        created_at=created,
        updated_at=created,
        **kw,
    )
    db.session.add(row)
    return row


@pytest.fixture
def team(make_org, make_host, make_event_type, make_user, login_as, frozen_now):
    """Org A: a form, two event types, seven leads of every kind; org B: one lead."""
    org = make_org(name="Org A")
    other_org = make_org(name="Org B")
    anna = make_host(org=org, name="Anna Ahlberg")
    ben = make_host(org=org, name="Ben Berger")
    stranger = make_host(org=other_org, name="Stella Stranger")
    intro = make_event_type(hosts=[anna, ben], slug="intro", title="Intro call")
    demo = make_event_type(hosts=[anna], slug="demo", title="Product demo")
    theirs = make_event_type(hosts=[stranger], slug="their-call", title="Their call")
    closers = Pool(organisation=org, name="Closers", created_at=FROZEN_NOW)
    form = RoutingForm(organisation=org, name="Qualify", created_at=FROZEN_NOW)
    for position, (key, label, kind) in enumerate(
        [
            ("full_name", "Your name", "short_text"),
            ("work_email", "Work email", "email"),
            ("company_size", "Company size", "single_choice"),
            ("country", "Where are you?", "country"),
            ("notes", "Anything else?", "long_text"),
        ]
    ):
        form.questions.append(
            Question(position=position, key=key, label=label, kind=kind, purpose="Routing")
        )
    db.session.add_all([closers, form])
    db.session.commit()
    trace = [
        "Rule 'Enterprise' matched: score greater_than 25 was true (score: 30)",
    ]
    decision = {"kind": "team", "target_id": closers.id, "trace": trace}
    leads = SimpleNamespace(
        alice=lead(
            org, intro, at(5, 10), "booked", "Alice Booked", "alice@bigcorp.example",
            answers={"full_name": "Alice Booked", "company_size": "200_plus", "country": "DE",
                     "work_email": "alice@bigcorp.example"},
            score=30, rule_name="Enterprise", decision=decision, routing_form=form,
            booking=booking_for(intro, anna, at(8, 9)),
        ),
        bob=lead(
            org, intro, at(6, 23, 30), "booked", "Bob Booked", "bob@mid.example",
            answers={"full_name": "Bob Booked", "company_size": "11_200"},
            score=10, rule_name="Fallback", routing_form=form,
            booking=booking_for(intro, ben, at(8, 10)),
        ),
        abe=lead(
            org, intro, at(7, 7), "qualified", "Abe Abandoned", "abe@left.example",
            answers={"full_name": "Abe Abandoned"}, routing_form=form,
        ),
        quinn=lead(
            org, intro, at(7, 7, 45), "qualified", "Quinn Fresh", "quinn@now.example",
            answers={"full_name": "Quinn Fresh"}, routing_form=form,
        ),
        dora=lead(
            org, intro, at(3, 12), "disqualified", "=cmd|' /C calc'!A0", "dora@small.example",
            answers={"notes": "=HYPERLINK(\"http://evil.example\")", "company_size": "1_10"},
            rule_name="Too small", routing_form=form,
            decision={"kind": "disqualify", "message": "Sorry!",
                      "trace": ["Rule 'Too small' matched"]},
        ),
        dana=lead(
            org, demo, at(2, 8), "booked", "Dana Demo", "dana%50@demo.example",
            answers={"budget": 5000, "has_project": True, "tools": ["crm", "mail"]},
            booking=booking_for(demo, anna, at(9, 9)),
        ),
        theirs=lead(
            other_org, theirs, at(5, 9), "qualified", "Their Lead", "their@other.example",
        ),
    )  # fmt: skip
    db.session.commit()
    manager = login_as("manager", org=org)
    return SimpleNamespace(
        org=org, other_org=other_org, anna=anna, ben=ben, stranger=stranger, intro=intro,
        demo=demo, form=form, leads=leads, manager=manager, make_user=make_user,
    )  # fmt: skip


def names(text: str) -> list[str]:
    return re.findall(r'<td data-label="Name">([^<]*)</td>', text)


def sign_in_as(client, user):
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})
    assert login(client, user.email).status_code == 302


# -- the list ------------------------------------------------------------------------------------


def test_manager_sees_every_lead_of_the_organisation_newest_first(client, team):
    page = client.get("/admin/leads")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Leads</h1>" in text and 'aria-current="page">Leads' in text
    assert names(text) == [
        "Quinn Fresh",
        "Abe Abandoned",
        "Bob Booked",
        "Alice Booked",
        "=cmd|&#39; /C calc&#39;!A0",
        "Dana Demo",
    ]
    assert "Their Lead" not in text
    states = re.findall(r'<span class="status status-(\w+)">', text)
    assert states == ["qualified", "abandoned", "booked", "booked", "disqualified", "booked"]
    assert "Sat 5 Jan 2030, 10:00" in text and "Enterprise" in text and "Product demo" in text
    booking_id = team.leads.alice.booking_id
    assert f'href="/admin/bookings/{booking_id}"' in text
    assert f'href="/admin/leads/{team.leads.alice.id}"' in text
    assert "You see the leads who booked a call with you." not in text
    assert "<script>" not in text and 'style="' not in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=qualified", ["Quinn Fresh", "Abe Abandoned"]),
        ("status=booked", ["Bob Booked", "Alice Booked", "Dana Demo"]),
        ("status=disqualified", ["=cmd|&#39; /C calc&#39;!A0"]),
        ("event_type={demo}", ["Dana Demo"]),
        ("from=2030-01-05&to=2030-01-06", ["Bob Booked", "Alice Booked"]),
        ("from=2030-01-07", ["Quinn Fresh", "Abe Abandoned"]),
        ("to=2030-01-02", ["Dana Demo"]),
        ("q=ALICE", ["Alice Booked"]),
        ("q=bigcorp.example", ["Alice Booked"]),
        ("q=%25", ["Dana Demo"]),
        ("q=_", []),
        ("status=booked&event_type={intro}&q=b", ["Bob Booked", "Alice Booked"]),
    ],
)
def test_filters(client, team, query, expected):
    query = query.format(demo=team.demo.id, intro=team.intro.id)
    page = client.get(f"/admin/leads?{query}")
    assert page.status_code == 200
    assert names(page.text) == expected
    if not expected:
        assert "No leads match these filters." in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "The status must be one of: qualified, booked, disqualified."),
        ("status=abandoned", "The status must be one of"),
        ("event_type=abc", "Choose an event type from the list."),
        ("event_type=999999", "Choose an event type from the list."),
        ("from=07.01.2030", "The &#39;from&#39; date must look like 2026-12-31."),
        ("to=2030-02-30", "The &#39;to&#39; date must look like 2026-12-31."),
        ("from=1999-12-31", "must be between the years 2000 and 2100"),
        ("from=2030-01-07&to=2030-01-06", "must not be after the &#39;to&#39; date."),
        ("q=" + "x" * 201, "at most 200 characters"),
        ("page=0", "The page must be a whole number from 1 up."),
        ("page=two", "The page must be a whole number from 1 up."),
    ],
)
def test_junk_filters_are_a_clear_400(client, team, query, message):
    page = client.get(f"/admin/leads?{query}")
    assert page.status_code == 400
    assert message in page.text and "Correct the filters above" in page.text
    export = client.get(f"/admin/leads/export.csv?{query}")
    if not query.startswith("page="):
        assert export.status_code == 400


def test_another_organisations_event_type_is_not_a_filter(client, team):
    their_type = db.session.scalar(select(Lead).where(Lead.name == "Their Lead")).event_type_id
    page = client.get(f"/admin/leads?event_type={their_type}")
    assert page.status_code == 400 and "Their Lead" not in page.text


def test_pages_of_fifty(client, team):
    for number in range(50):
        lead(team.org, team.intro, at(1, 0, number), "qualified", f"Bulk {number:02d}", "b@x.eu")
    db.session.commit()
    first = client.get("/admin/leads")
    assert len(names(first.text)) == 50 and "56 leads" in first.text
    assert names(first.text)[-1] == "Bulk 06"
    assert "page 1 of 2" in first.text and 'href="/admin/leads?page=2"' in first.text
    second = client.get("/admin/leads?page=2")
    assert names(second.text) == [f"Bulk {number:02d}" for number in (5, 4, 3, 2, 1, 0)]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    filtered = client.get("/admin/leads?status=qualified&page=2")
    assert len(names(filtered.text)) == 2  # 52 qualified leads
    assert 'href="/admin/leads?page=1&amp;status=qualified"' in filtered.text
    beyond = client.get("/admin/leads?page=9")
    assert beyond.status_code == 200 and "page 2 of 2" in beyond.text


def test_empty_state_explains_where_leads_come_from(client, make_org, login_as, frozen_now):
    login_as("manager", org=make_org())
    text = client.get("/admin/leads").text
    assert "No leads yet." in text and "create one under Routing" in text


# -- the detail page -----------------------------------------------------------------------------


def test_detail_shows_answers_with_labels_score_trace_and_booking(client, team):
    alice = team.leads.alice
    page = client.get(f"/admin/leads/{alice.id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Lead Alice Booked</h1>" in text
    assert "Your name <code>full_name</code></dt><dd>Alice Booked</dd>" in text
    assert "Company size <code>company_size</code></dt><dd>200_plus</dd>" in text
    assert "Where are you? <code>country</code></dt><dd>Germany</dd>" in text
    assert text.index("full_name") < text.index("work_email") < text.index("company_size")
    assert "<dt>Lead score</dt><dd>30</dd>" in text and "Route to team Closers" in text
    assert "Rule &#39;Enterprise&#39; matched: score greater_than 25 was true" in text
    assert f'href="/admin/bookings/{alice.booking_id}"' in text and "Anna Ahlberg" in text


def test_detail_of_a_lead_without_form_or_booking(client, team):
    dana = team.leads.dana
    text = client.get(f"/admin/leads/{dana.id}").text
    assert "(deleted form)" in text and "No trace was kept for this lead." in text
    assert "<code>budget</code></dt><dd>5000</dd>" in text
    assert "<code>has_project</code></dt><dd>Yes</dd>" in text
    assert "<code>tools</code></dt><dd>crm, mail</dd>" in text
    dora = client.get(f"/admin/leads/{team.leads.dora.id}").text
    assert "Disqualify with the message “Sorry!”" in dora and "<dd>None</dd>" in dora


def test_other_organisations_and_guessed_leads_answer_404(client, team):
    assert client.get(f"/admin/leads/{team.leads.theirs.id}").status_code == 404
    assert client.get("/admin/leads/999999").status_code == 404


# -- reps ----------------------------------------------------------------------------------------


def test_a_rep_sees_only_leads_booked_with_them(client, team):
    rep = team.make_user(role="rep", host=team.anna)
    sign_in_as(client, rep)
    page = client.get("/admin/leads")
    assert page.status_code == 200
    assert names(page.text) == ["Alice Booked", "Dana Demo"]
    assert "Qualified and disqualified leads have no host yet" in page.text
    assert client.get("/admin/leads?status=qualified").text.count('data-label="Name"') == 0
    assert client.get(f"/admin/leads/{team.leads.alice.id}").status_code == 200
    for other in ("bob", "abe", "dora", "theirs"):
        lead_id = getattr(team.leads, other).id
        assert client.get(f"/admin/leads/{lead_id}").status_code == 404, other
    export = client.get("/admin/leads/export.csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert [row[3] for row in rows[1:]] == ["Alice Booked", "Dana Demo"]


def test_a_rep_with_no_booked_leads_is_told_so(client, team, make_host):
    rep = team.make_user(role="rep", host=make_host(org=team.org, name="Cara Costa"))
    sign_in_as(client, rep)
    page = client.get("/admin/leads")
    assert page.status_code == 200 and names(page.text) == []
    assert "No leads have booked a call with you yet." in page.text


def test_logged_out_visitors_are_sent_to_the_login(client, team):
    sign_in_as(client, team.manager)
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})
    for path in ("/admin/leads", f"/admin/leads/{team.leads.alice.id}", "/admin/leads/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# -- the export ----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_export_has_one_column_per_answer_key_and_no_formulas(client, team):
    response = client.get("/admin/leads/export.csv")
    assert 'filename="leads-2030-01-07.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header = rows[0]
    assert header[:11] == [
        "created (UTC)", "lead", "status", "name", "email", "score", "rule", "event type",
        "booking", "booking start (UTC)", "booking host",
    ]  # fmt: skip
    # Oldest first appearance: Dana's keys, then Dora's, then Alice's.
    assert header[11:] == [
        "answer:budget", "answer:has_project", "answer:tools", "answer:notes",
        "answer:company_size", "answer:full_name", "answer:country", "answer:work_email",
    ]  # fmt: skip
    by_name = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert len(by_name) == 6 and "Their Lead" not in by_name
    alice = by_name["Alice Booked"]
    assert alice["created (UTC)"] == "2030-01-05T10:00:00+00:00"
    assert alice["status"] == "booked" and alice["score"] == "30"
    assert alice["booking start (UTC)"] == "2030-01-08T09:00:00+00:00"
    assert alice["booking host"] == "Anna Ahlberg" and alice["answer:country"] == "DE"
    assert by_name["Abe Abandoned"]["status"] == "abandoned"
    assert by_name["Quinn Fresh"]["status"] == "qualified"
    dana = by_name["Dana Demo"]
    assert (dana["answer:has_project"], dana["answer:tools"]) == ("yes", "crm; mail")
    dora = by_name["'=cmd|' /C calc'!A0"]
    assert dora["answer:notes"] == '\'=HYPERLINK("http://evil.example")'


def test_export_follows_the_filters(client, team):
    rows = read_csv(client.get("/admin/leads/export.csv?status=booked&q=alice"))
    assert [row[3] for row in rows[1:]] == ["Alice Booked"]
    assert rows[0][11:] == [
        "answer:full_name", "answer:company_size", "answer:country", "answer:work_email",
    ]  # fmt: skip
    link = client.get("/admin/leads?status=booked&q=alice").text
    assert 'href="/admin/leads/export.csv?status=booked&amp;q=alice"' in link
