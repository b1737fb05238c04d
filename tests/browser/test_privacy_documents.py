"""The generated privacy documents in Chromium: axe finds nothing on the admin pages, and the
downloaded HTML file opens from disk, loads nothing and is styled by its hash-allowed style."""

import pytest

from scheduling.extensions import db
from scheduling.models import EmbedSettings, Question, RoutingForm
from tests.browser.test_accessibility import axe_source, violations  # noqa: F401
from tests.conftest import FROZEN_NOW, PASSWORD

pytestmark = pytest.mark.browser

SLUGS = ("cookies", "record", "notice", "domains", "processors", "banner", "dpia")


@pytest.fixture
def admin(app, make_user):
    user = make_user(role="admin")
    org_id = user.organisation_id
    db.session.add(
        EmbedSettings(
            organisation_id=org_id,
            allowed_origins=["https://www.northwind.example"],
            own_prompt=False,
            prompt_text="",
            cookie_days=30,
            conversion_booked="Booked",
            conversion_attended="",
            conversion_won="",
            updated_at=FROZEN_NOW,
        )
    )
    form = RoutingForm(organisation_id=org_id, name="Discovery", created_at=FROZEN_NOW)
    form.questions = [Question(key="goals", label="Your goals", kind="long_text", position=1)]
    db.session.add(form)
    db.session.commit()
    return user


def sign_in(page, base, user):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_axe_finds_nothing_on_the_document_pages(browser_page, live_server, admin, axe_source):  # noqa: F811
    page = browser_page
    sign_in(page, live_server.url, admin)
    found = {}
    for path in ["", *(f"/{slug}" for slug in SLUGS)]:
        page.goto(f"{live_server.url}/admin/privacy/documents{path}")
        assert page.locator("h1").count() == 1
        found[path or "index"] = violations(page, axe_source)
    assert not any(found.values()), found


def test_downloaded_html_file_is_self_contained(browser_page, live_server, admin, tmp_path):
    page = browser_page
    sign_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/admin/privacy/documents/cookies")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download HTML file").click()
    path = tmp_path / "cookies.html"
    info.value.save_as(path)
    assert info.value.suggested_filename == "cookies.html"
    # A fresh tab: set_content writes into the current document, which keeps its own policy.
    page = page.context.new_page()
    seen, errors = [], []
    page.on("request", lambda request: seen.append(request.url))
    page.on("console", lambda message: errors.append(message.text))
    # Opened with no server behind it (about:blank): a relative or absolute reference would load.
    page.set_content(path.read_text(encoding="utf-8"))
    assert page.locator("h1").inner_text() == "Cookies and storage"
    assert page.locator("td", has_text="rv_attr").count() == 1
    # The style block ran under the file's own policy (allowed by its hash).
    collapse = page.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse")
    assert collapse == "collapse"
    assert seen == []
    assert errors == []
    page.close()
