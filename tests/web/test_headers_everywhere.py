"""Every GET route of the app, rendered for real, sends the security headers and no third party.

The test walks app.url_map: a GET endpoint that is neither rendered here nor in the commented
SKIP list fails it, so a new route cannot ship without being checked.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from scheduling.cli.demo import DEMO_LOGINS, load_demo
from scheduling.extensions import db
from scheduling.models import (
    Absence,
    Booking,
    CalendarSource,
    EmbedSettings,
    EventType,
    Host,
    Lead,
    Pool,
    RoutingForm,
    User,
)
from scheduling.operations import account_links
from scheduling.operations.ab_tests import VariantInput, create_test
from scheduling.operations.accounts import enable_totp
from scheduling.operations.api_keys import create_api_key
from scheduling.operations.calendar_feeds import regenerate_feed
from scheduling.operations.privacy_requests import request_erasure
from scheduling.operations.webhooks import create_subscription
from scheduling.security.account_links import account_link_token
from scheduling.security.links import booking_token
from scheduling.web.outcome_tokens import LINK_OUTCOMES, make_outcome_token
from tests import third_party_urls
from tests.conftest import FROZEN_NOW, TEST_SECRET, login
from tests.db_outage import database_outage

ORIGIN = "http://localhost"  # the test client's own origin (and so the app's)
OWN = (ORIGIN, "webcal://localhost")  # calendar subscription links point to the app too
VIDEO = "https://meet.test.example"
# The page a disqualifying rule sends visitors on to: configured by the admin, meant to be
# external, and allowed on the not-a-fit page only.
GUIDE = "https://northwind.example/guide"
# The organisation's own privacy notice (Settings), linked from its public forms: the operator's
# site, allowed on public pages only.
PRIVACY = "https://northwind.example/privacy"
STATIC = Path(__file__).resolve().parents[2] / "static"

# GET endpoints this test does not render, and why. Everything else must be rendered. Routes
# without GET (POST/PUT only) are not pages: the forged-POST test below sends each of them a
# request and checks the headers of its 4xx answer.
SKIP: dict[str, str] = {
    # Single sign-on: the start redirects to the organisation's identity provider (another
    # origin) and the callback answers only that provider's redirect. Both are followed end to
    # end in tests/integration/test_sso_login.py; their refusal pages (404, 403) are checked
    # in test_error_pages_send_the_headers_too below.
    "admin.sso_org": "redirects to the identity provider",
    "admin.sso_callback": "answers the identity provider's redirect",
    # Answers only the provider's redirect of a connection started in the same session (a
    # refusal page otherwise); tests/web/test_calendar_connections.py covers both answers.
    "admin.calendar_connection_callback": "needs a started connection and a provider",
}
# GET routes that only redirect, and where to. The redirect must go there and carry the same
# headers as a page; its target is rendered in its own right.
REDIRECTS = {"/admin/users/new": "/admin/invitations/new"}  # accounts are made by invitation

# Features a booking page never uses; each must be switched off by Permissions-Policy.
DENIED_FEATURES = (
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "serial",
    "bluetooth",
    "hid",
    "midi",
    "browsing-topics",
    "interest-cohort",
)
# Answers no browser renders as a page: nothing at all may load from them.
NOT_PAGES = ("application/json", "text/calendar")
GOOD_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def csp_of(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def external_urls(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return third_party_urls.external_urls(text, OWN, allowed)


def header_problems(response, kind: str, embed_origins: list[str]) -> list[str]:
    """What is missing or weak in one response's headers, for a route of this kind."""
    problems = []
    csp = csp_of(response)
    raw = response.headers.get("Content-Security-Policy", "")
    if not csp:
        return ["no Content-Security-Policy"]
    if "'unsafe-inline'" in raw or "'unsafe-eval'" in raw or "*" in raw.split():
        problems.append(f"unsafe CSP: {raw}")
    if csp.get("default-src") not in (["'self'"], ["'none'"]):
        problems.append(f"default-src is {csp.get('default-src')}")
    for name, value in csp.items():
        if "*" in value or any(v.endswith(":") and v != "data:" for v in value):
            problems.append(f"{name} allows any origin: {value}")
    if csp.get("object-src", csp.get("default-src")) != ["'none'"]:
        problems.append("object-src is not 'none'")
    if csp.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append("base-uri missing")
    if kind == "embed":
        if sorted(csp.get("frame-ancestors", [])) != sorted(embed_origins):
            problems.append(f"frame-ancestors {csp.get('frame-ancestors')} != {embed_origins}")
        if "X-Frame-Options" in response.headers:
            problems.append("X-Frame-Options on an embeddable page blocks the allowed origins")
    else:
        if csp.get("frame-ancestors") != ["'none'"]:
            problems.append(f"frame-ancestors is {csp.get('frame-ancestors')}, not 'none'")
        if response.headers.get("X-Frame-Options") != "DENY":
            problems.append("X-Frame-Options is not DENY")
    not_a_page = kind in ("api", "feed") or response.mimetype in NOT_PAGES
    if not_a_page and csp.get("default-src") != ["'none'"]:
        problems.append(f"{response.mimetype} answer has default-src {csp.get('default-src')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in GOOD_REFERRER:
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    permissions = {
        item.split("=")[0].strip(): item.split("=", 1)[1].strip()
        for item in response.headers.get("Permissions-Policy", "").split(",")
        if "=" in item
    }
    missing = [f for f in DENIED_FEATURES if permissions.get(f) != "()"]
    if missing:
        problems.append(f"Permissions-Policy does not deny {', '.join(missing)}")
    return problems


@pytest.fixture
def world(app, frozen_now):
    """The demo organisation plus one of every object an admin detail page shows."""
    org = load_demo(FROZEN_NOW, VIDEO, public_url=ORIGIN)
    org.privacy_url = PRIVACY
    db.session.flush()
    admin = db.session.scalar(select(User).where(User.email == DEMO_LOGINS[0][0]))
    discovery = db.session.scalar(select(EventType).where(EventType.slug == "discovery-call"))
    strategy = db.session.scalar(select(EventType).where(EventType.slug == "strategy-session"))
    host = db.session.scalars(select(Host).order_by(Host.id)).first()
    pool = db.session.scalar(select(Pool))
    form = db.session.scalar(select(RoutingForm))
    booking = db.session.scalars(
        select(Booking).where(Booking.start_at > FROZEN_NOW).order_by(Booking.start_at)
    ).first()
    # The host's one-click outcome links are for a call that has started.
    held = db.session.scalars(
        select(Booking)
        .where(
            Booking.start_at <= FROZEN_NOW,
            Booking.status == "confirmed",
            Booking.host_id.is_not(None),
        )
        .order_by(Booking.start_at.desc())
    ).first()
    assert held is not None, "the demo data has no confirmed booking that has started"
    test = create_test(
        discovery,
        "Headline test",
        [VariantInput("Control", 50), VariantInput("Short", 50, headline="Talk to us")],
        admin,
        FROZEN_NOW,
    )
    source = CalendarSource(
        host_id=host.id,
        kind="ics",
        name="Holidays",
        url="https://calendar.example.org/holidays.ics",
        created_at=FROZEN_NOW,
        failures=0,
        next_attempt_at=FROZEN_NOW,
    )
    db.session.add(source)
    absence = Absence(
        host_id=host.id,
        first_day=FROZEN_NOW.date() + timedelta(days=20),
        last_day=FROZEN_NOW.date() + timedelta(days=24),
        note="Vacation",
    )
    db.session.add(absence)
    hook, _ = create_subscription(
        org.id,
        "http://127.0.0.1:9/rendezvous",
        ["booking.created"],
        "CRM",
        admin,
        FROZEN_NOW,
        secret_key=TEST_SECRET,
        allow_private=True,
    )
    lead = Lead(
        uid="lead0000000000000000000000000001",
        organisation_id=org.id,
        routing_form_id=form.id,
        event_type_id=discovery.id,
        status="disqualified",
        answers={"budget": "under-5k"},
        decision={
            "kind": "disqualify",
            "message": "Not yet.",
            "redirect_url": GUIDE,
            "redirect_seconds": 8,
        },
        name="Ada",
        email="ada@example.org",
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    at_once = Lead(
        uid="lead0000000000000000000000000002",
        organisation_id=org.id,
        routing_form_id=form.id,
        event_type_id=discovery.id,
        status="disqualified",
        decision={"kind": "disqualify", "redirect_url": GUIDE, "redirect_seconds": 0},
        created_at=FROZEN_NOW,
        updated_at=FROZEN_NOW,
    )
    db.session.add_all([lead, at_once])
    manager = db.session.scalar(select(User).where(User.email == DEMO_LOGINS[1][0]))
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(FROZEN_NOW)
    enable_totp(manager, secret, code, TEST_SECRET, FROZEN_NOW)
    _, api_token = create_api_key(admin, "Reader", "read", FROZEN_NOW)
    # An open invitation (listed on the invitations page) and a set-password link: the page
    # each emailed link opens.
    invitation = account_links.invite_user(
        admin, "Nina Invited", "nina.invited@example.org", "manager", None, FROZEN_NOW
    )
    password_link = account_links.send_password_link(admin, manager, FROZEN_NOW)
    # An invitee's erasure request, listed on the privacy page and opened by the admin.
    privacy_request, _ = request_erasure(org.id, booking.invitee_email, FROZEN_NOW)
    host_feed = regenerate_feed(host, TEST_SECRET, FROZEN_NOW)
    team_feed = regenerate_feed(pool, TEST_SECRET, FROZEN_NOW)
    db.session.commit()
    member = pool.members[0]
    question = form.questions[0]
    rule = form.rules[0]
    tokens = {
        purpose: booking_token(TEST_SECRET, booking.uid, booking.token_version, purpose)
        for purpose in ("view", "cancel", "reschedule")
    }
    links = [
        (link.id, account_link_token(TEST_SECRET, link.id, link.nonce, link.purpose))
        for link in (invitation, password_link)
    ]
    return {
        "org": org,
        "admin_email": DEMO_LOGINS[0][0],
        "admin_password": DEMO_LOGINS[0][1],
        "discovery": discovery.slug,
        "strategy": strategy.slug,
        "host": host.id,
        "host_slug": host.slug,
        "pool": pool.id,
        "pool_slug": pool.slug,
        "member": member.id,
        "form": form.id,
        "question": question.id,
        "rule": rule.id,
        "booking": booking,
        "booking_id": booking.id,
        "uid": booking.uid,
        "tokens": tokens,
        "account_links": links,
        "outcome_tokens": [make_outcome_token(held, status) for status in LINK_OUTCOMES],
        "ab_test": test.id,
        "privacy_request": privacy_request.id,
        "source": source.id,
        "absence": absence.id,
        "hook": hook.id,
        "lead": lead,
        "lead_id": lead.id,
        "user": admin.id,
        "api": {"Authorization": f"Bearer {api_token}"},
        "host_feed": host_feed,
        "team_feed": team_feed,
        "embed_origins": list(db.session.scalar(select(EmbedSettings)).allowed_origins),
    }


def routes(w) -> dict[str, list[tuple[str, str, dict]]]:
    """endpoint -> [(kind, url, headers)]: every GET endpoint with real ids, tokens and keys."""
    uid, tok = w["uid"], w["tokens"]
    h, p, f, b = w["host"], w["pool"], w["form"], w["booking_id"]
    api = w["api"]
    admin = {
        "admin.home": "/admin/",
        "admin.ab_tests": "/admin/ab-tests",
        "admin.ab_tests_detail": f"/admin/ab-tests/{w['ab_test']}",
        "admin.account": "/admin/account",
        "admin.ad_conversions": "/admin/ad-conversions",
        "admin.two_factor": "/admin/account/two-factor",
        "admin.api_keys": "/admin/api-keys",
        "admin.audit": "/admin/audit",
        "admin.privacy": "/admin/privacy",
        "admin.privacy_request": f"/admin/privacy/requests/{w['privacy_request']}",
        "admin.bookings": "/admin/bookings",
        "admin.bookings_detail": f"/admin/bookings/{b}",
        "admin.bookings_cancel": f"/admin/bookings/{b}/cancel",
        "admin.outcome_edit": f"/admin/bookings/{b}/outcome",
        "admin.bookings_reschedule": f"/admin/bookings/{b}/reschedule",
        "admin.bookings_export": "/admin/bookings/export.csv",
        "admin.bookings_new": "/admin/bookings/new",
        "admin.calendar": "/admin/calendar",
        "admin.calendar_blocks": "/admin/calendar/blocks",
        "admin.dashboard": "/admin/dashboard",
        "admin.embed": "/admin/embed",
        "admin.event_types": "/admin/event-types",
        "admin.event_types_edit": f"/admin/event-types/{_et_id(w['discovery'])}/edit",
        "admin.event_type_notifications": (
            f"/admin/event-types/{_et_id(w['discovery'])}/notifications"
        ),
        "admin.event_types_new": "/admin/event-types/new",
        "admin.funnel": "/admin/funnel",
        "admin.funnel_export": "/admin/funnel/export.csv",
        "admin.hosts": "/admin/hosts",
        "admin.hosts_availability": f"/admin/hosts/{h}/availability",
        "admin.hosts_calendars": f"/admin/hosts/{h}/calendars",
        "admin.hosts_calendars_edit": f"/admin/hosts/{h}/calendars/sources/{w['source']}",
        "admin.hosts_edit": f"/admin/hosts/{h}/edit",
        "admin.hosts_holidays": "/admin/hosts/holidays",
        "admin.hosts_holidays_import": "/admin/hosts/holidays/import",
        "admin.hosts_own_holidays_import": f"/admin/hosts/{h}/holidays/import",
        "admin.hosts_absences_edit": f"/admin/hosts/{h}/absences/{w['absence']}/edit",
        "admin.hosts_new": "/admin/hosts/new",
        "admin.leads": "/admin/leads",
        "admin.leads_detail": f"/admin/leads/{w['lead_id']}",
        "admin.leads_export": "/admin/leads/export.csv",
        "admin.outbox": "/admin/outbox",
        "admin.routing_forms": "/admin/routing",
        "admin.routing_forms_detail": f"/admin/routing/{f}",
        "admin.routing_forms_fallback": f"/admin/routing/{f}/fallback",
        "admin.routing_forms_question_edit": f"/admin/routing/{f}/questions/{w['question']}",
        "admin.routing_forms_question_new": f"/admin/routing/{f}/questions/new",
        "admin.routing_forms_rule_edit": f"/admin/routing/{f}/rules/{w['rule']}",
        "admin.routing_forms_rule_new": f"/admin/routing/{f}/rules/new",
        "admin.routing_forms_test": f"/admin/routing/{f}/test",
        "admin.invitations": "/admin/invitations",
        "admin.invitations_create": "/admin/invitations/new",
        "admin.settings": "/admin/settings",
        "admin.settings_retention": "/admin/settings/retention",
        "admin.settings_sso": "/admin/settings/sso",
        "admin.settings_calendar_apps": "/admin/settings/calendar-apps",
        "admin.pools": "/admin/teams",
        "admin.pools_detail": f"/admin/teams/{p}",
        "admin.pools_edit": f"/admin/teams/{p}/edit",
        "admin.pools_member_edit": f"/admin/teams/{p}/members/{w['member']}",
        "admin.pools_feeds": "/admin/teams/feeds",
        "admin.pools_new": "/admin/teams/new",
        "admin.users": "/admin/users",
        "admin.users_edit": f"/admin/users/{w['user']}",
        "admin.users_create": "/admin/users/new",
        "admin.webhooks": "/admin/webhooks",
        "admin.webhooks_detail": f"/admin/webhooks/{w['hook']}",
    }
    table = {endpoint: [("admin", url, {})] for endpoint, url in admin.items()}
    # Both ad platforms' files, for a valid range of whole days.
    table["admin.ad_conversions_export"] = [
        ("admin", f"/admin/ad-conversions/{platform}.csv?from=2029-12-01&to=2030-01-07", {})
        for platform in ("google", "microsoft")
    ]
    # The generated privacy documents: each one in the admin UI, as Markdown and as a file.
    documents = ("cookies", "record", "notice", "domains", "processors", "banner", "dpia")
    base = "/admin/privacy/documents"
    table["admin.privacy_documents"] = [("admin", base, {})]
    for endpoint, suffix in (("view", ""), ("markdown", ".md"), ("html", ".html")):
        table[f"admin.privacy_documents_{endpoint}"] = [
            ("admin", f"{base}/{slug}{suffix}", {}) for slug in documents
        ]
    # Signed out: the login pages (the second step redirects without a first one).
    table["admin.login"] = [("public", "/admin/login", {})]
    table["admin.login_totp"] = [("totp", "/admin/login/code", {})]
    table["admin.sso_start"] = [("public", "/admin/login/sso", {})]
    # Emailed links, opened signed out: an invitation and a set-password link.
    table["admin.account_link"] = [
        ("public", f"/admin/link/{link_id}/{token}", {}) for link_id, token in w["account_links"]
    ]
    # The host's one-click "held" / "no-show" links (the GET only shows what it would record).
    table["outcome_links.confirm"] = [
        ("public", f"/outcome/{token}", {}) for token in w["outcome_tokens"]
    ]
    public = {
        "public.index": "/",
        "public.host_page": f"/u/{w['host_slug']}",
        "public.team_page": f"/t/{w['pool_slug']}",
        "public.book": f"/book/{w['strategy']}",
        "public.not_a_fit": f"/book/{w['discovery']}/not-a-fit/{w['lead'].uid}",
        "public.booking": f"/booking/{uid}/{tok['view']}",
        "public.booking_ics": f"/booking/{uid}/{tok['view']}/invite.ics",
        "public.my_data": f"/booking/{uid}/{tok['view']}/my-data",
        "public.my_data_json": f"/booking/{uid}/{tok['view']}/my-data.json",
        "public.cancel": f"/booking/{uid}/cancel/{tok['cancel']}",
        "public.reschedule": f"/booking/{uid}/reschedule/{tok['reschedule']}",
    }
    for endpoint, url in public.items():
        table[endpoint] = [("public", url, {}), ("embed", f"{url}?embed=1", {})]
    # Not embeddable, even asked with embed=1: the index belongs to no organisation, and the
    # calendar download is a file, not a page. Both keep frame-ancestors 'none'.
    table["public.index"][1] = ("public", "/?embed=1", {})
    # A host's and a team's page list event types (each link embeddable on its own): not framed.
    for endpoint in ("public.host_page", "public.team_page"):
        table[endpoint][1] = ("public", table[endpoint][0][1] + "?embed=1", {})
    # A disqualifying rule may send the visitor on at once (meta refresh) or after a delay.
    at_once = f"/book/{w['discovery']}/not-a-fit/lead0000000000000000000000000002"
    table["public.not_a_fit"] += [("public", at_once, {}), ("embed", at_once + "?embed=1", {})]
    table["public.booking_ics"][1] = ("public", table["public.booking_ics"][0][1] + "?embed=1", {})
    table["public.my_data_json"][1] = (
        "public",
        table["public.my_data_json"][0][1] + "?embed=1",
        {},
    )
    slug = w["discovery"]
    table.update(
        {
            "api.bookings_list": [("api", "/api/v1/bookings", api)],
            "api.bookings_get": [("api", f"/api/v1/bookings/{uid}", api)],
            "api.event_types_list": [("api", "/api/v1/event-types", api)],
            "api.event_type_detail": [("api", f"/api/v1/event-types/{slug}", api)],
            "api.slots": [
                (
                    "api",
                    f"/api/v1/event-types/{w['strategy']}/slots?start=2030-01-08&end=2030-01-09"
                    "&timezone=UTC",
                    api,
                )
            ],
            "api.hosts_list": [("api", "/api/v1/hosts", api)],
            "api.leads_list": [("api", "/api/v1/leads", api)],
            "api.leads_get": [("api", f"/api/v1/leads/{w['lead'].uid}", api)],
            "api.openapi_json": [("api", "/api/v1/openapi.json", {})],
            "feeds.host_feed": [("feed", f"/feeds/host/{w['host_feed']}", {})],
            "feeds.team_feed": [("feed", f"/feeds/team/{w['team_feed']}", {})],
            "health.healthz": [("health", "/healthz", {})],
            "health.readyz": [("health", "/readyz", {})],
            "static": [
                ("static", "/static/" + path.relative_to(STATIC).as_posix(), {})
                for path in sorted(STATIC.rglob("*"))
                if path.is_file()
            ],
        }
    )
    return table


def _et_id(slug: str) -> int:
    return db.session.scalar(select(EventType.id).where(EventType.slug == slug))


def fetch(client, url: str, headers=None):
    """GET in a fresh app context, as in production (test requests would otherwise share `g`)."""
    with client.application.app_context():
        response = client.get(url, headers=headers or {})
        response.get_data()
        return response


def slot_url(client, page_url: str) -> str:
    """The confirm URL the page's first slot button submits (a GET form)."""
    page = fetch(client, page_url)
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*class="slot-form"', page.text) or re.search(
        r'<form[^>]*class="slot-form"[^>]*action="([^"]+)"', page.text
    )
    start = re.search(r'name="start" value="([^"]+)"', page.text)
    assert form and start, f"no slot on {page_url}"
    action = form.group(1).replace("&amp;", "&")
    joiner = "&" if "?" in action else "?"
    return f"{action}{joiner}{urlencode({'start': start.group(1)})}"


def follow_up_urls(client, w) -> dict[str, list[tuple[str, str, dict]]]:
    """Pages reached only through a slot button on another page: the confirm steps."""
    found = {}
    book = slot_url(client, f"/book/{w['strategy']}?date=2030-01-09")
    found["public.confirm"] = [("public", book, {}), ("embed", book + "&embed=1", {})]
    uid, tok = w["uid"], w["tokens"]["reschedule"]
    again = slot_url(client, f"/booking/{uid}/reschedule/{tok}?date=2030-01-09")
    found["public.reschedule_confirm"] = [("public", again, {}), ("embed", again + "&embed=1", {})]
    return found


def check(client, kind, url, headers, w, allowed_external=()) -> list[str]:
    response = fetch(client, url, headers)
    where = f"{kind} {url.split('?')[0][:90]} ({response.status_code})"
    if url in REDIRECTS:
        target = urlsplit(response.location or "").path
        if response.status_code != 302 or target != REDIRECTS[url]:
            return [f"{where}: not a redirect to {REDIRECTS[url]}: {response.location}"]
    elif response.status_code != 200:
        return [f"{where}: not rendered: {response.text[:200]}"]
    problems = header_problems(response, "public" if kind == "totp" else kind, w["embed_origins"])
    if response.mimetype in ("text/html", "text/css", "image/svg+xml"):
        if "/not-a-fit/" in url:
            allowed_external = (*allowed_external, GUIDE)
        if kind in ("public", "embed"):
            allowed_external = (*allowed_external, PRIVACY)
        problems += [f"external URL {u}" for u in external_urls(response.text, allowed_external)]
    return [f"{where}: {p}" for p in problems]


ADMIN_KINDS = ("admin", "totp")


def test_every_get_route_sends_the_headers_and_no_third_party(app, client, world, stamped):
    w = world
    table = routes(w)
    table.update(follow_up_urls(client, w))
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    unrendered = sorted(get_endpoints - set(table) - set(SKIP))
    assert unrendered == [], f"GET routes not rendered by this test: {unrendered}"
    assert set(table) <= get_endpoints, set(table) - get_endpoints
    # Per rule too: a second URL added to an existing endpoint must be rendered as well.
    # build_only rules (extra names for url_for) never answer a request.
    adapter = app.url_map.bind("localhost")
    hit = set()
    for rows in table.values():
        for _, url, _ in rows:
            rule, _ = adapter.match(urlsplit(url).path, method="GET", return_rule=True)
            hit.add(id(rule))
    get_rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.build_only]
    missed = sorted(r.rule for r in get_rules if id(r) not in hit and r.endpoint not in SKIP)
    assert missed == [], f"GET rules not rendered by this test: {missed}"

    # The booking page's video room link goes to the configured video service, on purpose.
    allowed = (w["org"].jitsi_base_url, VIDEO)
    failures = []
    signed_out = [row for rows in table.values() for row in rows if row[0] not in ADMIN_KINDS]
    for kind, url, headers in signed_out:
        failures += check(client, kind, url, headers, w, allowed)
    # The code step of two-factor login shows after a right password of a user with TOTP.
    half = client.application.test_client()
    assert login(half, DEMO_LOGINS[1][0], DEMO_LOGINS[1][1]).status_code == 302
    failures += check(half, "totp", "/admin/login/code", {}, w, allowed)
    assert login(client, w["admin_email"], w["admin_password"]).status_code == 302
    for kind, url, headers in [row for rows in table.values() for row in rows]:
        if kind == "admin":
            failures += check(client, kind, url, headers, w, allowed)
    rendered = sum(len(rows) for rows in table.values())
    assert not failures, f"{len(failures)} problems in {rendered} responses:\n" + "\n".join(
        failures
    )


