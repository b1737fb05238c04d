"""`flask rendezvous init`: the first organisation and admin, without the demo."""

import re

import pytest
from sqlalchemy import func, select

from scheduling.extensions import db
from scheduling.models import AuditEntry, Organisation, User
from scheduling.operations import accounts

PASSWORD = "a long passphrase"
ARGS = ["rendezvous", "init", "--organisation", "Acme Sales", "--admin-email", "Boss@Acme.eu"]


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(Organisation)),
        db.session.scalar(select(func.count()).select_from(User)),
    )


@pytest.fixture
def init(runner, stamped, monkeypatch):
    def run(*extra, password=PASSWORD, input=None):
        if password is None:
            monkeypatch.delenv("RENDEZVOUS_ADMIN_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("RENDEZVOUS_ADMIN_PASSWORD", password)
        return runner.invoke(args=[*ARGS, *extra], input=input)

    return run


def test_init_creates_the_organisation_and_its_first_admin(init, frozen_now):
    result = init("--timezone", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    assert "Created organisation 'Acme Sales' (Europe/Berlin) and admin boss@acme.eu" in (
        result.output
    )
    org = db.session.scalars(select(Organisation)).one()
    assert (org.name, org.slug, org.tz) == ("Acme Sales", "acme-sales", "Europe/Berlin")
    admin = db.session.scalars(select(User)).one()
    assert (admin.email, admin.name, admin.role) == ("boss@acme.eu", "boss", "admin")
    assert admin.organisation_id == org.id
    assert accounts.authenticate(admin.email, PASSWORD, "127.0.0.1", frozen_now).user == admin
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["user.create", "installation.init"]


def test_init_again_changes_nothing_and_says_so(init):
    assert init().exit_code == 0
    result = init("--timezone", "Asia/Tokyo", password="another passphrase")
    assert result.exit_code == 0
    assert "Already initialised (an organisation exists); nothing changed." in result.output
    assert counts() == (1, 1)
    assert db.session.scalars(select(Organisation.tz)).one() == "UTC"


def test_init_after_the_demo_changes_nothing(runner, init):
    assert runner.invoke(args=["rendezvous", "demo"]).exit_code == 0
    before = counts()
    result = init()
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert counts() == before


def test_the_password_is_asked_hidden_with_confirmation(init):
    result = init(password=None, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # not echoed
    assert counts() == (1, 1)


def test_a_mistyped_confirmation_is_asked_again(init):
    result = init(password=None, input=f"{PASSWORD}\ntypo\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "match" in result.output.lower()


def test_password_has_no_command_line_option(runner, stamped):
    result = runner.invoke(args=[*ARGS, "--password", PASSWORD])
    assert result.exit_code == 2 and "No such option '--password'" in result.output
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organisation", "   "], "The organisation name needs 1 to 200 characters."),
        (["--organisation", "x" * 201], "The organisation name needs 1 to 200 characters."),
        (["--organisation", "!!!"], "The organisation name needs at least one letter or digit."),
        (["--admin-email", "not-an-email"], "'not-an-email' is not an email address."),
        (["--admin-email", "a@b"], "'a@b' is not an email address."),
        (["--timezone", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'"),
        (["--timezone", "../../etc/passwd"], "Unknown time zone"),
    ],
)
def test_bad_input_is_refused_before_the_password_and_writes_nothing(
    runner,
    stamped,
    monkeypatch,
    args,
    message,
):
    monkeypatch.delenv("RENDEZVOUS_ADMIN_PASSWORD", raising=False)
    base = dict(zip(ARGS[2::2], ARGS[3::2], strict=True))
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    result = runner.invoke(args=["rendezvous", "init", *flat], input="")
    assert result.exit_code == 1
    assert message in result.output and "password" not in result.output.lower()
    assert counts() == (0, 0)


def test_a_short_password_is_refused_and_nothing_written(init):
    result = init(password="short")
    assert result.exit_code == 1
    assert "The password needs at least 10 characters." in result.output
    assert counts() == (0, 0)


def test_init_needs_a_migrated_database(runner, monkeypatch):
    monkeypatch.setenv("RENDEZVOUS_ADMIN_PASSWORD", PASSWORD)
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 1 and "migrations not at head" in result.output
    assert counts() == (0, 0)


def test_new_hosts_start_in_the_organisation_zone(client, make_org, login_as):
    login_as("admin", org=make_org(tz="America/Chicago"))
    page = client.get("/admin/hosts/new").text
    assert re.search(r'<option[^>]*value="America/Chicago"[^>]*selected', page) or re.search(
        r'<option[^>]*selected[^>]*value="America/Chicago"', page
    )


def test_the_empty_public_page_tells_the_truth_in_production(app, client):
    app.config["PRODUCTION"] = True
    page = client.get("/").text
    assert "No event type is published yet." in page
    assert "demo" not in page.lower()
    app.config["PRODUCTION"] = False
    assert "rendezvous demo" in client.get("/").text  # a local trial still gets the hint
