"""One poll of one feed, top to bottom: fetch → parse → dedup → classify → summarize → store →
route. `Pipeline.run_once(feed)` is the whole story; `poll(feeds)` fetches many concurrently and
processes them in the order given, so decisions (which copy came first) are reproducible.

A story already in the store (same key) is reported but not processed again; so is one from the
same feed with the same URL, title and text under a new GUID (feeds that mint a GUID per fetch).
A dry run reads the store (to dedup against it) but never writes to it; it dedups across the
feeds of the run in memory.

Parsing (feedparser, HTML-to-text) happens in `prepare`, outside the decision lock: a slow or
hostile feed never makes a healthy one wait. Only the dedup/store/route decisions are serialised.

What is alerted (`hold_reason`, `_Budget`): every new story is stored and searchable; it is
*held* (stored, not alerted, the reason kept with it and shown by `poll --json`) when it is
older than alert_max_age; when it arrives on its feed's first poll after the first
`limits.first_poll_alerts` alerts (default 3: a new feed shows its newest few items, feeds list
newest first; the rest of its backlog is never alerted); when its feed already sent
`limits.alerts_per_feed` alerts in this poll; or when all feeds sent `limits.alerts_per_cycle`
within the last hour. The limits count realtime alerts only: a digest route still gets every
story in its digest (one message already). The stories a poll holds by these limits get ONE
summary message per channel ("N stories from <feed> … were stored without alerts; search with
/hubnews source:<feed>").
"""

from __future__ import annotations

import logging
import threading
from collections import deque
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
from bot.route import ALERT, REALTIME, SUMMARY, Delivery, resolved_names, route
from bot.store import StoreAPI
from bot.story import Story
from bot.summarize import summarize
from bot.tuning import Thresholds, tune_for
from bot.watching import Watching

log = logging.getLogger(__name__)
NEVER_HELD = timedelta(hours=24)  # DESIGN: a story from the last 24 h is never held back by age
CYCLE = timedelta(hours=1)  # the span limits.alerts_per_cycle counts over


@dataclass(frozen=True, slots=True)
class Processed:
    story: Story
    new: bool  # False when the store already held this key
    held: str | None = None  # why it is stored but not alerted
    channels: tuple[str, ...] = ()  # where it is (or would be) alerted
    watches: tuple[int, ...] = ()  # the watches it fired (bot.watching)


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