def test_error_pages_send_the_headers_too(app, client, world, tmp_path):
    """404, 405, 400 and the 503 outage page: HTML and JSON alike, signed out and in."""
    w = world
    slug = w["strategy"]
    answers = [
        ("public", "/no-such-page", 404),
        ("public", "/book/no-such-type", 404),
        ("public", "/book/no-such-type?embed=1", 404),
        ("public", f"/book/{slug}/confirm?start=yesterday", 400),
        ("public", "/admin/login/sso/no-such-organisation", 404),
        ("public", "/admin/login/sso/callback?code=x&state=y", 403),
        ("api", "/api/v1/no-such-thing", 404),
        ("api", "/api/v1/bookings/nope", 404),
    ]
    failures = []
    for kind, url, status in answers:
        response = fetch(client, url, w["api"] if kind == "api" else {})
        assert response.status_code == status, (url, response.status_code)
        failures += [f"{url}: {p}" for p in header_problems(response, kind, [])]
        failures += [f"{url}: external {u}" for u in external_urls(response.text)]
    response = client.post("/healthz")
    assert response.status_code == 405
    failures += [f"POST /healthz: {p}" for p in header_problems(response, "health", [])]
    response = client.delete("/admin/login")
    assert response.status_code == 405
    failures += [f"DELETE /admin/login: {p}" for p in header_problems(response, "public", [])]
    assert login(client, w["admin_email"], w["admin_password"]).status_code == 302
    response = fetch(client, "/admin/bookings/999999")
    assert response.status_code == 404
    failures += [f"admin 404: {p}" for p in header_problems(response, "admin", [])]
    with database_outage(tmp_path, OUTAGE_RETRY_AFTER_SECONDS=7) as outage:
        cut_client = outage.app.test_client()
        outage.cut()
        for kind, url in (("public", f"/book/{slug}"), ("api", "/api/v1/event-types")):
            response = cut_client.get(url, headers=w["api"] if kind == "api" else {})
            assert response.status_code == 503, (url, response.status_code)
            failures += [f"503 {url}: {p}" for p in header_problems(response, kind, [])]
            failures += [f"503 {url}: external {u}" for u in external_urls(response.text)]
    assert not failures, "\n".join(failures)


