"""Who is in the workspace, asked of Slack and cached briefly: channel members and a user's
DM channel, for watches (channel watches, "already seen in a channel you are in") and their DMs.
Channel names to ids are `bot.channels.ChannelDirectory`'s (kept in the store). Every answer
degrades to "unknown" (None) when Slack refuses."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
TTL = 600.0  # seconds an answer is reused
MAX_PAGES = 20  # 20 pages x 200 = 4,000 channels or members


class Directory:
    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.clock = client, clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, object]] = {}

    def _cached(self, kind: str, key: str, fetch: Callable[[], object]) -> object:
        with self._lock:
            hit = self._cache.get((kind, key))
            if hit is not None and self.clock() - hit[0] < TTL:
                return hit[1]
        try:
            value = fetch()
        except SlackApiError as exc:
            log.warning(
                "event=directory_failed kind=%s key=%s error=%s",
                kind,
                key,
                exc.response.get("error"),
            )
            return None
        with self._lock:
            self._cache[(kind, key)] = (self.clock(), value)
        return value

    def members(self, channel: str) -> set[str] | None:
        def fetch() -> set[str]:
            found: set[str] = set()
            cursor = None
            for _ in range(MAX_PAGES):
                page = self.client.conversations_members(channel=channel, limit=200, cursor=cursor)
                found.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            return found

        value = self._cached("members", channel, fetch)
        return value if isinstance(value, set) else None

    def dm_channel(self, user: str) -> str | None:
        """The bot's DM channel with `user` (conversations.open, scope im:write)."""

        def fetch() -> str:
            return str(self.client.conversations_open(users=user)["channel"]["id"])

        value = self._cached("dm", user, fetch)
        return value if isinstance(value, str) else None
