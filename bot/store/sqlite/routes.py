"""Routes added from Slack (`/hubnews follow tag:ai` stores one, `unfollow` removes them), and
the channel ids that `#name` routes resolve to (`bot.channels.ChannelDirectory`)."""

from __future__ import annotations

import json

from bot.config import Route
from bot.store.sqlite.base import StoreBase, now_utc, utc_text


class RoutesMixin(StoreBase):
    def add_route(self, channel: str, tags: tuple[str, ...], added_by: str | None) -> bool:
        """True when the route is new (the same channel and tags twice is one route)."""
        cursor = self._write(
            "INSERT INTO routes (channel, tags, added_by, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT DO NOTHING",
            (channel, json.dumps(sorted(tags)), added_by, utc_text(now_utc())),
        )
        return cursor.rowcount > 0

    def remove_routes(self, channel: str) -> int:
        return self._write("DELETE FROM routes WHERE channel = ?", (channel,)).rowcount

    def slack_routes(self) -> list[Route]:
        rows = self._rows("SELECT channel, tags FROM routes ORDER BY id")
        return [Route(channel=r["channel"], tags=tuple(json.loads(r["tags"]))) for r in rows]

    def set_channel_id(self, name: str, channel_id: str) -> None:
        self._write(
            "INSERT INTO slack_channels (name, id, resolved_at) VALUES (?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET id = excluded.id, resolved_at = excluded.resolved_at",
            (name, channel_id, utc_text(now_utc())),
        )

    def channel_id(self, name: str) -> str | None:
        """The id a `#name` was resolved to (None: not resolved yet)."""
        row = self._one("SELECT id FROM slack_channels WHERE name = ?", (name,))
        return str(row["id"]) if row else None