def test_not_modified_answers_keep_the_headers(client, world):
    """A 304 updates the headers a browser stored, so it must carry the same strict ones."""
    w = world
    failures = []
    for kind, url in (
        ("feed", f"/feeds/host/{w['host_feed']}"),
        ("feed", f"/feeds/team/{w['team_feed']}"),
        ("static", "/static/css/app.css"),
        ("static", "/static/embed.js"),
    ):
        first = fetch(client, url)
        assert first.status_code == 200 and first.headers.get("ETag"), url
        again = fetch(client, url, {"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, (url, again.status_code)
        failures += [f"304 {url}: {p}" for p in header_problems(again, kind, [])]
        if first.headers["Content-Security-Policy"] != again.headers["Content-Security-Policy"]:
            failures.append(f"304 {url}: another CSP than the 200")
    assert not failures, "\n".join(failures)


# Values for the URL arguments of the routes without GET; `id` and `day` name rows of several
# kinds, and a row that does not exist is fine: the answer must be a 4xx with the headers.
POST_ARGS = {
    "id": 1,
    "day": "2030-01-09",
    "holiday_id": 1,
    "absence_id": 1,
    "block_id": 1,
    "source_id": 1,
    "token": "not-a-valid-token",
    "request_id": 1,
    "kind": "json",
    "provider": "google",
    "connection_id": 1,
}


def test_routes_without_get_refuse_a_forged_post_with_the_headers(app, client, world):
    """Every POST/PUT-only route, sent without a CSRF token (or API key): a 4xx, never a 500,
    with the same headers as the pages."""
    w = world
    values = {
        **POST_ARGS,
        "booking_id": w["booking_id"],
        "host_id": w["host"],
        "event_type_id": _et_id(w["discovery"]),
        "form_id": w["form"],
        "question_id": w["question"],
        "rule_id": w["rule"],
        "pool_id": w["pool"],
        "member_id": w["member"],
        "uid": w["uid"],
        "slug": w["discovery"],
    }
    assert login(client, w["admin_email"], w["admin_password"]).status_code == 302
    failures = []
    rules = [r for r in app.url_map.iter_rules() if "GET" not in r.methods]
    assert rules
    for rule in rules:
        method = sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", str(values[name]))
            url = re.sub(rf"<[a-z]+:{name}>", str(values[name]), url)
        with client.application.app_context():
            response = client.open(url, method=method, data={"x": "1"})
        if not 400 <= response.status_code < 500:
            failures.append(f"{method} {url}: {response.status_code}")
        kind = rule.endpoint.split(".")[0]
        kind = {"api": "api", "admin": "admin"}.get(kind, "public")
        failures += [f"{method} {url}: {p}" for p in header_problems(response, kind, [])]
    assert not failures, f"{len(failures)} problems in {len(rules)} routes:\n" + "\n".join(failures)
