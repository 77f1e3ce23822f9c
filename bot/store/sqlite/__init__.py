"""The SQLite store: one class. SQL lives in this package and nowhere else.

    Store
    ├── StoriesMixin   stories, clusters, tags, full-text rows      (stories.py)
    ├── SearchMixin    FTS5 search and suggestions                  (search.py)
    ├── FeedsMixin     feeds and their fetch state                  (feeds.py)
    ├── OutboxMixin    Slack messages to post and their fate        (outbox.py)
    ├── RoutesMixin    routes added from Slack (/hubnews follow)    (routes.py)
    ├── FeedbackMixin  votes from the Slack buttons                 (feedback.py)
    ├── CopiesMixin    copies split back out ("Not a copy")         (copies.py)
    └── WatchesMixin   watches, their hits, mutes and snoozes       (watches.py)

`SqliteStore(":memory:")` is a throwaway database for tests; `SqliteStore(path)` opens (creating and
migrating) a file in WAL mode.
"""

from __future__ import annotations

from bot.store.sqlite.base import StoreBase
from bot.store.sqlite.copies import CopiesMixin, CopyVerdict
from bot.store.sqlite.feedback import FeedbackMixin, Verdict
from bot.store.sqlite.feeds import FeedsMixin, FeedStatus
from bot.store.sqlite.outbox import OutboxMixin
from bot.store.sqlite.routes import RoutesMixin
from bot.store.sqlite.search import Hit, SearchMixin
from bot.store.sqlite.stories import StoriesMixin
from bot.store.sqlite.watches import Mute, Watch, WatchesMixin

__all__ = ["CopyVerdict", "FeedStatus", "Hit", "Mute", "SqliteStore", "Verdict", "Watch"]


class SqliteStore(
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
