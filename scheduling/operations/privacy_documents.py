"""The facts the privacy documents are generated from, read from the live configuration.

One organisation's rows (embed settings, questions, event types, calendars, webhooks, feeds,
API keys, users, retention periods) plus the installation's settings (mail relay, public URL,
session cookie), as one plain `PrivacyFacts`. Only domains of outside services are kept: never
a URL's path, query, user name, password or token. The texts are written by the admin area
(web/admin/privacy/documents_content.py); the file forms by security/privacy_document.py.
"""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import exists, func, select

from scheduling.attribution.storage_inventory import StorageItem, storage_inventory
from scheduling.extensions import db
from scheduling.models import (
    PROVIDERS,
    ApiKey,
    CalendarConnection,
    CalendarFeed,
    CalendarSource,
    EventType,
    Host,
    Organisation,
    Question,
    RoutingForm,
    RoutingRule,
    SsoConfig,
    User,
    WebhookSubscription,
)
from scheduling.routing.questions import QUESTION_KINDS
from scheduling.security.retention_periods import Period, periods_from

from . import calendar_connections as connected_calendars
from .calendar_push import push_enabled
from .embed_settings import settings_of

# Question kinds where a visitor types what they like: special category data can slip in.
FREE_TEXT_KINDS = ("short_text", "long_text")


@dataclass(frozen=True)
class InstallationSettings:
    """The installation's configuration values the documents need (from app.config)."""

    public_url: str  # PUBLIC_URL, or the address of this request when unset
    mail_host: str  # MAIL_HOST; empty: emails are written to files
    mail_security: str
    session_cookie_name: str
    session_cookie_path: str
    session_lifetime_seconds: int
    session_cookie_secure: bool
    jitsi_base_url: str
    rate_limits_on: bool
    default_language: str


@dataclass(frozen=True)
class AskedQuestion:
    form: str
    label: str
    kind: str
    required: bool
    # Why the answer is needed (Question.purpose); empty when the form builder left it blank.
    purpose: str

    @property
    def free_text(self) -> bool:
        return self.kind in FREE_TEXT_KINDS


@dataclass(frozen=True)
class ConnectedCalendars:
    """A calendar provider the organisation set up (issue 17): what it is asked and told."""

    provider: str  # "google" or "microsoft"
    api_domain: str
    auth_domain: str
    scopes: tuple[str, ...]  # short names (Google's without their common address prefix)
    connections: int
    writes: bool  # some host lets bookings be added to a calendar there
    push: bool = False  # the provider is asked to notify PUBLIC_URL of changes (push channels)


@dataclass(frozen=True)
class PrivacyFacts:
    organisation_name: str
    language: str  # the organisation's language: its event types' most common default
    app_domain: str
    # Embed and consent.
    embed_origins: tuple[str, ...]
    own_prompt: bool
    cookie_days: int
    ads_goals: tuple[str, ...]  # offline conversion goals with a name set ("booked", ...)
    # What is asked.
    questions: tuple[AskedQuestion, ...]
    scores: bool  # answers add points to a lead score
    disqualifies: bool  # a rule or a form's fallback turns visitors away by their answers
    location_kinds: tuple[str, ...]  # of the active event types
    # Outside services, by domain.
    mail_host: str
    mail_security: str
    video_domain: str
    caldav_domains: tuple[str, ...]
    writeback_domains: tuple[str, ...]
    ics_domains: tuple[str, ...]
    webhook_domains: tuple[str, ...]
    webhook_events: tuple[str, ...]
    feeds: int
    feed_busy_only: bool
    api_keys: int
    # Users and security.
    users: int
    users_with_totp: int
    retention: dict[str, Period]
    storage: tuple[StorageItem, ...]
    session_cookie_secure: bool
    rate_limits_on: bool
    # The single sign-on issuer's domain (empty: no single sign-on): it learns who signs in.
    sso_domain: str = ""
    calendar_connections: tuple[ConnectedCalendars, ...] = ()

    @property
    def embeddable(self) -> bool:
        return bool(self.embed_origins)

    @property
    def attribution(self) -> bool:
        """Campaign attribution can happen: the widget is embeddable, or the own prompt is on."""
        return self.embeddable or self.own_prompt

    @property
    def ads(self) -> bool:
        return self.attribution and bool(self.ads_goals)

    @property
    def free_text_questions(self) -> tuple[AskedQuestion, ...]:
        return tuple(q for q in self.questions if q.free_text)

    @property
    def outside_domains(self) -> tuple[str, ...]:
        """Every domain of a service outside this app that receives or gives data."""
        found = [
            self.mail_host,
            *self.caldav_domains,
            *self.ics_domains,
            *self.webhook_domains,
            self.sso_domain,
        ]
        for connected in self.calendar_connections:
            found += [connected.api_domain, connected.auth_domain]
        if "video" in self.location_kinds:
            found.append(self.video_domain)
        return tuple(sorted({d for d in found if d}))


