"""The organisation's privacy notice link (Settings): checked, audited, shown on public forms."""

import html
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, Organisation, Question, RoutingForm
from tests.conftest import FROZEN_NOW, post_form
from tests.third_party_urls import external_urls

PRIVACY = "https://www.acme.example/privacy"
SLOT = "2030-01-08T09:00:00+00:00"
INVALID = "Enter the full address of your privacy notice, such as https://www.example.com/privacy"


def settings_form(**changes) -> dict:
    data = {
        "name": "Acme Sales",
        "jitsi_base_url": "",
        "default_currency": "EUR",
        "no_show_delay_minutes": "15",
        "privacy_url": "",
    }
    data.update(changes)
    return data


def org_of(user) -> Organisation:
    db.session.rollback()
    return db.session.get(Organisation, user.organisation_id)


@pytest.fixture
def admin(login_as, frozen_now):
    return login_as("admin")


def test_an_admin_sets_and_clears_the_privacy_link(client, admin):
    page = client.get("/admin/settings").text
    assert 'name="privacy_url"' in page and "Address of your privacy notice" in page
    response = post_form(client, "/admin/settings", settings_form(privacy_url=f"  {PRIVACY}  "))
    assert response.status_code == 302, response.text
    assert org_of(admin).privacy_url == PRIVACY
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "settings.update")
    ).one()
    assert entry.changes["privacy_url"] == ["", PRIVACY]
    assert f'value="{PRIVACY}"' in client.get("/admin/settings").text
    # http is allowed too (a notice on the operator's own site), with a query and a fragment.
    plain = "http://acme.example:8080/legal?lang=en#privacy"
    assert post_form(client, "/admin/settings", settings_form(privacy_url=plain)).status_code == 302
    assert org_of(admin).privacy_url == plain
    assert post_form(client, "/admin/settings", settings_form()).status_code == 302
    assert org_of(admin).privacy_url == ""


@pytest.mark.parametrize(
    "value",
    [
        "www.acme.example/privacy",
        "/privacy",
        "ftp://acme.example/privacy",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@acme.example/privacy",
        "https://acme.example/pri vacy",
        "https://acme.example:port/privacy",
        'https://acme.example/"onmouseover="x',
        "https://acme.example/" + "p" * 480,
        "https://-bad-.example/",
    ],
)
def test_a_bad_privacy_link_is_refused_and_changes_nothing(client, admin, value):
    before = org_of(admin).privacy_url
    response = post_form(client, "/admin/settings", settings_form(privacy_url=value))
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert INVALID in text or "at most 500 characters" in text
    assert org_of(admin).privacy_url == before
    assert (
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.update")).all()
        == []
    )


def test_a_manager_cannot_set_it(client, login_as, frozen_now):
    manager = login_as("manager")
    page = client.get("/admin/account").text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/settings", data={**settings_form(privacy_url=PRIVACY), "csrf_token": csrf}
    )
    assert response.status_code == 403
    assert org_of(manager).privacy_url == ""


@pytest.fixture
def pages(client, make_event_type, frozen_now):
    """The booking form and the question form of one organisation; returns a fetcher."""
    plain = make_event_type(title="Intro call")
    asking = make_event_type(hosts=plain.hosts, title="Qualified call")
    form = RoutingForm(organisation_id=plain.organisation_id, name="Fit", created_at=FROZEN_NOW)
    form.questions = [
        Question(
            key="company", label="Company", kind="short_text", position=0, purpose="To prepare."
        )
    ]
    asking.routing_form = form
    db.session.commit()

    def client_get(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return html.unescape(response.text)

    def fetch() -> dict[str, str]:
        confirm = client_get(f"/book/{plain.slug}/confirm?start={quote(SLOT)}&tz=Europe/Berlin")
        qualify = client_get(f"/book/{asking.slug}")
        return {"confirm": confirm, "qualify": qualify}

    return plain.organisation, fetch


def notice_of(page: str) -> str:
    found = re.search(r'<p class="privacy-notice">(.*?)</p>', page, re.S)
    assert found, "no privacy notice on the page"
    return found.group(1)


def test_without_a_link_the_forms_say_who_uses_the_data_and_what_for(pages):
    org, fetch = pages
    for name, page in fetch().items():
        notice = notice_of(page)
        assert notice == (
            f"How we use your data: {org.name} uses what you enter here only to arrange this "
            "meeting with you."
        ), name
        assert "<a " not in notice
        # The notice stands inside the form, before its button.
        assert page.index('class="privacy-notice"') < page.index('<button type="submit"')


def test_with_a_link_the_forms_point_to_the_operators_privacy_notice(pages, make_org):
    org, fetch = pages
    org.privacy_url = PRIVACY
    other = make_org(name="Other Org")
    other.privacy_url = "https://other.example/privacy"
    db.session.commit()
    for name, page in fetch().items():
        notice = notice_of(page)
        assert notice == (
            f'How we use your data: see our <a href="{PRIVACY}" rel="noopener" '
            'target="_blank">privacy notice</a>.'
        ), name
        assert "other.example" not in page
        # The operator's own page is the one external address allowed, and only on its forms.
        own = ("http://localhost",)
        assert external_urls(page, own) == [PRIVACY]
        assert external_urls(page, own, (PRIVACY,)) == []
