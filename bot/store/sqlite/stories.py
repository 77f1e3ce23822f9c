"""Stories: upsert by key, clusters of copies, the full-text rows, and reading them back."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text
from bot.story import Evidence, Match, Source, Story, Tag

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def cjk_bigrams(text: str) -> str:
    """'北京亦庄' -> '北京 京亦 亦庄': CJK runs as overlapping character bigrams for FTS5."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(grams)


def facet(tag: str) -> str:
    """A tag as one full-text token of the `facets` column (see migration 005)."""
    return "t" + tag.replace("-", "").replace("_", "")


class StoriesMixin(StoreBase):
    def save(
        self, story: Story, *, hold_reason: str | None = None, seen_at: datetime | None = None
    ) -> bool:
        """Insert a new story or refresh a known one (same key); True when it was new."""
        row = _row(story, hold_reason)
        with self.transaction() as db:
            existing = db.execute("SELECT id FROM stories WHERE key = ?", (story.key,)).fetchone()
            if existing:
                story_id = existing["id"]
                db.execute(
                    f"UPDATE stories SET {', '.join(f'{k} = :{k}' for k in _MUTABLE)} "
                    "WHERE id = :id",
                    {**row, "id": story_id},
                )
                db.execute("DELETE FROM stories_fts WHERE rowid = ?", (story_id,))
            else:
                row["first_seen"] = utc_text(seen_at or now_utc())
                columns = ", ".join(row)
                story_id = db.execute(
                    f"INSERT INTO stories ({columns}) VALUES ({', '.join(':' + k for k in row)})",
                    row,
                ).lastrowid
                db.execute(
                    "UPDATE stories SET cluster_id = ? WHERE id = ?",
                    (self._cluster_of(db, story.duplicate_of) or story_id, story_id),
                )
            db.execute(
                "INSERT INTO stories_fts (rowid, title, body, cjk, facets) VALUES (?, ?, ?, ?, ?)",
                (
                    story_id,
                    story.title,
                    story.body,
                    cjk_bigrams(f"{story.title}\n{story.body}"),
                    " ".join(facet(tag.id) for tag in story.tags),
                ),
            )
            db.execute("DELETE FROM story_tags WHERE story_id = ?", (story_id,))
            db.executemany(
                "INSERT INTO story_tags (story_id, tag, score) VALUES (?, ?, ?)",
                [(story_id, tag.id, tag.score) for tag in story.tags],
            )
        return existing is None

    @staticmethod
    def _cluster_of(db: sqlite3.Connection, key: str | None) -> int | None:
        if not key:
            return None
        found = db.execute("SELECT cluster_id FROM stories WHERE key = ?", (key,)).fetchone()
        return found["cluster_id"] if found else None

    def known_keys(self, keys: list[str]) -> set[str]:
        """Which of these keys are stored (one query per 500 keys)."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._rows(f"SELECT key FROM stories WHERE key IN ({marks})", chunk)
            found.update(row["key"] for row in rows)
        return found

    def has(self, key: str) -> bool:
        return self._one("SELECT 1 FROM stories WHERE key = ?", (key,)) is not None

    def same_url(self, feed: str, canonical_url: str) -> list[Story]:
        """The newest few stories of `feed` with this canonical URL."""
        rows = self._rows(
            "SELECT * FROM stories WHERE canonical_url = ? AND feed = ? ORDER BY id DESC LIMIT 5",
            (canonical_url, feed),
        )
        return [story_from_row(row) for row in rows]

    def get_story(self, key: str) -> Story | None:
        row = self._one("SELECT * FROM stories WHERE key = ?", (key,))
        return story_from_row(row) if row else None

    def story_by_url(self, canonical: str) -> Story | None:
        """The first stored story with this canonical URL (whatever its key: a GUID, say)."""
        row = self._one(
            "SELECT * FROM stories WHERE canonical_url = ? ORDER BY id LIMIT 1", (canonical,)
        )
        return story_from_row(row) if row else None

    def recent(self, since: datetime) -> Iterator[Story]:
        """Stories first seen or published since `since`, oldest first (to rebuild dedup)."""
        bound = utc_text(since)
        rows = self._rows(
            "SELECT * FROM stories WHERE COALESCE(published, first_seen) >= ? "
            "OR first_seen >= ? ORDER BY id",
            (bound, bound),
        )
        return (story_from_row(row) for row in rows)

    def cluster(self, key: str) -> list[Story]:
        """The story with this key and its copies, first arrival first."""
        rows = self._rows(
            "SELECT s.* FROM stories s JOIN stories o ON s.cluster_id = "
            "o.cluster_id WHERE o.key = ? ORDER BY s.id",
            (key,),
        )
        return [story_from_row(row) for row in rows]

    def hold_reason(self, key: str) -> str | None:
        row = self._one("SELECT hold_reason FROM stories WHERE key = ?", (key,))
        return row["hold_reason"] if row else None

    def count_stories(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM stories")
        return int(row["n"]) if row else 0

    def prune(self, before: datetime) -> int:
        """Delete stories older than `before` (retention); returns how many went."""
        bound = utc_text(before)
        with self.transaction() as db:
            ids = [
                r["id"]
                for r in db.execute(
                    "SELECT id FROM stories WHERE COALESCE(published, first_seen) < ? "
                    "AND first_seen < ?",
                    (bound, bound),
                )
            ]
            db.executemany("DELETE FROM stories_fts WHERE rowid = ?", [(i,) for i in ids])
            db.executemany("DELETE FROM stories WHERE id = ?", [(i,) for i in ids])
        return len(ids)


_MUTABLE = (
    "url",
    "canonical_url",
    "guid",
    "title",
    "source_title",
    "domain",
    "published",
    "description",
    "content",
    "summary",
    "authors",
    "feed_tags",
    "tags",
    "regions",
)


def _row(story: Story, hold_reason: str | None) -> dict[str, Any]:
    match = story.duplicate
    return {
        "key": story.key,
        "url": story.url,
        "canonical_url": story.canonical_url,
        "guid": story.guid,
        "title": story.title,
        "feed": story.source.feed,
        "source_title": story.source.title,
        "domain": story.source.domain,
        "published": utc_text(story.published),
        "description": story.description,
        "content": story.content,
        "summary": story.summary,
        "authors": json.dumps(story.authors, ensure_ascii=False),
        "feed_tags": json.dumps(story.feed_tags, ensure_ascii=False),
        "tags": json.dumps([_tag_json(t) for t in story.tags], ensure_ascii=False),
        "regions": json.dumps(story.regions),
        "duplicate_of": story.duplicate_of,
        "match": json.dumps(_match_json(match), ensure_ascii=False) if match else None,
        "hold_reason": hold_reason,
    }


def _tag_json(tag: Tag) -> dict[str, Any]:
    return {
        "id": tag.id,
        "score": tag.score,
        "evidence": [[e.text, e.rule, e.where, e.weight] for e in tag.evidence],
    }


def _match_json(match: Match) -> dict[str, Any]:
    return {
        "original_key": match.original_key,
        "kind": match.kind,
        "scores": dict(match.scores),
        "thresholds": dict(match.thresholds),
        "reason": match.reason,
    }


def story_from_row(row: sqlite3.Row) -> Story:
    match = json.loads(row["match"]) if row["match"] else None
    return Story(
        key=row["key"],
        url=row["url"],
        title=row["title"],
        source=Source(feed=row["feed"], title=row["source_title"], domain=row["domain"]),
        published=from_utc_text(row["published"]),
        description=row["description"],
        content=row["content"],
        canonical_url=row["canonical_url"],
        guid=row["guid"],
        authors=tuple(json.loads(row["authors"])),
        feed_tags=tuple(json.loads(row["feed_tags"])),
        duplicate=Match(**match) if match else None,
        tags=tuple(
            Tag(t["id"], t["score"], tuple(Evidence(*e) for e in t["evidence"]))
            for t in json.loads(row["tags"])
        ),
        regions=tuple(json.loads(row["regions"])),
        summary=row["summary"],
    )
