"""Direct booking links (/book/<slug>?utm_source=...): the organisation's own consent prompt.

Off by default (Admin → Embed, "own prompt"). When it is on and the link carries campaign
values, the booking page asks first. Accepting logs a consent record (source `prompt`, our own
origin) and continues with a signed token in the URL that holds the consent id and the
link's touch; every link and form of the flow carries it on (like embed mode, no cookie), and
the lead or booking stores the touch with that same record. Click ids stay only when the
visitor also ticked ad measurement (`ads`). Refusing continues without the campaign values.
"""

import json

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import get_locale

from scheduling import clock
from scheduling.attribution import TOUCH_KEYS, ConsentDecision, clean_touch, notice_hash
from scheduling.attribution.touches import CLICK_ID_KEYS
from scheduling.extensions import db
from scheduling.models import EventType
from scheduling.operations.bookings import get_event_type
from scheduling.operations.embed_settings import log_direct_consent, prompt_text, settings_of
from scheduling.web.security import (
    check_form_token,
    check_same_origin_post,
    make_form_token,
    read_form_token,
)

PARAM = "rvc"
# Link parameters that make a touch; referrer and path are the server's own knowledge.
LINK_KEYS = tuple(key for key in TOUCH_KEYS if key not in ("referrer", "path"))
CARRIED = ("public.book", "public.confirm", "public.qualify_answers")


def _link_values() -> dict[str, str]:
    return {key: request.args[key][:200] for key in LINK_KEYS if request.args.get(key)}


def _before():
    g.direct_attribution = None
    g.direct_token = None
    if g.get("embed"):
        return
    claims = read_form_token(request.values.get(PARAM), "attribution")
    if claims is not None and claims.get("event") == (request.view_args or {}).get("slug"):
        g.direct_attribution = claims
        g.direct_token = request.values.get(PARAM)


def _url_defaults(endpoint: str, values: dict) -> None:
    if g.get("direct_token") and endpoint in CARRIED:
        values.setdefault(PARAM, g.direct_token)


def _prompt_context() -> dict:
    """The prompt, on a direct link's first page with campaign values and no answer yet."""
    if g.get("embed") or g.get("direct_token") or request.method != "GET":
        return {}
    if request.endpoint != "public.book":
        return {}
    values = _link_values()
    if not values:
        return {}
    slug = (request.view_args or {}).get("slug")
    org_id = db.session.scalar(db.select(EventType.organisation_id).where(EventType.slug == slug))
    if org_id is None:
        return {}
    settings = settings_of(org_id)
    if not settings.own_prompt:
        return {}
    return {
        "direct_prompt": {
            "text": prompt_text(settings),
            "action": url_for("public.direct_consent", slug=slug),
            "values": values,
            "token": make_form_token(kind="direct-consent", event=slug),
            "has_click_id": any(k in values for k in ("gclid", "wbraid", "gbraid", "msclkid")),
        }
    }


def direct_consent(slug: str):
    """Log the visitor's answer to the own prompt; continue to the booking page."""
    event_type = get_event_type(slug)
    check_same_origin_post()
    check_form_token(request.form.get("form_token", ""), kind="direct-consent", event=slug)
    settings = settings_of(event_type.organisation_id)
    granted = request.form.get("choice") == "yes"
    ads = granted and request.form.get("ads") == "yes"
    decision = ConsentDecision(
        host_origin=request.host_url.rstrip("/"),
        decision="granted" if granted else "refused",
        source="prompt",
        notice_hash=notice_hash(prompt_text(settings)),
        language=str(get_locale() or "und").replace("_", "-"),
        purposes=("attribution", "ads") if ads or not granted else ("attribution",),
    )
    record = log_direct_consent(event_type.organisation_id, decision, clock.utcnow())
    db.session.commit()
    if not granted:
        return redirect(url_for("public.book", slug=slug), code=303)
    raw = {key: request.form.get(key, "") for key in LINK_KEYS}
    raw.update(at=int(clock.utcnow().timestamp() * 1000), path=f"/book/{slug}")
    touch = clean_touch(raw)
    kept = {key: getattr(touch, key) for key in TOUCH_KEYS if getattr(touch, key)}
    if not ads:  # without ads consent the click ids do not even travel in the link
        kept = {key: value for key, value in kept.items() if key not in CLICK_ID_KEYS}
    token = make_form_token(
        kind="attribution",
        event=slug,
        consent=record.consent_id,
        touch=json.dumps({**kept, "at": raw["at"]}),
    )
    return redirect(url_for("public.book", slug=slug, **{PARAM: token}), code=303)


def direct_payload() -> str | None:
    """The attribution a direct link's consent carries, in the widget's payload shape."""
    claims = g.get("direct_attribution")
    if not claims:
        return None
    touch = json.loads(claims["touch"])
    return json.dumps(
        {"visitor": claims["consent"], "consent": claims["consent"], "first": touch, "last": touch}
    )


def install_direct_consent(public_bp: Blueprint) -> None:
    """Hook the direct link's prompt into the public blueprint (called once by the factory)."""
    public_bp.before_request(_before)
    public_bp.url_defaults(_url_defaults)
    public_bp.context_processor(_prompt_context)
    public_bp.add_url_rule(
        "/book/<slug>/consent", "direct_consent", direct_consent, methods=["POST"]
    )
