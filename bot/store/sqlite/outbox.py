"""The outbox: messages to post to Slack, their state, and the Slack `ts` once posted.

    pending ──► posting ──► posted
       ▲  │        │
       │  │        └─► pending (verify=1)   fate unknown: timeout, connection lost, 5xx
       │  ├─► held      a configuration problem (channel, token); retried slowly
       │  └─► failed    Slack refused the message itself, or too many attempts
       └── reconcile: a `posting` row left by a crash goes back to pending or on to posted

Claiming is atomic: `mark_posting` moves rows to `posting` only while they are still pending or
held, and says whether it got them all, so two deliverers on one database never post one row
twice. Per channel the queue is first-in first-out: `due` returns no row behind an earlier row
of the same channel that is still waiting (a 429, a backoff, a held channel) or in flight.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.route import ALERT, REALTIME, SUMMARY, THREAD, Delivery
from bot.store.sqlite.base import StoreBase, from_utc_text, now_utc, utc_text

PENDING, POSTING, POSTED, FAILED, HELD = "pending", "posting", "posted", "failed", "held"
THREAD_CAP = 20  # thread replies per story and channel


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    story_key: str
    kind: str
    thread_key: str | None
    mode: str
    state: str
    attempts: int
    verify: bool
    next_attempt_at: datetime | None
    attempted_at: datetime | None
    last_error: str | None
    ts: str | None
    batched: bool
    created_at: datetime | None
    posted_at: datetime | None
    text: str | None = None  # a SUMMARY row's message


@dataclass(frozen=True, slots=True)
class Post:
    channel: str  # the channel id it was posted to (or the route's channel, for older rows)
    ts: str
    permalink: str | None  # cached from chat.getPermalink
    route_channel: str  # the channel as routed ("#name" or an id)


def _row(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        channel=row["channel"],
        story_key=row["story_key"],
        kind=row["kind"],
        thread_key=row["thread_key"],
        mode=row["mode"],
        state=row["state"],
        attempts=row["attempts"],
        verify=bool(row["verify"]),
        next_attempt_at=from_utc_text(row["next_attempt_at"]),
        attempted_at=from_utc_text(row["attempted_at"]),
        last_error=row["last_error"],
        ts=row["ts"],
        batched=bool(row["batched"]),
        created_at=from_utc_text(row["created_at"]),
        posted_at=from_utc_text(row["posted_at"]),
        text=row["text"],
    )


_INSERT = """
INSERT INTO outbox (channel, story_key, kind, thread_key, mode, state,
                    next_attempt_at, created_at, text)
SELECT :channel, :story_key, :kind, :thread_key, :mode, 'pending', :now, :now, :text
WHERE :kind IN ('alert', 'summary')
   OR (EXISTS (SELECT 1 FROM outbox WHERE story_key = :thread_key AND channel = :channel
               AND kind = 'alert')
       AND (SELECT COUNT(*) FROM outbox WHERE thread_key = :thread_key AND channel = :channel
            AND kind = 'thread') < :cap)
ON CONFLICT DO NOTHING
"""

_DUE = """
SELECT * FROM outbox AS o
WHERE o.state IN ('pending', 'held') AND o.mode = :mode AND o.next_attempt_at <= :now
  AND NOT EXISTS (
      SELECT 1 FROM outbox AS p
      WHERE p.channel = o.channel AND p.id < o.id AND p.mode = o.mode
        AND (p.state = 'posting' OR (p.state IN ('pending', 'held') AND p.next_attempt_at > :now)))
