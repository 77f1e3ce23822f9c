"""Watches, their hits, users' mutes and channels' snoozes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    owner: str
    channel: str | None  # None: DMs to the owner
    query: str
    dm_on_channel_hits: bool
    created_at: datetime | None
    last_hit_at: datetime | None
    hits: int


@dataclass(frozen=True, slots=True)
class Mute:
    user: str
    kind: str  # "source" or "tag"
    value: str
    until: datetime | None  # None: for good


def _watch(r: sqlite3.Row) -> Watch:
    return Watch(
        r["id"],
        r["owner"],
        r["channel"],
        r["query"],
        bool(r["dm_on_channel_hits"]),
        from_utc_text(r["created_at"]),
        from_utc_text(r["last_hit_at"]),
        r["hits"],
    )


class WatchesMixin(StoreBase):
    def add_watch(
        self,
        owner: str,
        query: str,
        *,
        channel: str | None = None,
        dm_on_channel_hits: bool = False,
    ) -> Watch:
        with self.transaction() as db:
            watch_id = db.execute(
                "INSERT INTO watches (owner, channel, query, dm_on_channel_hits, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (owner, channel, query, int(dm_on_channel_hits), utc_text(now_utc())),
            ).fetchone()["id"]
            db.execute("UPDATE watch_version SET n = n + 1")
            row = db.execute("SELECT * FROM watches WHERE id = ?", (watch_id,)).fetchone()
        return _watch(row)

    def update_watch(
        self, watch_id: int, *, query: str | None = None, dm_on_channel_hits: bool | None = None
    ) -> Watch | None:
        with self.transaction() as db:
            if query is not None:
                db.execute("UPDATE watches SET query = ? WHERE id = ?", (query, watch_id))
            if dm_on_channel_hits is not None:
                db.execute(
                    "UPDATE watches SET dm_on_channel_hits = ? WHERE id = ?",
                    (int(dm_on_channel_hits), watch_id),
                )
            db.execute("UPDATE watch_version SET n = n + 1")
            row = db.execute("SELECT * FROM watches WHERE id = ?", (watch_id,)).fetchone()
        return _watch(row) if row else None

    def remove_watch(self, watch_id: int) -> bool:
        with self.transaction() as db:
            gone = db.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount
            db.execute("UPDATE watch_version SET n = n + 1")
        return gone > 0

    def watch_version(self) -> int:
        """Changes whenever a watch is added, edited or removed (by any process)."""
        row = self._one("SELECT n FROM watch_version")
        return int(row["n"]) if row else 0

    def watch(self, watch_id: int) -> Watch | None:
        row = self._one("SELECT * FROM watches WHERE id = ?", (watch_id,))
        return _watch(row) if row else None

    def watches(self, owner: str | None = None) -> list[Watch]:
        if owner is None:
            return [_watch(r) for r in self._rows("SELECT * FROM watches ORDER BY id")]
        rows = self._rows("SELECT * FROM watches WHERE owner = ? ORDER BY id", (owner,))
        return [_watch(r) for r in rows]

    def record_hit(
        self, watch_id: int, cluster_key: str, story_key: str, *, delivered: bool = True
    ) -> bool:
        """True when this is the watch's first hit on the cluster (then it fires)."""
        at = utc_text(now_utc())
        with self.transaction() as db:
            added = db.execute(
                "INSERT INTO watch_hits (watch_id, cluster_key, story_key, delivered, at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (watch_id, cluster_key, story_key, int(delivered), at),
            ).rowcount
            if added:
                db.execute(
                    "UPDATE watches SET hits = hits + 1, last_hit_at = ? WHERE id = ?",
                    (at, watch_id),
                )
        return bool(added)

    def recent_hits(self, owner: str, limit: int = 20) -> list[tuple[Watch, str, datetime]]:
        """The owner's watches' latest hits: (watch, story key, when), newest first."""
        rows = self._rows(
            "SELECT w.*, h.story_key AS hit_key, h.at AS hit_at FROM watch_hits h "
            "JOIN watches w ON w.id = h.watch_id WHERE w.owner = ? "
            "ORDER BY h.at DESC, h.rowid DESC LIMIT ?",
            (owner, limit),
        )
        return [(_watch(r), r["hit_key"], from_utc_text(r["hit_at"]) or now_utc()) for r in rows]

    def watches_hit_by(self, story_key: str, recipient: str) -> list[Watch]:
        """The watches whose hit on `story_key` is delivered to `recipient` (user or channel)."""
        rows = self._rows(
            "SELECT w.* FROM watch_hits h JOIN watches w ON w.id = h.watch_id "
            "WHERE h.story_key = ? AND h.delivered = 1 "
            "AND ((w.channel IS NULL AND w.owner = ?) OR w.channel = ?) ORDER BY w.id",
            (story_key, recipient, recipient),
        )
        return [_watch(r) for r in rows]

    # ---------------------------------------------------------------- mutes

    def mute(self, user: str, kind: str, value: str, until: datetime | None) -> None:
        self._write(
            'INSERT INTO mutes ("user", kind, value, until, at) VALUES (?, ?, ?, ?, ?) '
            'ON CONFLICT ("user", kind, value) DO UPDATE SET until = excluded.until, '
            "at = excluded.at",
            (user, kind, value.lower(), utc_text(until), utc_text(now_utc())),
        )

    def unmute(self, user: str, kind: str, value: str) -> bool:
        return (
            self._write(
                'DELETE FROM mutes WHERE "user" = ? AND kind = ? AND value = ?',
                (user, kind, value.lower()),
            ).rowcount
            > 0
        )

    def mutes(self, user: str, now: datetime | None = None) -> list[Mute]:
        """The user's mutes in force at `now`."""
        rows = self._rows(
            'SELECT * FROM mutes WHERE "user" = ? AND (until IS NULL OR until > ?) '
            "ORDER BY kind, value",
            (user, utc_text(now or now_utc())),
        )
        return [Mute(r["user"], r["kind"], r["value"], from_utc_text(r["until"])) for r in rows]

    # ---------------------------------------------------------------- snoozes

    def snooze(self, channel: str, until: datetime, user: str | None) -> None:
        self._write(
            "INSERT INTO snoozes (channel, until, by_user, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (channel) DO UPDATE SET until = excluded.until, "
            "by_user = excluded.by_user, at = excluded.at",
            (channel, utc_text(until), user, utc_text(now_utc())),
        )

    def unsnooze(self, channel: str) -> bool:
        return self._write("DELETE FROM snoozes WHERE channel = ?", (channel,)).rowcount > 0

    def snoozed_until(self, channel: str, now: datetime | None = None) -> datetime | None:
        row = self._one(
            "SELECT until FROM snoozes WHERE channel = ? AND until > ?",
            (channel, utc_text(now or now_utc())),
        )
        return from_utc_text(row["until"]) if row else None

    def ended_snoozes(self, now: datetime | None = None) -> list[str]:
        rows = self._rows(
            "SELECT channel FROM snoozes WHERE until <= ?", (utc_text(now or now_utc()),)
        )
        return [r["channel"] for r in rows]

    def snoozes(self, now: datetime | None = None) -> dict[str, datetime]:
        rows = self._rows(
            "SELECT channel, until FROM snoozes WHERE until > ?", (utc_text(now or now_utc()),)
        )
        return {r["channel"]: from_utc_text(r["until"]) or now_utc() for r in rows}