def domain_of(url: str) -> str:
    """The host name of a URL (or of a bare host name), lower case; "" when there is none."""
    text = (url or "").strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


def _domains(urls) -> tuple[str, ...]:
    return tuple(sorted({d for d in (domain_of(u) for u in urls) if d}))


def _language(organisation_id: int, fallback: str) -> str:
    locales = db.session.scalars(
        select(EventType.default_locale).where(
            EventType.organisation_id == organisation_id,
            EventType.active.is_(True),
            EventType.default_locale.is_not(None),
        )
    )
    common = Counter(locale for locale in locales if locale).most_common(1)
    return common[0][0] if common else fallback


def _questions(organisation_id: int) -> tuple[AskedQuestion, ...]:
    rows = db.session.execute(
        select(RoutingForm.name, Question)
        .join(Question, Question.routing_form_id == RoutingForm.id)
        .where(RoutingForm.organisation_id == organisation_id)
        .order_by(RoutingForm.name, RoutingForm.id, Question.position, Question.id)
    )
    return tuple(
        AskedQuestion(
            form=name,
            label=q.label,
            kind=q.kind if q.kind in QUESTION_KINDS else "short_text",
            required=q.required,
            purpose=q.purpose or "",
        )
        for name, q in rows
    )


def _scores(organisation_id: int) -> bool:
    questions = db.session.scalars(
        select(Question)
        .join(RoutingForm, RoutingForm.id == Question.routing_form_id)
        .where(RoutingForm.organisation_id == organisation_id)
    )
    return any(
        q.points_yes or q.points_no or any((c or {}).get("points") for c in q.choices or [])
        for q in questions
    )


def _disqualifies(organisation_id: int) -> bool:
    forms = select(RoutingForm.id).where(RoutingForm.organisation_id == organisation_id)
    rule = select(RoutingRule.id).where(
        RoutingRule.routing_form_id.in_(forms),
        RoutingRule.active.is_(True),
        RoutingRule.action_kind == "disqualify",
    )
    fallback = select(RoutingForm.id).where(
        RoutingForm.organisation_id == organisation_id, RoutingForm.fallback_kind == "disqualify"
    )
    return db.session.scalar(select(rule.exists())) or db.session.scalar(select(fallback.exists()))


def _sources(organisation_id: int) -> list[CalendarSource]:
    return list(
        db.session.scalars(
            select(CalendarSource)
            .join(Host, Host.id == CalendarSource.host_id)
            .where(Host.organisation_id == organisation_id)
        )
    )


def _count(statement) -> int:
    return db.session.scalar(statement) or 0


def _sso_domain(organisation_id: int) -> str:
    issuer = db.session.scalar(
        select(SsoConfig.issuer).where(SsoConfig.organisation_id == organisation_id)
    )
    return domain_of(issuer) if issuer else ""


