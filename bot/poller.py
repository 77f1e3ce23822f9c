"""Polling one feed politely: the body of the scheduler's `feed:<name>` jobs.

`FeedPoller.poll(name)` skips a disabled feed and one that asked to wait (`bot.polling`: backoff,
TTL, max-age, Retry-After); otherwise it fetches (feeds added from Slack through the address
guard, on every fetch), processes through the pipeline, plans the next poll, disables a feed on
410, sends ONE admin notice when a feed goes from enabled to disabled, and logs one line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot import polling
from bot.config import Config, Feed
from bot.errors import FeedError
from bot.fetch import FetchState, fetch
from bot.logs import kv
from bot.pipeline import Outcome, Pipeline
from bot.store import StoreAPI

log = logging.getLogger("hubnews.poll")


@dataclass
class PollStats:
    """What the running process knows about its polls (for /healthz and the logs)."""

    last_ok: datetime | None = None
    heartbeat: float = field(default_factory=time.monotonic)
    not_before: dict[str, datetime] = field(default_factory=dict)


class FeedPoller:
    def __init__(
        self,
        config: Config,
        store: StoreAPI,
        pipeline: Pipeline,
        *,
        notify: Callable[[str], object] | None = None,
        on_poll: Callable[[Outcome], object] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config, self.store, self.pipeline = config, store, pipeline
        self.notify, self.on_poll, self.now = notify, on_poll, now
        self.stats = PollStats()
        self.feeds: dict[str, Feed] = {}
        self.guarded: set[str] = set()  # feeds added from Slack: address guard on every fetch
        self.failing: set[str] = set()  # feeds whose last poll failed (waiting out a backoff)
        self.stopping = threading.Event()

    def resume(self, feed: Feed) -> None:
        """After a restart, a failing feed keeps waiting out its backoff."""
        status = self.store.feed(feed.name)
        if status is not None and status.consecutive_failures:
            self.stats.not_before[feed.name] = polling.resume_at(
                self.now(),
                feed.interval,
                status.consecutive_failures,
                status.last_attempt,
                status.next_poll,
            )

    def poll(self, name: str) -> Outcome | None:
        """One tick of a feed's job: poll it unless it is disabled or asked us to wait."""
        feed = self.feeds.get(name)
        before = self.store.feed(name)
        if feed is None or (before is not None and not before.enabled):
            return None
        if before is not None and not before.consecutive_failures and name in self.failing:
            self.stats.not_before.pop(name, None)  # re-enabled (or reset) since it failed
            self.failing.discard(name)
        started = self.now()
        wait_until = self.stats.not_before.get(name)
        if wait_until is not None and started + feed.interval / 2 < wait_until:
            return None
        outcome, headers = self._run(feed, guard=name in self.guarded)
        if outcome is None:
            return None  # shutting down mid-fetch: nothing recorded
        plan = self._plan(feed, outcome, headers, started)
        self._settle(feed, before, outcome, plan)
        if self.on_poll is not None:
            self.on_poll(outcome)
        return outcome

    def _run(self, feed: Feed, *, guard: bool) -> tuple[Outcome | None, Mapping[str, str]]:
        """Fetch and process like `Pipeline.run_once`, keeping the response headers."""
        try:
            fetched = self._fetch(feed, guard)
        except FeedError as error:
            return (None if self.stopping.is_set() else self.pipeline.failed(feed, error)), {}
        try:
            return self.pipeline.process(feed, fetched), fetched.headers
        except FeedError as error:
            return self.pipeline.failed(feed, error), fetched.headers
        except Exception as exc:  # a bug in one feed's processing must not stop the others
            log.exception(kv(event="feed_bug", feed=feed.name))
            bug = FeedError(
                f"{feed.name}: internal error ({type(exc).__name__}: {exc})",
                hint="a bug in hubnews; please report it with the log",
            )
            return self.pipeline.failed(feed, bug), fetched.headers

    def _fetch(self, feed: Feed, guard: bool) -> Any:
        if not guard:
            return self.pipeline.fetch(feed)
        known = self.store.feed(feed.name)
        state = FetchState(known.etag, known.last_modified) if known else FetchState()
        return fetch(feed.url, state, self.config.limits, self.pipeline.client, guard=True)

    def _plan(
        self, feed: Feed, outcome: Outcome, headers: Mapping[str, str], now: datetime
    ) -> polling.Plan:
        if outcome.error is None:
            ttl = getattr(outcome, "ttl_minutes", None)
            return polling.after_success(now, feed.interval, ttl_minutes=ttl, headers=headers)
        status = self.store.feed(feed.name)
        return polling.after_failure(
            now,
            feed.interval,
            status.consecutive_failures if status else 1,
            status=getattr(outcome.error, "status", None),
            retry_after_seconds=getattr(outcome.error, "retry_after", None),
        )

    def _settle(self, feed: Feed, before: Any, outcome: Outcome, plan: polling.Plan) -> None:
        self.stats.not_before[feed.name] = plan.next_poll
        (self.failing.add if outcome.error else self.failing.discard)(feed.name)
        if plan.disable:
            self.store.set_enabled(feed.name, False, plan.disable)
        after = self.store.feed(feed.name)
        if outcome.error is None:
            self.stats.last_ok = self.now()
        new = outcome.new
        log.info(
            kv(
                event="poll",
                feed=feed.name,
                result="failed"
                if outcome.error
                else "not_modified"
                if outcome.not_modified
                else "ok",
                new=len(new),
                duplicates=sum(1 for p in new if p.story.duplicate),
                held=sum(1 for p in new if p.held),  # stored, not alerted (age, alert limits)
                failures=after.consecutive_failures if after else 0,
                next_poll=plan.next_poll.strftime("%Y-%m-%dT%H:%M:%SZ"),
                wait=plan.reason,
                error=outcome.error.message if outcome.error else None,
            )
        )
        was_enabled = before is None or before.enabled
        if after is not None and was_enabled and not after.enabled:
            reason = after.disabled_reason or plan.disable or "disabled"
            log.warning(kv(event="feed_disabled", feed=feed.name, reason=reason))
            if self.notify is not None:
                self.notify(polling.disabled_notice(feed.name, after.url, reason))
