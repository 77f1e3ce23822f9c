"""Feed bytes -> `Story` values. feedparser's dicts never leave this module.

`parse(fetched, feed_name, feed_identity)` hands the bytes to feedparser as a stream (never a
URL or path, so it cannot fetch), or to the JSON Feed adapter when the body is JSON, and maps
every entry to a frozen `Story`. A bozo feed that still yields entries is kept and its problem
returned in `Parsed.problem`; bytes that are no feed at all (empty, an HTML page, garbage) raise
`ParseError` with what to do.

One malformed item (a field of the wrong type, a date out of range, a link with port 99999) is
skipped and named in `Parsed.problem` and a log line; the feed and its other items are kept.

Dates. A date before 1990 or more than a day ahead of now is implausible: .NET writes
`0001-01-01` for "no date", broken CMSs write 1970 or 9999. Such an item is kept with
`published = None`, i.e. "no date": ordering, search and retention then use the time it was
first fetched, exactly as for an item that gives no date. Keeping the false date would sort a
9999 story above every search forever (and never prune it) and hold a 0001 story as "old"; the
fetch time is the best date we actually know. Each such date is logged (`event=implausible_date`).

Work is bounded before feedparser runs: an element with more than MAX_ATTRIBUTES attributes
(feedparser's attribute handling is quadratic: 40,000 take ~16 s) refuses the feed with a
`ParseError`. HTML-to-text bounds its own work (`bot.htmltext`).
"""

from __future__ import annotations

import calendar
import io
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from bot import jsonfeed
from bot.errors import ParseError
from bot.fetch import Fetched
from bot.htmltext import to_text
from bot.story import Source, Story
from bot.urls import canonical_url, domain, story_key

# feedparser resolves relative links against this when the feed gives no base of its own.
feedparser.RESOLVE_RELATIVE_URIS = True

log = logging.getLogger(__name__)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # no news feed item is older than the web
AHEAD = timedelta(days=1)  # time zones and clock skew; anything later is a false date
MAX_ATTRIBUTES = 1000  # attributes on one element (a real feed has a handful)
_LONG_TAG = re.compile(rb"<[^<>]{4000,}>")  # 1,000 attributes need at least ~4,000 bytes


@dataclass(frozen=True, slots=True)
class Parsed:
    title: str
    stories: list[Story]
    problem: str | None = None  # why the feed is "bozo", when it still parsed
    ttl_minutes: int | None = None  # RSS <ttl>, for polite polling


def parse(
    fetched: Fetched, feed_name: str, feed_identity: str, now: datetime | None = None
) -> Parsed:
    """The feed's stories; `now` (default: the clock) decides which dates are plausible."""
    now = now or datetime.now(UTC)
    body = fetched.body
    if not body.strip():
        raise ParseError(
            f"{feed_name}: the response is empty",
            hint="the server sent no content; check the feed URL",
        )
    if jsonfeed.looks_like(body, fetched.headers.get("content-type", "")):
        document = jsonfeed.load(body, feed_name)
        return _from_document(
            document, feed_name, feed_identity, fetched.url, now, document.get("problem")
        )
    _check_attributes(body, feed_name)
    headers = dict(fetched.headers)
    if fetched.url.startswith(("http://", "https://")):
        headers.setdefault("content-location", fetched.url)
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not result.entries and not result.get("version"):
        raise ParseError(f"{feed_name}: {_not_a_feed(body, result)}", hint=_not_a_feed_hint(body))
    problem = _problem(result) if result.get("bozo") else None
    return _from_document(result, feed_name, feed_identity, fetched.url, now, problem)


def _check_attributes(body: bytes, feed_name: str) -> None:
    """Refuse a feed with an element of more than MAX_ATTRIBUTES attributes (before parsing)."""
    for tag in _LONG_TAG.finditer(body):
        count = tag.group(0).count(b"=")
        if count > MAX_ATTRIBUTES:
            raise ParseError(
                f"{feed_name}: an element carries about {count} attributes "
                f"(more than {MAX_ATTRIBUTES}); refused unparsed",
                hint="the feed is broken or hostile; ask its publisher to fix it",
            )


