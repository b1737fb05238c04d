"""The stylesheets assume no writing direction: logical properties, never left or right."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
SHEETS = sorted([*STATIC.glob("css/*.css"), *STATIC.glob("demo/*.css")])

# One declaration: property and value, comments removed.
DECLARATION = re.compile(r"([a-zA-Z-]+)\s*:\s*([^;{}]+)")
COMMENT = re.compile(r"/\*.*?\*/", re.S)
# Properties whose value, not name, names a side.
SIDED_VALUES = {"float", "clear", "text-align", "caption-side", "resize"}
BOX_SHORTHANDS = {"margin", "padding", "inset", "border-width", "border-style", "border-color"}


def physical_declarations(css: str) -> list[str]:
    """Return the declarations of `css` that name a physical left or right side."""
    found = []
    for body in re.findall(r"\{([^{}]*)\}", COMMENT.sub("", css)):
        for prop, value in DECLARATION.findall(body):
            prop, value = prop.lower(), value.strip().lower()
            words = value.split()
            sided_name = re.search(r"(^|-)(left|right)(-|$)", prop)
            sided_value = prop in SIDED_VALUES and {"left", "right"} & set(words)
            # Four values: the second is the right side, the fourth the left one.
            sided_box = prop in BOX_SHORTHANDS and len(words) == 4 and words[1] != words[3]
            if sided_name or sided_value or sided_box:
                found.append(f"{prop}: {value}")
    return found


def embed_js_styles() -> str:
    """The inline styles embed.js gives the elements it adds to a customer's page."""
    source = (STATIC / "embed.js").read_text()
    return "".join("x{" + css + "}" for css in re.findall(r'cssText\s*=\s*"([^"]*)"', source))


def test_the_checker_finds_physical_sides():
    css = """a { margin-left: 1px; padding: 0 1px 0 2px; text-align: right; float: left;
      border-top-right-radius: 2px; right: 0; }
      b { margin-inline-start: 1px; padding: 0 1px; text-align: start; float: inline-end;
      inset-inline-end: 0; border-start-end-radius: 2px; margin: 1px 2px 3px 2px; }"""
    assert physical_declarations(css) == [
        "margin-left: 1px",
        "padding: 0 1px 0 2px",
        "text-align: right",
        "float: left",
        "border-top-right-radius: 2px",
        "right: 0",
    ]


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stylesheet_uses_logical_properties(sheet):
    assert physical_declarations(sheet.read_text()) == []


def test_embed_js_injects_only_logical_styles():
    styles = embed_js_styles()
    assert "float:inline-end" in styles  # the reader found the styles
    assert physical_declarations(styles) == []
