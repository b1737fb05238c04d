"""The catalogues are complete where visitors read them and keep every placeholder.

For de, fr, es, it, nl, pl: every msgid of messages.pot used outside the admin (public pages,
widget, emails, .ics, visitor messages) has a non-empty, non-fuzzy translation; German also every
admin msgid. In every catalogue, a translation has the same placeholders as its msgid. And each
.po has exactly the .pot's msgids, so a forgotten `pybabel update` fails here.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "scheduling" / "web" / "translations"
LOCALES = ["de", "fr", "es", "it", "nl", "pl"]
ADMIN_PATHS = ("templates/admin/", "scheduling/web/admin/")
# %(name)s, %s, %d (not %%), {name} / {0} / {}, and HTML tags.
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdifr]|\{\w*\}|</?[a-zA-Z][^>]*>"
)


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _key(message):
    return message.id if isinstance(message.id, str) else tuple(message.id)


def _texts(value) -> list[str]:
    return [value] if isinstance(value, str) else [text for text in value if text is not None]


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def _is_public(message) -> bool:
    return any(not path.startswith(ADMIN_PATHS) for path, _line in message.locations)


@pytest.fixture(scope="module")
def template():
    return {_key(m): m for m in _read(TRANSLATIONS / "messages.pot") if m.id}


def _catalogue(locale):
    return {
        _key(m): m for m in _read(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po") if m.id
    }


def test_the_template_has_the_public_flow_and_the_emails(template):
    # A sanity check of the extraction itself: templates, emails and N_ messages are all in.
    ids = set(template)
    assert "Book a meeting" in ids
    assert "Confirmed: %(title)s with %(other)s on %(when)s" in ids
    assert "This time was just taken. Please pick another." in ids
    assert "%(title)s: %(invitee)s and %(host)s" in ids


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_is_up_to_date_with_the_template(template, locale):
    catalogue = _catalogue(locale)
    missing = sorted(map(str, set(template) - set(catalogue)))
    stale = sorted(str(k) for k, m in catalogue.items() if k not in template and not m.obsolete)
    assert not missing and not stale, (
        f"{locale}: run pybabel update; missing {missing[:5]}, stale {stale[:5]}"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_visitor_facing_message_is_translated(template, locale):
    catalogue = _catalogue(locale)
    wanted = [key for key, message in template.items() if locale == "de" or _is_public(message)]
    untranslated = []
    for key in wanted:
        message = catalogue.get(key)
        texts = _texts(message.string) if message is not None else []
        if not texts or not all(text.strip() for text in texts) or message.fuzzy:
            untranslated.append(key)
    assert not untranslated, (
        f"{locale}: {len(untranslated)} of {len(wanted)} messages untranslated or fuzzy, "
        f"e.g. {untranslated[:5]}"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale):
    wrong = []
    for key, message in _catalogue(locale).items():
        sources = _texts(message.id)
        for index, text in enumerate(_texts(message.string)):
            if not text:
                continue
            # Plural forms: the first is checked against the singular, the others the plural.
            expected = _placeholders(sources[min(index, len(sources) - 1)])
            if _placeholders(text) != expected:
                wrong.append((key, text))
    assert not wrong, f"{locale}: placeholders differ in {wrong[:5]}"


def test_the_placeholder_check_sees_what_it_should():
    assert _placeholders("Hello %(name)s, <b>%d</b> {0} 100%%") == Counter(
        ["%(name)s", "<b>", "%d", "</b>", "{0}"]
    )
    assert _placeholders("%(n)s minutes") != _placeholders("%(m)s Minuten")
