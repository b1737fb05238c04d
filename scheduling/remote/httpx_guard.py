"""An httpx transport with the public-address guard of remote/netguard.py.

Every request's host is resolved once, every address it has must be public (unless the operator
allows private ones), and the connection goes to exactly the checked address, with the original
host name kept for the Host header, SNI and the certificate check: a DNS answer that changes
between check and connect (rebinding) cannot reach another machine. Plain http only where
private addresses are allowed (tests, development). Redirects are never followed by the clients
that use it (httpx's default). Pure: no Flask, no DB, no clock.
"""

import ssl

import httpx

from .netguard import RefusedAddress, check_url, resolve


class GuardedTransport(httpx.BaseTransport):
    """Checks and pins each request's address, then hands it to a normal HTTP transport."""

    def __init__(self, allow_private: bool = False, cafile: str | None = None):
        self._allow_private = allow_private
        context = ssl.create_default_context(cafile=cafile)
        self._inner = httpx.HTTPTransport(verify=context)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" and not self._allow_private:
            raise RefusedAddress("Only https:// addresses are allowed.")
        _scheme, host, port, _path = check_url(str(url))
        address = resolve(host, port, self._allow_private)
        request.url = url.copy_with(host=address)
        request.extensions = {**request.extensions, "sni_hostname": host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
