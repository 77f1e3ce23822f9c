"""The PostgreSQL store: the same roles as the SQLite store, for several replicas on one
database (README "Scale out"). `open_store("postgresql://…")` opens it.

    PostgresStore
    ├── PgStoriesMixin   the upsert and the weighted tsvector kept with each story  (stories.py)
    ├── PgSearchMixin    tsquery from the query language, ts_rank x recency, folding (search.py)
    ├── PgWatchesMixin   hit order                                                   (watches.py)
    ├── PgOutboxMixin    claims with FOR UPDATE SKIP LOCKED, leases for in-doubt rows (outbox.py)
    ├── the SQLite role mixins, whose SQL is standard (bot.store.sqlite.*)
    └── PgBase           connection pool, per-thread transactions, SQLSTATE errors   (base.py)
"""

from __future__ import annotations

from bot.store.postgres.base import PgBase
from bot.store.postgres.outbox import PgOutboxMixin
from bot.store.postgres.search import PgSearchMixin
from bot.store.postgres.stories import PgStoriesMixin
from bot.store.postgres.watches import PgWatchesMixin
from bot.store.sqlite.copies import CopiesMixin
from bot.store.sqlite.feedback import FeedbackMixin
from bot.store.sqlite.feeds import FeedsMixin
from bot.store.sqlite.routes import RoutesMixin

__all__ = ["PostgresStore"]


class PostgresStore(
    PgStoriesMixin,
    PgSearchMixin,
    PgWatchesMixin,
    PgOutboxMixin,
    FeedsMixin,
    RoutesMixin,
    FeedbackMixin,
    CopiesMixin,
    PgBase,
):
    pass
