"""A small JSON Feed (https://jsonfeed.org, versions 1 and 1.1) reader beside feedparser.

feedparser 6.0.x on PyPI does not read JSON Feed, so `load` maps one onto the same shape as a
feedparser result (`feed` and `entries` with feedparser's key names) for `parse` to consume.

Hostile or broken values never fail the feed: a field of the wrong type is ignored (as the spec
asks of readers), a number longer than MAX_DIGITS digits is kept as its text, and a value nested
deeper than MAX_DEPTH (json's recursion limit is ~1,000) is replaced by null before decoding,
so the item holding it keeps its other fields; the feed's problem note says so.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.errors import ParseError

MAX_DIGITS = 100
MAX_DEPTH = 64  # a JSON Feed is at most 4 levels deep (feed, items, item, author)
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]|[^"\[\]{}]+|"')


def _number(text: str) -> int | str:
    return int(text) if len(text) <= MAX_DIGITS else text


def looks_like(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org" in body[:4096]


def load(body: bytes, feed_name: str) -> dict[str, Any]:
    problem = None
    try:
        text = body.decode("utf-8-sig")
        try:
            data = json.loads(text, parse_int=_number)
        except RecursionError:
            text, dropped = _flatten(text, MAX_DEPTH)
            data = json.loads(text, parse_int=_number)
            problem = f"{dropped} value(s) nested deeper than {MAX_DEPTH} levels were dropped"
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ParseError(
            f"{feed_name}: invalid JSON ({str(exc)[:200]})",
            hint="the feed claims to be JSON but is not valid JSON",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        raise ParseError(
            f"{feed_name}: JSON without a JSON Feed `items` list",
            hint="check the URL points at a JSON Feed",
        )
    feed = {"title": _str(data.get("title")), "link": _str(data.get("home_page_url"))}
    entries = [_entry(item) for item in data.get("items", []) if isinstance(item, dict)]
    return {"feed": feed, "entries": entries, "version": "json1", "problem": problem}


def _flatten(text: str, limit: int) -> tuple[str, int]:
    """`text` with every array/object deeper than `limit` replaced by null (strings untouched)."""
    out: list[str] = []
    depth = dropped = 0
    for token in _TOKENS.finditer(text):
        piece = token.group(0)
        if piece in ("[", "{"):
            depth += 1
            if depth == limit + 1:
                out.append("null")
                dropped += 1
        elif piece in ("]", "}"):
            depth -= 1
            if depth == limit:
                continue
        if depth <= limit:
            out.append(piece)
    return "".join(out), dropped


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    content = _str(item.get("content_html")) or _str(item.get("content_text"))
    authors = _list(item.get("authors")) or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    return {
        "id": _str(item.get("id")),
        "link": _str(item.get("url")) or _str(item.get("external_url")),
        "title": _str(item.get("title")),
        "summary": _str(item.get("summary")),
        "content": [{"value": content}] if content else [],
        "published_at": _date(item.get("date_published")) or _date(item.get("date_modified")),
        "authors": [{"name": _str(a.get("name"))} for a in authors if isinstance(a, dict)],
        "tags": [{"term": _str(t)} for t in _list(item.get("tags")) if isinstance(t, str)],
    }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or one that leaves datetime's range in UTC
        return None
