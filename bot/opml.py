"""OPML subscription lists, read safely and written plainly.

`read_opml(data)` returns the feeds of an OPML file (Feedly, Inoreader, NetNewsWire, any
OPML 1.0/2.0 export) as `Outline` values in document order: an outline with an `xmlUrl` is a
feed; an outline without one is a folder whose text becomes a category of the feeds inside it,
joined by the feed's own `category` attribute (OPML 2.0: comma-separated, slash-delimited).

The bytes come from people (a file on disk, a URL given in Slack), so parsing is bounded and
inert: defusedxml refuses any DTD, hence any entity (billion laughs) or external entity
(XXE, a network or file read); nothing is fetched. `MAX_BYTES`, `MAX_OUTLINES` and `MAX_DEPTH`
are constants, not config: real subscription lists are tens to a few thousand feeds in well
under a megabyte, each imported feed costs one fetch now and a poll every 15 minutes after, so
a file beyond them is a mistake or an attack, and no operator needs to tune that.

`write_opml(outlines)` is the inverse: OPML 2.0, one folder per first category, every category
also in the `category` attribute, so importing the export gives the same feeds back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from bot.errors import HubnewsError

MAX_BYTES = 8 * 1024 * 1024  # a 5,000-feed export is about 1 MB
MAX_OUTLINES = 20_000  # feeds and folders together
MAX_DEPTH = 64  # folders within folders; real exports nest one or two deep

_EXPORT_HINT = (
    "export your subscriptions as OPML from your feed reader (its import/export settings) "
    "and import that file"
)


class OpmlError(HubnewsError):
    """The bytes are not a usable OPML subscription list (malformed, not OPML, empty, too big)."""


@dataclass(frozen=True, slots=True)
class Outline:
    title: str
    xml_url: str
    html_url: str = ""
    categories: tuple[str, ...] = ()


def read_opml(data: bytes, *, source: str = "the OPML file") -> list[Outline]:
    """The feeds in `data`, in document order; `OpmlError` (with the next step) otherwise."""
    if not data.strip():
        raise OpmlError(f"{source} is empty", hint=_EXPORT_HINT)
    if len(data) > MAX_BYTES:
        raise OpmlError(
            f"{source} is larger than {MAX_BYTES:,} bytes",
            hint="split it into smaller files; a subscription list this large is unusual",
        )
    outlines: list[Outline] = []
    folders: list[str | None] = []  # one entry per open <outline>: its folder name, or None
    count, root = 0, None
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
            tag = _local(element.tag)
            if root is None:
                root = tag
                if tag != "opml":
                    raise OpmlError(
                        f"{source} is XML but not OPML (its root element is <{tag}>)",
                        hint=_EXPORT_HINT,
                    )
            if tag != "outline":
                if event == "end" and tag != "opml":
                    element.clear()
                continue
            if event == "end":
                folders.pop()
                element.clear()
                continue
            count += 1
            if count > MAX_OUTLINES:
                raise OpmlError(
                    f"{source} has more than {MAX_OUTLINES:,} outlines",
                    hint="split it into smaller files",
                )
            if len(folders) >= MAX_DEPTH:
                raise OpmlError(
                    f"{source} nests outlines more than {MAX_DEPTH} deep",
                    hint="flatten its folders in your reader and export again",
                )
            attrs = {key.lower(): value.strip() for key, value in element.attrib.items()}
            title = attrs.get("text") or attrs.get("title") or ""
            url = attrs.get("xmlurl", "")
            if url:
                outlines.append(_outline(title, url, attrs, folders))
            folders.append(None if url else title or None)
    except ElementTree.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise OpmlError(
            f"{source} is not well-formed XML (line {line}, column {column})",
            hint="open it in a browser to see the fault, or export it again from your reader",
        ) from None
    except DefusedXmlException:
        raise OpmlError(
            f"{source} declares a DTD or entities, which OPML never needs; refused unread",
            hint="remove the <!DOCTYPE ...> declaration, or export the list again",
        ) from None
    if not outlines:
        raise OpmlError(f"{source} lists no feeds (no outline has an xmlUrl)", hint=_EXPORT_HINT)
    return outlines


def write_opml(outlines: Iterable[Outline], *, title: str = "hubnews feeds") -> bytes:
    """An OPML 2.0 document: feeds grouped in a folder per first category."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ElementTree.SubElement(root, "body")
    folders: dict[str, ElementTree.Element] = {}
    for outline in outlines:
        parent = body
        if outline.categories:
            first = outline.categories[0]
            if first not in folders:
                folders[first] = ElementTree.SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        attrs = {
            "type": "rss",
            "text": outline.title or outline.xml_url,
            "title": outline.title or outline.xml_url,
            "xmlUrl": outline.xml_url,
        }
        if outline.html_url:
            attrs["htmlUrl"] = outline.html_url
        if outline.categories:
            attrs["category"] = ",".join(c.replace(",", " ") for c in outline.categories)
        ElementTree.SubElement(parent, "outline", attrs)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _outline(title: str, url: str, attrs: dict[str, str], folders: list[str | None]) -> Outline:
    categories = [name for name in folders if name]
    for entry in attrs.get("category", "").split(","):
        entry = entry.strip().strip("/")
        if entry:
            categories.append(entry)
    return Outline(
        title=title,
        xml_url=url,
        html_url=attrs.get("htmlurl", ""),
        categories=tuple(dict.fromkeys(categories)),
    )


def _local(tag: object) -> str:
    """'{namespace}outline' -> 'outline'; comments and processing instructions -> ''."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""
