"""One poll of one feed, top to bottom: fetch → parse → dedup → classify → summarize → store →
route. `Pipeline.run_once(feed)` is the whole story; `poll(feeds)` fetches many concurrently and
processes them in the order given, so decisions (which copy came first) are reproducible.

A story already in the store (same key) is reported but not processed again. A dry run reads the
store (to dedup against it) but never writes to it; it dedups across the feeds of the run in
memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bot.classify import Taxonomy, load_taxonomy, tag_story
from bot.config import Config, Feed, Route
from bot.dedup import Deduper, stored_texts
from bot.errors import FeedError, StoreError
from bot.fetch import Fetched, FetchState, fetch, make_client
from bot.parse import Parsed, parse
from bot.route import channels_for, route
from bot.store import Store
from bot.story import Story
from bot.summarize import summarize

log = logging.getLogger(__name__)
NEVER_HELD = timedelta(hours=24)  # DESIGN: a story from the last 24 h is never held back by age


@dataclass(frozen=True, slots=True)
class Processed:
    story: Story
    new: bool  # False when the store already held this key
    held: str | None = None  # why it is stored but not alerted
    channels: tuple[str, ...] = ()  # where it is (or would be) alerted


@dataclass(frozen=True, slots=True)
class Outcome:
    feed: Feed
    stories: list[Processed] = field(default_factory=list)
    error: FeedError | None = None
    problem: str | None = None  # a bozo feed's warning
    not_modified: bool = False
    ttl_minutes: int | None = None  # the feed's <ttl>, for polite polling (bot.polling)

    @property
    def new(self) -> list[Processed]:
        return [p for p in self.stories if p.new]


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        dry_run: bool = False,
        report_known: bool = False,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config, self.store, self.dry_run, self.now = config, store, dry_run, now
        self.report_known = report_known  # load stored decisions for stories seen before
        self.client = make_client(config.limits, transport)
        self.taxonomy: Taxonomy = load_taxonomy(config.taxonomy)
        self.deduper = Deduper(config.dedup.window, config.dedup.thresholds, stored_texts(store))
        self.deduper.load(store.recent(now() - config.dedup.window))
        self._lock = threading.Lock()
        self.routes: tuple[Route, ...] = config.routes  # config routes + Slack-made ones

    def close(self) -> None:
        self.client.close()

    def run_once(self, feed: Feed) -> Outcome:
        """Fetch and process one feed (safe to call from several scheduler threads)."""
        fetched = self._fetch_safely(feed)
        if isinstance(fetched, FeedError):
            return self.failed(feed, fetched)
        return self._process_safely(feed, fetched)

    def poll(
        self, feeds: Sequence[Feed], progress: Callable[[Outcome], None] | None = None
    ) -> Iterable[Outcome]:
        """Fetch concurrently (bounded), then process in the order given."""
        with ThreadPoolExecutor(max_workers=self.config.limits.concurrency) as pool:
            futures = [pool.submit(self._fetch_safely, feed) for feed in feeds]
            for feed, future in zip(feeds, futures, strict=True):
                fetched = future.result()
                outcome = (
                    self.failed(feed, fetched)
                    if isinstance(fetched, FeedError)
                    else self._process_safely(feed, fetched)
                )
                if progress:
                    progress(outcome)
                yield outcome

    def forget_old(self) -> int:
        """Evict stories older than the dedup window from the in-memory index."""
        with self._lock:
            return self.deduper.evict(self.now())

    def fetch(self, feed: Feed) -> Fetched:
        known = None if self.dry_run else self.store.feed(feed.name)
        state = FetchState(known.etag, known.last_modified) if known else FetchState()
        return fetch(feed.url, state, self.config.limits, self.client)

    def process(self, feed: Feed, fetched: Fetched) -> Outcome:
        with self._lock:  # fetches overlap; decisions are taken one feed at a time
            return self._process(feed, fetched)

    def _process(self, feed: Feed, fetched: Fetched) -> Outcome:
        if fetched.not_modified:
            self.remember(feed, fetched, None)
            return Outcome(feed, not_modified=True)
        parsed = parse(fetched, feed.name, feed.name)
        self.routes = (*self.config.routes, *self.store.slack_routes())
        known = self.store.known_keys([story.key for story in parsed.stories])
        processed = [self.take(story, known) for story in parsed.stories]
        self.remember(feed, fetched, parsed)
        return Outcome(feed, processed, problem=parsed.problem, ttl_minutes=parsed.ttl_minutes)

    def take(self, story: Story, known: Collection[str] | None = None) -> Processed:
        """Decide about one story; `known` = the stored keys among its feed's, when looked up."""
        if story.key in known if known is not None else self.store.has(story.key):
            stored = self.store.get_story(story.key) if self.report_known else None
            return Processed(stored or story, new=False)
        story = story.with_(duplicate=self.deduper.check(story))
        story = tag_story(story, self.taxonomy, self.config.tag_thresholds)
        story = story.with_(summary=summarize(story))
        held = self.hold_reason(story)
        deliveries = [] if held else route(story, self.routes)
        if not self.dry_run:
            with self.store.transaction():  # stored and queued together, or neither
                self.store.save(story, hold_reason=held)
                self.store.enqueue(deliveries)
        self.deduper.add(story)
        channels = () if held else tuple(channels_for(story, self.routes))
        return Processed(story, new=True, held=held, channels=channels)

    def hold_reason(self, story: Story) -> str | None:
        if story.published is None or story.duplicate:
            return None
        cutoff = max(self.config.alert_max_age, NEVER_HELD)
        age = self.now() - story.published
        if age <= cutoff:
            return None
        return (
            f"published {age.days}d {age.seconds // 3600}h ago, older than alert_max_age "
            f"({_span(cutoff)}): stored and searchable, not alerted"
        )

    def remember(self, feed: Feed, fetched: Fetched, parsed: Parsed | None) -> None:
        if self.dry_run:
            return
        origin = "config" if feed in self.config.feeds else "cli"
        self.store.ensure_feed(feed.name, feed.url, origin=origin)
        if fetched.moved_to:
            self.store.move_feed(feed.name, fetched.moved_to)
        self.store.record_success(
            feed.name,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=parsed.title if parsed else None,
            problem=parsed.problem if parsed else None,
        )

    def failed(self, feed: Feed, error: FeedError) -> Outcome:
        if not self.dry_run:
            try:
                self.store.ensure_feed(
                    feed.name, feed.url, origin="config" if feed in self.config.feeds else "cli"
                )
                self.store.record_failure(
                    feed.name, str(error), disable_after=self.config.limits.max_failures
                )
            except StoreError as store_error:  # the failure is still reported to the caller
                log.error("event=feed_state_not_saved feed=%s error=%s", feed.name, store_error)
        return Outcome(feed, error=error)

    def _fetch_safely(self, feed: Feed) -> Fetched | FeedError:
        try:
            return self.fetch(feed)
        except FeedError as error:
            return error

    def _process_safely(self, feed: Feed, fetched: Fetched) -> Outcome:
        try:
            return self.process(feed, fetched)
        except FeedError as error:
            return self.failed(feed, error)
        except StoreError as error:  # nothing of this feed is marked seen: the next poll retries
            return self.failed(
                feed, FeedError(f"{feed.name}: not stored: {error.message}", hint=error.hint)
            )
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("event=feed_bug feed=%s", feed.name)
            return self.failed(
                feed,
                FeedError(
                    f"{feed.name}: internal error while processing ({type(exc).__name__}: {exc})",
                    hint="this is a bug in hubnews; the other feeds were processed. Please report "
                    "it with the log",
                ),
            )


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"
