"""Daily digests and quiet hours.

Digest: a route with `mode = "digest"` queues its deliveries in the outbox with mode "digest"
(`route.route` does this); once a day, at `route.at` in `route.timezone`, `post_digest` takes
the channel's waiting digest rows, groups them by story cluster, ranks the clusters by the
number of independent sources (distinct domains among the original and its copies; ties: more
stories, then the earlier first story), and posts the top N as one message with links. All the
rows go to `posted` with the digest's ts (a crash between post and bookkeeping leaves them in
`posting`, which `bot.reconcile` settles from the message's metadata keys).

Quiet hours: `quiet_channels(routes, now)` names the channels whose realtime alerts wait now
(any realtime route to the channel whose `quiet_hours` span, in its timezone, covers `now`;
a span may cross midnight). The rows stay pending and go out when the span ends.

Rendering is pure (`render_digest`); feed text goes through `bot.render`'s escape and link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Route
from bot.render import escape, inert, link, safe_url
from bot.route import ALERT, DIGEST
from bot.store import StoreAPI
from bot.store.sqlite.outbox import OutboxRow
from bot.story import Story

log = logging.getLogger("hubnews.digest")
TOP_N = 10
TITLE_MAX = 200
Send = Callable[[str, list[dict], str, list[str]], str]  # (channel, blocks, text, keys) -> ts


@dataclass(frozen=True, slots=True)
class Item:
    story: Story  # the cluster's first story
    domains: tuple[str, ...]  # distinct domains among the cluster's stories, first seen first
    stories: int  # stories in the cluster

    @property
    def sources(self) -> int:
        return len(self.domains)


# ------------------------------------------------------------------ quiet hours


def in_span(moment: time, span: tuple[time, time]) -> bool:
    """Is `moment` inside [start, end)? A span whose end is before its start crosses midnight."""
    start, end = span
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def is_quiet(route: Route, now: datetime) -> bool:
    if route.quiet_hours is None or route.mode == DIGEST:
        return False
    local = now.astimezone(ZoneInfo(route.timezone)).time().replace(tzinfo=None)
    return in_span(local, route.quiet_hours)


def quiet_channels(routes: Sequence[Route], now: datetime) -> frozenset[str]:
    return frozenset(route.channel for route in routes if is_quiet(route, now))


# ------------------------------------------------------------------ ranking and rendering


def item_for(cluster: Sequence[Story]) -> Item:
    domains: list[str] = []
    for story in cluster:
        name = (story.source.domain or story.source.feed).lower().removeprefix("www.")
        if name and name not in domains:
            domains.append(name)
    return Item(cluster[0], tuple(domains), len(cluster))


def rank(items: Sequence[Item]) -> list[Item]:
    """Most independent sources first; then more stories; then the earlier first story."""

    def first_seen(item: Item) -> float:
        published = item.story.published
        return published.timestamp() if published else float("inf")

    return sorted(items, key=lambda i: (-i.sources, -i.stories, first_seen(i)))


def render_digest(items: Sequence[Item], day: str, *, top: int = TOP_N) -> tuple[list[dict], str]:
    """The digest message: a title line, one section per top cluster, a count of the rest."""
    shown = list(items[:top])
    blocks: list[dict] = [_section(f"*Daily digest — {escape(day)}* · {len(items)} stories")]
    for number, item in enumerate(shown, 1):
        story = item.story
        title = inert(story.title, TITLE_MAX) or "(untitled)"
        url = story.url if safe_url(story.url) else story.canonical_url
        plural = "s" if item.sources != 1 else ""
        where = ", ".join(escape(d) for d in item.domains[:5])
        more = f" +{item.sources - 5}" if item.sources > 5 else ""
        blocks.append(
            _section(
                f"{number}. *{link(url, title)}*\n{item.sources} source{plural}: {where}{more}"
            )
        )
    if len(items) > len(shown):
        rest = len(items) - len(shown)
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {rest} more in `/hubnews` search"}],
            }
        )
    return blocks, f"Daily digest — {day}: {len(items)} stories"


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


# ------------------------------------------------------------------ the daily job


def collect(store: StoreAPI, rows: Sequence[OutboxRow]) -> list[Item]:
    """One item per cluster among the rows' stories (alert rows; copies count as sources)."""
    items: dict[str, Item] = {}
    for row in rows:
        if row.kind != ALERT:
            continue
        cluster = store.cluster(row.story_key)
        if cluster and cluster[0].key not in items:
            items[cluster[0].key] = item_for(cluster)
    return rank(list(items.values()))


def post_digest(
    store: StoreAPI, route: Route, send: Send, now: datetime, *, top: int = TOP_N
) -> int:
    """Post the channel's waiting digest rows as one message; returns how many rows it took."""
    rows = [
        r
        for r in store.due(now + timedelta(days=1), 10_000, mode=DIGEST)
        if r.channel == route.channel
    ]
    if not rows:
        log.info(f"event=digest channel={route.channel} stories=0")
        return 0
    items = collect(store, rows)
    day = now.astimezone(ZoneInfo(route.timezone)).strftime("%d %b %Y")
    blocks, text = render_digest(items, day, top=top)
    keys = [item.story.key for item in items] or [rows[0].story_key]
    ids = [row.id for row in rows]
    if not store.mark_posting(ids, now):
        return 0  # another deliverer on this database took the rows
    try:
        ts = send(route.channel, blocks, text, keys)
    except Exception as exc:  # the rows wait for the next digest; the operator hears why
        store.mark_retry(ids, f"digest post failed: {exc}"[:300], now)
        log.error(f"event=digest_failed channel={route.channel} error={type(exc).__name__}")
        return 0
    store.mark_posted(ids, ts, now, batched=True)
    log.info(f"event=digest channel={route.channel} stories={len(items)} rows={len(ids)} ts={ts}")
    return len(ids)
