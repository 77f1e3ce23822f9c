"""Corrections of the copy filter: a folded story split back out into its own cluster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text
from bot.store.sqlite.stories import story_from_row
from bot.story import Story


@dataclass(frozen=True, slots=True)
class CopyVerdict:
    story_key: str
    original_key: str
    verdict: str  # "not_copy"
    user: str
    match: str | None  # JSON of the overruled decision
    at: datetime


class CopiesMixin(StoreBase):
    def split_copy(self, key: str, user: str) -> Story | None:
        """Unfold the copy `key`: its own cluster (with the copies folded into it), the verdict
        recorded. Returns the story as it is now, or None when `key` is not a folded copy."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM stories WHERE key = ?", (key,)).fetchone()
            if row is None or not row["duplicate_of"]:
                return None
            db.execute(
                'INSERT INTO copy_verdicts (story_key, original_key, verdict, "user", match, at) '
                "VALUES (?, ?, 'not_copy', ?, ?, ?)",
                (key, row["duplicate_of"], user, row["match"], utc_text(now_utc())),
            )
            db.execute(
                "UPDATE stories SET duplicate_of = NULL, match = NULL, cluster_id = id "
                "WHERE id = ?",
                (row["id"],),
            )
            db.execute(  # copies folded into this one follow it
                "UPDATE stories SET cluster_id = ? WHERE duplicate_of = ?", (row["id"], key)
            )
            fresh = db.execute("SELECT * FROM stories WHERE id = ?", (row["id"],)).fetchone()
        return story_from_row(fresh)

    def copy_verdicts(self) -> list[CopyVerdict]:
        return [
            CopyVerdict(
                r["story_key"],
                r["original_key"],
                r["verdict"],
                r["user"],
                r["match"],
                from_utc_text(r["at"]) or now_utc(),
            )
            for r in self._rows("SELECT * FROM copy_verdicts ORDER BY id")
        ]

    def recent_copies(self, channels: list[str], limit: int = 10) -> list[tuple[str, str, str]]:
        """(copy key, original key, channel) of the latest copies posted in these threads."""
        if not channels:
            return []
        marks = ", ".join("?" for _ in channels)
        rows = self._rows(
            "SELECT o.story_key, o.thread_key, o.channel FROM outbox o "
            "JOIN stories s ON s.key = o.story_key "
            f"WHERE o.kind = 'thread' AND o.channel IN ({marks}) AND s.duplicate_of IS NOT NULL "
            "ORDER BY o.id DESC LIMIT ?",
            (*channels, limit),
        )
        return [(r["story_key"], r["thread_key"] or "", r["channel"]) for r in rows]

    def count_copies(self) -> tuple[int, int]:
        """(copies folded now, copies ever split back out)."""
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM stories WHERE duplicate_of IS NOT NULL) AS folded, "
            "(SELECT COUNT(DISTINCT story_key) FROM copy_verdicts) AS split"
        )
        return (int(row["folded"]), int(row["split"])) if row else (0, 0)
