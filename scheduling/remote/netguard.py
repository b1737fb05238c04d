"""Outgoing HTTP for webhooks: public addresses only (unless allowed), pinned, no redirects.

The host name is resolved once, every address is checked, and the connection goes to the checked
address (so DNS cannot answer differently between the check and the connect). Redirects are
returned as answers, never followed: a 3xx is a failed delivery. `timeout` bounds the whole
exchange (connect, send, status line, headers, body), not each socket read.
Pure: no Flask, no DB, no clock.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


class RefusedAddress(Exception):
    """The URL is not allowed (scheme, host, or an address that is not public)."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes
    duration_ms: int


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: the last 32 bits are IPv4
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use translation (RFC 8215)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
_CONTROL = {chr(c) for c in range(0x21)} | {chr(c) for c in range(0x7F, 0xA0)}


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses.

    The one address policy for everything the app fetches or posts (webhooks, calendar imports).
    An IPv6 address that carries an IPv4 one (::ffff:a.b.c.d, 6to4 2002::/16, NAT64
    64:ff9b::/96) is public only if the IPv4 address is: a translator would deliver to it.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not (embedded.is_global and not embedded.is_multicast):
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_odd_ipv4(host: str) -> bool:
    """True for IPv4 written other than as a.b.c.d (2130706433, 0x7f.1, 0177.0.0.1, 127.1)."""
    try:
        ipaddress.IPv4Address(host)
        return False
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query) of an http(s) URL, or RefusedAddress."""
    if any(char in _CONTROL for char in url):
        raise RefusedAddress("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        raise RefusedAddress("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise RefusedAddress("Only http:// and https:// URLs with a host name are allowed.")
    if parts.username or parts.password or "@" in parts.netloc:
        raise RefusedAddress("URLs with a user name or password are not allowed.")
    if "%" in hostname:
        raise RefusedAddress("IPv6 zone ids (such as %eth0) are not allowed in the URL.")
    if _is_odd_ipv4(hostname):
        raise RefusedAddress("Write an IPv4 address as four decimal numbers (a.b.c.d).")
    try:
        port = parts.port
    except ValueError:
        raise RefusedAddress("The port must be a number from 1 to 65535.") from None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    elif port == 0:
        raise RefusedAddress("The port must be a number from 1 to 65535.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, hostname, port, path


def resolve(host: str, port: int, allow_private: bool) -> str:
    """One address of `host` to connect to; every address it has must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise RefusedAddress(f"The host name could not be resolved ({exc}).") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise RefusedAddress("The host name has no address.")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedAddress(
                    f"{host} resolves to {address}, which is not a public address."
                )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


MAX_ANSWER = 64 * 1024


class Deadline:
    """Shut the connection's socket (its `.sock`: http.client, smtplib; or the attribute named by
    `socket_attr`) down when the whole exchange's time is up.

    A socket timeout bounds each read only: a receiver that drips its status line or headers a
    byte at a time would otherwise hold the worker for as long as it likes. shutdown() wakes a
    read blocked in another thread (close() would not).
    """

    def __init__(self, connection, seconds: float, socket_attr: str = "sock"):
        self.fired = False
        self._connection = connection
        self._socket_attr = socket_attr
        self._timer = threading.Timer(max(0.0, seconds), self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self._connection, self._socket_attr, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool):
    """POST once; the answer (any status, redirects included) or an OSError / RefusedAddress."""
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private)
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = cls(host, port, address, timeout)
    started = time.monotonic()
    deadline = Deadline(connection, timeout)
    try:
        with deadline:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = _read_answer(response, started + timeout)
        if deadline.fired:
            raise TimeoutError(f"The receiver timed out: no complete answer within {timeout:g} s.")
        return HttpAnswer(response.status, answer, int((time.monotonic() - started) * 1000))
    except (http.client.HTTPException, OSError) as exc:
        if deadline.fired:
            raise TimeoutError(
                f"The receiver timed out: no complete answer within {timeout:g} s."
            ) from None
        if isinstance(exc, http.client.HTTPException):
            # A garbled or cut-off answer is a failed attempt, like a reset.
            raise ConnectionError(f"The receiver's answer is not valid HTTP ({exc!r}).") from None
        raise
    finally:
        connection.close()


def _read_answer(response, deadline: float) -> bytes:
    """At most MAX_ANSWER bytes, and no later than the deadline (a receiver that trickles one
    byte per second would otherwise hold the worker for a long time)."""
    chunks, size = [], 0
    while size < MAX_ANSWER:
        if time.monotonic() > deadline:
            raise TimeoutError("The receiver did not finish its answer in time.")
        chunk = response.read1(min(8192, MAX_ANSWER - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
