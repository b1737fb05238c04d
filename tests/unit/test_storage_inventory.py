"""The cookie and storage inventory: rows from the settings values, and the shared table format."""

import pytest

from scheduling.attribution.storage_inventory import (
    AFTER_CONSENT_ONLY,
    ATTRIBUTION_COOKIE,
    COLUMNS,
    KINDS,
    NOT_CONSENT_BASED,
    StorageItem,
    duration_text,
    markdown_cell,
    markdown_table,
    storage_inventory,
)


def inventory(days=180, name="rendezvous_session", seconds=12 * 3600):
    return storage_inventory(
        attribution_days=days, session_cookie_name=name, session_lifetime_seconds=seconds
    )


def test_attribution_cookie_lifetime_follows_the_setting():
    short, long = inventory(days=30)[0], inventory(days=395)[0]
    assert short.name == long.name == ATTRIBUTION_COOKIE == "rv_attr"
    assert short.lifetime.startswith("30 days")
    assert long.lifetime.startswith("395 days")
    assert short.kind == "cookie"
    assert "host page's own domain" in short.party
    assert "attribution" in short.purpose.lower()
    assert short.before_consent == AFTER_CONSENT_ONLY == "never set before consent"


def test_without_an_embeddable_widget_there_is_no_attribution_cookie():
    rows = inventory(days=None)
    assert [row.name for row in rows] == ["rendezvous_session"]


def test_session_cookie_takes_name_lifetime_and_path_from_the_settings():
    rows = storage_inventory(
        attribution_days=None,
        session_cookie_name="my_admin",
        session_lifetime_seconds=2 * 3600,
        session_cookie_path="/admin",
    )
    (session,) = rows
    assert session.name == "my_admin"
    assert session.lifetime.startswith("2 hours")
    assert "path /admin" in session.party
    assert "Strictly necessary" in session.purpose and "never on public pages" in session.purpose
    assert session.before_consent == NOT_CONSENT_BASED == "none"


def test_every_row_is_a_known_kind():
    assert all(row.kind in KINDS for row in inventory())


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (86400, "1 day"),
        (30 * 86400, "30 days"),
        (3600, "1 hour"),
        (12 * 3600, "12 hours"),
        (90 * 60, "90 minutes"),
        (45, "45 seconds"),
        (1, "1 second"),
    ],
)
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


def test_markdown_table_has_exactly_the_shared_columns():
    table = markdown_table(inventory(days=45))
    lines = table.splitlines()
    assert lines[0] == "| Name | Kind | Party | Lifetime | Purpose | Before consent |"
    assert COLUMNS == ("Name", "Kind", "Party", "Lifetime", "Purpose", "Before consent")
    assert lines[1] == "|---|---|---|---|---|---|"
    assert lines[2].startswith("| rv_attr | cookie | first party, on the host page's own domain")
    assert "| 45 days (expiry set once, never extended) |" in lines[2]
    assert lines[2].endswith("| never set before consent |")
    assert lines[3].startswith("| rendezvous_session | cookie |")
    assert lines[3].endswith("| none |")
    assert len(lines) == 4 and table.endswith("\n")


def test_markdown_table_escapes_pipes_and_folds_lines():
    row = StorageItem("a|b", "cookie", "first\nparty", "1 day", "x \\ y", "none")
    line = markdown_table([row]).splitlines()[2]
    assert line == "| a\\|b | cookie | first party | 1 day | x \\\\ y | none |"
    # Still six cells: the escaped pipe does not split the row.
    assert len(line.replace("\\|", "").split("|")) == 8
    assert markdown_cell("<script>") == "\\<script\\>"
