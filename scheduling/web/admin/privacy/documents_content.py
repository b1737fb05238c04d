"""The privacy documents, written from PrivacyFacts: which ones exist and what each says.

Cookie table, domains, processors, consent banner and DPIA screening are here; the Art. 30
record entry and the Art. 13 notice section in documents_records.py. Texts go through
gettext; the cookie table keeps the fixed English columns and rows it shares with the
browser self-audit (attribution/storage_inventory.py).
"""

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduling.attribution.storage_inventory import ATTRIBUTION_COOKIE, COLUMNS
from scheduling.operations.privacy_documents import PrivacyFacts
from scheduling.security.privacy_document import Bullets, Document, Heading, Paragraph, Table

from .documents_records import notice_blocks, record_blocks

# slug -> title, in the order the index lists them.
TITLES = {
    "cookies": _l("Cookies and storage"),
    "record": _l("Record of processing activities (Art. 30 GDPR)"),
    "notice": _l("Privacy notice section for bookings (Art. 13 GDPR)"),
    "domains": _l("Domains the widget contacts"),
    "processors": _l("Processors and outside services configured"),
    "banner": _l("Suggested consent banner text"),
    "dpia": _l("DPIA screening note"),
}


def cookie_blocks(facts: PrivacyFacts) -> tuple:
    blocks = [
        Paragraph(_("Every cookie and browser storage key Rendezvous can set.")),
        Table(COLUMNS, tuple(item.cells() for item in facts.storage)),
        Paragraph(
            _(
                "The public booking pages, the booking frame inside the widget, calendar feeds "
                "and the API set no cookie and use neither localStorage nor sessionStorage: "
                "the booking flow carries a signed form token in the page instead."
            )
        ),
    ]
    if facts.embeddable:
        blocks.append(
            Paragraph(
                _(
                    "%(cookie)s is written by the widget script on your own pages (%(origins)s) "
                    "only after the visitor agreed to attribution; refusing or withdrawing "
                    "deletes it. Its lifetime is the embed setting, now %(days)s days.",
                    cookie=ATTRIBUTION_COOKIE,
                    origins=", ".join(facts.embed_origins),
                    days=facts.cookie_days,
                )
            )
        )
    else:
        blocks.append(
            Paragraph(
                _(
                    "No page may embed the widget (the embed allowlist is empty), so the "
                    "attribution cookie %(cookie)s is never written.",
                    cookie=ATTRIBUTION_COOKIE,
                )
            )
        )
    if facts.own_prompt:
        blocks.append(
            Paragraph(
                _(
                    "Direct booking links with campaign values ask with your own prompt; the "
                    "answer travels in the page's links, not in a cookie."
                )
            )
        )
    return tuple(blocks)


def domain_blocks(facts: PrivacyFacts) -> tuple:
    rows = [
        (
            facts.app_domain,
            _(
                "Rendezvous (this installation): the widget script, the booking frame and the "
                "consent log"
            ),
        )
    ]
    rows += [
        (
            origin,
            _("Your page that embeds the widget; %(cookie)s lives here", cookie=ATTRIBUTION_COOKIE),
        )
        for origin in facts.embed_origins
    ]
    blocks = [
        Paragraph(_("Only your own domains: the widget loads nothing from anywhere else.")),
        Table((_("Domain"), _("Role")), tuple(rows)),
        Paragraph(
            _(
                "No CDN, web font, analytics, ad or consent vendor script: every request of the "
                "widget and the booking pages goes to %(domain)s.",
                domain=facts.app_domain,
            )
        ),
    ]
    if not facts.embeddable:
        blocks.append(
            Paragraph(
                _(
                    "No page may embed the widget yet (the embed allowlist is empty): visitors "
                    "reach the booking pages by direct link only."
                )
            )
        )
    if "video" in facts.location_kinds and facts.video_domain:
        blocks.append(
            Paragraph(
                _(
                    "The confirmation links to the video room at %(domain)s; the invitee's "
                    "browser contacts it only when they open that link.",
                    domain=facts.video_domain,
                )
            )
        )
    return tuple(blocks)


