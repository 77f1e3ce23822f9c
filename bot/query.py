"""Parse what a user types after `/hubnews` (or `hubnews search`) into a `Query`.

Syntax, in the order it is read:
    "quoted phrase"      words that must appear together
    tag:ai               only stories carrying this tag (repeatable: any of)
    source:scmp.com      only this feed name, feed title or domain (repeatable: any of)
    since:7d | since:2020-10-01     published (or first seen) on/after
    before:2020-11-01               published (or first seen) before
    a OR b               either word
    anything else        a word that must appear

Everything a user types is data: FTS5 operators, quotes, `*`, `NEAR(`, parentheses and SQL are
never passed through as syntax (the store quotes every term). Problems are `QueryError`s whose
hint shows a working example.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import MAX_DURATION, DurationRange, parse_duration
from bot.errors import QueryError
from bot.text import strip_controls

MAX_TERMS = 24
MAX_LENGTH = 500
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_FILTER = re.compile(r"^(tag|source|since|before):(.*)$", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
FIRST_YEAR, LAST_YEAR = 1000, 9998  # four-digit years: stored dates compare as text
_EXAMPLE = "e.g. /hubnews Yizhuang tag:ai since:30d"


@dataclass(frozen=True, slots=True)
class Query:
    groups: tuple[tuple[str, ...], ...] = ()  # AND of groups; each group is an OR of phrases
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    before: datetime | None = None
    notes: tuple[str, ...] = field(default=())  # what was ignored or trimmed, for the user

    @property
    def words(self) -> list[str]:
        return [phrase for group in self.groups for phrase in group]


def parse_query(text: str, *, now: datetime | None = None) -> Query:
    now = now or datetime.now(UTC)
    # control characters (NUL, escapes) are never part of a word: a NUL would end the FTS5
    # string it is quoted into ("unterminated string")
    cleaned = unicodedata.normalize("NFKC", _INVISIBLE.sub("", strip_controls(text or ""))).strip()
    notes: list[str] = []
    if len(cleaned) > MAX_LENGTH:
        cleaned = cleaned[:MAX_LENGTH]
        notes.append(f"the query was cut to its first {MAX_LENGTH} characters")
    groups: list[list[str]] = []
    tags: list[str] = []
    sources: list[str] = []
    since = before = None
    pending_or = False
    for match in _TOKEN.finditer(cleaned):
        phrase, word = match.group(1), match.group(2)
        if word is not None:
            found = _FILTER.match(word)
            if found:
                name, value = found.group(1).lower(), found.group(2).strip()
                if not value:
                    raise QueryError(f"`{name}:` needs a value", hint=_EXAMPLE)
                if name == "tag":
                    tags.append(value.lower())
                elif name == "source":
                    sources.append(value.lower())
                elif name == "since":
                    since = _moment(value, now, "since")
                else:
                    before = _moment(value, now, "before")
                continue
            if word == "OR":
                pending_or = bool(groups)
                continue
        term = _clean_term(phrase if phrase is not None else word or "")
        if not term:
            continue
        if pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if len(groups) > MAX_TERMS:
        notes.append(f"only the first {MAX_TERMS} words were used")
        groups = groups[:MAX_TERMS]
    if not groups and not (tags or sources or since or before):
        raise QueryError(
            "there is nothing to search for", hint=f"type a word or a quoted phrase, {_EXAMPLE}"
        )
    if since and before and since >= before:
        raise QueryError("`since:` is not before `before:`", hint="swap the two dates")
    return Query(
        tuple(tuple(g) for g in groups),
        tuple(dict.fromkeys(tags)),
        tuple(dict.fromkeys(sources)),
        since,
        before,
        tuple(notes),
    )


def _clean_term(raw: str) -> str:
    """Keep letters, digits and inner punctuation; a term with no letter or digit is dropped."""
    kept = "".join(ch if ch.isalnum() or ch in "-'.&" else " " for ch in raw)
    words = [w.strip("-'.&") for w in kept.split()]
    return " ".join(w for w in words if w)


def _moment(value: str, now: datetime, name: str) -> datetime:
    shown = f"{name}:{value if len(value) <= 30 else value[:30] + '…'}"
    hint = f"write e.g. {name}:7d or {name}:2020-11-01"
    try:
        moment = now - parse_duration(value)
    except DurationRange:
        raise QueryError(
            f"`{shown}` reaches too far back",
            hint=f"use a duration up to {MAX_DURATION.days}d or a date, e.g. {name}:2020-11-01",
        ) from None
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(f"`{shown}` is neither a duration nor a date", hint=hint) from None
    try:  # a date at the edge of the calendar can overflow once moved to UTC
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        moment = datetime.min.replace(tzinfo=UTC)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise QueryError(
            f"`{shown}` is outside the years {FIRST_YEAR}-{LAST_YEAR} hubnews can search",
            hint=hint,
        )
    return moment
