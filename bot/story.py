"""The values that flow through the pipeline.

A `Story` is made by `parse` and never mutated: each later stage returns a copy with its own
field filled (`dataclasses.replace`), so a stage can be tested on its own and the order of the
pipeline is visible in `pipeline.py`.

    parse      -> Story(key, url, title, source, published, description, content, ...)
    dedup      -> Story(duplicate=Match | None)
    classify   -> Story(tags=(Tag, ...), regions=(...))
    summarize  -> Story(summary="...")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


def _frozen_map(data: Mapping[str, float] | None = None) -> Mapping[str, float]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class Source:
    """Where a story came from: the feed as configured and as it describes itself."""

    feed: str  # the feed's configured name (or its URL/path when given on the command line)
    title: str  # the feed's own title, falling back to `feed`
    domain: str  # registrable-looking host of the item's link or the feed ("scmp.com")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for a tag: what matched, where, and how much it weighed."""

    text: str  # the phrase or entity as found in the story
    rule: str  # the taxonomy entry that matched (phrase, alias canonical name, feature)
    where: str  # "title", "lede", "body"
    weight: float


@dataclass(frozen=True, slots=True)
class Tag:
    id: str  # taxonomy id: "ai", "industrial-policy", ...
    score: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """Why a story was judged a copy of an earlier one (the record `/hubnews why` shows)."""

    original_key: str
    kind: str  # "key", "url", "text" (exact stages) or "near"
    scores: Mapping[str, float] = field(default_factory=_frozen_map)
    thresholds: Mapping[str, float] = field(default_factory=_frozen_map)
    reason: str = ""  # one human sentence: what matched and what did not differ

    def __post_init__(self) -> None:
        object.__setattr__(self, "scores", _frozen_map(self.scores))
        object.__setattr__(self, "thresholds", _frozen_map(self.thresholds))


@dataclass(frozen=True, slots=True)
class Story:
    key: str  # stable identity: see urls.story_key
    url: str  # the item's link exactly as the feed gives it ("" when it has none)
    title: str
    source: Source
    published: datetime | None  # timezone-aware UTC, or None when the feed gives no date
    description: str = ""  # the item's summary/description as plain text
    content: str = ""  # the item's full content as plain text ("" when the feed has none)
    canonical_url: str = ""  # url with tracking parameters stripped, scheme and www unified
    guid: str = ""
    authors: tuple[str, ...] = ()
    feed_tags: tuple[str, ...] = ()  # the feed's own categories
    # Filled by later stages.
    duplicate: Match | None = None
    tags: tuple[Tag, ...] = ()
    regions: tuple[str, ...] = ()
    summary: str = ""

    @property
    def body(self) -> str:
        """The best text the feed gave: full content over description."""
        if len(self.content) >= len(self.description):
            return self.content
        return self.description

    @property
    def duplicate_of(self) -> str | None:
        return self.duplicate.original_key if self.duplicate else None

    @property
    def tag_ids(self) -> list[str]:
        return [tag.id for tag in self.tags]

    def with_(self, **changes: object) -> Story:
        """A copy with some fields changed (the one way stages add to a story)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
