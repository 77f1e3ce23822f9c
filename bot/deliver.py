"""Post the outbox to Slack: in order, paced per channel, retried, never posted twice.

One cycle (`deliver`): reconcile rows a crash left in `posting`; take the due rows (FIFO per
channel); check Slack history for rows whose last attempt had an unknown fate; batch a channel's
alerts into one message when more than `flood` are due; post, at most one message per
`per_channel_interval` seconds per channel — across processes too: the slot is taken in the
database (`take_slot`), and a deliverer that finds a channel's rows claimed by another leaves
that channel to it for the cycle, so replicas keep each channel's order. What a failure does:

    429 (Retry-After)                   pending until Retry-After; not a failure; channel paused
    5xx, timeout, connection lost       pending, exponential backoff, `verify` history first
    other `ok: false` errors            pending, exponential backoff; failed after max_attempts
    channel / permission problems       held: operator log line with the fix, retried slowly
    token problems                      held, and the cycle stops (every post would fail)
    invalid blocks, message too long    failed (kept in the outbox, never deleted)

Every post sets `unfurl_links=False`, `unfurl_media=False` and message metadata
`{"event_type": "hubnews_story_posted", "event_payload": {"key": ..., "keys": [...]}}`:
reconciliation finds a post by that key in `conversations.history` (or `.replies` for thread
replies), paging back with the cursor to the post's time (at most `HISTORY_PAGES` pages); posts
made before the event type was renamed (`hubnews_story`) are recognised too.
Channels are posted to and reconciled by id only: a route's `#name` goes through `resolve`
(`bot.channels.ChannelDirectory`); a name that does not resolve holds its rows with an operator
line (fix the name, use the id, invite the bot).
Build the client with `make_client`: slack_sdk's own connection retry would re-send a post whose
fate is unknown, which this module does only after looking at the channel's history.

What a failure means is `bot.slack_failures`; finding what a crash left half-posted is
`bot.reconcile`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.logs import kv
from bot.reconcile import (
    EVENT_TYPE,
    Resolve,
    by_channel,
    by_thread,
    is_user,
    reconcile,
    settle,
    target,
)
from bot.render import batch_capacity, render_alert, render_batch, render_thread_reply
from bot.route import ALERT, SUMMARY, THREAD
from bot.slack_failures import (
    CHANNEL_FIXES,
    NETWORK_ERRORS,
    TOKEN_FIXES,
    UNRESOLVED,
    Failure,
    classify,
)
from bot.store.interface import OutboxStore
from bot.store.sqlite.base import now_utc
from bot.store.sqlite.outbox import FAILED, OutboxRow
from bot.story import Story

log = logging.getLogger("hubnews.deliver")
_RUNNING = threading.Lock()
SLOT_TRIES = 3  # waits for a channel's shared posting slot before leaving it to the next cycle


@dataclass
class DeliveryReport:
    posted: int = 0  # rows posted (a batch counts each of its stories)
    messages: int = 0  # chat.postMessage calls that succeeded
    batches: int = 0
    rate_limited: int = 0
    retried: int = 0
    held: int = 0
    failed: int = 0
    waiting: int = 0  # thread replies whose original is not posted yet
    reconciled: int = 0  # rows found already posted in Slack's history
    problems: list[str] = field(default_factory=list)  # operator messages


class SlotStore(Protocol):
    """Where processes on one database share each channel's pace (the outbox store)."""

    def take_slot(self, channel: str, interval: float, now: float | None = None) -> float: ...
    def push_slot(self, channel: str, interval: float, now: float | None = None) -> None: ...