def processor_rows(facts: PrivacyFacts) -> list[tuple[str, str, str]]:
    rows = []
    if facts.mail_host:
        rows.append(
            (
                _("Email relay (SMTP)"),
                facts.mail_host,
                _("Every email: invitee and host names and addresses, meeting details"),
            )
        )
    else:
        rows.append(
            (
                _("Email relay (SMTP)"),
                _("none"),
                _("No relay configured: emails are written to files on this server"),
            )
        )
    for domain in facts.caldav_domains:
        what = (
            _("Copies of bookings (invitee name, email, answers) and busy times read")
            if domain in facts.writeback_domains
            else _("Busy times read from hosts' calendars; no invitee data sent")
        )
        rows.append((_("CalDAV server"), domain, what))
    for domain in facts.ics_domains:
        rows.append((_("Calendar import (ICS)"), domain, _("Busy times read; nothing sent")))
    rows += connected_calendar_rows(facts)
    events = ", ".join(facts.webhook_events)
    for domain in facts.webhook_domains:
        rows.append(
            (
                _("Webhook receiver"),
                domain,
                _("Events %(events)s, with invitee name, email, note and answers", events=events),
            )
        )
    if "video" in facts.location_kinds and facts.video_domain:
        rows.append(
            (_("Video meetings"), facts.video_domain, _("The meeting room the invitee joins"))
        )
    if facts.sso_domain:
        rows.append(
            (
                _("Identity provider (single sign-on)"),
                facts.sso_domain,
                _("Users' sign-ins to the admin side: email address, name, sign-in times"),
            )
        )
    if facts.ads:
        rows.append(
            (
                _("Ad platforms"),
                _("none (offline files)"),
                _(
                    "Conversion files (%(goals)s) you download and upload yourself; the "
                    "application transfers nothing",
                    goals=", ".join(facts.ads_goals),
                ),
            )
        )
    return rows


CONNECTED_LABELS = {
    "google": _l("Google Calendar (connected calendars)"),
    "microsoft": _l("Microsoft 365 / Outlook (connected calendars)"),
}


def connected_calendar_rows(facts: PrivacyFacts) -> list[tuple[str, str, str]]:
    """Google / Microsoft: what is read, what is sent, with which permissions."""
    rows = []
    for connected in facts.calendar_connections:
        sent = (
            _("copies of bookings (invitee name, email, answers) go to the calendar a host chose")
            if connected.writes
            else _("nothing is sent")
        )
        what = _(
            "Start, end and busy/free of the events in the calendars hosts tick, never titles, "
            "guests or descriptions; %(sent)s. Permissions: %(scopes)s",
            sent=sent,
            scopes=", ".join(connected.scopes),
        )
        rows.append((str(CONNECTED_LABELS[connected.provider]), connected.api_domain, what))
    return rows


def processor_blocks(facts: PrivacyFacts) -> tuple:
    blocks = [
        Paragraph(
            _(
                "The services this installation is configured to use, by domain (never "
                "addresses with paths, user names or secrets). Sign a data processing "
                "agreement with each one that receives personal data."
            )
        ),
        Table((_("Service"), _("Domain"), _("What it receives")), tuple(processor_rows(facts))),
    ]
    extra = []
    if facts.feeds:
        extra.append(
            _(
                "%(num)s calendar subscription feeds: whoever holds a secret feed address reads "
                "%(what)s.",
                num=facts.feeds,
                what=_("busy times only") if facts.feed_busy_only else _("meeting details"),
            )
        )
    if facts.api_keys:
        extra.append(
            _(
                "%(num)s active API keys: your integrations read bookings and leads.",
                num=facts.api_keys,
            )
        )
    if facts.calendar_connections:
        extra.append(
            _(
                "Stored for each connected Google or Microsoft mailbox: its address, the names "
                "and ids of its calendars, the access and refresh tokens (encrypted with the "
                "application key) and, for each busy event, its start, end and the provider's "
                "event id. Disconnecting deletes all of it."
            )
        )
    if any(connected.push for connected in facts.calendar_connections):
        extra.append(
            _(
                "Google and Microsoft are asked to notify this installation's public address "
                "when a ticked calendar changes (one channel per calendar, renewed before it "
                "expires, stopped on disconnect). A notification names only the channel; the "
                "next sync reads what changed."
            )
        )
    if extra:
        blocks.append(Bullets(tuple(extra)))
    return tuple(blocks)


def banner_blocks(facts: PrivacyFacts) -> tuple:
    """In the organisation's language (its event types' most common default)."""
    with force_locale(facts.language):
        if not facts.attribution:
            return (
                Paragraph(
                    _(
                        "Nothing to ask: no page may embed the widget and the own prompt is "
                        "off, so Rendezvous stores nothing on visitors' devices and needs no "
                        "consent banner."
                    )
                ),
            )
        text = _(
            "May we remember which campaign brought you here? A cookie on this site keeps it "
            "for up to %(days)s days, so we can see which of our pages work.",
            days=facts.cookie_days,
        )
        if facts.ads:
            text += " " + _(
                "With your permission we also keep the ad click id and report booked calls "
                "back to the advertising platform, as a file we upload ourselves."
            )
        text += " " + _("Booking a call works either way.")
        purposes = [
            _(
                "Attribution: which campaign and page brought you to us (cookie %(cookie)s)",
                cookie=ATTRIBUTION_COOKIE,
            ),
        ]
        if facts.ads:
            purposes.append(_("Ad measurement: the ad click id, for conversions we report"))
        buttons = [_("Accept"), _("Refuse")]
        if facts.ads:
            buttons.insert(1, _("Accept without ad measurement"))
        return (
            Heading(_("Banner text")),
            Paragraph(text),
            Heading(_("Purposes to list")),
            Bullets(tuple(purposes)),
            Heading(_("Buttons")),
            Bullets(tuple(buttons)),
            Paragraph(
                _(
                    "Refusing must be as easy as accepting. Pass the choice to the widget "
                    "(attribution, and ads only when ad measurement was accepted)."
                )
            ),
        )


