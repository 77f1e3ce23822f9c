"""`#name` routes as channel ids: resolved through `conversations.list` and kept in the store.

Slack's reading methods (`conversations.history`, `chat.getPermalink`) take ids only, so
hubnews posts and reconciles by id: `ChannelDirectory.resolve_all(names)` runs at start (one
paged listing of public channels, `channels:read`), `directory(channel)` answers later lookups
from the store and lists again at most every `refresh` seconds for a name it does not know.
A name that does not resolve stays unresolved (None): `deliver` holds its rows and tells the
operator what to do. Private channels are not listed (that would need `groups:read`): route
to them by id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.poller import kv
from bot.slack_failures import NETWORK_ERRORS, classify
from bot.store.interface import RoutesStore

log = logging.getLogger("hubnews.channels")
LIST_PAGE = 200
MAX_PAGES = 50  # 10,000 channels


class ChannelDirectory:
    def __init__(
        self,
        client: WebClient,
        store: RoutesStore,
        *,
        refresh: float = 900.0,
        max_pages: int = MAX_PAGES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.store, self.refresh, self.max_pages = client, store, refresh, max_pages
        self.clock = clock
        self._listed_at = float("-inf")

    def __call__(self, channel: str) -> str | None:
        """The id for a route's channel: ids as they are, `#name`s resolved (None: unknown)."""
        if not channel.startswith("#"):
            return channel
        known = self.store.channel_id(channel)
        if known is None and self.clock() - self._listed_at >= self.refresh:
            self.resolve_all([channel])
            known = self.store.channel_id(channel)
        return known

    def resolve_all(self, channels: Iterable[str]) -> dict[str, str | None]:
        """Resolve every `#name` among `channels` with one paged listing; store what matched."""
        names = {c for c in channels if c.startswith("#")}
        if not names:
            return {}
        self._listed_at = self.clock()
        found = self._list({name.removeprefix("#") for name in names})
        for name, channel_id in found.items():
            self.store.set_channel_id("#" + name, channel_id)
        result = {name: self.store.channel_id(name) for name in sorted(names)}
        for name, resolved in result.items():
            if resolved is None:
                log.error(
                    kv(
                        event="channel_unresolved",
                        channel=name,
                        fix="no public channel the bot can see has this name: fix the name in "
                        "[[routes]] or use the channel id (private channels: the id, and "
                        "/invite @hubnews)",
                    )
                )
        return result

    def _list(self, wanted: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        args: dict[str, Any] = {
            "types": "public_channel",
            "exclude_archived": True,
            "limit": LIST_PAGE,
        }
        for _ in range(self.max_pages):
            try:
                answer = self.client.conversations_list(**args)
            except (SlackClientError, *NETWORK_ERRORS) as exc:
                log.error(
                    kv(
                        event="channel_list_failed",
                        error=classify(exc).error,
                        fix="add the channels:read scope and reinstall the app, or route by id",
                    )
                )
                return found
            for channel in answer.get("channels") or []:
                if channel.get("name") in wanted:
                    found[str(channel["name"])] = str(channel["id"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor or len(found) == len(wanted):
                return found
            args["cursor"] = cursor
        return found
