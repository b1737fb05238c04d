"""Privacy -> Documents (admins and managers): each generated document, in the admin UI and as
Markdown or standalone HTML downloads. The texts are documents_content.py; the facts they are
written from are operations/privacy_documents.py (read fresh on every request)."""

from flask import Response, current_app, render_template, request
from flask_babel import get_locale

from scheduling import clock
from scheduling.errors import NotFound
from scheduling.operations.privacy_documents import InstallationSettings, collect_facts
from scheduling.security.privacy_document import (
    STANDALONE_CSP,
    Document,
    to_markdown,
    to_standalone_html,
)
from scheduling.web.admin.access import current_user, roles_required
from scheduling.web.admin.blueprint import bp

from .documents_content import BUILDERS, TITLES, build_document


def _installation() -> InstallationSettings:
    config = current_app.config
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    seconds = lifetime.total_seconds() if hasattr(lifetime, "total_seconds") else lifetime
    return InstallationSettings(
        public_url=config.get("PUBLIC_URL") or request.host_url,
        mail_host=config.get("MAIL_HOST") or "",
        mail_security=config.get("MAIL_SECURITY") or "",
        session_cookie_name=config["SESSION_COOKIE_NAME"],
        session_cookie_path=config.get("SESSION_COOKIE_PATH") or "/",
        session_lifetime_seconds=int(seconds),
        session_cookie_secure=bool(config.get("SESSION_COOKIE_SECURE")),
        jitsi_base_url=config.get("JITSI_BASE_URL") or "",
        rate_limits_on=bool(config.get("RATE_LIMIT_ENABLED", True)),
        default_language=config.get("BABEL_DEFAULT_LOCALE") or "en",
    )


def _document(slug: str) -> Document:
    if slug not in BUILDERS:
        raise NotFound("No such document.")
    facts = collect_facts(current_user().organisation, _installation())
    return build_document(slug, facts, clock.utcnow().date().isoformat(), str(get_locale() or "en"))


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/privacy/documents")
@roles_required("admin", "manager")
def privacy_documents():
    return render_template("admin/privacy/documents.html", titles=TITLES)


@bp.get("/privacy/documents/<slug>")
@roles_required("admin", "manager")
def privacy_documents_view(slug: str):
    return render_template("admin/privacy/documents_view.html", doc=_document(slug))


@bp.get("/privacy/documents/<slug>.md")
@roles_required("admin", "manager")
def privacy_documents_markdown(slug: str):
    doc = _document(slug)
    return _download(to_markdown(doc), "text/markdown", f"{doc.slug}.md")


@bp.get("/privacy/documents/<slug>.html")
@roles_required("admin", "manager")
def privacy_documents_html(slug: str):
    doc = _document(slug)
    response = _download(to_standalone_html(doc), "text/html", f"{doc.slug}.html")
    # Its one inline style is allowed by hash, as in the file's own meta policy.
    response.headers["Content-Security-Policy"] = STANDALONE_CSP
    return response