ORDER BY o.id
LIMIT :limit
"""


class OutboxMixin(StoreBase):
    def enqueue(
        self,
        deliveries: Iterable[Delivery],
        *,
        now: datetime | None = None,
        thread_cap: int = THREAD_CAP,
    ) -> int:
        """Queue deliveries; returns how many were new. Idempotent per (channel, story, kind).

        A thread delivery is kept only when its original has an alert row in that channel
        (queue the original first) and fewer than `thread_cap` replies are queued under it.
        """
        stamp = utc_text(now or now_utc())
        added = 0
        with self.transaction() as db:
            for d in deliveries:
                if d.kind not in (ALERT, THREAD, SUMMARY) or (
                    d.kind == THREAD and not d.thread_key
                ):
                    raise ValueError(f"bad delivery: {d!r}")
                cursor = db.execute(
                    _INSERT,
                    {
                        "channel": d.channel,
                        "story_key": d.story_key,
                        "kind": d.kind,
                        "thread_key": d.thread_key if d.kind == THREAD else None,
                        "mode": d.mode,
                        "now": stamp,
                        "cap": thread_cap,
                        "text": d.text if d.kind == SUMMARY else None,
                    },
                )
                added += cursor.rowcount
        return added

    def due(self, now: datetime, limit: int = 200, *, mode: str = REALTIME) -> list[OutboxRow]:
        """Rows ready to post, oldest first, keeping each channel's order (see module doc)."""
        rows = self._rows(_DUE, {"now": utc_text(now), "limit": limit, "mode": mode})
        return [_row(row) for row in rows]

    def outbox_row(self, row_id: int) -> OutboxRow | None:
        row = self._one("SELECT * FROM outbox WHERE id = ?", (row_id,))
        return _row(row) if row else None

    def outbox_rows(self, *, story_key: str | None = None) -> list[OutboxRow]:
        if story_key is None:
            return [_row(r) for r in self._rows("SELECT * FROM outbox ORDER BY id")]
        rows = self._rows("SELECT * FROM outbox WHERE story_key = ? ORDER BY id", (story_key,))
        return [_row(r) for r in rows]

    def mark_posting(self, ids: Sequence[int], now: datetime) -> bool:
        """Claim rows for one post: True when each was still waiting (pending or held) and is now
        `posting`; False, changing nothing, when another deliverer took any of them since `due`
        listed them (a second process on the same database): then post nothing."""
        stamp, unique = utc_text(now), list(dict.fromkeys(ids))
        with self.transaction() as db:
            db.execute("SAVEPOINT claim")
            claimed = 0
            for row_id in unique:
                cursor = db.execute(
                    "UPDATE outbox SET state = 'posting', attempted_at = ? "
                    "WHERE id = ? AND state IN ('pending', 'held')",
                    (stamp, row_id),
                )
                claimed += cursor.rowcount
            if claimed != len(unique):
                db.execute("ROLLBACK TO claim")
            db.execute("RELEASE claim")
        return claimed == len(unique)

    def take_slot(self, channel: str, interval: float, now: float | None = None) -> float:
        """Take `channel`'s next posting slot: 0.0 when it was free (the next one now starts
        `interval` seconds from `now`), else the seconds until it frees. One atomic upsert, so
        of several deliverers asking at once exactly one gets it. Times are epoch seconds by
        the database's clock (`now` given: tests), so replicas' clocks need not agree."""
        with self.transaction() as db:
            now = self._clock(db) if now is None else now
            taken = db.execute(
                "INSERT INTO channel_pace (channel, next_at) VALUES (?, ?) "
                "ON CONFLICT (channel) DO UPDATE SET next_at = excluded.next_at "
                "WHERE channel_pace.next_at <= ?",
                (channel, now + interval, now),
            ).rowcount
            if taken:
                return 0.0
            row = db.execute(
                "SELECT next_at FROM channel_pace WHERE channel = ?", (channel,)
            ).fetchone()
        return max(0.0, float(row[0]) - now) if row is not None else 0.0

    def push_slot(self, channel: str, interval: float, now: float | None = None) -> None:
        """A post to `channel` ended: its next slot starts no earlier than `interval` seconds
        from now, so the pace counts from when Slack had the message, not from when it was
        sent."""
        with self.transaction() as db:
            next_at = (self._clock(db) if now is None else now) + interval
            db.execute(
                "UPDATE channel_pace SET next_at = ? WHERE channel = ? AND next_at < ?",
                (next_at, channel, next_at),
            )

    def _clock(self, db: Any) -> float:
        """Now, in epoch seconds, by the database's clock (SQLite's is this process's)."""
        del db
        return time.time()

    def mark_posted(
        self,
        ids: Sequence[int],
        ts: str,
        now: datetime,
        *,
        batched: bool = False,
        channel_id: str | None = None,
    ) -> None:
        """Posted as message `ts`; `channel_id`: the id it went to (when `channel` is a #name)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET state = 'posted', ts = ?, posted_at = ?, batched = ?, "
                "verify = 0, last_error = NULL, channel_id = COALESCE(?, channel_id) WHERE id = ?",
                [(ts, utc_text(now), int(batched), channel_id, row_id) for row_id in ids],
            )

    def mark_retry(
        self,
        ids: Sequence[int],
        error: str | None,
        next_at: datetime,
        *,
        count: bool = True,
        verify: bool = False,
    ) -> None:
        """Back to pending until `next_at`; `count=False` for a 429 (not a failure)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, "
                "attempts = attempts + ?, verify = ? WHERE id = ?",
                [(utc_text(next_at), error, int(count), int(verify), i) for i in ids],
            )

    def mark_held(self, ids: Sequence[int], error: str, next_at: datetime) -> None:
        """A problem only the operator can fix: keep the row, retry slowly."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET state = 'held', next_attempt_at = ?, last_error = ?, "
                "attempts = attempts + 1 WHERE id = ?",
                [(utc_text(next_at), error, row_id) for row_id in ids],
            )

    def mark_failed(self, ids: Sequence[int], error: str, *, attempted: bool = False) -> None:
        """Given up (kept for the record); `attempted`: this follows a failed post."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET state = 'failed', last_error = ?, "
                "attempts = attempts + ? WHERE id = ?",
                [(error, int(attempted), row_id) for row_id in ids],
            )

    def posts_of(self, story_key: str) -> list[Post]:
        """Every posted alert of the story, first posted first."""
        rows = self._rows(
            "SELECT channel, channel_id, ts, permalink FROM outbox WHERE story_key = ? "
            "AND kind = 'alert' AND state = 'posted' AND ts IS NOT NULL ORDER BY posted_at, id",
            (story_key,),
        )
        return [
            Post(r["channel_id"] or r["channel"], r["ts"], r["permalink"], r["channel"])
            for r in rows
        ]

    def set_permalink(self, channel: str, ts: str, permalink: str) -> None:
        """Cache chat.getPermalink's answer for the message (every row posted in it)."""
        self._write(
            "UPDATE outbox SET permalink = ? WHERE ts = ? AND (channel_id = ? OR channel = ?)",
            (permalink, ts, channel, channel),
        )

    def posted_ts(self, story_key: str, channel: str) -> str | None:
        """The ts of the story's alert in `channel`, once posted."""
        row = self._one(
            "SELECT ts FROM outbox WHERE story_key = ? AND channel = ? "
            "AND kind = 'alert' AND state = 'posted'",
            (story_key, channel),
        )
        return row["ts"] if row else None

    def alert_state(self, story_key: str, channel: str) -> str | None:
        """The state of the story's alert row in `channel` (None: never queued there)."""
        row = self._one(
            "SELECT state FROM outbox WHERE story_key = ? AND channel = ? AND kind = 'alert'",
            (story_key, channel),
        )
        return row["state"] if row else None

    def in_doubt(self) -> list[OutboxRow]:
        """Rows left in `posting` (a crash mid-post): reconcile them before posting more."""
        return [
            _row(r) for r in self._rows("SELECT * FROM outbox WHERE state = 'posting' ORDER BY id")
        ]

    def queue_length(self) -> int:
        """Messages not yet posted and not given up on (pending, posting, held)."""
        row = self._one(
            "SELECT COUNT(*) AS n FROM outbox WHERE state IN ('pending', 'posting', 'held')"
        )
        return int(row["n"]) if row else 0

    def outbox_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {row["state"]: int(row["n"]) for row in rows}
