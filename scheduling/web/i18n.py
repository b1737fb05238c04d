"""Which language a request is answered in, and the language menu of the public pages.

Public pages, in this order: an explicit `lang` in the URL (the language menu, the widget's
`data-locale`, which embed.js passes to the frame as `lang`), the browser's Accept-Language, the
event type's default language, English. The choice lives in the URL only (no cookie): every link
and redirect of the public flow carries `lang` on (url_defaults). Admin pages follow
Accept-Language among ADMIN_LANGUAGES.
"""

from urllib.parse import urlencode

from flask import current_app, g, has_request_context, request, url_for
from flask_babel import get_locale, refresh
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from scheduling.extensions import db
from scheduling.models import Booking, EventType

# Each language in its own words (what a visitor looks for in the menu).
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
}
# POST-only pages: the menu links to the page the visitor came from instead.
_GET_EQUIVALENT = {"public.qualify_answers": "public.book"}
# Form fields of a POST page that the GET page needs again (never the visitor's details).
_KEPT_FORM_FIELDS = ("start", "tz", "lead")


def languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def normalise(value: object) -> str | None:
    """A supported language code from user input (`de`, `DE`, `de-AT`, `de_AT`), else None."""
    if not isinstance(value, str) or not value or len(value) > 20:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in languages() else None


def explicit_locale() -> str | None:
    """The language asked for in the URL, when it is one we have (forms post to URLs with it)."""
    if not has_request_context():
        return None
    return normalise(request.args.get("lang"))


def _is_admin() -> bool:
    return request.blueprint == "admin" or request.path.startswith("/admin")


def _event_type_default() -> str | None:
    """The default language of the event type the page belongs to (by slug or booking uid)."""
    view_args = request.view_args or {}
    if g.get("database_unavailable"):
        return None
    try:
        if "slug" in view_args:
            value = db.session.scalar(
                db.select(EventType.default_locale).where(EventType.slug == view_args["slug"])
            )
        elif "uid" in view_args:
            value = db.session.scalar(
                db.select(EventType.default_locale)
                .join(Booking, Booking.event_type_id == EventType.id)
                .where(Booking.uid == view_args["uid"])
            )
        else:
            return None
    except SQLAlchemyError:  # a database outage page still renders, in English at worst
        return None
    return normalise(value)


def select_locale() -> str:
    """Flask-Babel's locale selector (called at most once per request)."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    if not has_request_context():
        return default
    if _is_admin():
        return request.accept_languages.best_match(current_app.config["ADMIN_LANGUAGES"]) or default
    return (
        explicit_locale()
        or request.accept_languages.best_match(languages())
        or _event_type_default()
        or default
    )


def _url_defaults(endpoint: str, values: dict) -> None:
    """Carry the visitor's explicit language through every link of the public flow."""
    if not endpoint.startswith("public.") or "lang" in values or not has_request_context():
        return
    lang = explicit_locale()
    if lang:
        values["lang"] = lang


def _page_args() -> dict:
    args = {key: value for key, value in request.args.items(multi=True) if key != "lang"}
    if request.method == "POST":
        for key in _KEPT_FORM_FIELDS:
            if request.form.get(key) and key not in args:
                args[key] = request.form[key]
    return args


def language_menu() -> list[dict]:
    """The menu's entries: this page in each language (plain links: no script, no cookie)."""
    current = str(get_locale() or "en")
    path = request.path
    if request.method == "POST" and request.endpoint in _GET_EQUIVALENT:
        path = url_for(_GET_EQUIVALENT[request.endpoint], **(request.view_args or {}))
        path = path.split("?")[0]
    args = _page_args()
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES.get(code, code),
            "href": f"{path}?{urlencode({**args, 'lang': code})}",
            "current": code == current,
        }
        for code in languages()
    ]


def lang_field() -> Markup:
    """A hidden `lang` input for GET forms (their action's query string is dropped)."""
    lang = explicit_locale()
    if not lang:
        return Markup("")
    return Markup('<input type="hidden" name="lang" value="%s">') % escape(lang)


def _fresh_locale() -> None:
    # Flask-Babel keeps the chosen locale in `g`, which outlives a request when the request runs
    # inside an app context pushed earlier (the worker's, tests'): choose again per request.
    refresh()


def install(app) -> None:
    """Hook the locale rules into the app (called once by the factory)."""
    app.before_request(_fresh_locale)
    app.url_defaults(_url_defaults)
    app.add_template_global(language_menu)
    app.add_template_global(get_locale)  # <html lang="{{ get_locale() }}">
    app.add_template_global(lang_field)