def _from_document(
    document: Mapping[str, Any],
    feed_name: str,
    feed_identity: str,
    fetched_url: str,
    now: datetime,
    problem: str | None = None,
) -> Parsed:
    meta = document.get("feed", {})
    title = to_text(_text(meta.get("title"))) or feed_name
    feed_domain = domain(_text(meta.get("link"))) or domain(fetched_url)
    stories, skipped = [], []
    for number, entry in enumerate(document.get("entries", []), 1):
        try:
            stories.append(_story(entry, feed_name, feed_identity, title, feed_domain, now))
        except (
            TypeError,
            ValueError,
            AttributeError,
            KeyError,
            OverflowError,
            RecursionError,
        ) as exc:
            name = _entry_name(entry, number)
            log.warning(
                "event=item_skipped feed=%s item=%r error=%s: %s",
                feed_name,
                name,
                type(exc).__name__,
                str(exc)[:200],
            )
            skipped.append(f"{name} ({type(exc).__name__})")
    if skipped:
        note = f"{len(skipped)} malformed item(s) skipped: " + "; ".join(skipped[:3])
        problem = f"{problem}; {note}" if problem else note
    ttl = meta.get("ttl")
    return Parsed(
        title=title,
        stories=stories,
        problem=problem,
        ttl_minutes=int(ttl) if str(ttl or "").isdigit() and len(str(ttl)) < 7 else None,
    )


def _entry_name(entry: Any, number: int) -> str:
    """How a log line names an item: its id, link or title, else its position."""
    if isinstance(entry, Mapping):
        for field in ("id", "link", "title"):
            value = entry.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip()[:120]
    return f"item {number}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _story(
    entry: dict[str, Any],
    feed_name: str,
    feed_identity: str,
    feed_title: str,
    feed_domain: str,
    now: datetime,
) -> Story:
    link = (entry.get("link") or "").strip()
    original = (entry.get("feedburner_origlink") or "").strip()
    guid = (entry.get("id") or "").strip()
    title = to_text(entry.get("title", ""))
    content = max(
        (to_text(part.get("value", "")) for part in entry.get("content", [])), key=len, default=""
    )
    description = to_text(entry.get("summary", ""))
    key_link = original or link
    return Story(
        key=story_key(feed_identity=feed_identity, guid=guid, link=key_link, title=title),
        url=link,
        title=title,
        source=Source(feed=feed_name, title=feed_title, domain=domain(key_link) or feed_domain),
        published=plausible(_published(entry), now, feed_name, guid or link),
        description=description,
        content=content if content != description else "",
        canonical_url=canonical_url(key_link),
        guid=guid,
        authors=tuple(a["name"] for a in entry.get("authors", []) if a.get("name")),
        feed_tags=tuple(t["term"] for t in entry.get("tags", []) if t.get("term")),
    )


def _published(entry: dict[str, Any]) -> datetime | None:
    if isinstance(entry.get("published_at"), datetime):  # from the JSON Feed adapter
        return entry["published_at"]
    # dict.get, not FeedParserDict.get, which maps a missing key onto another and warns.
    fields = ("published_parsed", "updated_parsed", "created_parsed")
    parsed: time.struct_time | None = next(
        (value for name in fields if (value := dict.get(entry, name))), None
    )
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def plausible(
    moment: datetime | None, now: datetime, feed_name: str = "", item: str = ""
) -> datetime | None:
    """`moment`, or None when it is before 1990 or more than a day ahead (module docstring)."""
    if moment is None or EARLIEST <= moment <= now + AHEAD:
        return moment
    log.warning(
        "event=implausible_date feed=%s item=%r date=%s treated_as=undated",
        feed_name,
        item[:120],
        moment.isoformat(),
    )
    return None


def _problem(result: Mapping[str, Any]) -> str:
    exc = result.get("bozo_exception")
    name = type(exc).__name__ if exc else "unknown problem"
    text = str(exc).splitlines()[0][:200] if exc and str(exc) else ""
    return f"{name}: {text}" if text else name


def _not_a_feed(body: bytes, result: Mapping[str, Any]) -> str:
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "this is an HTML page, not a feed"
    if body.count(b"\x00") > len(body) // 20 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the response is binary data, not a feed"
    return f"not a feed ({_problem(result)})"


def _not_a_feed_hint(body: bytes) -> str:
    head = body[:200_000]
    if b"<html" not in head.lower():
        return "check the URL points at an RSS, Atom or JSON feed"
    tree = LexborHTMLParser(head.decode("utf-8", "replace"))
    for node in tree.css("link[rel~=alternate]"):
        kind = (node.attributes.get("type") or "").lower()
        href = node.attributes.get("href")
        if href and any(k in kind for k in ("rss", "atom", "feed+json")):
            return f"the page announces a feed at {href}; use that address instead"
    return "find the site's RSS or Atom link and use that address instead"
