"""Real servers on loopback for calendar tests: an ICS file server (plain and TLS) and Radicale."""

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scheduling.remote.http import Policy, request

LOCAL = Policy(allow_private=True, timeout=10)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    etag: str = ""
    # "hang": accept and never answer; "stream": send body forever (no Content-Length);
    # "drip": send the status line, then one header byte every 0.2 s (each read is quick).
    behaviour: str = ""
    headers: dict = field(default_factory=dict)


class IcsServer:
    """Serves routes set by the test; honours If-None-Match; counts requests."""

    def __init__(self, tls_context: ssl.SSLContext | None = None):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.behaviour == "hang":
                    server.release.wait(30)
                    return
                if route.behaviour == "drip":
                    try:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                        self.wfile.flush()
                        while not server.release.wait(0.2):
                            self.wfile.write(b"a")
                            self.wfile.flush()
                    except OSError:
                        pass
                    return
                if route.behaviour == "stream":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/calendar")
                    self.end_headers()
                    chunk = b"X" * 65536
                    try:
                        while not server.release.is_set():
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(route.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ics_server():
    server = IcsServer()
    yield server
    server.close()


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no system trusts (the test can trust it on purpose)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = IcsServer(context)
    server.cafile = str(cert)
    yield server
    server.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Radicale:
    """A real Radicale 3 process on loopback with a temporary storage folder."""

    def __init__(self, folder: Path, htpasswd: Path | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-delay",
            "0",
            "--logging-level",
            "warning",
        ]
        if htpasswd is None:
            args += ["--auth-type", "none", "--rights-type", "authenticated"]
        else:
            args += [
                "--auth-type",
                "htpasswd",
                "--auth-htpasswd-filename",
                str(htpasswd),
                "--auth-htpasswd-encryption",
                "plain",
                "--no-auth-cache-logins",
            ]
        self.log = open(folder / "radicale.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((folder / "radicale.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("Radicale did not start")

    def make_calendar(self, user: str, name: str, password: str = "") -> str:
        """MKCALENDAR /user/name/ and return its URL."""
        import base64

        url = f"{self.url}/{user}/{name}/"
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        response = request("MKCALENDAR", url, LOCAL, {"Authorization": f"Basic {auth}"})
        assert response.status == 201, response
        return url

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def radicale(tmp_path):
    folder = tmp_path / "radicale"
    folder.mkdir()
    server = Radicale(folder)
    yield server
    server.stop()


@pytest.fixture
def radicale_htpasswd(tmp_path):
    """Radicale with a password file; the test may rewrite it to change a password."""
    folder = tmp_path / "radicale-auth"
    folder.mkdir()
    htpasswd = folder / "users"
    htpasswd.write_text("alice:first-secret\n")
    server = Radicale(folder, htpasswd)
    server.htpasswd = htpasswd
    yield server
    server.stop()


def env_ci() -> bool:
    return bool(os.environ.get("CI"))
