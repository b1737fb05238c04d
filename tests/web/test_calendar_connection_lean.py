"""The calendar connection clients stay out of web workers until a connection is used."""

from tests.web.test_lean_workers import _modules_after


def test_the_wsgi_app_does_not_load_authlib_or_httpx(tmp_path):
    modules = _modules_after("import app", tmp_path)
    assert "scheduling.remote.oauth_flow" in modules  # the routes are there ...
    assert not {m for m in modules if m.split(".")[0] in ("authlib", "httpx", "cryptography")}
    used = _modules_after(
        "from scheduling.remote import oauth_flow\n"
        "p = oauth_flow.google('https://a.test/auth', 'https://a.test/token', 'https://a.test')\n"
        "oauth_flow.authorization_url(p, oauth_flow.Client('id', 's', 'https://b.test/cb'))",
        tmp_path,
    )
    assert "authlib.integrations.httpx_client" in used  # ... and load it when used