@dataclass
class _Budget:
    """The alert rules of one poll of one feed (see the module docstring)."""

    feed: str
    first_poll: bool
    per_feed: int
    alerted: int = 0
    held: dict[str, int] = field(default_factory=dict)  # channel -> stories held by this budget
    first_held: str = ""  # the key of the first story held (names the summary uniquely)


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: StoreAPI,
        *,
        dry_run: bool = False,
        report_known: bool = False,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        watching: Watching | None = None,
    ) -> None:
        self.config, self.store, self.dry_run, self.now = config, store, dry_run, now
        self.watching = watching  # personal and channel watches (None: not matched)
        self.report_known = report_known  # load stored decisions for stories seen before
        self.client = make_client(config.limits, transport)
        self.taxonomy: Taxonomy = load_taxonomy(config.taxonomy)
        self.deduper = Deduper(config.dedup.window, config.dedup.thresholds, stored_texts(store))
        self.deduper.load(store.recent(now() - config.dedup.window))
        self._lock = threading.Lock()
        self._alerted: deque[datetime] = deque()  # when recent alerts were queued (per cycle)
        self.routes: tuple[Route, ...] = config.routes  # config routes + Slack-made ones
        self.tuned: Thresholds = {}  # per-channel tag thresholds learned from votes

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

    def reload_window(self) -> int:
        """Rebuild the dedup window from the database (a replica that has just become the
        leader: the stories the old leader stored since this one started). Returns its size."""
        window = Deduper(
            self.config.dedup.window, self.config.dedup.thresholds, stored_texts(self.store)
        )
        stories = list(self.store.recent(self.now() - self.config.dedup.window))
        window.load(stories)
        with self._lock:
            self.deduper = window
        return len(stories)

    def forget_old(self) -> int:
        """Evict stories older than the dedup window from the in-memory index."""
        with self._lock:
            return self.deduper.evict(self.now())

    def fetch(self, feed: Feed) -> Fetched:
        known = None if self.dry_run else self.store.feed(feed.name)
        state = FetchState(known.etag, known.last_modified) if known else FetchState()
        return fetch(feed.url, state, self.config.limits, self.client)

    def process(self, feed: Feed, fetched: Fetched) -> Outcome:
        parsed = self.prepare(feed, fetched)  # the slow part, outside the lock
        with self._lock:  # fetches and parses overlap; decisions are taken one feed at a time
            return self._decide(feed, fetched, parsed)

    def prepare(self, feed: Feed, fetched: Fetched) -> Parsed | None:
        """Parse and convert HTML to text (no lock, no store access); None for a 304."""
        if fetched.not_modified:
            return None
        return parse(fetched, feed.name, feed.name, now=self.now())

    def _decide(self, feed: Feed, fetched: Fetched, parsed: Parsed | None) -> Outcome:
        if parsed is None:
            self.remember(feed, fetched, None)
            return Outcome(feed, not_modified=True)
        self.routes = (*self.config.routes, *self.store.slack_routes())
        self.tuned = self.tuning()
        if self.watching is not None:
            self.watching.refresh()
        known = self.store.known_keys([story.key for story in parsed.stories])
        status = self.store.feed(feed.name)
        budget = _Budget(
            feed.name,
            first_poll=status is None or status.last_ok is None,
            per_feed=self.config.limits.alerts_per_feed,
        )
        processed = [self.take(story, known, budget) for story in parsed.stories]
        self._summarise(budget, parsed.title)
        self.remember(feed, fetched, parsed)
        return Outcome(feed, processed, problem=parsed.problem, ttl_minutes=parsed.ttl_minutes)

    def take(
        self, story: Story, known: Collection[str] | None = None, budget: _Budget | None = None
    ) -> Processed:
        """Decide about one story; `known` = the stored keys among its feed's, when looked up."""
        if story.key in known if known is not None else self.store.has(story.key):
            stored = self.store.get_story(story.key) if self.report_known else None
            return Processed(stored or story, new=False)
        same = self._same_item(story)
        if same is not None:  # a new GUID for an unchanged item: the same story, nothing new
            return Processed(same if self.report_known else story, new=False)
        story = story.with_(duplicate=self.deduper.check(story))
        story = tag_story(story, self.taxonomy, self.config.tag_thresholds)
        story = story.with_(summary=summarize(story))
        held = self.hold_reason(story)
        deliveries = [] if held else route(story, self.routes, self.tuned)
        realtime = [d for d in deliveries if d.mode == REALTIME]
        if realtime and budget is not None:  # a digest is one message already: not limited
            held = self._spend(story, budget, realtime)
            deliveries = [d for d in deliveries if d.mode != REALTIME] if held else deliveries
        channels = tuple(d.channel for d in deliveries if d.kind == ALERT)
        fired: list[int] = []
        if not self.dry_run:
            with self.store.transaction():  # stored and queued together, or neither
                self.store.save(story, hold_reason=held)
                self.store.enqueue(deliveries)
                if self.watching is not None and held is None:  # held stories fire no watch
                    messages, fired = self.watching.fire(story, channels)
                    self.store.enqueue(messages)
        self.deduper.add(story)
        return Processed(story, new=True, held=held, channels=channels, watches=tuple(fired))

    def tuning(self) -> Thresholds:
        """The channels' tag thresholds as the team's votes have raised them (bot.tuning)."""
        tuned = tune_for(
            self.store.tuning_votes(),
            self.taxonomy.thresholds,
            self.config.tag_thresholds,
            self.config.feedback,
        )
        # votes carry the channel id Slack sends; a route may name its channel "#name"
        for name, channel_id in resolved_names(self.routes, self.store.channel_id).items():
            for (channel, tag), entry in list(tuned.items()):
                if channel == channel_id:
                    tuned[(name, tag)] = entry
        return tuned

    def _same_item(self, story: Story) -> Story | None:
        """The stored story of the same feed with the same URL, title and text, if any."""
        if not story.canonical_url:
            return None
        for earlier in self.store.same_url(story.source.feed, story.canonical_url):
            if earlier.title == story.title and earlier.body == story.body:
                return earlier
        return None

    def _spend(self, story: Story, budget: _Budget, deliveries: list[Delivery]) -> str | None:
        """None when these deliveries may go out (and count them), else why they are held."""
        limits, now = self.config.limits, self.now()
        while self._alerted and self._alerted[0] <= now - CYCLE:
            self._alerted.popleft()
        alerts = any(d.kind == ALERT for d in deliveries)
        if budget.first_poll and budget.alerted >= limits.first_poll_alerts:
            reason = (
                f"first poll of {budget.feed}: beyond its newest {limits.first_poll_alerts} "
                "items, the backlog is stored and searchable, summarised in one message per "
                "channel instead of alerted (limits.first_poll_alerts)"
            )
        elif alerts and budget.alerted >= budget.per_feed:
            reason = (
                f"over {budget.per_feed} alerts from {budget.feed} in one poll "
                "(limits.alerts_per_feed): stored and searchable, not alerted"
            )
        elif alerts and len(self._alerted) >= limits.alerts_per_cycle:
            reason = (
                f"over {limits.alerts_per_cycle} alerts from all feeds within {_span(CYCLE)} "
                "(limits.alerts_per_cycle): stored and searchable, not alerted"
            )
        else:
            if alerts:
                budget.alerted += 1
                self._alerted.append(now)
            return None
        budget.first_held = budget.first_held or story.key
        for channel in {d.channel for d in deliveries if d.kind == ALERT}:
            budget.held[channel] = budget.held.get(channel, 0) + 1
        return reason

    def _summarise(self, budget: _Budget, title: str) -> None:
        """One message per channel for the stories this poll held by its budget."""
        if not budget.held or self.dry_run:
            return
        which = "already in the feed" if budget.first_poll else "over the alert limits"
        deliveries = [
            Delivery(
                channel,
                f"summary:{budget.feed}:{budget.first_held}",
                SUMMARY,
                text=f"{count} {'story' if count == 1 else 'stories'} from {title} ({which}) "
                f"were stored without alerts; search with /hubnews source:{budget.feed}",
            )
            for channel, count in sorted(budget.held.items())
        ]
        self.store.enqueue(deliveries)

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
