"""The booking page's first load: bytes on the wire, compressed, and what the browser loads next.

Run: .venv/bin/python bench/bench_page.py
Seeds bench/seed.py's data in SQLite, asks /book/<slug> through the Flask stack with
Accept-Encoding: gzip, and fetches the stylesheets and scripts the page links. When the server
does not compress, the gzip size (level 6, as nginx and most servers) is computed here as well.
It also says whether a script reloads the page (a second document load) on first visit.
"""

import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import NOW, seed  # noqa: E402

from scheduling import clock, create_app  # noqa: E402
from scheduling.extensions import db  # noqa: E402


def sizes(response) -> tuple[int, int, str]:
    """(bytes sent, gzip bytes, encoding sent)"""
    sent = response.data
    encoding = response.headers.get("Content-Encoding", "")
    body = gzip.decompress(sent) if encoding == "gzip" else sent
    return len(sent), len(gzip.compress(body, 6)), encoding or "none"


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    clock.utcnow = lambda: NOW
    with app.app_context():
        db.create_all()
        slugs = seed(NOW)
        db.session.commit()
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"}  # what the figures compare (br is smaller still)
    page = client.get(f"/book/{slugs['singles'][0]}", headers=headers)
    assert page.status_code == 200, page.status_code
    html = (
        gzip.decompress(page.data) if page.headers.get("Content-Encoding") == "gzip" else page.data
    )
    text = html.decode()
    print("| resource | sent bytes | gzip bytes | Content-Encoding sent |")
    print("| --- | --- | --- | --- |")
    total_sent, total_gzip = 0, 0
    sent, packed, encoding = sizes(page)
    total_sent, total_gzip = total_sent + sent, total_gzip + packed
    print(f"| page HTML ({len(html)} bytes uncompressed) | {sent} | {packed} | {encoding} |")
    links = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', text)
    reloads = []
    for link in links:
        response = client.get(link, headers=headers)
        sent, packed, encoding = sizes(response)
        total_sent, total_gzip = total_sent + sent, total_gzip + packed
        print(f"| {link} | {sent} | {packed} | {encoding} |")
        if link.endswith(".js") and re.search(
            rb"location\.(replace|assign|reload)|location\.href\s*=", response.data
        ):
            reloads.append(link)
    print(f"| total first load | {total_sent} | {total_gzip} | |")
    options = text.count("<option")
    print(f"time-zone options in the page: {options}")
    if reloads:
        print(
            "second document load: yes, when the browser's zone differs from the default and "
            f"the URL names none ({', '.join(reloads)} calls location.replace)"
        )
    else:
        print("second document load: none")


if __name__ == "__main__":
    main()
