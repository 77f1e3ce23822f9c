"""One `hubnews run` per SQLite database: an exclusive lock on `<database>.lock`.

Two `run`s on one file would both deliver the outbox (and each would take the other's posts
in flight for crashes), so `run` holds `fcntl.flock(LOCK_EX | LOCK_NB)` on the lock file for
its whole life; the kernel drops it when the process ends, however it ends, so a stale file
never blocks a restart. The file records the holder (pid, host, start time) for the message
the second `run` prints. `poll --once`, `search` and `backup` take no lock: SQLite's own
locking serialises their writes with the running service.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.config import is_postgres_url
from bot.errors import ConfigError, StoreError
from bot.store.sqlite.db import MEMORY


class AlreadyRunning(ConfigError):
    """Another `hubnews run` holds the database (exit code 2, like other setup errors)."""


def lock_path(database: str | Path) -> Path:
    return Path(f"{Path(database).expanduser()}.lock")


@contextmanager
def single_instance(database: str | Path) -> Iterator[Path | None]:
    """Hold the database's instance lock for the `with` block; AlreadyRunning when taken."""
    if str(database) == MEMORY or is_postgres_url(database):  # PostgreSQL: bot.leader instead
        yield None
        return
    path = lock_path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock file {path}: {exc.strerror}",
            hint="the database's folder must be writable by this user (SQLite needs it too)",
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise AlreadyRunning(
                f"another hubnews run ({holder}) is using {Path(database).expanduser()} "
                f"(lock file {path})",
                hint="stop that process first, or give this one its own database with --db; "
                "`hubnews poll --once` and `hubnews search` may run alongside it",
            ) from None
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
