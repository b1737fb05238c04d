"""The deployment examples in deploy/ parse and pass what the app needs (X-Forwarded-*)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import crossplane
import pytest
from gunicorn.app.base import Application

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PLACEHOLDER = re.compile(r"\{[^{}\s]+\}")


class _ConfigProbe(Application):
    """Gunicorn's own loader for a config file, without reading sys.argv or starting anything."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__()

    def load_config(self):
        self.load_config_from_file(str(self.path))

    def load(self):
        raise AssertionError("not started")


def test_gunicorn_config_loads_with_gunicorns_config(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("RENDEZVOUS_BIND", raising=False)
    cfg = _ConfigProbe(DEPLOY / "gunicorn.conf.py").cfg
    assert cfg.bind == ["127.0.0.1:8000"]
    assert 2 <= cfg.workers <= 8
    assert cfg.worker_class_str == "sync"
    assert cfg.preload_app is False
    assert cfg.max_requests > 0 and cfg.timeout == 30
    assert "127.0.0.1" in cfg.forwarded_allow_ips


def test_gunicorn_check_config_accepts_the_file_and_the_app(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.db'}",
        "WEB_CONCURRENCY": "2",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--check-config",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _directives(block: list[dict], name: str) -> list[dict]:
    """Every directive called name, at any depth."""
    found = []
    for item in block:
        if item["directive"] == name:
            found.append(item)
        found.extend(_directives(item.get("block", []), name))
    return found


def test_nginx_example_parses_and_forwards_what_proxyfix_reads():
    parsed = crossplane.parse(
        str(DEPLOY / "nginx.conf"), check_ctx=True, check_args=True, single=True
    )
    assert parsed["status"] == "ok", parsed["errors"]
    config = parsed["config"][0]["parsed"]
    headers = {d["args"][0]: d["args"][1] for d in _directives(config, "proxy_set_header")}
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-Host"] == "$host"
    assert headers["Host"] == "$host"
    assert [d["args"] for d in _directives(config, "server") if d.get("args")] == [
        ["127.0.0.1:8000"]
    ]
    assert [d["args"] for d in _directives(config, "proxy_pass")] == [["http://rendezvous"]]
    # nginx must not compress: the app leaves admin pages uncompressed on purpose (BREACH).
    assert [d["args"] for d in _directives(config, "gzip")] == [["off"]]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path):
    """`nginx -t` on the example, with a throw-away certificate in place of Let's Encrypt's."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=book.example.eu", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (DEPLOY / "nginx.conf").read_text()
    text = text.replace("/etc/letsencrypt/live/book.example.eu/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/book.example.eu/privkey.pem", str(key))
    mime = tmp_path / "mime.types"
    mime.write_text("types { text/html html; text/css css; }\n")
    text = text.replace("/etc/nginx/mime.types", str(mime))
    # Logs and temporary files under tmp_path: the test needs no /var/log or /var/lib/nginx.
    local = "".join(
        f"    {kind}_temp_path {tmp_path / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace("http {", f"http {{\n    access_log off;\n{local}", 1)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\n{text}")
    result = subprocess.run(
        ["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def caddy_blocks(text: str) -> list[tuple[str, list]]:
    """A small Caddyfile reader: (line, children) per directive or block; braces must balance."""
    root: list = []
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line == "}":
            assert len(stack) > 1, f"line {number}: '}}' without a block"
            stack.pop()
            continue
        bare = PLACEHOLDER.sub("", line)  # {http.request.port} and the like are no blocks
        assert "{" not in bare[:-1] and "}" not in bare, f"line {number}: one brace per line"
        if line.endswith("{"):
            node = (line[:-1].strip(), [])
            stack[-1].append(node)
            stack.append(node[1])
        else:
            stack[-1].append((line, []))
    assert len(stack) == 1, "unclosed block"
    return root


def test_caddyfile_example_is_well_formed_and_proxies_to_gunicorn():
    sites = caddy_blocks((DEPLOY / "Caddyfile").read_text())
    assert [site for site, _ in sites] == ["book.example.eu"]
    directives = {line.split()[0]: (line, children) for line, children in sites[0][1]}
    assert directives["reverse_proxy"][0] == "reverse_proxy 127.0.0.1:8000"
    # Caddy passes X-Forwarded-For/-Proto/-Host by default; the example must not strip them.
    for line, _ in directives["reverse_proxy"][1]:
        assert not line.startswith("header_up -X-Forwarded"), line
    assert "encode" not in directives  # BREACH: the app decides what is compressed


def test_caddy_reader_refuses_broken_files():
    with pytest.raises(AssertionError):
        caddy_blocks("example.com {\n  reverse_proxy 127.0.0.1:8000\n")
    with pytest.raises(AssertionError):
        caddy_blocks("example.com {\n}\n}\n")
