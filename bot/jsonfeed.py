"""A small JSON Feed (https://jsonfeed.org, versions 1 and 1.1) reader beside feedparser.

feedparser 6.0.x on PyPI does not read JSON Feed, so `load` maps one onto the same shape as a
feedparser result (`feed` and `entries` with feedparser's key names) for `parse` to consume.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.errors import ParseError


def looks_like(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org" in body[:4096]


def load(body: bytes, feed_name: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(
            f"{feed_name}: invalid JSON ({exc})",
            hint="the feed claims to be JSON but is not valid JSON",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        raise ParseError(
            f"{feed_name}: JSON without a JSON Feed `items` list",
            hint="check the URL points at a JSON Feed",
        )
    feed = {"title": _str(data.get("title")), "link": _str(data.get("home_page_url"))}
    entries = [_entry(item) for item in data.get("items", []) if isinstance(item, dict)]
    return {"feed": feed, "entries": entries, "version": "json1"}


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    content = _str(item.get("content_html")) or _str(item.get("content_text"))
    authors = item.get("authors") or (
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
        "tags": [{"term": _str(t)} for t in item.get("tags") or [] if isinstance(t, str)],
    }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
