"""Find what a crash left half-done: which outbox rows Slack already shows as posted.

`reconcile(store, client)` settles rows left in `posting`: it reads the channel's history (or
the thread's replies), paging back with the cursor to the post's time (at most `HISTORY_PAGES`
pages), and finds hubnews posts by their message metadata
`{"event_type": "hubnews_story_posted", "event_payload": {"key": ..., "keys": [...]}}` (posts
made before the event type was renamed, `hubnews_story`, count too). Rows found are marked
posted with their `ts`; the rest go back to pending. Channels are read by id only: a route's
`#name`, or a user id (a watch's DM), goes through `resolve`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.logs import kv
from bot.route import THREAD
from bot.slack_failures import CHANNEL_FIXES, NETWORK_ERRORS, UNRESOLVED, classify
from bot.store.interface import OutboxStore
from bot.store.sqlite.base import now_utc
from bot.store.sqlite.outbox import OutboxRow

log = logging.getLogger("hubnews.deliver")

EVENT_TYPE = "hubnews_story_posted"  # Slack's noun_past-tense-verb style
EVENT_TYPES = frozenset({EVENT_TYPE, "hubnews_story"})  # the old type: upgrades mid-outbox
HISTORY_PAGE = 200  # messages per conversations.history page
HISTORY_PAGES = 10  # pages read back to a post's time before giving up (logged)
Resolve = Callable[[str], str | None]  # a route's channel ("#name" or id) -> channel id


def posted_keys(
    client: WebClient,
    channel: str,
    thread_ts: str | None,
    oldest: datetime | None,
    *,
    max_pages: int = HISTORY_PAGES,
) -> dict[str, tuple[str, bool]] | None:
    """Story key -> (ts, batched) of hubnews posts in the channel (or thread) since `oldest`.

    Pages through the history with the cursor, at most `max_pages` pages of HISTORY_PAGE.
    None when the history cannot be read right now (try again later); {} when it cannot be read
    at all (missing scope, bot not in channel): the caller then posts again, logged.
    """
    args: dict[str, Any] = {"channel": channel, "limit": HISTORY_PAGE, "include_all_metadata": True}
    if oldest is not None:
        args["oldest"] = f"{(oldest - timedelta(minutes=2)).timestamp():.6f}"
    found: dict[str, tuple[str, bool]] = {}
    for _ in range(max_pages):
        try:
            if thread_ts:
                answer = client.conversations_replies(ts=thread_ts, **args)
            else:
                answer = client.conversations_history(**args)
        except (SlackClientError, *NETWORK_ERRORS) as exc:
            failure = classify(exc)
            if failure.kind in ("rate", "transient"):
                return None
            log.warning(
                kv(
                    event="reconcile_unverified",
                    channel=channel,
                    error=failure.error,
                    fix="add channels:history (groups:history for private channels) and "
                    "invite the bot, or a crashed post may be repeated",
                )
            )
            return {}
        found.update(_hubnews_posts(answer.get("messages") or []))
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return found
        args["cursor"] = cursor
    log.warning(
        kv(
            event="reconcile_truncated",
            channel=channel,
            pages=max_pages,
            fix="the channel is busier than the pages read; a crashed post may be repeated",
        )
    )
    return found


def _hubnews_posts(messages: Iterable[dict[str, Any]]) -> dict[str, tuple[str, bool]]:
    found: dict[str, tuple[str, bool]] = {}
    for message in messages:
        meta = message.get("metadata") or {}
        if meta.get("event_type") not in EVENT_TYPES:
            continue
        payload = meta.get("event_payload") or {}
        keys = [str(k) for k in payload.get("keys") or [payload.get("key")] if k]
        for key in keys:
            found[key] = (str(message["ts"]), len(keys) > 1)
    return found


def target(channel: str, resolve: Resolve | None) -> str | None:
    """The channel id to call Slack with: ids as they are; `#name`s, and user ids (a watch's
    DM, whose channel `conversations.open` gives), through `resolve`."""
    if not channel.startswith("#") and not is_user(channel):
        return channel
    return resolve(channel) if resolve is not None else None


def is_user(recipient: str) -> bool:
    """A user id ("U…"/"W…"): the outbox row is a DM to that user (a personal watch)."""
    return len(recipient) > 2 and recipient[0] in "UW" and recipient[1:].isalnum()


def reconcile(
    store: OutboxStore,
    client: WebClient,
    *,
    now: datetime | None = None,
    resolve: Resolve | None = None,
) -> int:
    """Settle rows left in `posting` by a crash; returns how many turned out posted."""
    found = 0
    for rows in by_channel(store.in_doubt()).values():
        for same_parent in by_thread(rows):
            found += settle(store, client, same_parent, now or now_utc(), resolve)
    return found


def settle(
    store: OutboxStore,
    client: WebClient,
    rows: list[OutboxRow],
    now: datetime,
    resolve: Resolve | None = None,
) -> int:
    """Mark the rows Slack's history shows as posted; the rest go back to pending."""
    channel = target(rows[0].channel, resolve)
    if channel is None:  # cannot look: leave them in doubt rather than post twice
        log.error(
            kv(
                event="reconcile_unresolved",
                channel=rows[0].channel,
                error=UNRESOLVED,
                fix=CHANNEL_FIXES[UNRESOLVED],
            )
        )
        return 0
    parent = store.posted_ts(rows[0].thread_key, rows[0].channel) if rows[0].thread_key else None
    if rows[0].kind == THREAD and parent is None:
        keys: dict[str, tuple[str, bool]] | None = {}
    else:
        oldest = min((r.attempted_at for r in rows if r.attempted_at), default=None)
        keys = posted_keys(client, channel, parent, oldest)
    if keys is None:
        return 0  # history unavailable for now; leave the rows as they are
    done = 0
    for row in rows:
        if row.story_key in keys:
            ts, batched = keys[row.story_key]
            store.mark_posted([row.id], ts, now, batched=batched, channel_id=channel)
            done += 1
        elif row.state != "pending" or row.verify:
            store.mark_retry([row.id], row.last_error, now, count=False)
    return done


def by_channel(rows: Iterable[OutboxRow]) -> dict[str, list[OutboxRow]]:
    grouped: dict[str, list[OutboxRow]] = {}
    for row in rows:
        grouped.setdefault(row.channel, []).append(row)
    return grouped


def by_thread(rows: list[OutboxRow]) -> list[list[OutboxRow]]:
    """Rows of one channel grouped by where their message lives (channel or a thread)."""
    groups: dict[str | None, list[OutboxRow]] = {}
    for row in rows:
        groups.setdefault(row.thread_key, []).append(row)
    return list(groups.values())
