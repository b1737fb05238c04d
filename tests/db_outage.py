"""A second app on the test database whose connection the test can take away and give back.

PostgreSQL: the app connects through a loopback TCP proxy (tests/tcp_proxy.py) that is cut.
SQLite: the app opens the test database through a link to its directory; removing the link
makes every new connection fail ("unable to open database file"). Both are genuine driver errors.
"""

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from scheduling import create_app
from scheduling.extensions import db
from tests.conftest import PG_URL, USE_PG, _config
from tests.tcp_proxy import TcpProxy


@dataclass
class Outage:
    app: Flask
    cut: Callable[[], None]
    restore: Callable[[], None]


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (open SQLite ones would keep reading the file)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def database_outage(tmp_path: Path, **settings):
    """Yield an Outage; the test database must already exist (the `app` fixture)."""
    if USE_PG:
        url = make_url(PG_URL)
        with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            proxied = url.set(host="127.0.0.1", port=proxy.port)
            uri = proxied.render_as_string(hide_password=False)
            faulty = create_app(_config(SQLALCHEMY_DATABASE_URI=uri, **settings))
            yield Outage(faulty, proxy.cut, proxy.restore)
            dispose(faulty)
        return
    link = tmp_path / "link"
    os.symlink(tmp_path, link)
    uri = f"sqlite:///{link / 'test.db'}"
    faulty = create_app(_config(SQLALCHEMY_DATABASE_URI=uri, **settings))

    def cut():
        link.unlink()
        dispose(faulty)

    def restore():
        os.symlink(tmp_path, link)

    yield Outage(faulty, cut, restore)
    if not link.is_symlink():
        restore()
    dispose(faulty)
