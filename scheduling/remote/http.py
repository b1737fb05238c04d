"""A small HTTP client for calendar servers: SSRF guard, deadlines, size limits, readable errors.

No Flask, no DB. It resolves the host once, refuses private, loopback, link-local and reserved
addresses (unless the operator allows them), and connects to exactly the address it checked, so
a DNS answer that changes between check and connect (rebinding) cannot slip through.
"""

import http.client
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from .netguard import Deadline, is_public

USER_AGENT = "Rendezvous calendar import (+https://rendezvous.invalid)"
REDIRECTS = 5


class FetchError(Exception):
    """The calendar could not be fetched; the message is shown to the host."""


@dataclass(frozen=True)
class Policy:
    """What the operator allows: private addresses (tests, intranet servers), time and size."""

    allow_private: bool = False
    timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024
    # Custom CA bundle for tests; None uses the system's trust store.
    cafile: str | None = None


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    url: str = ""


def normalise_url(url: str, allow_http: bool) -> str:
    """webcal:// and webcals:// mean https; plain http only where the operator allows it."""
    url = url.strip()
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise FetchError("The address contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port like 99999 or "abc")
    except ValueError:
        raise FetchError("This is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        url = "https" + url[len(parts.scheme) :]
        scheme = "https"
    if scheme == "http" and not allow_http:
        raise FetchError("Use an https:// or webcal:// address (plain http is not allowed).")
    if scheme not in ("http", "https"):
        raise FetchError("The address must start with https:// or webcal://.")
    if not parts.hostname:
        raise FetchError("The address has no host name.")
    if parts.username or parts.password:
        raise FetchError("Put the username and password in their own fields, not in the address.")
    return url


def resolve(host: str, port: int, policy: Policy) -> str:
    """One address to connect to; every address of the name must pass the check."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"The host name {host} could not be found.") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchError(f"The host name {host} could not be found.")
    if not policy.allow_private and not all(is_public(address) for address in addresses):
        raise FetchError(
            f"{host} points to a private or local network address, which calendar imports "
            "may not reach."
        )
    return addresses[0]


def _connection(url: str, policy: Policy, deadline: float):
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve(parts.hostname, port, policy)
    timeout = max(0.1, min(policy.timeout, deadline - time.monotonic()))
    if https:
        context = ssl.create_default_context(cafile=policy.cafile)
        conn = http.client.HTTPSConnection(parts.hostname, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)

    def connect_checked(_address, timeout=timeout, source_address=None):
        sock = socket.create_connection((address, port), timeout, source_address)
        conn.raw_socket = sock  # for the deadline watchdog
        return sock

    conn._create_connection = connect_checked  # connect to the address we checked, not a re-resolve
    conn.raw_socket = None
    return conn


def _too_large(policy: Policy) -> FetchError:
    return FetchError(f"The calendar is larger than {policy.max_bytes // (1024 * 1024)} MB.")


def _gunzip(body: bytes, policy: Policy) -> bytes:
    """Content-Encoding: gzip, unpacked with the same size limit (a small bomb stays small)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, policy.max_bytes + 1)
    except zlib.error:
        raise FetchError("The server sent a damaged compressed answer (gzip).") from None
    if len(data) > policy.max_bytes or inflater.unconsumed_tail:
        raise _too_large(policy)
    return data


def _read(response, policy: Policy, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(f"The calendar is larger than {policy.max_bytes // (1024 * 1024)} MB.")
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"The server did not finish answering within {policy.timeout:g} s.")
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"The calendar is larger than {policy.max_bytes // (1024 * 1024)} MB.")
        chunks.append(chunk)


def request(
    method: str,
    url: str,
    policy: Policy,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """One request (GETs follow redirects, each one checked again); raise FetchError."""
    deadline = time.monotonic() + policy.timeout
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
    for _ in range(REDIRECTS + 1):
        url = normalise_url(url, allow_http=policy.allow_private)
        conn = _connection(url, policy, deadline)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # The plain socket, also during the TLS handshake (http.client wraps it afterwards).
        watchdog = Deadline(conn, deadline - time.monotonic(), socket_attr="raw_socket")
        try:
            with watchdog:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                answer = Response(
                    response.status,
                    {key.lower(): value for key, value in response.getheaders()},
                    b"",
                    url,
                )
                redirect = method == "GET" and response.status in (301, 302, 303, 307, 308)
                if not redirect:
                    answer.body = _read(response, policy, deadline)
            if watchdog.fired:
                raise _late(policy)
        except FetchError:
            raise
        except Exception as exc:
            raise _late(policy) if watchdog.fired else _explain(exc, policy) from None
        finally:
            conn.close()
        if redirect:
            location = answer.headers.get("location")
            if not location:
                raise FetchError(f"The server redirected (HTTP {answer.status}) nowhere.")
            url = urljoin(url, location)
            continue
        if answer.headers.get("content-encoding", "").strip().lower() in ("gzip", "x-gzip"):
            answer.body = _gunzip(answer.body, policy)
        return answer
    raise FetchError("The server redirected too many times.")


def _late(policy: Policy) -> FetchError:
    return FetchError(f"The server did not answer within {policy.timeout:g} s.")


def _explain(exc: Exception, policy: Policy) -> FetchError:
    """A host-readable message for a network failure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchError(f"The server's certificate could not be verified ({exc.verify_message}).")
    if isinstance(exc, ssl.SSLError):
        return FetchError(f"The secure connection failed ({exc.reason}).")
    if isinstance(exc, TimeoutError):
        return FetchError(f"The server did not answer within {policy.timeout:g} s.")
    if isinstance(exc, ConnectionRefusedError):
        return FetchError("The server refused the connection.")
    if isinstance(exc, OSError | http.client.HTTPException | ValueError):
        return FetchError(f"The connection failed ({type(exc).__name__}: {exc}).")
    raise exc


def explain_status(status: int) -> str:
    """A host-readable message for an unsuccessful HTTP status."""
    if status in (401, 403):
        return f"The server refused the username or password (HTTP {status})."
    if status in (404, 410):
        return f"Nothing was found at this address (HTTP {status}); check the URL."
    if status >= 500:
        return f"The calendar server had an error (HTTP {status}); it will be retried."
    return f"The calendar server answered HTTP {status}."
