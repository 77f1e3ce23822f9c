"""The store: SQLite behind one class. SQL lives in this package and nowhere else.

    Store
    ├── StoriesMixin   stories, clusters, tags, full-text rows      (stories.py)
    ├── SearchMixin    FTS5 search and suggestions                  (search.py)
    ├── FeedsMixin     feeds and their fetch state                  (feeds.py)
    ├── OutboxMixin    Slack messages to post and their fate        (outbox.py)
    ├── RoutesMixin    routes added from Slack (/hubnews follow)    (routes.py)
    ├── FeedbackMixin  votes from the Slack buttons                 (feedback.py)
    ├── CopiesMixin    copies split back out ("Not a copy")         (copies.py)
    └── WatchesMixin   watches, their hits, mutes and snoozes       (watches.py)

`Store(":memory:")` is a throwaway database for tests; `Store(path)` opens (creating and
migrating) a file in WAL mode.
"""

from __future__ import annotations

from bot.store.base import StoreBase
from bot.store.copies import CopiesMixin, CopyVerdict
from bot.store.feedback import FeedbackMixin, Verdict
from bot.store.feeds import FeedsMixin, FeedStatus
from bot.store.outbox import OutboxMixin
from bot.store.routes import RoutesMixin
from bot.store.search import Hit, SearchMixin
from bot.store.stories import StoriesMixin
from bot.store.watches import Mute, Watch, WatchesMixin

__all__ = ["CopyVerdict", "FeedStatus", "Hit", "Mute", "Store", "Verdict", "Watch"]


class Store(
    StoriesMixin,
    SearchMixin,
    FeedsMixin,
    OutboxMixin,
    RoutesMixin,
    FeedbackMixin,
    CopiesMixin,
    WatchesMixin,
    StoreBase,
):
    pass
