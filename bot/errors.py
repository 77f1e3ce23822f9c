"""The small vocabulary of errors hubnews raises on purpose.

    HubnewsError                  expected failures: `message` (what) and `hint` (next step)
    ├── ConfigError               a bad config file or environment: names file, key, line
    ├── FeedError                 one feed could not be fetched or parsed; other feeds go on
    │   ├── FetchError            network, HTTP status, size cap, deadline, redirects, address guard
    │   └── ParseError            the bytes are not a feed (HTML page, empty, garbage)
    ├── StoreError                the database is locked, full, corrupt or unwritable
    └── QueryError                a search query that cannot be understood

Each error has two readers: `str(err)` is the operator's one-line log message, and `hint` is
the user's next step. Unexpected exceptions are bugs and keep their tracebacks.
"""

from __future__ import annotations


class HubnewsError(Exception):
    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(HubnewsError):
    pass


class FeedError(HubnewsError):
    pass


class FetchError(FeedError):
    """A feed could not be fetched; `status` and `retry_after` (seconds) inform the back-off."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retry_after = retry_after


class ParseError(FeedError):
    pass


class StoreError(HubnewsError):
    pass


class QueryError(HubnewsError):
    pass
