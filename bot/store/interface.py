"""What the rest of hubnews may ask of a store, whatever the database behind it.

One Protocol per role (named after the SQLite mixins that implement them), and `StoreAPI`, all
of them plus the connection's own life: `transaction()`, `ping()`, `close()`. Both backends
implement `StoreAPI` (SQLite: `bot.store.sqlite`, PostgreSQL: `bot.store.postgres`); code
outside `bot/store/` types its store as `StoreAPI` (or the narrower role it needs) and opens
one with `bot.store.open_store(url_or_path)`. SQL stays per backend.

`ping()` answers "ok", "busy" (another writer holds the database past a short wait) or
"error", and never raises: /healthz reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from bot.config import Route
from bot.query import Query
from bot.route import REALTIME, Delivery
from bot.store.sqlite.copies import CopyVerdict
from bot.store.sqlite.feedback import Verdict, Vote
from bot.store.sqlite.feeds import FeedStatus
from bot.store.sqlite.outbox import THREAD_CAP, OutboxRow, Post
from bot.store.sqlite.search import Hit
from bot.store.sqlite.watches import Mute, Watch
from bot.story import Story
from bot.tuning import TuningVote


class StoriesStore(Protocol):
    """Stories: upsert by key, clusters of copies, the full-text rows, and reading them back.
    (stories.py)"""

    def save(
        self, story: Story, *, hold_reason: str | None = None, seen_at: datetime | None = None
    ) -> bool: ...
    def known_keys(self, keys: list[str]) -> set[str]: ...
    def has(self, key: str) -> bool: ...
    def same_url(self, feed: str, canonical_url: str) -> list[Story]: ...
    def get_story(self, key: str) -> Story | None: ...
    def story_by_url(self, canonical: str) -> Story | None: ...
    def recent(self, since: datetime) -> Iterator[Story]: ...
    def cluster(self, key: str) -> list[Story]: ...
    def hold_reason(self, key: str) -> str | None: ...
    def count_stories(self) -> int: ...
    def prune(self, before: datetime) -> int: ...


class SearchStore(Protocol):
    """Full-text search over stored stories: one hit per cluster, relevance weighed by recency.
    (search.py)"""

    def search(
        self, query: Query, *, limit: int = 5, offset: int = 0, now: datetime | None = None
    ) -> list[Hit]: ...
    def suggest(self, word: str) -> str | None: ...


class FeedsStore(Protocol):
    """Feeds and their fetch state: conditional-GET validators, health, failures, origin.
    (feeds.py)"""

    def ensure_feed(
        self, name: str, url: str, *, origin: str = "config", added_by: str | None = None
    ) -> FeedStatus: ...
    def add_feed(
        self,
        name: str,
        url: str,
        *,
        origin: str,
        added_by: str | None = None,
        categories: Sequence[str] = (),
    ) -> bool: ...
    def feed(self, name: str) -> FeedStatus | None: ...
    def feeds(self, origin: str | None = None) -> list[FeedStatus]: ...
    def record_success(
        self,
        name: str,
        *,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
        problem: str | None,
        next_poll: datetime | None = None,
    ) -> None: ...
    def record_failure(
        self,
        name: str,
        error: str,
        *,
        next_poll: datetime | None = None,
        disable_after: int | None = None,
    ) -> int: ...
    def set_enabled(self, name: str, enabled: bool, reason: str | None = None) -> bool: ...
    def move_feed(self, name: str, url: str) -> None: ...
    def remove_feed(self, name: str) -> bool: ...


class OutboxStore(Protocol):
    """The outbox: messages to post to Slack, their state, and the Slack `ts` once posted.
    (outbox.py)"""

    def enqueue(
        self,
        deliveries: Iterable[Delivery],
        *,
        now: datetime | None = None,
        thread_cap: int = THREAD_CAP,
    ) -> int: ...
    def due(self, now: datetime, limit: int = 200, *, mode: str = REALTIME) -> list[OutboxRow]: ...
    def outbox_row(self, row_id: int) -> OutboxRow | None: ...
    def outbox_rows(self, *, story_key: str | None = None) -> list[OutboxRow]: ...
    def mark_posting(self, ids: Sequence[int], now: datetime) -> bool: ...
    def take_slot(self, channel: str, interval: float, now: float | None = None) -> float: ...
    def push_slot(self, channel: str, interval: float, now: float | None = None) -> None: ...
    def mark_posted(
        self,
        ids: Sequence[int],
        ts: str,
        now: datetime,
        *,
        batched: bool = False,
        channel_id: str | None = None,
    ) -> None: ...
    def mark_retry(
        self,
        ids: Sequence[int],
        error: str | None,
        next_at: datetime,
        *,
        count: bool = True,
        verify: bool = False,
    ) -> None: ...
    def mark_held(self, ids: Sequence[int], error: str, next_at: datetime) -> None: ...
    def mark_failed(self, ids: Sequence[int], error: str, *, attempted: bool = False) -> None: ...
    def posts_of(self, story_key: str) -> list[Post]: ...
    def set_permalink(self, channel: str, ts: str, permalink: str) -> None: ...
    def posted_ts(self, story_key: str, channel: str) -> str | None: ...
    def alert_state(self, story_key: str, channel: str) -> str | None: ...
    def in_doubt(self) -> list[OutboxRow]: ...
    def queue_length(self) -> int: ...
    def outbox_counts(self) -> dict[str, int]: ...


class RoutesStore(Protocol):
    """Routes added from Slack (`/hubnews follow tag:ai` stores one, `unfollow` removes them),
    and the channel ids that `#name` routes resolve to (`bot.channels.ChannelDirectory`).
    (routes.py)"""

    def add_route(self, channel: str, tags: tuple[str, ...], added_by: str | None) -> bool: ...
    def remove_routes(self, channel: str) -> int: ...
    def slack_routes(self) -> list[Route]: ...
    def set_channel_id(self, name: str, channel_id: str) -> None: ...
    def channel_id(self, name: str) -> str | None: ...


class FeedbackStore(Protocol):
    """The team's verdicts on alerts, from the Slack buttons: one vote per user per alert.
    (feedback.py)"""

    def toggle_vote(
        self,
        story_key: str,
        verdict: str,
        user: str,
        *,
        tags: tuple[str, ...] = (),
        channel: str | None = None,
    ) -> Vote: ...
    def record_verdict(
        self,
        story_key: str,
        verdict: str,
        user: str,
        *,
        tags: tuple[str, ...] = (),
        channel: str | None = None,
    ) -> None: ...
    def vote_counts(self, story_key: str, channel: str | None) -> tuple[int, int]: ...
    def verdicts(self) -> list[Verdict]: ...
    def tuning_votes(self) -> list[TuningVote]: ...
    def reset_tuning(self, channel: str, user: str | None = None) -> int: ...


class CopiesStore(Protocol):
    """Corrections of the copy filter: a folded story split back out into its own cluster.
    (copies.py)"""

    def split_copy(self, key: str, user: str) -> Story | None: ...
    def copy_verdicts(self) -> list[CopyVerdict]: ...
    def recent_copies(self, channels: list[str], limit: int = 10) -> list[tuple[str, str, str]]: ...
    def count_copies(self) -> tuple[int, int]: ...


class WatchesStore(Protocol):
    """Watches, their hits, users' mutes and channels' snoozes. (watches.py)"""

    def add_watch(
        self,
        owner: str,
        query: str,
        *,
        channel: str | None = None,
        dm_on_channel_hits: bool = False,
    ) -> Watch: ...
    def update_watch(
        self, watch_id: int, *, query: str | None = None, dm_on_channel_hits: bool | None = None
    ) -> Watch | None: ...
    def remove_watch(self, watch_id: int) -> bool: ...
    def watch_version(self) -> int: ...
    def watch(self, watch_id: int) -> Watch | None: ...
    def watches(self, owner: str | None = None) -> list[Watch]: ...
    def record_hit(
        self, watch_id: int, cluster_key: str, story_key: str, *, delivered: bool = True
    ) -> bool: ...
    def recent_hits(self, owner: str, limit: int = 20) -> list[tuple[Watch, str, datetime]]: ...
    def watches_hit_by(self, story_key: str, recipient: str) -> list[Watch]: ...
    def mute(self, user: str, kind: str, value: str, until: datetime | None) -> None: ...
    def unmute(self, user: str, kind: str, value: str) -> bool: ...
    def mutes(self, user: str, now: datetime | None = None) -> list[Mute]: ...
    def snooze(self, channel: str, until: datetime, user: str | None) -> None: ...
    def unsnooze(self, channel: str) -> bool: ...
    def snoozed_until(self, channel: str, now: datetime | None = None) -> datetime | None: ...
    def ended_snoozes(self, now: datetime | None = None) -> list[str]: ...
    def snoozes(self, now: datetime | None = None) -> dict[str, datetime]: ...


class Connection(Protocol):
    """The database connection's own life."""

    path: str  # the SQLite file (":memory:"), or the PostgreSQL URL with its password hidden
    backend: str  # "sqlite" or "postgres"

    def transaction(self) -> AbstractContextManager[Any]: ...
    def ping(self) -> str: ...
    def close(self) -> None: ...
    def backup(self, target: Any) -> Any: ...


class StoreAPI(
    StoriesStore,
    SearchStore,
    FeedsStore,
    OutboxStore,
    RoutesStore,
    FeedbackStore,
    CopiesStore,
    WatchesStore,
    Connection,
    Protocol,
):
    """Every role of the store: what `open_store` returns."""
