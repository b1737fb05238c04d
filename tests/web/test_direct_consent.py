"""Direct booking links with the organisation's own consent prompt (HTTP, no cookie, no script)."""

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import ConsentRecord, EmbedSettings, WidgetAttribution
from tests.conftest import FROZEN_NOW

SLOT = "2030-01-08T09:00:00+00:00"
LINK = "?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G1"


@pytest.fixture
def event_type(make_event_type, frozen_now):
    return make_event_type(title="Intro call")


@pytest.fixture
def prompt_on(event_type):
    def set_prompt(on=True):
        db.session.add(
            EmbedSettings(
                organisation_id=event_type.organisation_id,
                allowed_origins=[],
                own_prompt=on,
                prompt_text="May we note which campaign brought you?",
                cookie_days=90,
                updated_at=FROZEN_NOW,
            )
        )
        db.session.commit()

    return set_prompt


def prompt_form(page: str) -> dict:
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form, "no prompt"
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    )
    return {
        "action": html.unescape(form.group(1)),
        "fields": {k: html.unescape(v) for k, v in fields.items()},
    }


def answer(client, event_type, choice, ads=False, link=LINK):
    page = client.get(f"/book/{event_type.slug}{link}")
    assert page.status_code == 200
    form = prompt_form(page.text)
    data = {**form["fields"], "choice": choice}
    if ads:
        data["ads"] = "yes"
    return client.post(form["action"], data=data)


def book_through_pages(client, url):
    """From a booking page URL: the slot form's hidden fields, the confirm page, its form."""
    url += ("&" if "?" in url else "?") + "tz=Europe/Berlin&date=2030-01-08"
    page = client.get(url).text
    slot_form = re.search(
        r'<form method="get" action="([^"]+)" class="slot-form">(.*?)</form>', page, re.S
    )
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', slot_form.group(2)))
    hidden = {k: html.unescape(v) for k, v in hidden.items()}
    query = "&".join(f"{k}={quote(v)}" for k, v in hidden.items())
    confirm = client.get(f"{html.unescape(slot_form.group(1))}?{query}&start={quote(SLOT)}")
    assert confirm.status_code == 200, confirm.text
    action = html.unescape(
        re.search(r'<form method="post" action="([^"]+)"', confirm.text).group(1)
    )
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', confirm.text).group(1)
    lead = re.search(r'name="lead" value="([^"]+)"', confirm.text)
    response = client.post(
        action,
        data={
            "start": SLOT,
            "tz": hidden.get("tz", "Europe/Berlin"),
            "form_token": token,
            "name": "Ada",
            "email": "ada@example.com",
            **({"lead": lead.group(1)} if lead else {}),
        },
    )
    assert response.status_code == 303, response.text
    assert "/booking/" in response.headers["Location"]  # booked, not sent back to the calendar
    return hidden, action


def stored():
    db.session.rollback()
    return db.session.scalars(select(WidgetAttribution)).all()


def records():
    db.session.rollback()
    return db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()


def test_the_prompt_is_off_by_default(client, event_type, prompt_on):
    page = client.get(f"/book/{event_type.slug}{LINK}").text
    assert "May we note" not in page
    prompt_on(False)
    assert "May we note" not in client.get(f"/book/{event_type.slug}{LINK}").text


def test_the_prompt_shows_only_on_links_with_campaign_values(client, event_type, prompt_on):
    prompt_on()
    page = client.get(f"/book/{event_type.slug}{LINK}")
    assert "May we note which campaign brought you?" in page.text
    assert "Set-Cookie" not in page.headers
    assert "<script>" not in page.text  # strict CSP: no inline script
    fields = prompt_form(page.text)["fields"]
    assert fields["utm_campaign"] == "spring" and fields["gclid"] == "G1"
    assert "May we note" not in client.get(f"/book/{event_type.slug}").text


