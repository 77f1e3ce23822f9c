"""The outbox on PostgreSQL, where every replica delivers.

Claiming: `mark_posting` locks the message's rows with `SELECT … FOR UPDATE SKIP LOCKED`; when
another replica holds any of them (or took them since `due` listed them) it claims nothing and
posts nothing, without waiting. A claimed row is `posting` with `attempted_at`: a lease. Only a
row whose lease is older than LEASE is in doubt (its replica died mid-post); `reconcile` settles
it from Slack's history as on SQLite. A live replica's rows in flight are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.store.postgres.base import PgBase
from bot.store.sqlite.base import now_utc, utc_text
from bot.store.sqlite.outbox import OutboxMixin, OutboxRow, _row

LEASE = timedelta(seconds=90)  # longer than any one post (Slack's timeouts and retries)


class PgOutboxMixin(OutboxMixin, PgBase):
    def mark_posting(self, ids: Sequence[int], now: datetime) -> bool:
        unique = sorted(set(ids))
        with self.transaction() as db:
            got = db.pg.execute(
                "SELECT id FROM outbox WHERE id = ANY(%s) AND state IN ('pending', 'held') "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                (unique,),
            ).fetchall()
            if len(got) != len(unique):
                return False
            db.pg.execute(
                "UPDATE outbox SET state = 'posting', attempted_at = %s WHERE id = ANY(%s)",
                (utc_text(now), unique),
            )
        return True

    def _clock(self, db: Any) -> float:
        """The server's clock: every replica paces by the same time."""
        return float(db.pg.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0])

    def in_doubt(self, now: datetime | None = None) -> list[OutboxRow]:
        """Rows in `posting` whose lease ran out: their replica died mid-post."""
        expired = utc_text((now or now_utc()) - LEASE)
        rows = self._pg(
            "SELECT * FROM outbox WHERE state = 'posting' "
            "AND (attempted_at IS NULL OR attempted_at < %s) ORDER BY id",
            (expired,),
        )
        return [_row(r) for r in rows]
