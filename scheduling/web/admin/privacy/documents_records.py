"""The Art. 30 record entry and the Art. 13 notice section, written from PrivacyFacts.

Every sentence depends on the live configuration where the configuration decides it: a part
about attribution appears only when attribution can happen, ads only when conversion names
are set, each outside service only when it is configured.
"""

from flask_babel import gettext as _
from flask_babel import ngettext

from scheduling.operations.privacy_documents import AskedQuestion, PrivacyFacts
from scheduling.security.privacy_document import Bullets, Heading, Paragraph, Table
from scheduling.security.retention_periods import KINDS, Period


def kind_label(kind: str) -> str:
    return {
        "short_text": _("short free text"),
        "long_text": _("long free text"),
        "email": _("email address"),
        "phone": _("phone number"),
        "single_choice": _("one choice from a list"),
        "multiple_choice": _("choices from a list"),
        "number": _("number"),
        "yes_no": _("yes or no"),
        "country": _("country"),
    }.get(kind, kind)


def retention_label(kind: str) -> str:
    return {
        "bookings": _(
            "Bookings (with their leads, answers, outcome notes, attribution): after the meeting"
        ),
        "leads_unbooked": _(
            "Leads that never booked, and widget views: after the last answer or view"
        ),
        "leads_disqualified": _("Disqualified leads: after their last answer"),
        "consent_log": _("Consent log: after the decision"),
        "delivery_logs": _("Sent emails and webhook delivery records: after the last attempt"),
        "login_attempts": _(
            "Login attempts, and email files written without a relay: after their time"
        ),
    }[kind]


def period_text(period: Period) -> str:
    if period.unit == "d":
        return ngettext("%(num)s day", "%(num)s days", period.amount)
    return ngettext("%(num)s month", "%(num)s months", period.amount)


def question_purpose(question: AskedQuestion) -> str:
    """Why a question is asked: the form builder's purpose (the one place it is read)."""
    return question.purpose or _("(no purpose stated in the form builder)")


def questions_table(facts: PrivacyFacts) -> Table:
    return Table(
        (_("Form"), _("Question"), _("Kind of answer"), _("Required"), _("Purpose")),
        tuple(
            (
                q.form,
                q.label,
                kind_label(q.kind),
                _("yes") if q.required else _("no"),
                question_purpose(q),
            )
            for q in facts.questions
        ),
    )


def answer_groups(facts: PrivacyFacts) -> list[str]:
    """The questions grouped by kind of answer: "long free text: Challenges, Budget notes"."""
    groups: dict[str, list[str]] = {}
    for q in facts.questions:
        groups.setdefault(kind_label(q.kind), []).append(q.label)
    return [f"{kind}: {', '.join(labels)}" for kind, labels in groups.items()]


def invitee_data() -> list[str]:
    return [
        _("Name and email address"),
        _("Time zone and language of the booking page"),
        _("The optional message to the host, and reasons given when cancelling or rescheduling"),
        _("The meeting: event type, time, host, and its outcome (held, no-show, won or lost)"),
    ]


def attribution_data(facts: PrivacyFacts) -> list[str]:
    if not facts.attribution:
        return []
    items = [
        _(
            "With consent only: a random visitor id, the first and last campaign touch (UTM "
            "source, medium, campaign, term and content, the referring domain, the landing "
            "path) and the A/B variant shown"
        ),
        _("Consent decisions: time, page origin, notice version, purposes (no IP address)"),
    ]
    if facts.ads:
        items.append(_("With ads consent only: ad click ids (gclid, fbclid, msclkid)"))
    return items


def security_measures(facts: PrivacyFacts) -> list[str]:
    items = [
        _("Passwords stored only as Argon2 hashes"),
        ngettext(
            "Two-factor sign-in (TOTP) available; %(num)s of %(users)s active users use it",
            "Two-factor sign-in (TOTP) available; %(num)s of %(users)s active users use it",
            facts.users_with_totp,
            users=facts.users,
        ),
        _(
            "Secrets encrypted at rest (TOTP seeds, calendar passwords, webhook secrets: "
            "authenticated encryption with a key derived from the installation's secret key)"
        ),
        _(
            "Booking links and public forms signed (HMAC) and time-limited; details carried "
            "between public pages encrypted; calendar feed tokens and API keys stored only as "
            "hashes"
        ),
        _(
            "Strict Content-Security-Policy (no inline scripts, nothing from other domains), "
            "framing only by allowlisted pages, nosniff, Referrer-Policy and Permissions-Policy"
        ),
        _(
            "Admin session cookie HttpOnly and SameSite=Lax, limited to /admin; CSRF tokens on "
            "every admin form; roles (admin, manager, rep) checked on the server; audit log"
        ),
        _("Webhook payloads signed with HMAC-SHA256; outgoing requests refuse private networks"),
        _("IP addresses never stored in full: only the network prefix (IPv4 /24, IPv6 /48)"),
        _("Retention periods enforced by the worker: expired personal data is erased"),
    ]
    if facts.session_cookie_secure:
        items.append(_("The session cookie is sent over HTTPS only (Secure)"))
    if facts.rate_limits_on:
        items.append(_("Rate limits per network prefix on bookings, answers, consent and login"))
    return items


