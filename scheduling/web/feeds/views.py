"""GET /feeds/host/<token>.ics and /feeds/team/<token>.ics: iCalendar feeds for calendar apps.

The token in the URL is the only credential (calendar apps cannot log in). Answers carry ETag and
Last-Modified and give 304 to conditional requests; they never set a cookie.
"""

from datetime import timedelta

from flask import Blueprint, current_app, request
from werkzeug.http import http_date, parse_date

from scheduling import clock
from scheduling.errors import NotFound
from scheduling.operations.calendar_feeds import build_feed, find_feed

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


def _not_modified(feed) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only without it."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        weak = {tag.removeprefix("W/") for tag in tags}
        return "*" in tags or feed.etag in weak
    since = parse_date(request.headers.get("If-Modified-Since"))
    if since is None:
        return False
    return feed.last_modified.replace(microsecond=0) <= since


def _answer(kind: str, token: str):
    token = token.removesuffix(".ics")
    row = find_feed(kind, token)
    if row is None:
        raise NotFound("No such calendar feed. It may have been replaced by a new address.")
    config = current_app.config
    feed = build_feed(
        row,
        clock.utcnow(),
        timedelta(minutes=config["FEED_REFRESH_MINUTES"]),
        config["FEED_PAST_DAYS"],
    )
    headers = {
        "ETag": feed.etag,
        "Last-Modified": http_date(feed.last_modified),
        # Private: a shared cache must not keep one person's calendar; no-cache: revalidate.
        "Cache-Control": "private, no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }
    if _not_modified(feed):
        # Still a calendar: a 304 refreshes the stored headers, so it gets the calendar's policy.
        return current_app.response_class(status=304, headers=headers, mimetype="text/calendar")
    response = current_app.response_class(feed.render(), mimetype="text/calendar", headers=headers)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="bookings.ics"'
    return response


@bp.get("/host/<token>")
def host_feed(token: str):
    return _answer("host", token)


@bp.get("/team/<token>")
def team_feed(token: str):
    return _answer("team", token)
