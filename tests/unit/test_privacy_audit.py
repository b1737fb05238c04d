"""The privacy self-audit's decisions (scheduling/security/privacy_audit.py), without a browser."""

import json

from scheduling.security.privacy_audit import (
    COLUMNS,
    DAY,
    Access,
    Audit,
    Phase,
    StoredItem,
    as_dict,
    cookie_write,
    host_of,
    lifetime,
    matches,
    party,
    problems,
    render,
)

NOW = 1_800_000_000.0


def audit(*phases, allowed=()) -> Audit:
    return Audit(
        "https://www.shop.example/landing",
        ("www.shop.example",),
        ("book.rendezvous.example",),
        list(phases),
        allowed,
    )


def rv_attr(host="www.shop.example", days=30) -> StoredItem:
    return StoredItem("rv_attr", "cookie", host, NOW + days * DAY, NOW)


def clean_phases(booking="booked"):
    urls = ["https://www.shop.example/landing", "https://book.rendezvous.example/book/call"]
    return [
        Phase("before_consent", urls=list(urls)),
        Phase("after_refusal", urls=list(urls)),
        Phase("after_consent", urls=list(urls), items=[rv_attr()], booking=booking),
    ]


def test_hosts_of_requests_ignore_addresses_that_reach_no_server():
    assert host_of("https://CDN.Example.com:8443/a.js") == "cdn.example.com"
    assert host_of("wss://live.example.net/socket") == "live.example.net"
    assert host_of("data:image/png;base64,AAAA") is None
    assert host_of("blob:https://www.shop.example/123") is None


def test_first_party_is_the_page_site_with_subdomains_and_the_rendezvous_host():
    a = audit()
    assert party("www.shop.example", a) == "first party (page)"
    assert party("shop.example", a) == "first party (page)"
    assert party("static.shop.example", a) == "first party (page)"
    assert party("book.rendezvous.example", a) == "first party (Rendezvous)"
    assert party("rendezvous.example", a) == "third party"
    assert party("evilshop.example", a) == "third party"
    assert party("shop.example.evil.net", a) == "third party"
    assert matches(".shop.example", ("www.shop.example",))


def test_lifetimes_of_cookies_and_storage():
    assert lifetime(rv_attr(days=30)) == "30 days"
    assert lifetime(StoredItem("s", "cookie", "h", None, NOW)) == "session"
    assert lifetime(StoredItem("s", "cookie", "h", NOW + 3 * 3600, NOW)) == "3 hours"
    assert lifetime(StoredItem("s", "cookie", "h", NOW + 600, NOW)) == "10 minutes"
    assert lifetime(StoredItem("k", "localStorage", "h", None, NOW)) == "until cleared"
    assert lifetime(StoredItem("k", "sessionStorage", "h", None, NOW)) == "session (tab)"