class Pacer:
    """At most one message per `interval` seconds per channel; remembers Retry-After pauses.

    `shared` (the store) extends the pace to every process delivering from one database:
    before each post the channel's slot is taken there (`take_slot`, waiting for it a few times
    at most; `take` says False when other deliverers keep it busy), and when the post ends the
    next slot is pushed to an interval after that (`push_slot`)."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SlotStore | None = None,
    ) -> None:
        self.interval, self.clock, self.sleep, self.shared = interval, clock, sleep, shared
        self._ready: dict[str, float] = {}

    def take(self, channel_id: str) -> bool:
        """Take the channel's shared slot (True at once without `shared`)."""
        if self.shared is None:
            return True
        for _ in range(SLOT_TRIES):
            delay = self.shared.take_slot(channel_id, self.interval)
            if delay <= 0:
                return True
            self.sleep(min(delay, self.interval))
        return False

    def ready_at(self, channel: str) -> float:
        return self._ready.get(channel, float("-inf"))

    def wait(self, channel: str) -> None:
        delay = self.ready_at(channel) - self.clock()
        if delay > 0:
            self.sleep(delay)

    def sent(self, channel: str, channel_id: str | None = None) -> None:
        self._ready[channel] = max(self.ready_at(channel), self.clock() + self.interval)
        if self.shared is not None and channel_id is not None:
            self.shared.push_slot(channel_id, self.interval)

    def pause(self, channel: str, seconds: float) -> None:
        self._ready[channel] = max(self.ready_at(channel), self.clock() + seconds)


def post(
    client: WebClient,
    channel: str,
    blocks: list[dict],
    text: str,
    payload: dict[str, Any],
    *,
    thread_ts: str | None = None,
) -> Any:
    """One message as hubnews posts them: no unfurls, the story keys in its metadata (which
    is how a post whose fate is unknown is found again in the channel's history)."""
    return client.chat_postMessage(
        channel=channel,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        unfurl_links=False,
        unfurl_media=False,
        metadata={"event_type": EVENT_TYPE, "event_payload": payload},
    )


