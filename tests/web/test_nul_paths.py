"""NUL in a URL path is a 404 on every route (PostgreSQL once answered 500: it cannot compare
text containing NUL)."""

import re

import pytest

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def nul_paths(app) -> list[tuple[str, str]]:
    """(method, path) for every rule in the URL map, each argument replaced by one with NUL."""
    found = []
    for rule in app.url_map.iter_rules():
        path = ARGUMENT.sub("a%00b", rule.rule)
        if path == rule.rule:
            path = rule.rule.rstrip("/") + "/x%00"  # no argument: NUL in a last segment
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def test_the_list_covers_public_admin_and_api_routes(app):
    paths = {path for _, path in nul_paths(app)}
    assert "/book/a%00b" in paths
    assert "/booking/a%00b/a%00b" in paths
    assert any(path.startswith("/admin/") for path in paths)
    assert any(path.startswith("/api/v1/") for path in paths)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "admin"])
def test_nul_anywhere_in_a_path_is_a_404(app, client, login_as, make_event_type, logged_in):
    event_type = make_event_type(slug="intro")
    if logged_in:
        login_as("admin", org=event_type.organisation)
    failures = []
    for method, path in nul_paths(app):
        response = client.open(path, method=method)
        if response.status_code != 404:
            failures.append((method, path, response.status_code))
        elif path.startswith("/api/"):
            assert response.json["error"] == "not_found"
    assert failures == []


@pytest.mark.parametrize(
    "path",
    ["/book/intro%00", "/book/in%00tro", "/booking/abc%00/tok", "/api/v1/event-types/intro%00"],
)
def test_nul_next_to_a_real_slug_is_a_404(client, make_event_type, path):
    make_event_type(slug="intro")
    assert client.get(path).status_code == 404
