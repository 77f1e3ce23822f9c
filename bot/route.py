"""Which channels hear about a story: `[[routes]]` rules as a pure function.

`route(story, routes)` checks every route and returns at most one `Delivery` per channel.
For each route, in this order:

1. Sources: when `route.sources` is not empty, the story's source must match one of them.
2. Excluded sources: a story whose source matches any of `route.exclude_sources` is skipped.
   A source pattern matches the feed's configured name, the feed's title (both case-insensitive,
   whole string) or its domain: `scmp.com` matches `scmp.com`, `www.scmp.com` and
   `amp.scmp.com` (the item link's host counts as well as `story.source.domain`).
3. Copies: a story with `story.duplicate` set is never alerted top-level. It becomes a "thread"
   delivery (`thread_key = story.duplicate_of`) for every channel whose source rules pass; tags
   and scores are not re-checked, because a copy follows its original. The outbox keeps only
   thread deliveries whose original has an alert in that channel (`OutboxMixin.enqueue`).
4. Tags: the story must carry at least one tag; when `route.tags` is not empty, at least one of
   the story's tags must be listed ("any of").
5. Score: at least one of the matching tags scores `>= route.min_score`, and at least the
   channel's threshold for that tag learned from the team's votes (`bot.tuning`), if any.

When several routes send a story to one channel it is delivered there once; `realtime` wins
over `digest`. Deliveries come out in the order of the routes in the config.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import Route
from bot.story import Story
from bot.tuning import Thresholds, passes

NO_TUNING: Thresholds = {}

ALERT = "alert"
THREAD = "thread"
SUMMARY = "summary"  # one message standing for stories held by the alert limits (bot.pipeline)
REALTIME = "realtime"
DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to post: a top-level alert, a thread reply under the original's alert, or a
    summary (`text`; its `story_key` "summary:<feed>:<first held key>" has no story behind it)."""

    channel: str
    story_key: str
    kind: str = ALERT  # ALERT or THREAD
    thread_key: str | None = None  # for THREAD: the key of the story whose alert it replies to
    mode: str = REALTIME  # REALTIME or DIGEST
    text: str | None = None  # for SUMMARY: the message


def route(story: Story, routes: Sequence[Route], tuned: Thresholds = NO_TUNING) -> list[Delivery]:
    """The deliveries of `story` under `routes` (see the module docstring for the rules)."""
    found: dict[str, Delivery] = {}
    for rule in routes:
        if not _source_passes(story, rule):
            continue
        if story.duplicate is not None:
            delivery = Delivery(
                rule.channel, story.key, THREAD, story.duplicate.original_key, rule.mode
            )
        elif _tags_pass(story, rule, tuned):
            delivery = Delivery(rule.channel, story.key, ALERT, None, rule.mode)
        else:
            continue
        earlier = found.get(rule.channel)
        if earlier is None or (earlier.mode != REALTIME and delivery.mode == REALTIME):
            found[rule.channel] = delivery
    return list(found.values())


def known_id(channel: str, lookup: Callable[[str], str | None]) -> str:
    """The channel id for a route's channel: ids as they are, a `#name` through `lookup` (the
    store's resolved names), or the name itself while it is unresolved."""
    return (lookup(channel) or channel) if channel.startswith("#") else channel


def resolved_names(routes: Sequence[Route], lookup: Callable[[str], str | None]) -> dict[str, str]:
    """`#name` -> channel id for the routes' names resolved so far (Slack sends ids; votes,
    snoozes and memberships are kept by id)."""
    names = {route.channel for route in routes if route.channel.startswith("#")}
    return {name: channel_id for name in names if (channel_id := lookup(name))}


def channels_for(story: Story, routes: Sequence[Route], tuned: Thresholds = NO_TUNING) -> list[str]:
    """The channels `story` would be alerted to top-level (always [] for a copy)."""
    return [d.channel for d in route(story, routes, tuned) if d.kind == ALERT]


def _tags_pass(story: Story, rule: Route, tuned: Thresholds) -> bool:
    wanted = {tag.lower() for tag in rule.tags}
    matching = [tag for tag in story.tags if not wanted or tag.id.lower() in wanted]
    return any(
        tag.score >= rule.min_score and passes(tuned, rule.channel, tag.id, tag.score)
        for tag in matching
    )


def _source_passes(story: Story, rule: Route) -> bool:
    if rule.sources and not any(source_matches(story, p) for p in rule.sources):
        return False
    return not any(source_matches(story, p) for p in rule.exclude_sources)


def source_matches(story: Story, pattern: str) -> bool:
    """Does `pattern` name the story's feed, feed title or domain (see rule 1)?"""
    wanted = pattern.strip().lower()
    if not wanted:
        return False
    if wanted in (story.source.feed.strip().lower(), story.source.title.strip().lower()):
        return True
    domain = _bare_host(wanted)
    if not domain or "." not in domain:
        return False
    hosts = {_bare_host(story.source.domain), _bare_host(_host_of(story.url))}
    return any(host == domain or host.endswith("." + domain) for host in hosts if host)


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _bare_host(text: str) -> str:
    host = text.strip().lower().rstrip(".")
    if "://" in host:
        host = _host_of(host)
    return host.removeprefix("www.")