def test_cookie_writes_that_only_delete_store_nothing():
    assert cookie_write("rv_attr=; Max-Age=0; path=/; SameSite=Lax", NOW) == ("rv_attr", True)
    assert cookie_write("a=1; expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW) == ("a", True)
    assert cookie_write("a=1; expires=Fri, 01 Jan 2100 00:00:00 GMT; path=/", NOW) == ("a", False)
    assert cookie_write("a=1; Max-Age=3600", NOW) == ("a", False)
    # Max-Age wins over Expires.
    assert cookie_write("a=1; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=60", NOW)[1] is False
    assert cookie_write("probe=1", NOW) == ("probe", False)


def test_a_clean_audit_passes_and_its_table_has_the_cookie_table_columns():
    report = audit(*clean_phases())
    assert problems(report) == []
    text = render(report)
    assert "| " + " | ".join(COLUMNS) + " |" in text
    assert (
        "| rv_attr | cookie | first party (page): www.shop.example | 30 days | Campaign "
        "attribution: a random visitor id, the first and last campaign touch (UTM values, "
        "referring domain, landing path; ad click ids only with ads consent) and the A/B "
        "variant shown | no |"
    ) in text
    assert "PASS" in text and "FAIL" not in text
    before = text.split("## Before consent")[1].split("## After refusal")[0]
    assert "Nothing stored." in before and "rv_attr" not in before


def test_storage_or_reads_without_consent_fail_naming_them():
    phases = clean_phases()
    phases[0].items.append(StoredItem("_ga", "cookie", "shop.example", NOW + 400 * DAY, NOW))
    phases[1].items.append(StoredItem("seen", "localStorage", "www.shop.example", None, NOW))
    phases[0].accesses += [
        Access("cookie-read", "https://www.shop.example"),
        Access("cookie-read", "https://www.shop.example"),
        Access("storage-read", "https://www.shop.example", 'localStorage.getItem("x")'),
    ]
    found = problems(audit(*phases))
    assert "before consent: cookie '_ga' stored on shop.example" in found
    assert "after refusal: localStorage 'seen' stored on www.shop.example" in found
    assert (
        "before consent: document.cookie read by a script of https://www.shop.example (2 times)"
        in found
    )
    assert (
        'before consent: localStorage.getItem("x") read by a script of https://www.shop.example'
        " (once)" in found
    )
    row = next(r for r in as_dict(audit(*phases))["storage"] if r["Name"] == "_ga")
    assert row["Before consent"] == "yes" and row["Lifetime"] == "400 days"


def test_a_cookie_written_and_removed_again_before_consent_still_fails():
    phases = clean_phases()
    phases[0].accesses += [
        Access("cookie-write", "https://www.shop.example", "tmp=1; path=/", NOW),
        Access("cookie-write", "https://www.shop.example", "rv_attr=; Max-Age=0; path=/", NOW),
        Access("storage-write", "https://www.shop.example", "sessionStorage:flag", NOW),
    ]
    found = problems(audit(*phases))
    assert found == [
        "before consent: cookie 'tmp' written by a script of https://www.shop.example",
        "before consent: sessionStorage 'flag' written by a script of https://www.shop.example",
    ]


def test_declared_necessary_names_pass_but_show_in_the_table():
    phases = clean_phases()
    phases[0].items.append(StoredItem("cc_cookie", "cookie", "www.shop.example", None, NOW))
    report = audit(*phases, allowed=("cc_cookie",))
    assert problems(report) == []
    row = next(r for r in as_dict(report)["storage"] if r["Name"] == "cc_cookie")
    assert row["Before consent"] == "yes (declared necessary)"
    assert row["Purpose"] == "unknown (not set by Rendezvous)"


def test_a_third_party_domain_in_any_phase_fails():
    phases = clean_phases()
    phases[2].urls.append("https://www.googletagmanager.com/gtm.js?id=X")
    found = problems(audit(*phases))
    assert found == ["after consent: third-party domain www.googletagmanager.com contacted"]


def test_a_booking_that_failed_after_consent_fails_saying_why():
    report = audit(*clean_phases(booking="stopped at a page titled 'Something went wrong'"))
    assert problems(report) == [
        "after consent: the booking could not be completed "
        "(stopped at a page titled 'Something went wrong')"
    ]


def test_json_has_the_same_content():
    phases = clean_phases()
    phases[0].urls.append("https://cdn.other.example/x.js")
    data = json.loads(json.dumps(as_dict(audit(*phases))))
    assert data["passed"] is False
    assert [p["phase"] for p in data["phases"]] == [
        "before_consent",
        "after_refusal",
        "after_consent",
    ]
    assert {"domain": "cdn.other.example", "party": "third party"} in data["phases"][0]["domains"]
    assert data["phases"][2]["storage"][0]["Name"] == "rv_attr"
    assert list(data["storage"][0]) == list(COLUMNS)
    assert data["first_party"] == ["book.rendezvous.example", "www.shop.example"]
