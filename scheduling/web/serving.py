"""How answers leave the app: compression, content-hashed static URLs and their caching, HSTS.

Compression (Flask-Compress, br or gzip) applies to public pages, the API, feeds and static files,
never under /admin/: admin pages carry a session-bound CSRF token next to reflected input (search
boxes, filters), the mix a BREACH attacker measures through compressed sizes. Public pages set no
cookie and hold no secret of the visitor's session, so compressing them gives nothing away.
"""

import hashlib
import mimetypes
import re
from pathlib import Path

from flask import current_app, request
from flask_compress import Compress
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

# Customers paste this URL into their pages: it must stay stable, so it is cached briefly instead.
EMBED_SCRIPT = "embed.js"
EMBED_MAX_AGE = 300
IMMUTABLE = "public, max-age=31536000, immutable"
HSTS_DEFAULT_MAX_AGE = 63_072_000  # two years
NOT_COMPRESSED_PREFIXES = ("/admin",)
_CODING_SUFFIX = re.compile(r':(?:br|gzip)"$')
_ORIGINAL_IF_NONE_MATCH = "rendezvous.if_none_match"


def static_hashes(folder: str | Path) -> dict[str, str]:
    """Map each static file's path (with forward slashes) to a short hash of its content."""
    root = Path(folder)
    hashes = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            hashes[path.relative_to(root).as_posix()] = digest
    return hashes


def _add_static_version(endpoint: str, values: dict) -> None:
    """url_for('static', filename=...) gets ?v=<content hash>, except the stable embed.js."""
    if endpoint != "static" or "v" in values:
        return
    filename = values.get("filename")
    digest = _digest(filename) if isinstance(filename, str) else None
    if digest and filename != EMBED_SCRIPT:
        values["v"] = digest


def _digest(filename: str) -> str | None:
    """The content hash computed at start; read again in debug mode, where files get edited."""
    if current_app.debug:
        path = safe_join(current_app.static_folder, filename)
        if path is None or not Path(path).is_file():
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return current_app.extensions["rendezvous_static_hashes"].get(filename)


def _static(filename: str):
    """Static files with their content hash as ETag; a year's cache when the URL names it."""
    digest = _digest(filename)
    if digest is None:
        raise NotFound()
    path = Path(safe_join(current_app.static_folder, filename))
    response = current_app.response_class(
        path.read_bytes(), mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    response.set_etag(digest)
    response.last_modified = int(path.stat().st_mtime)
    if filename == EMBED_SCRIPT:
        response.headers["Cache-Control"] = f"public, max-age={EMBED_MAX_AGE}"
    elif request.args.get("v") == digest:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"  # an old or no version: revalidate
    return response.make_conditional(request)


def _accept_encoded_etags() -> None:
    """Let views match an If-None-Match that carries the ':gzip' or ':br' suffix compression added.

    A feed or static file can then answer 304 before building its body.
    """
    value = request.environ.get("HTTP_IF_NONE_MATCH")
    if not value or ":" not in value:
        return
    tags = [tag.strip() for tag in value.split(",") if tag.strip()]
    bare = [_CODING_SUFFIX.sub('"', tag) for tag in tags]
    request.environ[_ORIGINAL_IF_NONE_MATCH] = value
    request.environ["HTTP_IF_NONE_MATCH"] = ", ".join(dict.fromkeys(tags + bare))


def _restore_encoded_etag(response) -> None:
    """A 304 a view answered to a compressed tag names that tag again, as the 200 did."""
    etag, weak = response.get_etag()
    original = request.environ.get(_ORIGINAL_IF_NONE_MATCH, "")
    if etag and not weak:
        for coding in ("br", "gzip"):
            if f'"{etag}:{coding}"' in original:
                response.set_etag(f"{etag}:{coding}")
                return


def _compress(response):
    """Compress what the client accepts, except admin pages (BREACH) and answers setting cookies."""
    if (
        request.path.startswith(NOT_COMPRESSED_PREFIXES)
        or "Set-Cookie" in response.headers
        or response.status_code == 206  # a byte range of the file, not of a compressed body
    ):
        return response
    if response.status_code == 304:
        _restore_encoded_etag(response)
    return current_app.extensions["rendezvous_compress"].after_request(response)


def _hsts(response):
    """HSTS in production over https (request or PUBLIC_URL); never in development."""
    config = current_app.config
    if not config["PRODUCTION"] or current_app.debug:
        return response
    max_age = int(config.get("HSTS_MAX_AGE", HSTS_DEFAULT_MAX_AGE))
    if max_age > 0 and (request.is_secure or config["PUBLIC_URL"].startswith("https://")):
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={max_age}; includeSubDomains"
        )
    return response


def install(app) -> None:
    """Wire compression, static URLs and caching, HSTS; register before other after_request hooks.

    Flask runs after_request hooks in reverse order, so compression registered first runs last,
    on the final headers and body.
    """
    app.config.setdefault("COMPRESS_REGISTER", False)  # _compress decides per request
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed answers (CSV) go as they are
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "text/calendar",
            "image/svg+xml",
        ],
    )
    app.extensions["rendezvous_compress"] = Compress(app)
    app.extensions["rendezvous_static_hashes"] = static_hashes(app.static_folder)
    app.url_defaults(_add_static_version)
    app.view_functions["static"] = _static
    app.before_request(_accept_encoded_etags)
    app.after_request(_compress)
    app.after_request(_hsts)