def make_client(
    token: str, *, base_url: str = "https://slack.com/api/", timeout: int = 15
) -> WebClient:
    """A WebClient for delivery: no built-in retries (deliver retries after checking history)."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


def deliver(
    store: OutboxStore,
    client: WebClient,
    load_story: Callable[[str], Story | None],
    *,
    now: datetime | None = None,
    flood: int = 10,
    per_channel_interval: float = 1.0,
    max_attempts: int = 8,
    backoff: float = 30.0,
    max_backoff: float = 3600.0,
    hold_retry: float = 900.0,
    limit: int = 200,
    batch_size: int = 40,
    max_wait: float = 5.0,
    pacer: Pacer | None = None,
    resolve: Resolve | None = None,
    catch_up: frozenset[str] = frozenset(),
) -> DeliveryReport:
    """One delivery cycle over the due outbox rows (see the module docstring). Channels in
    `catch_up` (a snooze just ended) get their due alerts as one batched message.

    Cycles never overlap within a process: a call made while another runs returns at once with
    an empty report (an overlapping cycle would take the other's in-flight posts for crashes).
    """
    if not _RUNNING.acquire(blocking=False):
        return DeliveryReport(problems=["a delivery cycle is already running"])
    try:
        cycle = _Cycle(
            store,
            client,
            load_story,
            now,
            pacer or Pacer(per_channel_interval, shared=store),
            max_attempts,
            backoff,
            max_backoff,
            hold_retry,
            resolve,
        )
        return cycle.run(
            flood=flood, limit=limit, batch_size=batch_size, max_wait=max_wait, catch_up=catch_up
        )
    finally:
        _RUNNING.release()


def _plan(rows: list[OutboxRow], flood: int, batch_size: int) -> list[list[OutboxRow]]:
    """Messages for one channel: alerts batched when more than `flood`, else one per row."""
    alerts = [row for row in rows if row.kind == ALERT]
    if len(alerts) <= flood:
        return [[row] for row in rows]
    batches = [alerts[i : i + batch_size] for i in range(0, len(alerts), batch_size)]
    return batches + [[row] for row in rows if row.kind != ALERT]


class _Cycle:
    def __init__(
        self,
        store: OutboxStore,
        client: WebClient,
        load_story: Callable[[str], Story | None],
        now: datetime | None,
        pacer: Pacer,
        max_attempts: int,
        backoff: float,
        max_backoff: float,
        hold_retry: float,
        resolve: Resolve | None = None,
    ) -> None:
        self.store, self.client, self.load_story, self.pacer = store, client, load_story, pacer
        self.resolve = resolve
        self.fixed_now, self.max_attempts = now, max_attempts
        self.backoff, self.max_backoff, self.hold_retry = backoff, max_backoff, hold_retry
        self.report = DeliveryReport()

    def now(self) -> datetime:
        return self.fixed_now or now_utc()

    def run(
        self,
        *,
        flood: int,
        limit: int,
        batch_size: int,
        max_wait: float,
        catch_up: frozenset[str] = frozenset(),
    ) -> DeliveryReport:
        self.report.reconciled += reconcile(
            self.store, self.client, now=self.fixed_now, resolve=self.resolve
        )
        queues: dict[str, list[list[OutboxRow]]] = {}
        for channel, rows in by_channel(self.store.due(self.now(), limit)).items():
            rows = self.verify(channel, rows)
            if rows:
                queues[channel] = _plan(rows, 1 if channel in catch_up else flood, batch_size)
        while queues:
            channel = min(queues, key=self.pacer.ready_at)
            if self.pacer.ready_at(channel) - self.pacer.clock() > max_wait:
                break  # every channel left is paused beyond this cycle
            outcome, rest = self.send(channel, queues[channel].pop(0))
            if rest:
                queues[channel].insert(0, rest)  # what one batched message could not hold
            if outcome == "stop":
                break
            if outcome == "skip" or not queues[channel]:
                del queues[channel]
        return self.report

    def verify(self, channel: str, rows: list[OutboxRow]) -> list[OutboxRow]:
        """Drop rows Slack's history shows as posted already (their last attempt was unsure)."""
        unsure = [row for row in rows if row.verify]
        for same_parent in by_thread(unsure):
            self.report.reconciled += settle(
                self.store, self.client, same_parent, self.now(), self.resolve
            )
        fresh = [self.store.outbox_row(row.id) for row in unsure]
        if any(row is not None and row.verify for row in fresh):
            return []  # history unreadable for now: keep this channel's order, try next cycle
        settled = {row.id for row in fresh if row is not None and row.state == "posted"}
        return [row for row in rows if row.id not in settled]

    def send(self, channel: str, rows: list[OutboxRow]) -> tuple[str, list[OutboxRow]]:
        """Post one message: ("next" | "skip" rest of channel | "stop" cycle, rows left over)."""
        if rows[0].kind == SUMMARY:  # no story behind it: the message is the row's text
            text = rows[0].text or "stories were stored without alerts"
            block = {"type": "section", "text": {"type": "plain_text", "text": text}}
            return self._post(rows[:1], [block], text, None), rows[1:]
        stories = [self.load_story(row.story_key) for row in rows]
        missing = [row.id for row, story in zip(rows, stories, strict=True) if story is None]
        if missing:
            self.store.mark_failed(missing, "story not found in the store")
            self.report.failed += len(missing)
        pairs = [(r, s) for r, s in zip(rows, stories, strict=True) if s is not None]
        parent = self._parent(pairs[0][0]) if len(pairs) == 1 and rows[0].kind == THREAD else None
        if not pairs or (rows[0].kind == THREAD and parent is None):
            return "next", []
        try:
            shown, blocks, text = self._render(pairs)
        except Exception as exc:  # a rendering bug must not stop the other posts
            log.exception(kv(event="render_failed", channel=channel, story=rows[0].story_key))
            self.store.mark_failed([row.id for row, _ in pairs], f"render failed: {exc!r}"[:300])
            self.report.failed += len(pairs)
            return "next", []
        rest = [row for row, _ in pairs[len(shown) :]]
        return self._post(shown, blocks, text, parent), rest

    def _render(
        self, pairs: list[tuple[OutboxRow, Story]]
    ) -> tuple[list[OutboxRow], list[dict], str]:
        if len(pairs) > 1:
            shown = pairs[: batch_capacity([story for _, story in pairs])]
            return [row for row, _ in shown], *render_batch([story for _, story in shown])
        row, story = pairs[0]
        if row.kind == ALERT:
            return [row], *render_alert(story, watched=self._watch_note(row))
        original = self.load_story(row.thread_key or "")
        return [row], *render_thread_reply(story, update=_same_outlet(original, story))

    def _watch_note(self, row: OutboxRow) -> str | None:
        """For a watch's message: which watches matched, as its first line."""
        hits = getattr(self.store, "watches_hit_by", None)
        watches = hits(row.story_key, row.channel) if hits is not None else []
        if not watches:
            return None
        names = ", ".join(f"#{w.id} “{w.query}”" for w in watches[:5])
        if is_user(row.channel):
            return f"Your watch {names} matched"
        return f"Watch {names} matched"

    def _parent(self, row: OutboxRow) -> str | None:
        """The ts to reply under, or None: wait for the original (or give up if it failed)."""
        assert row.thread_key is not None
        parent = self.store.posted_ts(row.thread_key, row.channel)
        if parent is None:
            if self.store.alert_state(row.thread_key, row.channel) in (None, FAILED):
                self.store.mark_failed([row.id], "the original alert was not posted here")
                self.report.failed += 1
            else:
                self.report.waiting += 1
        return parent

    def _post(
        self, rows: list[OutboxRow], blocks: list[dict], text: str, thread_ts: str | None
    ) -> str:
        channel, ids = rows[0].channel, [row.id for row in rows]
        keys = [row.story_key for row in rows]
        payload: dict[str, Any] = {"key": keys[0]} | ({"keys": keys} if len(keys) > 1 else {})
        channel_id = target(channel, self.resolve)
        if channel_id is None:
            return self._failed(rows, Failure("channel", UNRESOLVED))
        self.pacer.wait(channel)
        if not self.pacer.take(channel_id):
            log.info(kv(event="post_deferred", channel=channel, story=keys[0], why="paced"))
            return "skip"  # another replica is posting to this channel: its turn, not ours
        if not self.store.mark_posting(ids, self.now()):
            log.warning(kv(event="post_skipped", channel=channel, story=keys[0], why="claimed"))
            return "skip"  # another deliverer took the rows since `due`: it has this channel
            # now, and posting the rows behind them meanwhile would swap the channel's order
        try:
            answer = post(self.client, channel_id, blocks, text, payload, thread_ts=thread_ts)
        except (SlackClientError, *NETWORK_ERRORS) as exc:
            self.pacer.sent(channel, channel_id)
            return self._failed(rows, classify(exc))
        self.pacer.sent(channel, channel_id)
        self.store.mark_posted(
            ids, str(answer["ts"]), self.now(), batched=len(rows) > 1, channel_id=channel_id
        )
        log.info(
            kv(
                event="post",
                channel=channel,
                story=keys[0],
                stories=len(keys),
                ts=answer["ts"],
                thread=thread_ts or "-",
            )
        )
        self.report.posted += len(rows)
        self.report.messages += 1
        self.report.batches += len(rows) > 1
        return "next"

    def _failed(self, rows: list[OutboxRow], failure: Failure) -> str:
        ids, now = [row.id for row in rows], self.now()
        if failure.kind == "rate":
            self.pacer.pause(rows[0].channel, failure.retry_after)
            later = now + timedelta(seconds=failure.retry_after)
            self.store.mark_retry(ids, failure.error, later, count=False)
            self.report.rate_limited += 1
            return "skip"
        if failure.kind in ("channel", "token"):
            fixes = TOKEN_FIXES if failure.kind == "token" else CHANNEL_FIXES
            self._tell(rows[0], failure.error, fixes[failure.error])
            self.store.mark_held(ids, failure.error, now + timedelta(seconds=self.hold_retry))
            self.report.held += len(ids)
            return "stop" if failure.kind == "token" else "skip"
        attempts = max(row.attempts for row in rows) + 1
        if failure.kind == "permanent" or attempts >= self.max_attempts:
            self._tell(rows[0], failure.error, "see the error; the alert stays in the outbox")
            self.store.mark_failed(ids, failure.error, attempted=True)
            self.report.failed += len(ids)
            return "next"
        delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
        self.store.mark_retry(
            ids, failure.error, now + timedelta(seconds=delay), verify=failure.verify
        )
        self.report.retried += len(ids)
        return "skip"

    def _tell(self, row: OutboxRow, error: str, fix: str) -> None:
        line = kv(
            event="deliver_failed", channel=row.channel, story=row.story_key, error=error, fix=fix
        )
        log.error(line)
        self.report.problems.append(line)


def _same_outlet(original: Story | None, copy: Story) -> bool:
    """A copy from the original's own feed or site is an update, not "+1 source"."""
    if original is None:
        return False
    domain = copy.source.domain.lower().removeprefix("www.")
    return original.source.feed == copy.source.feed or (
        bool(domain) and original.source.domain.lower().removeprefix("www.") == domain
    )
