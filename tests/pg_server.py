"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder.

Started once per test session (the `pg_server` fixture in conftest.py); each test gets its own
database, copied from a migrated template (`CREATE DATABASE … TEMPLATE`), so tests never see
each other's rows. As root, initdb refuses to run: the server then runs as the `postgres` user.
Without PostgreSQL binaries the PostgreSQL tests skip, unless HUBNEWS_REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SEARCH_PATH = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/local/bin",
    "/usr/bin",
)
HOW_TO_ENABLE = (
    "PostgreSQL tests skipped: no initdb/pg_ctl found "
    "(install PostgreSQL, e.g. `apt-get install postgresql`, to run them)"
)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    for folder in (os.environ.get("PG_BIN", ""), *SEARCH_PATH):
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One running server; `database()` hands out a fresh migrated database's URL."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="hubnews-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://hubnews@127.0.0.1:{self.port}/postgres"
        self._names = itertools.count(1)
        self._shared: str | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, cwd=self.root)

    def start(self, *settings: str) -> PgServer:
        """Start the server; `settings`: more `name=value` server settings (the benchmarks')."""
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "hubnews",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        ) + "".join(f" -c {setting}" for setting in settings)
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        from bot.store.postgres.db import connect_raw, migrate

        with connect_raw(self.url) as conn:
            conn.execute("CREATE DATABASE hubnews_template")
        with connect_raw(self.url_of("hubnews_template")) as conn:
            migrate(conn)
        return self

    def url_of(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def database(self, *, fresh: bool = False) -> str:
        """The URL of a database holding the migrated schema and no rows: by default the one
        shared test database, emptied (TRUNCATE is ~20x faster than CREATE DATABASE); `fresh`:
        a new database of its own (for several stores at once)."""
        from bot.store.postgres.db import connect_raw

        if fresh or self._shared is None:
            name = f"t{os.getpid()}_{next(self._names)}"
            with connect_raw(self.url) as conn:
                conn.execute(f"CREATE DATABASE {name} TEMPLATE hubnews_template")
            if fresh:
                return self.url_of(name)
            self._shared = self.url_of(name)
            return self._shared
        with connect_raw(self._shared) as conn:
            conn.execute("SET lock_timeout = '10s'")
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'schema_migrations'"
                )
            ]
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            conn.execute("INSERT INTO watch_version (n) VALUES (0)")
        return self._shared

    def empty_database(self) -> str:
        """The URL of a new database with no schema at all (to test migrations)."""
        from bot.store.postgres.db import connect_raw

        name = f"e{os.getpid()}_{next(self._names)}"
        with connect_raw(self.url) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url_of(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
