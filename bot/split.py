"""Undo a copy decision: `split(store, key, user, routes, tuned) -> Split | None`.

"Not a copy" on a thread reply (or `/hubnews split <link>`) takes a folded story out of its
original's cluster, records the verdict with the decision it overrules (for
`hubnews eval --copies`), and queues it as its own alert in the channels its tags route it to —
in one transaction, so a crash leaves either the copy as it was or the split with its alerts.
Age cut-offs do not apply: a person asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Route
from bot.route import ALERT, route
from bot.store import StoreAPI
from bot.story import Story
from bot.tuning import Thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Split:
    story: Story  # as it is now: its own cluster, no longer a copy
    original_key: str  # the story it had been folded into
    channels: tuple[str, ...]  # where it is now queued as an alert


def split(
    store: StoreAPI, key: str, user: str, routes: Sequence[Route], tuned: Thresholds
) -> Split | None:
    """None when `key` is not a folded copy (never was, or already split)."""
    with store.transaction():
        before = store.get_story(key)
        if before is None or before.duplicate is None:
            return None
        story = store.split_copy(key, user)
        if story is None:
            return None
        deliveries = [d for d in route(story, routes, tuned) if d.kind == ALERT]
        store.enqueue(deliveries)
    channels = tuple(d.channel for d in deliveries)
    log.info(
        "event=copy_split story=%s original=%s user=%s channels=%s",
        key,
        before.duplicate.original_key,
        user,
        ",".join(channels) or "-",
    )
    return Split(story, before.duplicate.original_key, channels)
