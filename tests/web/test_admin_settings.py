"""Organisation settings and lost reasons: admins only, validation, ordering, audit."""

import html

import pytest
from sqlalchemy import select

from scheduling.extensions import db
from scheduling.models import AuditEntry, LostReason, Organisation
from tests.conftest import csrf_from, post_form


def text(response) -> str:
    return html.unescape(response.text)


def token(client) -> str:
    return csrf_from(client.get("/admin/account").text)


def audit(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def org_of(user) -> Organisation:
    db.session.rollback()
    return db.session.get(Organisation, user.organisation_id)


def labels(organisation_id: int) -> list[tuple[str, bool]]:
    db.session.rollback()
    reasons = db.session.scalars(
        select(LostReason)
        .where(LostReason.organisation_id == organisation_id)
        .order_by(LostReason.position, LostReason.id)
    )
    return [(reason.label, reason.active) for reason in reasons]


def settings_form(**changes) -> dict:
    data = {
        "name": "Acme Sales",
        "jitsi_base_url": "",
        "default_currency": "EUR",
        "no_show_delay_minutes": "15",
    }
    data.update(changes)
    return data


@pytest.fixture
def reasons(app):
    """Add Price, Timing, Not a fit to an organisation; return their rows."""

    def add(org_id: int) -> list[LostReason]:
        rows = [
            LostReason(organisation_id=org_id, label=label, position=position)
            for position, label in enumerate(["Price", "Timing", "Not a fit"], start=1)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return add


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_managers_and_reps_are_forbidden(client, login_as, reasons, role, frozen_now):
    me = login_as(role)
    price = reasons(me.organisation_id)[0]
    assert client.get("/admin/settings").status_code == 403
    csrf = token(client)
    posts = {
        "/admin/settings": settings_form(name="Hijacked"),
        "/admin/settings/lost-reasons": {"label": "New"},
        f"/admin/settings/lost-reasons/{price.id}": {f"reason{price.id}-label": "Cheap"},
        f"/admin/settings/lost-reasons/{price.id}/move": {"direction": "down"},
        f"/admin/settings/lost-reasons/{price.id}/active": {"active": "no"},
        "/admin/settings/lost-reasons/order": {f"position-{price.id}": "3"},
    }
    for url, data in posts.items():
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert org_of(me).name == "Acme Sales"
    assert labels(me.organisation_id) == [("Price", True), ("Timing", True), ("Not a fit", True)]


def test_save_organisation_settings(client, login_as, frozen_now):
    admin = login_as("admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "<h1>Settings</h1>" in page.text
    assert "https://meet.test.example" in page.text  # the installation default is named
    response = post_form(
        client,
        "/admin/settings",
        settings_form(
            name="  Acme GmbH ", jitsi_base_url="https://meet.acme.example/", default_currency="chf"
        ),
    )
    assert response.status_code == 302
    org = org_of(admin)
    assert org.name == "Acme GmbH"
    assert org.jitsi_base_url == "https://meet.acme.example"
    assert org.default_currency == "CHF"
    (entry,) = audit("settings.update")
    assert entry.actor_id == admin.id
    assert entry.changes == {
        "name": ["Acme Sales", "Acme GmbH"],
        "jitsi_base_url": [None, "https://meet.acme.example"],
        "default_currency": ["EUR", "CHF"],
    }
    # Empty means the installation default again.
    post_form(client, "/admin/settings", settings_form(name="Acme GmbH", default_currency="CHF"))
    assert org_of(admin).jitsi_base_url is None
    assert audit("settings.update")[-1].changes == {
        "jitsi_base_url": ["https://meet.acme.example", None]
    }


def test_unchanged_settings_write_no_audit_entry(client, login_as, frozen_now):
    login_as("admin")
    response = post_form(client, "/admin/settings", settings_form())
    assert "Nothing changed." in text(client.get(response.headers["Location"]))
    assert audit("settings.update") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the organisation's name."),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"jitsi_base_url": "http://meet.example.com"}, "Enter an https:// address"),
        ({"jitsi_base_url": "meet.example.com"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://user:pw@meet.example.com"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://meet.example.com/?room=1"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://meet.example.com/#x"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://meet.example.com:port"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://meet example.com"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://<script>/"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://meet.example.com/<b>"}, "Enter an https:// address"),
        ({"jitsi_base_url": "javascript:alert(1)"}, "Enter an https:// address"),
        ({"jitsi_base_url": "https://x.example/" + "a" * 300}, "at most 300 characters"),
        ({"default_currency": ""}, "Enter a currency code such as EUR."),
        ({"default_currency": "EU"}, "Use the 3-letter currency code"),
        ({"default_currency": "EURO"}, "Use the 3-letter currency code"),
        ({"default_currency": "XYZ"}, "ISO 4217 currency code"),
    ],
)
def test_invalid_settings_are_refused(client, login_as, changes, message, frozen_now):
    admin = login_as("admin")
    response = post_form(client, "/admin/settings", settings_form(**changes))
    assert response.status_code == 400
    assert message in text(response)
    org = org_of(admin)
    assert (org.name, org.jitsi_base_url, org.default_currency) == ("Acme Sales", None, "EUR")
    assert audit("settings.update") == []


def test_valid_jitsi_addresses(client, login_as, frozen_now):
    admin = login_as("admin")
    for address, stored in [
        ("https://meet.example.com", "https://meet.example.com"),
        ("HTTPS://Meet.Example.com:8443/rooms/", "HTTPS://Meet.Example.com:8443/rooms"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ]:
        response = post_form(client, "/admin/settings", settings_form(jitsi_base_url=address))
        assert response.status_code == 302, address
        assert org_of(admin).jitsi_base_url == stored


def test_add_reasons_in_order(client, login_as, frozen_now):
    admin = login_as("admin")
    assert "No reasons yet." in client.get("/admin/settings").text
    for label in ("Price", "  Timing  "):
        response = post_form(
            client, "/admin/settings/lost-reasons", {"label": label}, "/admin/settings"
        )
        assert response.status_code == 302
    assert labels(admin.organisation_id) == [("Price", True), ("Timing", True)]
    entries = audit("lost_reason.create")
    assert [entry.changes for entry in entries] == [
        {"label": [None, "Price"]},
        {"label": [None, "Timing"]},
    ]


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "Enter the reason's text."),
        ("   ", "Enter the reason's text."),
        ("x" * 101, "at most 100 characters"),
        ("price", "There is already a reason called 'Price'."),
        ("NOT A FIT", "reactivate it instead"),
        ("ärger", "There is already a reason called 'Ärger'."),
    ],
)
def test_add_reason_validation(client, login_as, reasons, label, message, frozen_now):
    admin = login_as("admin")
    rows = reasons(admin.organisation_id)
    rows[2].active = False
    db.session.add(LostReason(organisation_id=admin.organisation_id, label="Ärger", position=4))
    db.session.commit()
    response = post_form(
        client, "/admin/settings/lost-reasons", {"label": label}, "/admin/settings"
    )
    assert response.status_code == 400 and message in text(response)
    assert len(labels(admin.organisation_id)) == 4
    assert audit("lost_reason.create") == []


def test_same_label_in_another_organisation_is_fine(client, login_as, reasons, make_org):
    reasons(make_org().id)
    admin = login_as("admin")
    response = post_form(
        client, "/admin/settings/lost-reasons", {"label": "Price"}, "/admin/settings"
    )
    assert response.status_code == 302
    assert labels(admin.organisation_id) == [("Price", True)]


def test_rename_reason(client, login_as, reasons, frozen_now):
    admin = login_as("admin")
    price = reasons(admin.organisation_id)[0]
    field = f"reason{price.id}-label"
    url = f"/admin/settings/lost-reasons/{price.id}"
    response = post_form(client, url, {field: "Too expensive"}, "/admin/settings")
    assert response.status_code == 302
    assert labels(admin.organisation_id)[0] == ("Too expensive", True)
    (entry,) = audit("lost_reason.update")
    assert entry.changes == {"label": ["Price", "Too expensive"]}
    # Changing only the case of its own label is allowed; taking another's is not.
    assert post_form(client, url, {field: "TOO expensive"}, "/admin/settings").status_code == 302
    clash = post_form(client, url, {field: "timing"}, "/admin/settings")
    assert clash.status_code == 400
    assert "There is already a reason called 'Timing'." in text(clash)
    empty = post_form(client, url, {field: ""}, "/admin/settings")
    assert empty.status_code == 400 and "Enter the reason's text." in text(empty)
    assert labels(admin.organisation_id)[0] == ("TOO expensive", True)


def test_move_up_and_down(client, login_as, reasons, frozen_now):
    admin = login_as("admin")
    price, _timing, fit = reasons(admin.organisation_id)
    url = f"/admin/settings/lost-reasons/{fit.id}/move"
    assert post_form(client, url, {"direction": "up"}, "/admin/settings").status_code == 302
    assert [label for label, _ in labels(admin.organisation_id)] == ["Price", "Not a fit", "Timing"]
    (entry,) = audit("lost_reason.reorder")
    assert entry.changes == {"Not a fit": [3, 2], "Timing": [2, 3]}
    url = f"/admin/settings/lost-reasons/{price.id}/move"
    assert post_form(client, url, {"direction": "down"}, "/admin/settings").status_code == 302
    assert [label for label, _ in labels(admin.organisation_id)] == ["Not a fit", "Price", "Timing"]
    # Already at the top: nothing moves, nothing is logged.
    url = f"/admin/settings/lost-reasons/{fit.id}/move"
    response = post_form(client, url, {"direction": "up"}, "/admin/settings")
    assert "Nothing changed" in text(client.get(response.headers["Location"]))
    assert len(audit("lost_reason.reorder")) == 2
    junk = post_form(client, url, {"direction": "sideways"}, "/admin/settings")
    assert junk.status_code == 400 and "Move a reason up or down." in text(junk)


def test_reorder_with_position_numbers(client, login_as, reasons, frozen_now):
    admin = login_as("admin")
    price, timing, fit = reasons(admin.organisation_id)
    page = client.get("/admin/settings")
    assert f'name="position-{price.id}"' in page.text and 'form="reason-order"' in page.text
    data = {f"position-{price.id}": "3", f"position-{timing.id}": "1", f"position-{fit.id}": "2"}
    response = post_form(client, "/admin/settings/lost-reasons/order", data, "/admin/settings")
    assert response.status_code == 302
    assert [label for label, _ in labels(admin.organisation_id)] == ["Timing", "Not a fit", "Price"]
    (entry,) = audit("lost_reason.reorder")
    assert entry.changes == {"Timing": [2, 1], "Not a fit": [3, 2], "Price": [1, 3]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Positions are whole numbers from 1 to 999"),
        ("0", "Positions are whole numbers from 1 to 999"),
        ("1000", "Positions are whole numbers from 1 to 999"),
        ("-1", "Positions are whole numbers from 1 to 999"),
        ("²", "Positions are whole numbers from 1 to 999"),
        (None, "The list of reasons changed meanwhile"),
    ],
)
def test_reorder_validation(client, login_as, reasons, value, message, frozen_now):
    admin = login_as("admin")
    price, timing, fit = reasons(admin.organisation_id)
    data = {f"position-{timing.id}": "1", f"position-{fit.id}": "2"}
    if value is not None:
        data[f"position-{price.id}"] = value
    response = post_form(client, "/admin/settings/lost-reasons/order", data, "/admin/settings")
    assert response.status_code == 400 and message in text(response)
    assert [label for label, _ in labels(admin.organisation_id)] == ["Price", "Timing", "Not a fit"]
    assert audit("lost_reason.reorder") == []


