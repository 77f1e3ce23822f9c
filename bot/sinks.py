"""Where alerts go: Slack (`SlackSink`) or, with no tokens, the terminal (`TerminalSink`).

Both offer `deliver_once()` (the scheduler's delivery job), `send(channel, blocks, text, keys)`
(digests, see `bot.digest.post_digest`) and `notify(text)` (admin notices). Quiet hours hold a
channel's realtime rows: `outbox_view` hides them from `deliver` until the span ends.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, TextIO, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import digest
from bot.channels import ChannelDirectory
from bot.config import Config, Route
from bot.deliver import deliver, post
from bot.errors import HubnewsError
from bot.health import Health, metrics
from bot.poller import kv
from bot.reconcile import is_user
from bot.render import fallback
from bot.route import REALTIME, known_id, resolved_names
from bot.slack.directory import Directory
from bot.slack_failures import CHANNEL_FIXES, NETWORK_ERRORS, TOKEN_FIXES, UNRESOLVED
from bot.store import StoreAPI
from bot.store.interface import OutboxStore
from bot.store.sqlite.base import now_utc
from bot.store.sqlite.outbox import OutboxRow
from bot.text import for_terminal

log = logging.getLogger("hubnews.sinks")


class _QuietOutbox:
    """The store as `deliver` sees it during quiet hours: quiet channels have nothing due."""

    def __init__(self, store: StoreAPI, quiet: frozenset[str]) -> None:
        self._store, self._quiet = store, quiet

    def due(self, now: datetime, limit: int = 200, *, mode: str = REALTIME) -> list[OutboxRow]:
        rows = self._store.due(now, limit, mode=mode)
        return [row for row in rows if row.channel not in self._quiet]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def outbox_view(store: StoreAPI, routes: tuple[Route, ...], now: datetime) -> OutboxStore:
    """The outbox as this cycle may deliver it: quiet-hours and snoozed channels hold their
    realtime rows (kept, never dropped) until the span ends."""
    snoozed = _with_names(store, routes, frozenset(store.snoozes(now)))
    quiet = digest.quiet_channels(routes, now) | snoozed
    return cast(OutboxStore, _QuietOutbox(store, quiet) if quiet else store)


def _with_names(store: StoreAPI, routes: tuple[Route, ...], ids: frozenset[str]) -> frozenset[str]:
    """Snoozes are kept by channel id (what Slack sends); a route may write "#name"."""
    names = resolved_names(routes, store.channel_id)
    return ids | {name for name, channel_id in names.items() if channel_id in ids}


def ended_snoozes(store: StoreAPI, routes: tuple[Route, ...], now: datetime) -> frozenset[str]:
    """Channels (ids, and route names for them) whose snooze has ended: their held alerts go
    out as one catch-up message in this cycle (`clear_snoozes` afterwards)."""
    return _with_names(store, routes, frozenset(store.ended_snoozes(now)))


def clear_snoozes(store: StoreAPI, ended: frozenset[str], now: datetime) -> None:
    """Forget ended snoozes whose held alerts are all out (a 429 keeps one for the next cycle)."""
    if not ended:
        return
    waiting = {row.channel for row in store.due(now, 1000)}
    waiting |= {known_id(channel, store.channel_id) for channel in waiting}
    for channel in ended - waiting:
        if not channel.startswith("#"):
            store.unsnooze(channel)


class TerminalSink:
    """Slack stand-in when no tokens are set: each due alert is printed once, then `posted`."""

    def __init__(self, store: StoreAPI, routes: tuple[Route, ...], out: TextIO) -> None:
        self.store, self.routes, self.out = store, routes, out
        self._lock = threading.Lock()
        stuck = [row.id for row in store.in_doubt()]
        if stuck:  # a crash mid-print: print those again rather than lose them
            store.mark_retry(stuck, None, now_utc(), count=False)

    def deliver_once(self) -> int:
        with self._lock:
            now = now_utc()
            ended = ended_snoozes(self.store, self.routes, now)
            rows = outbox_view(self.store, self.routes, now).due(now)
            for row in rows:
                self._print(row, now)
            clear_snoozes(self.store, ended, now)
            return len(rows)

    def _print(self, row: OutboxRow, now: datetime) -> None:
        story = self.store.get_story(row.story_key)
        if story is None:
            self.store.mark_failed([row.id], "story not found in the store")
            return
        if not self.store.mark_posting([row.id], now):
            return  # another deliverer on this database printed it
        head = "  ↳ +1 source: " if row.kind == "thread" else "ALERT "
        watches = self.store.watches_hit_by(row.story_key, row.channel)
        if watches:  # a watch's DM or channel post
            head = "DM " if is_user(row.channel) else "WATCH "
            head += "(" + ", ".join(f"#{w.id} “{w.query}”" for w in watches) + ") "
        self.write(f"{head}[{row.channel}] {story.title} — {story.source.title} {story.url}")
        self.store.mark_posted([row.id], f"terminal-{row.id}", now)
        metrics.alerts.inc()
        log.info(kv(event="post", sink="terminal", channel=row.channel, story=row.story_key))

    def send(self, channel: str, blocks: list[dict], text: str, keys: list[str]) -> str:
        self.write(f"DIGEST [{channel}] {text}")
        for block in blocks[1:]:
            self.write("  " + str(block.get("text", {}).get("text", "")).replace("\n", " — "))
        return f"terminal-digest-{now_utc().timestamp():.0f}"

    def notify(self, text: str) -> None:
        self.write(f"NOTICE {text}")

    def write(self, line: str) -> None:
        self.out.write(for_terminal(line) + "\n")  # feed text: no escapes, controls or bidi
        self.out.flush()


class SlackSink:
    """Delivery, digests and admin notices through the Web API, to channel ids only: the
    routes' `#name`s (and `admin_channel`) are resolved once at start (`ChannelDirectory`)."""

    def __init__(self, config: Config, store: StoreAPI, client: WebClient, health: Health) -> None:
        self.config, self.store, self.client, self.health = config, store, client, health
        self.channels = ChannelDirectory(client, store, refresh=config.limits.hold_retry)
        self.people = Directory(client)  # a watch's DM: the user's DM channel
        named = [route.channel for route in (*config.routes, *store.slack_routes())]
        admin = getattr(config, "admin_channel", None)
        self.channels.resolve_all([*named, *([admin] if admin else [])])

    def resolve(self, recipient: str) -> str | None:
        """`#name` -> channel id; a user id -> the DM channel with that user."""
        return self.people.dm_channel(recipient) if is_user(recipient) else self.channels(recipient)

    def deliver_once(self) -> int:
        limits, now = self.config.limits, now_utc()
        catch_up = ended_snoozes(self.store, self.config.routes, now)
        report = deliver(
            outbox_view(self.store, self.config.routes, now),
            self.client,
            self.store.get_story,
            flood=limits.flood,
            per_channel_interval=limits.post_interval,
            max_attempts=limits.max_attempts,
            backoff=limits.retry_backoff,
            hold_retry=limits.hold_retry,
            resolve=self.resolve,
            catch_up=catch_up,
        )
        clear_snoozes(self.store, catch_up, now_utc())
        metrics.alerts.inc(report.posted)
        for problem in report.problems:
            token_error = next((e for e in TOKEN_FIXES if f"error={e}" in problem), None)
            if token_error:
                self.health.set_slack(token_error)
        if report.messages or report.failed or report.held:
            log.info(
                kv(
                    event="deliver",
                    posted=report.posted,
                    messages=report.messages,
                    failed=report.failed,
                    held=report.held,
                    retried=report.retried,
                )
            )
        return report.posted

    def send(self, channel: str, blocks: list[dict], text: str, keys: list[str]) -> str:
        channel_id = self.channels(channel)
        if channel_id is None:
            raise HubnewsError(f"{channel}: {UNRESOLVED}", hint=CHANNEL_FIXES[UNRESOLVED])
        answer = post(self.client, channel_id, blocks, text, {"key": keys[0], "keys": keys})
        return str(answer["ts"])

    def notify(self, text: str) -> None:
        targets = admin_targets(self.config)
        for name in targets:
            target = self.channels(name)
            if target is None:
                log.error(kv(event="notice_failed", channel=name, error=UNRESOLVED))
                continue
            try:
                self.client.chat_postMessage(channel=target, text=fallback(text, 3000))
            except (SlackClientError, *NETWORK_ERRORS) as exc:
                log.error(kv(event="notice_failed", channel=target, error=type(exc).__name__))
        if not targets:
            log.warning(
                kv(
                    event="notice_unsent",
                    fix="set admin_channel or admins in the "
                    "config to hear about disabled feeds in Slack",
                )
            )


def admin_targets(config: Config) -> list[str]:
    """Where admin notices go: `admin_channel` when configured, else each admin's DM."""
    channel = getattr(config, "admin_channel", None)
    return [channel] if channel else list(config.admins)
