"""Watches on PostgreSQL: only the hit order differs (`seq`, where SQLite has its rowid)."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.base import PgBase
from bot.store.sqlite.base import from_utc_text, now_utc
from bot.store.sqlite.watches import Watch, WatchesMixin, _watch


class PgWatchesMixin(WatchesMixin, PgBase):
    def recent_hits(self, owner: str, limit: int = 20) -> list[tuple[Watch, str, datetime]]:
        rows = self._pg(
            "SELECT w.*, h.story_key AS hit_key, h.at AS hit_at FROM watch_hits h "
            "JOIN watches w ON w.id = h.watch_id WHERE w.owner = %s "
            "ORDER BY h.at DESC, h.seq DESC LIMIT %s",
            (owner, limit),
        )
        return [(_watch(r), r["hit_key"], from_utc_text(r["hit_at"]) or now_utc()) for r in rows]