def test_deactivate_and_reactivate(client, login_as, reasons, frozen_now):
    admin = login_as("admin")
    timing = reasons(admin.organisation_id)[1]
    url = f"/admin/settings/lost-reasons/{timing.id}/active"
    assert post_form(client, url, {"active": "no"}, "/admin/settings").status_code == 302
    assert labels(admin.organisation_id)[1] == ("Timing", False)
    assert "Reactivate" in client.get("/admin/settings").text
    assert post_form(client, url, {"active": "yes"}, "/admin/settings").status_code == 302
    assert labels(admin.organisation_id)[1] == ("Timing", True)
    assert audit("lost_reason.deactivate")[0].changes == {"active": [True, False]}
    assert audit("lost_reason.reactivate")[0].changes == {"active": [False, True]}
    junk = post_form(client, url, {"active": "maybe"}, "/admin/settings")
    assert junk.status_code == 400 and "Choose to deactivate or reactivate." in text(junk)


def test_other_organisations_reasons_are_not_found(client, login_as, reasons, make_org):
    login_as("admin")
    foreign = reasons(make_org().id)[0]
    csrf = token(client)
    for reason_id in (foreign.id, 987654):
        posts = {
            f"/admin/settings/lost-reasons/{reason_id}": {f"reason{reason_id}-label": "Mine"},
            f"/admin/settings/lost-reasons/{reason_id}/move": {"direction": "down"},
            f"/admin/settings/lost-reasons/{reason_id}/active": {"active": "no"},
        }
        for url, data in posts.items():
            assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    # Positions of another organisation's reasons are ignored, not applied.
    response = client.post(
        "/admin/settings/lost-reasons/order",
        data={f"position-{foreign.id}": "3", "csrf_token": csrf},
    )
    assert response.status_code == 302
    assert labels(foreign.organisation_id) == [
        ("Price", True),
        ("Timing", True),
        ("Not a fit", True),
    ]


def test_settings_changes_show_in_the_audit_log(client, login_as, frozen_now):
    login_as("admin")
    post_form(client, "/admin/settings", settings_form(default_currency="GBP"))
    log = client.get("/admin/audit?action=settings")
    assert "settings.update" in log.text
    assert "<td>EUR</td><td>GBP</td>" in log.text


def test_no_show_delay_is_an_organisation_setting(client, login_as, frozen_now):
    admin = login_as("admin")
    assert org_of(admin).no_show_delay_minutes == 15  # the default
    assert 'name="no_show_delay_minutes"' in client.get("/admin/settings").text
    response = post_form(client, "/admin/settings", settings_form(no_show_delay_minutes="45"))
    assert response.status_code == 302
    assert org_of(admin).no_show_delay_minutes == 45
    assert audit("settings.update")[-1].changes == {"no_show_delay_minutes": [15, 45]}
    for bad in ("-1", "1441", "soon", ""):
        refused = post_form(client, "/admin/settings", settings_form(no_show_delay_minutes=bad))
        assert refused.status_code == 400
        assert "between 0 and 1440" in text(refused)
        assert org_of(admin).no_show_delay_minutes == 45
