"""Outgoing HTTP for webhooks: public addresses only (unless allowed), pinned, no redirects.

The host name is resolved once, every address is checked, and the connection goes to the checked
address (so DNS cannot answer differently between the check and the connect). Redirects are
returned as answers, never followed: a 3xx is a failed delivery.
Pure: no Flask, no DB, no clock.
"""

import http.client
import ipaddress
import socket
import ssl
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


def is_public(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-with-query) of an http(s) URL, or RefusedAddress."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress("Only http:// and https:// URLs with a host name are allowed.")
    if parts.username or parts.password:
        raise RefusedAddress("URLs with a user name or password are not allowed.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedAddress("The port is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def resolve(host: str, port: int, allow_private: bool) -> str:
    """One address of `host` to connect to; every address it has must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"The host name could not be resolved ({exc}).") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise RefusedAddress("The host name has no address.")
    if not allow_private:
        for address in addresses:
            if not is_public(address.split("%")[0]):
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


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool):
    """POST once; the answer (any status, redirects included) or an OSError / RefusedAddress."""
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, allow_private)
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = cls(host, port, address, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER)
        return HttpAnswer(response.status, answer, int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