def test_accepting_keeps_the_links_campaign_with_the_booking_and_the_same_record(
    client, event_type, prompt_on
):
    prompt_on()
    response = answer(client, event_type, "yes")
    assert response.status_code == 303
    [record] = records()
    assert (record.decision, record.source, record.purposes) == (
        "granted",
        "prompt",
        ["attribution"],
    )
    assert record.host_origin == "http://localhost"
    location = response.headers["Location"]
    assert "rvc=" in location and "gclid" not in location and "utm_" not in location
    hidden, action = book_through_pages(client, location)
    assert "rvc" in hidden and "rvc=" in action  # carried through the slot form and the POST
    [row] = stored()
    assert row.consent_record_id == record.id and row.booking_id is not None
    assert row.last_touch["utm_campaign"] == "spring" and row.first_touch["utm_source"] == "news"
    assert "gclid" not in row.last_touch  # no ads consent: no click id
    assert row.last_touch["path"] == f"/book/{event_type.slug}"


def test_accepting_ad_measurement_keeps_the_click_id(client, event_type, prompt_on):
    prompt_on()
    response = answer(client, event_type, "yes", ads=True)
    assert records()[0].purposes == ["attribution", "ads"]
    book_through_pages(client, response.headers["Location"])
    [row] = stored()
    assert row.last_touch["gclid"] == "G1"


def test_refusing_logs_the_refusal_and_stores_nothing(client, event_type, prompt_on):
    prompt_on()
    response = answer(client, event_type, "no", ads=True)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert urlsplit(location).query == ""
    assert [(r.decision, r.source) for r in records()] == [("refused", "prompt")]
    book_through_pages(client, location)
    assert stored() == []


def test_a_forged_or_foreign_token_carries_nothing(client, event_type, make_event_type, prompt_on):
    prompt_on()
    book_through_pages(client, f"/book/{event_type.slug}?rvc=forged")
    assert stored() == []
    # A real token made for another event type is not accepted here either.
    other = make_event_type(title="Other")
    location = answer(client, event_type, "yes").headers["Location"]
    token = parse_qs(urlsplit(location).query)["rvc"][0]
    book_through_pages(client, f"/book/{other.slug}?rvc={quote(token)}")
    assert stored() == []


def test_bad_answers_change_nothing(client, event_type, prompt_on):
    prompt_on()
    url = f"/book/{event_type.slug}/consent"
    bad_token = client.post(url, data={"form_token": "x", "choice": "yes"})
    assert bad_token.status_code == 400 and "could not be verified" in bad_token.text
    page = client.get(f"/book/{event_type.slug}{LINK}")
    fields = prompt_form(page.text)["fields"]
    cross = client.post(
        url, data={**fields, "choice": "yes"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert records() == []


def test_no_answer_is_taken_when_the_prompt_is_off(client, event_type, prompt_on):
    prompt_on()
    fields = prompt_form(client.get(f"/book/{event_type.slug}{LINK}").text)["fields"]
    db.session.scalar(select(EmbedSettings)).own_prompt = False
    db.session.commit()
    response = client.post(f"/book/{event_type.slug}/consent", data={**fields, "choice": "yes"})
    assert response.status_code == 400
    assert records() == []


def test_after_qualification_the_lead_and_the_booking_keep_the_campaign(
    client, event_type, prompt_on
):
    from tests.web.test_embed_flow import qualifying as make_qualifying

    make_qualifying.__wrapped__(event_type)
    prompt_on()
    location = answer(client, event_type, "yes").headers["Location"]
    questions = client.get(location)
    assert "Budget" in questions.text and "May we note" not in questions.text
    action = html.unescape(
        re.search(r'<form method="post" action="([^"]+)"', questions.text).group(1)
    )
    assert "rvc=" in action
    token = re.search(r'name="form_token" value="([^"]+)"', questions.text).group(1)
    response = client.post(
        action, data={"form_token": token, "q_full_name": "Ada", "q_budget": "large"}
    )
    assert response.status_code == 303 and "rvc=" in response.headers["Location"]
    book_through_pages(client, response.headers["Location"])
    rows = stored()
    assert sorted(bool(r.lead_id) for r in rows) == [False, True]
    assert {r.consent_record_id for r in rows} == {records()[0].id}
    assert all(r.last_touch["utm_campaign"] == "spring" for r in rows)
