"""Feeds and their fetch state: conditional-GET validators, health, failures, origin."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    url: str
    origin: str  # "config", "slack", "cli" or "opml"
    enabled: bool
    title: str | None
    etag: str | None
    last_modified: str | None
    last_ok: datetime | None
    last_attempt: datetime | None
    consecutive_failures: int
    last_error: str | None
    last_problem: str | None
    disabled_reason: str | None
    next_poll: datetime | None
    added_by: str | None
    categories: tuple[str, ...] = ()  # folders and categories from an OPML import


class FeedsMixin(StoreBase):
    def ensure_feed(
        self, name: str, url: str, *, origin: str = "config", added_by: str | None = None
    ) -> FeedStatus:
        """Register a feed (or update its URL when its config entry changed)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feeds (name, url, origin, added_by, created_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET url = excluded.url "
                "WHERE feeds.origin = excluded.origin",
                (name, url, origin, added_by, utc_text(now_utc())),
            )
        status = self.feed(name)
        assert status is not None
        return status

    def add_feed(
        self,
        name: str,
        url: str,
        *,
        origin: str,
        added_by: str | None = None,
        categories: Sequence[str] = (),
    ) -> bool:
        """Register a new feed; False (and nothing changed) when the name is taken."""
        cursor = self._write(
            "INSERT INTO feeds (name, url, origin, added_by, categories, created_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING",
            (name, url, origin, added_by, json.dumps(list(categories)), utc_text(now_utc())),
        )
        return cursor.rowcount > 0

    def feed(self, name: str) -> FeedStatus | None:
        row = self._one("SELECT * FROM feeds WHERE name = ?", (name,))
        return _status(row) if row else None

    def feeds(self, origin: str | None = None) -> list[FeedStatus]:
        if origin:
            rows = self._rows("SELECT * FROM feeds WHERE origin = ? ORDER BY name", (origin,))
        else:
            rows = self._rows("SELECT * FROM feeds ORDER BY name")
        return [_status(row) for row in rows]

    def record_success(
        self,
        name: str,
        *,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        problem: str | None,
        next_poll: datetime | None = None,
    ) -> None:
        now = utc_text(now_utc())
        self._write(
            "UPDATE feeds SET etag = COALESCE(?, etag), last_modified = COALESCE(?, "
            "last_modified), title = COALESCE(?, title), last_problem = ?, last_ok = ?, "
            "last_attempt = ?, consecutive_failures = 0, last_error = NULL, next_poll = ? "
            "WHERE name = ?",
            (etag, last_modified, title, problem, now, now, utc_text(next_poll), name),
        )

    def record_failure(
        self,
        name: str,
        error: str,
        *,
        next_poll: datetime | None = None,
        disable_after: int | None = None,
    ) -> int:
        """Count a failed poll; disables the feed at `disable_after`. Returns the count."""
        with self.transaction() as db:
            db.execute(
                "UPDATE feeds SET consecutive_failures = consecutive_failures + 1, "
                "last_error = ?, last_attempt = ?, next_poll = ? WHERE name = ?",
                (error, utc_text(now_utc()), utc_text(next_poll), name),
            )
            row = db.execute(
                "SELECT consecutive_failures FROM feeds WHERE name = ?", (name,)
            ).fetchone()
            failures = int(row["consecutive_failures"]) if row else 0
            if disable_after and failures >= disable_after:
                db.execute(
                    "UPDATE feeds SET enabled = 0, disabled_reason = ? WHERE name = ?",
                    (f"disabled after {failures} consecutive failures; last: {error}", name),
                )
        return failures

    def set_enabled(self, name: str, enabled: bool, reason: str | None = None) -> bool:
        cursor = self._write(
            "UPDATE feeds SET enabled = ?, disabled_reason = ?, consecutive_failures = "
            "CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures END WHERE name = ?",
            (int(enabled), None if enabled else reason, int(enabled), name),
        )
        return cursor.rowcount > 0

    def move_feed(self, name: str, url: str) -> None:
        """A permanent redirect: remember the new address."""
        self._write("UPDATE feeds SET url = ? WHERE name = ?", (url, name))

    def remove_feed(self, name: str) -> bool:
        return self._write("DELETE FROM feeds WHERE name = ?", (name,)).rowcount > 0


def _status(row: sqlite3.Row) -> FeedStatus:
    return FeedStatus(
        name=row["name"],
        url=row["url"],
        origin=row["origin"],
        enabled=bool(row["enabled"]),
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_ok=from_utc_text(row["last_ok"]),
        last_attempt=from_utc_text(row["last_attempt"]),
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
        last_problem=row["last_problem"],
        disabled_reason=row["disabled_reason"],
        next_poll=from_utc_text(row["next_poll"]),
        added_by=row["added_by"],
        categories=tuple(json.loads(row["categories"] or "[]")),
    )