def dpia_rows(facts: PrivacyFacts) -> list[tuple[str, bool, str]]:
    yes, no = True, False
    free = facts.free_text_questions
    rows = [
        (
            _("Profiling or automated decisions about prospects"),
            yes if facts.scores or facts.disqualifies else no,
            _("Answers score leads or turn visitors away automatically")
            if facts.scores or facts.disqualifies
            else _("No scoring and no disqualifying rule"),
        ),
        (
            _("Persistent identifiers and tracking"),
            yes if facts.attribution else no,
            _(
                "Attribution with consent; first-party cookie for up to %(days)s days",
                days=facts.cookie_days,
            )
            if facts.embeddable
            else (
                _("Attribution with consent, kept with the booking; no cookie")
                if facts.attribution
                else _("No attribution: nothing stored on visitors' devices")
            ),
        ),
        (
            _("Special category data in free-text questions"),
            yes if free else no,
            _(
                "Free-text questions may receive health, religion or other special category "
                "data: %(labels)s",
                labels=", ".join(q.label for q in free),
            )
            if free
            else _("No free-text questions"),
        ),
        (
            _("Combination with CRM or advertising platforms"),
            yes if facts.webhook_domains or facts.ads else no,
            ", ".join(
                [*facts.webhook_domains, *([_("offline ad conversion files")] if facts.ads else [])]
            )
            or _("No webhook receiver and no ad conversions"),
        ),
        (
            _("Transfers to third countries"),
            no,
            _(
                "None by the application itself; check the outside services: %(domains)s",
                domains=", ".join(facts.outside_domains),
            )
            if facts.outside_domains
            else _("None: no outside service configured"),
        ),
        (
            _("Systematic monitoring or new technology"),
            no,
            _("No tracking before consent, no third-party scripts, a standard web booking form"),
        ),
    ]
    return rows


def dpia_blocks(facts: PrivacyFacts) -> tuple:
    rows = dpia_rows(facts)
    applying = [name for name, applies, _why in rows if applies]
    if len(applying) >= 2:
        verdict = _(
            "%(num)s triggers apply: a DPIA is recommended (two or more criteria, EDPB "
            "guidelines WP248). Also consider the scale: how many prospects you process.",
            num=len(applying),
        )
    elif applying:
        verdict = _(
            "One trigger applies (%(name)s): document a short risk assessment; a full DPIA "
            "becomes likely at large scale or when another trigger is added.",
            name=applying[0],
        )
    else:
        verdict = _("No trigger of the checklist applies to this configuration.")
    blocks = [
        Paragraph(_("The checklist's DPIA triggers, checked against this configuration.")),
        Table(
            (_("Trigger"), _("Applies"), _("From the configuration")),
            tuple((name, _("yes") if applies else _("no"), why) for name, applies, why in rows),
        ),
        Heading(_("Result")),
        Paragraph(verdict),
    ]
    if facts.free_text_questions:
        blocks.append(
            Paragraph(
                _(
                    "Special category risk: free-text answers can contain health, religious, "
                    "political or other special category data (Art. 9 GDPR). Ask only what you "
                    "need, say so next to the question, and prefer choice questions."
                )
            )
        )
    return tuple(blocks)


BUILDERS = {
    "cookies": cookie_blocks,
    "record": record_blocks,
    "notice": notice_blocks,
    "domains": domain_blocks,
    "processors": processor_blocks,
    "banner": banner_blocks,
    "dpia": dpia_blocks,
}


def build_document(slug: str, facts: PrivacyFacts, generated_on: str, language: str) -> Document:
    """One document; KeyError for an unknown slug (the view answers 404)."""
    builder = BUILDERS[slug]
    return Document(
        slug=slug,
        title=str(TITLES[slug]),
        blocks=builder(facts),
        subtitle=_(
            "%(org)s: generated from this installation's live configuration on %(date)s.",
            org=facts.organisation_name,
            date=generated_on,
        ),
        language=facts.language if slug == "banner" else language,
    )
