"""The jobs of a running hubnews, on one APScheduler 3 `BackgroundScheduler`.

    feed:<name>     one per enabled feed (config, and feeds added from Slack), every `interval`
                    with jitter, coalesce, max_instances=1, on the "polls" executor (size:
                    `limits.concurrency`); a tick is skipped while `polling` says to wait longer
                    (backoff, TTL, max-age, Retry-After) or while the store has the feed disabled
                    (and on a PostgreSQL follower: only the leader polls, digests, prunes,
                    syncs; every replica delivers — bot.leader)
    deliver         every `Timing.deliver_every` seconds: `deliver_once()`
    digest:<i>      one per `mode = "digest"` route: a cron at `route.at` in `route.timezone`
    prune           every `Timing.prune_every` seconds: stories older than `retention` go
    sync            every `Timing.sync_every` seconds: feeds added/removed from Slack or by an
                    OPML import get/lose jobs (imported from Slack: address-guarded like Slack's)

Every job is wrapped so that after `shutdown()` begins nothing new starts, and `shutdown`
waits (up to a grace period) for the jobs in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config, Feed, Route
from bot.pipeline import Outcome, Pipeline
from bot.poller import FeedPoller, kv
from bot.store import StoreAPI

log = logging.getLogger("hubnews.schedule")
ADDED = ("slack", "opml")  # store origins the sync job schedules besides the config's feeds


@dataclass(frozen=True, slots=True)
class Timing:
    deliver_every: float = 5.0  # seconds between delivery cycles
    sync_every: float = 60.0  # seconds between re-reads of feeds added from Slack
    prune_every: float = 6 * 3600.0
    jitter: float = 0.1  # poll jitter as a fraction of the feed's interval (at most 60 s)
    slack_interval: timedelta = timedelta(minutes=15)  # interval of feeds added from Slack


class Scheduler:
    def __init__(
        self,
        config: Config,
        store: StoreAPI,
        pipeline: Pipeline,
        deliver_once: Callable[[], object],
        *,
        digest: Callable[[Route], object] | None = None,
        notify: Callable[[str], object] | None = None,
        on_poll: Callable[[Outcome], object] | None = None,
        timing: Timing = Timing(),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        leader: Callable[[], bool] = lambda: True,
    ) -> None:
        self.leader = leader  # PostgreSQL replicas: only the leader polls, digests, prunes
        self.config, self.store, self.pipeline = config, store, pipeline
        self.deliver_once, self.digest, self.notify = deliver_once, digest, notify
        self.on_poll, self.timing, self.now = on_poll, timing, now
        self.poller = FeedPoller(config, store, pipeline, notify=notify, on_poll=on_poll, now=now)
        self.stats = self.poller.stats
        self.feeds = self.poller.feeds
        self.poll = self.poller.poll
        self.stopping = self.poller.stopping
        self._inflight = 0
        self._idle = threading.Condition()
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(4),
                "polls": ThreadPoolExecutor(max(1, config.limits.concurrency)),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Scheduler:
        first = self.now()
        every = self.timing
        self._every("deliver", self._deliver, every.deliver_every, first)
        self._every(
            "sync", self.sync, every.sync_every, first + timedelta(seconds=every.sync_every)
        )
        self._every("prune", self.prune, every.prune_every, first)
        for index, route in enumerate(self.config.routes):
            if route.mode == "digest" and self.digest is not None:
                trigger = CronTrigger(
                    hour=route.at.hour, minute=route.at.minute, timezone=ZoneInfo(route.timezone)
                )
                self.scheduler.add_job(
                    self._guard(self.digest, leader_only=True),
                    trigger,
                    args=[route],
                    id=f"digest:{index}",
                    name=f"digest {route.channel}",
                    misfire_grace_time=3600,
                )
        self.sync()
        self.scheduler.start()
        return self

    def elected(self) -> None:
        """This replica has just become the leader: every feed is due now (the polls the old
        leader would have made; conditional GETs make the early ones cheap)."""
        for name in list(self.feeds):
            job = self.scheduler.get_job(f"feed:{name}")
            if job is not None:
                job.modify(next_run_time=self.now())

    def alive(self) -> bool:
        """The scheduler thread runs and the delivery job ticked recently."""
        late = time.monotonic() - self.stats.heartbeat
        return bool(self.scheduler.running) and late < 3 * self.timing.deliver_every + 30

    def shutdown(self, grace: float = 8.0) -> bool:
        """Start nothing new; wait up to `grace` s for jobs in flight. True when all finished."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + grace
        with self._idle:
            while self._inflight and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
            return self._inflight == 0

    def _every(
        self, job_id: str, func: Callable[[], object], seconds: float, first: datetime
    ) -> None:
        self.scheduler.add_job(
            self._guard(func, leader_only=job_id != "deliver"),
            IntervalTrigger(seconds=seconds),
            id=job_id,
            name=job_id,
            next_run_time=first,
            replace_existing=True,
        )

    def _guard(self, func: Callable[..., object], *, leader_only: bool) -> Callable[..., object]:
        def job(*args: Any) -> object:
            if self.stopping.is_set() or (leader_only and not self.leader()):
                return None
            with self._idle:
                self._inflight += 1
            try:
                return func(*args)
            except Exception:  # one failing job must not stop the others
                log.exception(kv(event="job_failed", job=getattr(func, "__name__", func)))
                return None
            finally:
                with self._idle:
                    self._inflight -= 1
                    self._idle.notify_all()

        return job

    # ------------------------------------------------------------------ feed jobs
    def sync(self) -> None:
        """Give every enabled feed (config, Slack, OPML) a job; drop jobs of removed feeds."""
        wanted: dict[str, Feed] = {f.name: f for f in self.config.feeds if f.enabled}
        added = [s for o in ADDED for s in self.store.feeds(origin=o) if s.name not in wanted]
        slack = {s.name: Feed(s.name, s.url, interval=self.timing.slack_interval) for s in added}
        for name in set(self.feeds) - set(wanted) - set(slack):
            if self.scheduler.get_job(f"feed:{name}"):
                self.scheduler.remove_job(f"feed:{name}")
        # Imported by the operator's CLI (added_by unset), an OPML feed is trusted like config.
        self.poller.guarded = {s.name for s in added if s.origin == "slack" or s.added_by}
        for name, feed in {**wanted, **slack}.items():
            known = self.feeds.get(name)
            self.feeds[name] = feed
            if known is None or known.interval != feed.interval:
                self._add_feed_job(feed)
        for name in set(self.feeds) - set(wanted) - set(slack):
            del self.feeds[name]

    def _add_feed_job(self, feed: Feed) -> None:
        seconds = feed.interval.total_seconds()
        self.poller.resume(feed)
        self.scheduler.add_job(
            self._guard(self.poll, leader_only=True),
            IntervalTrigger(
                seconds=seconds, jitter=min(seconds * self.timing.jitter, 60.0) or None
            ),
            args=[feed.name],
            id=f"feed:{feed.name}",
            name=f"poll {feed.name}",
            executor="polls",
            next_run_time=self.now(),
            replace_existing=True,
        )

    # ------------------------------------------------------------------ other jobs
    def _deliver(self) -> None:
        self.stats.heartbeat = time.monotonic()
        try:
            self.deliver_once()
        finally:
            self.stats.heartbeat = time.monotonic()

    def prune(self) -> int:
        """Drop stories past `retention` from the store and past the dedup window from memory."""
        gone = self.store.prune(self.now() - self.config.retention)
        forgotten = self.pipeline.forget_old()
        if gone or forgotten:
            log.info(kv(event="prune", stories=gone, dedup_window_evicted=forgotten))
        return gone


def start(
    config: Config,
    store: StoreAPI,
    pipeline: Pipeline,
    deliver_once: Callable[[], object],
    *,
    digest: Callable[[Route], object] | None = None,
    notify: Callable[[str], object] | None = None,
    on_poll: Callable[[Outcome], object] | None = None,
    timing: Timing = Timing(),
    leader: Callable[[], bool] = lambda: True,
) -> Scheduler:
    """Build the jobs and start the scheduler thread (see the module docstring)."""
    return Scheduler(
        config,
        store,
        pipeline,
        deliver_once,
        digest=digest,
        notify=notify,
        on_poll=on_poll,
        timing=timing,
        leader=leader,
    ).start()