def retention_table(facts: PrivacyFacts) -> Table:
    return Table(
        (_("Data"), _("Kept for")),
        tuple((retention_label(k), period_text(facts.retention[k])) for k in KINDS),
    )


def recipients(facts: PrivacyFacts) -> list[str]:
    items = []
    if facts.mail_host:
        items.append(
            _("Email relay %(domain)s: the emails to invitees and hosts", domain=facts.mail_host)
        )
    for domain in facts.writeback_domains:
        items.append(
            _("CalDAV server %(domain)s: copies of bookings in hosts' calendars", domain=domain)
        )
    for connected in facts.calendar_connections:
        if connected.writes:
            items.append(
                _(
                    "%(domain)s (connected calendars): copies of bookings in hosts' calendars",
                    domain=connected.api_domain,
                )
            )
    for domain in facts.webhook_domains:
        items.append(_("Webhook receiver %(domain)s: booking and lead events", domain=domain))
    if "video" in facts.location_kinds and facts.video_domain:
        items.append(_("Video meetings at %(domain)s", domain=facts.video_domain))
    if facts.sso_domain:
        items.append(
            _(
                "Identity provider %(domain)s: single sign-on of admin users (it confirms "
                "their email address and name)",
                domain=facts.sso_domain,
            )
        )
    if facts.feeds:
        items.append(
            ngettext(
                "%(num)s calendar subscription feed, read by whoever holds its secret address",
                "%(num)s calendar subscription feeds, read by whoever holds their secret address",
                facts.feeds,
            )
        )
    if facts.api_keys:
        items.append(
            ngettext(
                "%(num)s API key: your integrations read bookings and leads",
                "%(num)s API keys: your integrations read bookings and leads",
                facts.api_keys,
            )
        )
    if facts.ads:
        items.append(
            _(
                "Advertising platforms: only through conversion files you download and upload "
                "yourself"
            )
        )
    return items or [_("None: no outside service receives personal data from Rendezvous")]


def record_blocks(facts: PrivacyFacts) -> tuple:
    """Art. 30(1) GDPR: one entry of the record of processing activities, for bookings."""
    subjects = [
        _("Prospects and invitees who answer the questions or book a call"),
        ngettext(
            "Admin users: %(num)s active account (admins, managers, reps)",
            "Admin users: %(num)s active accounts (admins, managers, reps)",
            facts.users,
        ),
    ]
    purposes = [
        _("Arranging, holding and following up sales calls that visitors book"),
        _("Qualifying requests and routing them to the right person or team"),
        _("Security of the service: rate limiting and login protection"),
    ]
    if facts.attribution:
        purposes.append(_("Measuring which campaigns and pages bring bookings, with consent"))
    if facts.ads:
        purposes.append(_("Reporting conversions to advertising platforms, with ads consent"))
    data = [_("Invitees: %(items)s", items="; ".join(invitee_data()))]
    data += [_("Answers, %(group)s", group=group) for group in answer_groups(facts)]
    data += attribution_data(facts)
    data.append(
        _("Network prefixes of clients (IPv4 /24, IPv6 /48) for rate limiting and login attempts")
    )
    data.append(
        _("Admin users: name, email, role, password hash, sign-in times and attempts, audit log")
    )
    if facts.outside_domains:
        transfers = _(
            "None outside the EU/EEA by the application itself: it runs on your server and "
            "loads nothing from other domains. Where these services process data is not known "
            "to the application; check each one and document a transfer mechanism where needed: "
            "%(domains)s.",
            domains=", ".join(facts.outside_domains),
        )
    else:
        transfers = _(
            "None outside the EU/EEA by the application itself: it runs on your server, loads "
            "nothing from other domains, and no outside service is configured."
        )
    blocks = [
        Heading(_("Controller")),
        Paragraph(facts.organisation_name),
        Heading(_("Processing activity")),
        Paragraph(_("Booking sales calls through Rendezvous (booking pages and embedded widget)")),
        Heading(_("Purposes")),
        Bullets(tuple(purposes)),
        Heading(_("Categories of data subjects")),
        Bullets(tuple(subjects)),
        Heading(_("Categories of personal data")),
        Bullets(tuple(data)),
    ]
    if facts.questions:
        blocks.append(questions_table(facts))
    blocks += [
        Heading(_("Recipients")),
        Bullets(tuple(recipients(facts))),
        Heading(_("Transfers to third countries")),
        Paragraph(transfers),
        Heading(_("Retention periods")),
        retention_table(facts),
        Heading(_("Technical and organisational security measures")),
        Bullets(tuple(security_measures(facts))),
    ]
    return tuple(blocks)


