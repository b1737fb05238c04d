"""Which PUBLIC_URL can receive provider pushes (remote/push_channels.public_https)."""

import pytest

from scheduling.remote.push_channels import public_https


@pytest.mark.parametrize(
    "url",
    [
        "https://book.example.eu",
        "https://book.example.eu/sub/",
        "https://8.8.8.8",
        "https://x.io:8443",
    ],
)
def test_public_https(url):
    assert public_https(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://book.example.eu",
        "https://localhost",
        "https://localhost:5000",
        "https://app.localhost",
        "https://127.0.0.1",
        "https://10.0.0.7",
        "https://192.168.1.2",
        "https://[::1]",
        "https://[fd00::1]",
        "https://169.254.1.1",
        "https://intranet",
        "https://book.test",
        "https://printer.local",
        "ftp://book.example.eu",
        "https://[bad",
    ],
)
def test_not_public_https(url):
    assert not public_https(url)