def collect_facts(organisation: Organisation, installation: InstallationSettings) -> PrivacyFacts:
    """Everything the documents say about one organisation, from the rows as they are now."""
    org_id = organisation.id
    embed = settings_of(org_id)
    origins = tuple(embed.allowed_origins or ())
    sources = _sources(org_id)
    hooks = list(
        db.session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.organisation_id == org_id,
                WebhookSubscription.active.is_(True),
            )
        )
    )
    location_kinds = {
        item.get("kind")
        for offered in db.session.scalars(
            select(EventType.locations).where(
                EventType.organisation_id == org_id, EventType.active.is_(True)
            )
        )
        for item in offered or []
        if isinstance(item, dict) and isinstance(item.get("kind"), str)
    }
    storage = storage_inventory(
        attribution_days=embed.cookie_days if origins else None,
        session_cookie_name=installation.session_cookie_name,
        session_lifetime_seconds=installation.session_lifetime_seconds,
        session_cookie_path=installation.session_cookie_path,
    )
    ads_goals = tuple(
        goal
        for goal, name in (
            ("booked", embed.conversion_booked),
            ("attended", embed.conversion_attended),
            ("won", embed.conversion_won),
        )
        if name
    )
    return PrivacyFacts(
        organisation_name=organisation.name,
        language=_language(org_id, installation.default_language),
        app_domain=domain_of(installation.public_url),
        embed_origins=origins,
        own_prompt=bool(embed.own_prompt),
        cookie_days=embed.cookie_days,
        ads_goals=ads_goals,
        questions=_questions(org_id),
        scores=_scores(org_id),
        disqualifies=bool(_disqualifies(org_id)),
        location_kinds=tuple(sorted(location_kinds)),
        mail_host=domain_of(installation.mail_host),
        mail_security=installation.mail_security,
        video_domain=domain_of(organisation.jitsi_base_url or installation.jitsi_base_url),
        caldav_domains=_domains(s.url for s in sources if s.kind == "caldav"),
        writeback_domains=_domains(s.url for s in sources if s.kind == "caldav" and s.write_back),
        ics_domains=_domains(s.url for s in sources if s.kind == "ics"),
        webhook_domains=_domains(h.url for h in hooks),
        webhook_events=tuple(sorted({e for h in hooks for e in (h.events or [])})),
        feeds=_count(
            select(func.count(CalendarFeed.id)).where(CalendarFeed.organisation_id == org_id)
        ),
        feed_busy_only=bool(organisation.feed_busy_only),
        api_keys=_count(
            select(func.count(ApiKey.id)).where(
                ApiKey.organisation_id == org_id, ApiKey.revoked_at.is_(None)
            )
        ),
        users=_count(
            select(func.count(User.id)).where(User.organisation_id == org_id, User.active)
        ),
        users_with_totp=_count(
            select(func.count(User.id)).where(
                User.organisation_id == org_id,
                User.active,
                User.totp_secret_encrypted.is_not(None),
            )
        ),
        retention=periods_from(organisation.retention_periods),
        storage=tuple(storage),
        session_cookie_secure=installation.session_cookie_secure,
        rate_limits_on=installation.rate_limits_on,
        sso_domain=_sso_domain(org_id),
        calendar_connections=_connected_calendars(org_id),
    )


def _connected_calendars(organisation_id: int) -> tuple[ConnectedCalendars, ...]:
    """Providers with an app set up or a host connected, from the live rows and settings."""
    found = []
    for name in PROVIDERS:
        count = _count(
            select(func.count(CalendarConnection.id)).where(
                CalendarConnection.organisation_id == organisation_id,
                CalendarConnection.provider == name,
            )
        )
        if not count and connected_calendars.provider_app(organisation_id, name) is None:
            continue
        writes = db.session.scalar(
            select(
                exists().where(
                    CalendarSource.kind == name,
                    CalendarSource.write_back.is_(True),
                    CalendarSource.connection_id == CalendarConnection.id,
                    CalendarConnection.organisation_id == organisation_id,
                )
            )
        )
        provider = connected_calendars.provider(name)
        found.append(
            ConnectedCalendars(
                name,
                domain_of(provider.api_url),
                domain_of(provider.token_url),
                tuple(scope.rsplit("/", 1)[-1] for scope in provider.scopes),
                count,
                bool(writes),
                bool(count) and push_enabled(),
            )
        )
    return tuple(found)
