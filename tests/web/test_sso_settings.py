"""Settings -> Single sign-on: admins only, CSRF, validation, the issuer checked at save time
(real discovery from a loopback provider), the secret encrypted and never shown, audit, and
another organisation's settings out of reach."""

import html

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, SsoConfig
from scheduling.operations.sso_settings import SECRET_PURPOSE
from scheduling.security.secretbox import decrypt
from tests.conftest import TEST_SECRET, csrf_from, login
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

URL = "/admin/settings/sso"
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:oidc_provider_mock"),
]


def text(answer) -> str:
    return html.unescape(answer.text)


def form(issuer_url: str, **changes) -> dict:
    data = {
        "issuer": issuer_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": "northwind.example\n@Sales.Northwind.example",
        "jit_role": "rep",
        "break_glass_user_id": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def save(client, data: dict, csrf: bool = True):
    if csrf:
        data = {**data, "csrf_token": csrf_from(client.get(URL).text)}
    return client.post(URL, data=data)


def config_of(organisation_id: int) -> SsoConfig | None:
    db.session.rollback()
    return db.session.scalar(select(SsoConfig).where(SsoConfig.organisation_id == organisation_id))


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def idp():
    with running_provider() as provider:
        yield provider


@pytest.fixture
def loopback(app):
    app.config["SSO_ALLOW_PRIVATE"] = True


def test_admin_saves_settings_checked_against_the_issuer(client, login_as, idp, loopback):
    admin = login_as("admin")
    page = client.get(URL)
    assert page.status_code == 200
    assert "http://localhost/admin/login/sso/callback" in page.text
    answer = save(client, form(idp.issuer + "/", jit_enabled="y"))
    assert answer.status_code == 302, text(answer)
    config = config_of(admin.organisation_id)
    assert config.issuer == idp.issuer  # as the discovery document names it
    assert config.provider["token_endpoint"] == f"{idp.issuer}/oauth2/token"
    assert config.allowed_domains == ["northwind.example", "sales.northwind.example"]
    assert config.jit_enabled and config.jit_role == "rep"
    # The secret: encrypted at rest, never in the page, never in the audit log.
    assert CLIENT_SECRET not in config.client_secret_encrypted
    assert decrypt(TEST_SECRET, SECRET_PURPOSE, config.client_secret_encrypted) == CLIENT_SECRET
    assert CLIENT_SECRET not in client.get(URL).text
    [entry] = audit("sso.create")
    assert CLIENT_SECRET not in str(entry.changes)
    log = client.get("/admin/audit")
    assert "Single sign-on set up: issuer" in text(log) and CLIENT_SECRET not in log.text
    # Saving again without a secret keeps the stored one.
    answer = save(client, form(idp.issuer, client_secret=""))
    assert answer.status_code == 302
    config = config_of(admin.organisation_id)
    assert decrypt(TEST_SECRET, SECRET_PURPOSE, config.client_secret_encrypted) == CLIENT_SECRET
    assert not config.jit_enabled and audit("sso.update")


def test_without_csrf_nothing_is_saved(client, login_as, idp, loopback):
    admin = login_as("admin")
    assert save(client, form(idp.issuer), csrf=False).status_code == 400
    assert config_of(admin.organisation_id) is None


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_other_roles_are_forbidden(client, login_as, role):
    login_as(role)
    assert client.get(URL).status_code == 403
    token = csrf_from(client.get("/admin/account").text)
    data = {**form("https://idp.example"), "csrf_token": token}
    assert client.post(URL, data=data).status_code == 403
    assert client.post(URL + "/remove", data={"csrf_token": token}).status_code == 403


def test_logged_out_goes_to_login(client):
    answer = client.get(URL)
    assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": ""}, "Enter the issuer URL."),
        ({"client_id": ""}, "Enter the client id."),
        ({"client_secret": ""}, "Enter the client secret."),
        ({"allowed_domains": "northwind.example, not a domain!"}, "is not a domain name"),
        ({"allowed_domains": "", "jit_enabled": "y"}, "List the allowed email domains"),
        ({"jit_role": "owner"}, "Not a valid choice"),
        ({"password_login_disabled": "y"}, "Choose a break-glass admin"),
        ({"break_glass_user_id": "999"}, "Choose an active admin"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client,
    login_as,
    idp,
    loopback,
    changes,
    message,
):
    admin = login_as("admin")
    answer = save(client, form(idp.issuer, **changes))
    assert answer.status_code == 400
    assert message in text(answer)
    assert config_of(admin.organisation_id) is None


def test_break_glass_must_be_an_admin_of_this_organisation(
    client,
    login_as,
    make_user,
    idp,
    loopback,
):
    admin = login_as("admin")
    manager = make_user(role="manager", org=admin.organisation)
    stranger = make_user(role="admin")  # another organisation
    for user in (manager, stranger):
        answer = save(client, form(idp.issuer, break_glass_user_id=str(user.id)))
        assert answer.status_code == 400 and "Choose an active admin" in text(answer)
    assert stranger.email not in client.get(URL).text
    answer = save(
        client,
        form(idp.issuer, break_glass_user_id=str(admin.id), password_login_disabled="y"),
    )
    assert answer.status_code == 302
    config = config_of(admin.organisation_id)
    assert config.password_login_disabled and config.break_glass_user_id == admin.id


def test_issuer_that_names_another_issuer_is_refused(client, login_as, idp, loopback):
    admin = login_as("admin")
    idp.tweaks.hosts["/.well-known/openid-configuration"] = idp.other_name()
    answer = save(client, form(idp.issuer))
    assert answer.status_code == 400
    assert "The discovery document names the issuer" in text(answer)
    assert config_of(admin.organisation_id) is None


def test_unreachable_issuer_is_a_clear_error(client, login_as, loopback):
    admin = login_as("admin")
    answer = save(client, form("http://127.0.0.1:9"))  # the discard port: nobody listens
    assert answer.status_code == 400
    assert "could not be reached" in text(answer)
    assert config_of(admin.organisation_id) is None


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("https://127.0.0.1:8443/realms/x", "which is not a public address"),
        ("http://idp.example", "must be an https:// address"),
        ("https://user:pw@idp.example", "may not contain a user name"),
    ],
)
def test_private_or_plain_issuers_are_refused_outside_development(
    client, login_as, issuer, message
):
    admin = login_as("admin")
    answer = save(client, form(issuer))
    assert answer.status_code == 400 and message in text(answer)
    assert config_of(admin.organisation_id) is None


