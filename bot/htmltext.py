"""HTML fragments from feeds -> plain text, with a real HTML5 parser (selectolax/lexbor).

Scripts, styles and other non-text elements are dropped, entities decoded, block elements
become line breaks, and whitespace is normalised: paragraphs are separated by one "\n", runs of
spaces inside a paragraph become one space. Text without markup skips the parser.

The parser's work grows with the square of the nesting depth (100,000 nested `<div>`s: 14 s),
so a fragment nested deeper than MAX_DEPTH is not parsed: its tags are stripped by a regular
expression instead (plain text, paragraphs lost). Depth is estimated from the tags alone, and
only for fragments with more than MAX_DEPTH tags (fewer cannot nest deeper).
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

from bot.text import strip_controls

_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "form",
    "button",
    "select",
    "head",
]
_BLOCKS = (
    "p, div, br, li, ul, ol, h1, h2, h3, h4, h5, h6, tr, table, blockquote, pre, "
    "section, article, header, footer, figure, figcaption, hr, dd, dt"
)
_MARKUP = re.compile(r"<[a-zA-Z!/?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_LINES = re.compile(r"\s*\n\s*")
MAX_DEPTH = 1000  # lexbor parses 1,000 nested elements in ~2 ms
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_ANY_TAG = re.compile(r"<[^>]*>")
# Elements that never hold others (void) or that close themselves when a sibling opens.
_FLAT = {
    *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"),
    *("track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option"),
}


def to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (or of plain text, normalised)."""
    if not fragment:
        return ""
    text = fragment
    for _pass in range(2):  # a second pass for markup escaped twice ("&lt;p&gt;…")
        if not _MARKUP.search(text):
            break
        text = _parse(text)
    return normalise(html.unescape(text) if _ENTITY.search(text) else text)


def too_deep(fragment: str, limit: int = MAX_DEPTH) -> bool:
    """Does `fragment` nest elements deeper than `limit`? (linear; skipped for few tags)"""
    if fragment.count("<") <= limit:
        return False
    depth = 0
    for tag in _TAG.finditer(fragment):
        closing, name, self_closing = tag.groups()
        if self_closing or name.lower() in _FLAT:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > limit:
            return True
    return False


def _parse(fragment: str) -> str:
    if too_deep(fragment):
        return _ANY_TAG.sub(" ", fragment)
    # In HTML a line break in the source is just a space; paragraphs come from the elements.
    tree = LexborHTMLParser(_WHITESPACE.sub(" ", fragment))
    tree.strip_tags(_DROP)
    for node in tree.css(_BLOCKS):
        node.insert_after("\n")
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


def normalise(text: str) -> str:
    text = strip_controls(_INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()
