"""A temporary catalogue, so tests see translated text whatever the translators' progress."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from scheduling.extensions import babel


@pytest.fixture
def catalogue(app, tmp_path):
    """`catalogue("de", {"msgid": "msgstr"})` installs a one-off catalogue for that language."""
    config = app.extensions["babel"]
    saved = list(config.translation_directories)
    root = tmp_path / "translations"

    def install(locale: str, entries: dict[str, str]) -> Path:
        catalog = Catalog(locale=locale)
        for msgid, msgstr in entries.items():
            catalog.add(msgid, msgstr)
        target = root / locale / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        with (target / "messages.mo").open("wb") as out:
            write_mo(out, catalog)
        config.translation_directories = [str(root)]
        babel.domain_instance.cache.clear()  # Flask-Babel caches catalogues per process
        return root

    yield install
    config.translation_directories = saved
    babel.domain_instance.cache.clear()