def test_organisations_see_and_remove_only_their_own(
    client,
    app,
    login_as,
    make_user,
    idp,
    loopback,
):
    first = login_as("admin")
    assert save(client, form(idp.issuer)).status_code == 302
    other_client = app.test_client()
    second = make_user(role="admin")
    assert login(other_client, second.email).status_code == 302
    page = other_client.get(URL)
    assert idp.issuer not in page.text and "Set up single sign-on" in page.text
    token = csrf_from(page.text)
    assert other_client.post(URL + "/remove", data={"csrf_token": token}).status_code == 302
    assert config_of(first.organisation_id) is not None
    assert not audit("sso.remove")
    token = csrf_from(client.get(URL).text)
    assert client.post(URL + "/remove", data={"csrf_token": token}).status_code == 302
    assert config_of(first.organisation_id) is None
    [entry] = audit("sso.remove")
    assert entry.organisation_id == first.organisation_id


def test_privacy_documents_name_the_identity_provider_once_configured(
    client, login_as, idp, loopback
):
    login_as("admin")
    processors = "/admin/privacy/documents/processors.md"
    assert "Identity provider" not in client.get(processors).text
    assert save(client, form(idp.issuer)).status_code == 302
    text = client.get(processors).text
    assert "| Identity provider (single sign-on) | 127.0.0.1 | Users' sign-ins" in text
    record = client.get("/admin/privacy/documents/record.md").text
    assert "Identity provider 127.0.0.1: single sign-on of admin users" in record


def test_issuer_by_host_name_keeps_its_name_on_the_pinned_connection(
    client, login_as, idp, loopback
):
    """The connection goes to the checked address, the Host header keeps the name: the
    provider announces the issuer it was asked for."""
    admin = login_as("admin")
    by_name = "http://" + idp.other_name()
    assert save(client, form(by_name)).status_code == 302
    assert config_of(admin.organisation_id).issuer == by_name


def test_a_break_glass_admin_who_left_is_flagged(client, login_as, make_user, idp, loopback):
    admin = login_as("admin")
    other = make_user(role="admin", org=admin.organisation)
    data = form(idp.issuer, break_glass_user_id=str(other.id), password_login_disabled="y")
    assert save(client, data).status_code == 302
    assert "nobody can use the break-glass login" not in text(client.get(URL))
    other.active = False
    db.session.commit()
    assert "nobody can use the break-glass login" in text(client.get(URL))
