"""Minimisation in the form builder: every question says why it asks, free text warns about
special category data (GDPR Art. 9), and visitors read the purpose under the question."""

import html
import re

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import Question
from tests.conftest import post_form
from tests.web.test_admin_routing import (  # noqa: F401 (team: a fixture)
    add_question,
    count,
    make_form,
    question_data,
    team,
    url,
)

WARNING = "Free text can collect special category data."
ART9 = "health, religion or beliefs, political opinions, ethnic origin, sexual orientation"


def warning_box(page: str) -> str:
    found = re.search(r'<div class="notice notice-warning special-category"[^>]*>', page)
    assert found, "the warning's box is always on the page (the script shows or hides it)"
    return found.group(0)


@pytest.mark.parametrize("purpose", ["", "   "])
def test_a_new_question_needs_a_purpose(client, team, purpose):  # noqa: F811
    before = count(Question)
    response = add_question(client, team, purpose=purpose)
    assert response.status_code == 400
    assert "Say why you ask: visitors read it as “Why we ask”" in html.unescape(response.text)
    assert count(Question) == before


def test_editing_a_question_without_purpose_needs_one(client, team):  # noqa: F811
    size = team.form.questions[0]
    size.purpose = ""  # rows from before purposes were asked for
    db.session.commit()
    data = question_data(
        key="company_size",
        label="How big is your company?",
        choices="1_10 | 1 to 10 people | 0\n11_200 | 11 to 200 people | 10",
        purpose="",
    )
    response = post_form(client, url(team, f"/questions/{size.id}"), data)
    assert response.status_code == 400
    assert "Say why you ask" in html.unescape(response.text)
    db.session.expire_all()
    assert db.session.get(Question, size.id).purpose == ""
    response = post_form(
        client, url(team, f"/questions/{size.id}"), {**data, "purpose": "To find your team."}
    )
    assert response.status_code == 303, response.text
    db.session.expire_all()
    assert db.session.get(Question, size.id).purpose == "To find your team."


def test_the_builder_lists_questions_without_purpose_as_needing_one(client, team):  # noqa: F811
    team.form.questions[1].purpose = ""
    team.form.questions[2].purpose = "  "
    db.session.commit()
    page = html.unescape(client.get(url(team)).text)
    assert "2 questions do not say why you ask yet." in page
    assert page.count("Needs a purpose") == 2
    team.form.questions[1].purpose = "To see whether there is a project."
    team.form.questions[2].purpose = "To size the offer."
    db.session.commit()
    page = html.unescape(client.get(url(team)).text)
    assert "do not say why you ask" not in page and "Needs a purpose" not in page
    assert "To size the offer." in page


def test_free_text_questions_warn_about_special_category_data(client, team):  # noqa: F811
    response = add_question(
        client, team, key="situation", kind="long_text", choices="", purpose="To prepare."
    )
    assert response.status_code == 303, response.text
    free = db.session.scalar(select(Question).where(Question.key == "situation"))
    page = html.unescape(client.get(url(team, f"/questions/{free.id}")).text)
    box = warning_box(page)
    assert " hidden" not in box and 'data-free-text-kinds="short_text long_text"' in box
    assert WARNING in page and ART9 in page and "trade union membership" in page
    assert "js/admin-question-kind.js" in page
    # The warning stands right under the kind of answer, as text (not a tooltip).
    assert page.index('id="kind"') < page.index(WARNING) < page.index('id="required"')

    choice = team.form.questions[0]
    page = html.unescape(client.get(url(team, f"/questions/{choice.id}")).text)
    assert " hidden" in warning_box(page)

    detail = html.unescape(client.get(url(team)).text)
    note = "Free text: may collect special category data"
    assert detail.count(note) == 1
    row = detail[detail.index("situation") :]
    assert note in row[: row.index("</tr>")]


def test_a_failed_save_keeps_the_warning_of_the_kind_sent(client, team):  # noqa: F811
    response = add_question(client, team, kind="short_text", choices="", purpose="")
    assert response.status_code == 400
    assert " hidden" not in warning_box(html.unescape(response.text))
    response = add_question(client, team, kind="yes_no", choices="", purpose="")
    assert " hidden" in warning_box(html.unescape(response.text))


def test_visitors_read_why_each_question_is_asked(client, team):  # noqa: F811
    team.form.questions[1].purpose = ""
    db.session.commit()
    page = html.unescape(client.get(f"/book/{team.call.slug}").text)
    assert '<p class="purpose">Why we ask: To find the right team.</p>' in page
    assert '<p class="purpose">Why we ask: To route you.</p>' in page  # the budget's
    # A question without a purpose shows none (the builder asks for it).
    assert page.count('class="purpose"') == 2
    assert page.index("How big is your company?") < page.index("To find the right team.")
