"""Watches at ingest: `Watching.fire(story, alerted) -> list[Delivery]`.

Rule order for each watch the story matches (matching itself is `bot.watch`'s percolator,
which looks only at watches whose indexed terms occur in the story):

1. Once per cluster: the first story of a cluster that matches fires the watch; its copies
   (and later versions) never fire it again (`watch_hits`, keyed by the cluster's first story).
2. Personal watches (DMs): a source (domain) or tag the owner muted is recorded, not sent.
   A story alerted in a channel the owner is a member of is not DMed too, unless the watch
   asks for it (`dm_on_channel_hits`); membership comes from the Slack edge (`members`), and
   without Slack (CLI) nobody counts as a member.
3. Channel watches post into their channel; when the story is alerted there anyway, the
   outbox keeps one message (one row per channel and story).

Deliveries go through the outbox like alerts: exactly once, paced, reconciled after a crash.
A personal watch's delivery is addressed to the owner's user id; `bot.deliver` opens the DM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Hashable, Iterable
from datetime import datetime
from typing import Protocol

from bot.errors import QueryError
from bot.query import Query
from bot.route import ALERT, Delivery, known_id
from bot.store import StoreAPI, Watch
from bot.story import Story
from bot.watch import Percolator, compile_watch

log = logging.getLogger(__name__)
Members = Callable[[str], Collection[str] | None]  # channel id -> member user ids (None: unknown)
Expand = Callable[[str], Iterable[str]]  # a word -> its aliases (the taxonomy's table)


class Matcher(Protocol):
    def add(self, watch_id: Hashable, query: Query | str) -> object: ...
    def match(self, story: Story) -> list[Hashable]: ...


class Watching:
    def __init__(
        self,
        store: StoreAPI,
        *,
        members: Members | None = None,
        expand: Expand | None = None,
        make_matcher: Callable[[], Matcher] = Percolator,
    ) -> None:
        self.store, self.make_matcher, self.members = store, make_matcher, members
        self.expand = expand
        self._version = -1
        self._matcher: Matcher = make_matcher()
        self._watches: dict[int, Watch] = {}

    def refresh(self) -> None:
        """Reload the watches when any process changed them since the last look."""
        version = self.store.watch_version()
        if version == self._version:
            return
        matcher, watches = self.make_matcher(), {}
        for watch in self.store.watches():
            try:
                matcher.add(watch.id, self.compile(watch.query))
            except QueryError as error:  # stored before a rule changed: skip, say so
                log.warning("event=watch_skipped watch=%s error=%s", watch.id, error)
                continue
            watches[watch.id] = watch
        self._matcher, self._watches, self._version = matcher, watches, version

    def compile(self, text: str) -> Query:
        """A watch query as the matcher takes it (aliases expanded); QueryError if unusable."""
        return compile_watch(text, expand=self.expand)

    def matches(self, story: Story) -> list[Watch]:
        found = self._matcher.match(story)
        return [self._watches[i] for i in found if isinstance(i, int) and i in self._watches]

    def fire(
        self, story: Story, alerted: Collection[str], now: datetime | None = None
    ) -> tuple[list[Delivery], list[int]]:
        """Record the hits of `story`: the messages they send and the ids of the watches that
        fired (see the rules; a muted or already-seen hit fires without a message)."""
        cluster = self._cluster_key(story)
        deliveries: dict[str, Delivery] = {}
        fired = []
        for watch in self.matches(story):
            recipient = watch.channel or watch.owner
            send = self._should_send(watch, story, alerted, now)
            if self.store.record_hit(watch.id, cluster, story.key, delivered=send):
                fired.append(watch.id)
                if send:
                    deliveries.setdefault(recipient, Delivery(recipient, story.key, ALERT))
        return list(deliveries.values()), fired

    def _cluster_key(self, story: Story) -> str:
        if story.duplicate is None:
            return story.key
        cluster = self.store.cluster(story.duplicate.original_key)
        return cluster[0].key if cluster else story.duplicate.original_key

    def _should_send(
        self, watch: Watch, story: Story, alerted: Collection[str], now: datetime | None
    ) -> bool:
        if watch.channel is not None:
            return True
        muted = self.store.mutes(watch.owner, now)
        domain = (story.source.domain or "").lower().removeprefix("www.")
        for mute in muted:
            if mute.kind == "tag" and mute.value in story.tag_ids:
                return False
            if (
                mute.kind == "source"
                and domain
                and (domain == mute.value or domain.endswith("." + mute.value))
            ):
                return False
        if watch.dm_on_channel_hits or not alerted or self.members is None:
            return True
        for channel in alerted:  # a route's "#name": members are asked by id
            members = self.members(known_id(channel, self.store.channel_id))
            if members is not None and watch.owner in members:
                return False
        return True
