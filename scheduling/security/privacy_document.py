"""A generated privacy document (headings, paragraphs, lists, tables) and its two file forms.

Pure: no Flask, no DB, no clock. The admin area builds documents from the live configuration
(web/admin/privacy/documents_content.py); this module turns one into Markdown or into a
standalone HTML file: self-contained, no external URL, its one style block allowed by hash in
its own Content-Security-Policy (the same policy the download is served with).
"""

import base64
import hashlib
import html
from dataclasses import dataclass, field

from scheduling.attribution.storage_inventory import markdown_cell


@dataclass(frozen=True)
class Heading:
    text: str
    kind: str = field(default="heading", init=False)


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind: str = field(default="bullets", init=False)


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: str = field(default="table", init=False)


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    blocks: tuple
    # Shown under the title: for which organisation, from which configuration, when.
    subtitle: str = ""
    language: str = "en"


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1a1a1a}"
    "table{border-collapse:collapse;width:100%;margin:1rem 0}"
    "th,td{border:1px solid #999;padding:.35rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#eee}.meta{color:#555}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# Nothing loads, nothing runs; only the inline style above, by its hash. The file carries the
# policy in a meta element (where frame-ancestors is ignored); the download is served with it.
META_CSP = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; form-action 'none'"
)
STANDALONE_CSP = META_CSP + "; frame-ancestors 'none'"

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*[]<>"})


def _md_text(text: str) -> str:
    """Text from the configuration as Markdown that renders as itself (no links, no HTML)."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def to_markdown(doc: Document) -> str:
    lines = [f"# {_md_text(doc.title)}", ""]
    if doc.subtitle:
        lines += [_md_text(doc.subtitle), ""]
    for block in doc.blocks:
        if block.kind == "heading":
            lines += [f"## {_md_text(block.text)}", ""]
        elif block.kind == "paragraph":
            lines += [_md_text(block.text), ""]
        elif block.kind == "bullets":
            lines += [f"- {_md_text(item)}" for item in block.items] + [""]
        elif block.kind == "table":
            lines.append("| " + " | ".join(markdown_cell(c) for c in block.columns) + " |")
            lines.append("|" + "|".join("---" for _ in block.columns) + "|")
            lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def body_html(doc: Document) -> str:
    """The blocks as HTML (escaped), without the title."""
    parts = []
    for block in doc.blocks:
        if block.kind == "heading":
            parts.append(f"<h2>{_e(block.text)}</h2>")
        elif block.kind == "paragraph":
            parts.append(f"<p>{_e(block.text)}</p>")
        elif block.kind == "bullets":
            items = "".join(f"<li>{_e(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif block.kind == "table":
            head = "".join(f'<th scope="col">{_e(c)}</th>' for c in block.columns)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def to_standalone_html(doc: Document) -> str:
    """A complete HTML file: opens from disk, loads nothing, carries its own strict CSP."""
    subtitle = f'<p class="meta">{_e(doc.subtitle)}</p>\n' if doc.subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(doc.language)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(META_CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{_e(doc.title)}</h1>\n{subtitle}{body_html(doc)}\n</body>\n</html>\n"
    )