def notice_blocks(facts: PrivacyFacts) -> tuple:
    """Art. 13 GDPR: the booking part of the operator's privacy notice, in plain language."""
    org = facts.organisation_name
    collected = [_("your name and email address"), _("your time zone and language")]
    collected.append(_("the message you write to us, if any"))
    if facts.questions:
        labels = ", ".join(f"“{q.label}”" for q in facts.questions)
        collected.append(_("your answers to our questions: %(labels)s", labels=labels))
    blocks = [
        Heading(_("Booking a call with %(org)s", org=org)),
        Paragraph(
            _(
                "When you book a call with us, %(org)s is responsible for your personal data "
                "(the controller). We use our own booking system, Rendezvous, on our own "
                "server.",
                org=org,
            )
        ),
        Heading(_("What we collect and why")),
        Paragraph(
            _(
                "We collect %(items)s. We need this to arrange the call you ask for and to "
                "prepare it (Art. 6(1)(b) GDPR: steps you request before a contract).",
                items="; ".join(collected),
            )
        ),
    ]
    if facts.questions:
        blocks.append(Bullets(tuple(f"{q.label}: {question_purpose(q)}" for q in facts.questions)))
    if facts.scores or facts.disqualifies:
        blocks.append(
            Paragraph(
                _(
                    "Your answers decide automatically which of our team you talk to, or "
                    "whether we can offer a call at all. You can always write to us to ask "
                    "for a person to look at your request."
                )
            )
        )
    if facts.attribution:
        text = _(
            "Only if you agree, we remember which campaign or page brought you to us: a "
            "cookie on our own website (rv_attr), kept for up to %(days)s days, holds a "
            "random id and the campaign details. This helps us see which of our pages work "
            "(Art. 6(1)(a) GDPR: your consent). Booking works just the same if you say no, "
            "and you can withdraw your consent at any time in the cookie settings.",
            days=facts.cookie_days,
        )
        if not facts.embeddable:
            text = _(
                "Only if you agree, we remember which campaign link brought you to our "
                "booking page, with your booking (Art. 6(1)(a) GDPR: your consent). No cookie "
                "is used for this. Booking works just the same if you say no."
            )
        blocks.append(Paragraph(text))
    if facts.ads:
        blocks.append(
            Paragraph(
                _(
                    "If you also agree to ad measurement, we keep the ad click id from the ad "
                    "you clicked and may report the booking back to that advertising platform. "
                    "We do this ourselves by uploading a file; the booking system sends nothing "
                    "to advertising platforms."
                )
            )
        )
    blocks += [
        Heading(_("Who receives your data")),
        Bullets(tuple(recipients(facts))),
        Paragraph(
            _("We do not transfer your data outside the EU/EEA ourselves.")
            if not facts.outside_domains
            else _(
                "Our booking system sends nothing outside the EU/EEA by itself; the services "
                "listed above process your data on our behalf."
            )
        ),
        Heading(_("How long we keep it")),
        retention_table(facts),
        Heading(_("Your rights")),
        Paragraph(
            _(
                "You may ask us for access to your data, to correct or erase it, to restrict "
                "or object to its use, and for a copy to take elsewhere. Where you gave "
                "consent, you may withdraw it at any time. You may also complain to a data "
                "protection supervisory authority. The links in your booking emails let you "
                "cancel or reschedule your call yourself."
            )
        ),
    ]
    return tuple(blocks)
