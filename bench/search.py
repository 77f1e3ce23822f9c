"""`/hubnews` search latency over a large store, against plain FTS5 bm25 in the same process.

Stories are sentence mixes of the BBC corpus (../shared/corpus/articles/bbc.jsonl, read in
place): each takes 6-12 sentences from random articles of one category under one of the
category's titles; they arrive in date order over 400 days (as a real store fills up) and are
tagged by the real classifier; one in ten is a copy (a truncated re-publication) folded into
its original's cluster, as dedup would.

    python bench/search.py [--stories 1000000] [--db PATH] [--repeat 5]
                           [--backend sqlite|postgres|both] [--pg postgresql://…]
                           [--shared-buffers 3GB]

`--backend postgres|both` measures the PostgreSQL store too, on the same stories and queries
(side by side); without `--pg` a throwaway server is started from the PostgreSQL binaries
(tests/pg_server.py), with fsync off and `--shared-buffers` (3GB), only while the run lasts.
An existing database is reused when it holds enough stories (`--db`, and `--pg` pointing at a
server you keep running), so a million stories are built once and measured many times.

hubnews = `Store.search` (quoted terms, bm25 with title weight and a recency factor, one hit
per cluster, snippet); baseline = `SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?
ORDER BY bm25(stories_fts) LIMIT 5` with the same MATCH expression.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.classify import load_taxonomy, tag_story
from bot.query import parse_query
from bot.store import Store, StoreAPI, open_store
from bot.store.postgres.db import connect_raw
from bot.store.sqlite.search import fts_expression
from bot.story import Match, Source, Story

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles" / "bbc.jsonl"
QUERIES = [
    "Yukos",
    "broadband",
    "Microsoft",
    "tariffs",
    '"interest rates"',
    "Blair election",
    "mobile phone",
    "Chelsea",
    "oil OR gas",
    "spam",
    "film tag:ai",
    "economy since:30d",
    "Google search",
    '"high-speed internet"',
    "Glazer",
    "iPod",
    "steel",
    "euro",
    "source:bbc-business growth",
    "Kenteris",
]
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def load_corpus() -> dict[str, tuple[list[str], list[str]]]:
    by_category: dict[str, tuple[list[str], list[str]]] = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        titles, sentences = by_category.setdefault(article["category"], ([], []))
        titles.append(article["title"])
        sentences.extend(
            s.strip() + "." for s in article["body"].replace("\n", " ").split(". ") if len(s) > 30
        )
    return by_category


def stories(count: int, corpus: dict[str, tuple[list[str], list[str]]]) -> list[Story]:
    rng = random.Random(7)
    taxonomy = load_taxonomy()
    span = timedelta(days=400) / count
    categories = sorted(corpus)
    made: list[Story] = []
    for n in range(count):
        category = rng.choice(categories)
        titles, sentences = corpus[category]
        if made and n % 10 == 9:  # a re-published copy of a recent story
            original = made[-rng.randint(1, min(50, len(made)))]
            made.append(
                original.with_(
                    key=f"copy-{n}",
                    url=f"https://copy.example/{n}",
                    content=original.content[: len(original.content) // 2],
                    duplicate=Match(original.key, "near"),
                )
            )
            continue
        body = " ".join(rng.sample(sentences, rng.randint(6, 12)))
        made.append(
            Story(
                key=f"s-{n}",
                url=f"https://news.example/{category}/{n}",
                title=rng.choice(titles),
                source=Source(f"bbc-{category}", f"BBC {category}", "bbc.co.uk"),
                published=NOW - span * (count - n) + timedelta(minutes=rng.randint(0, 60)),
                content=body,
            )
        )
        made[-1] = tag_story(made[-1], taxonomy)
    return made


def build(path: Path | str, count: int) -> StoreAPI:
    store = open_store(path)
    have = store.count_stories()
    if have >= count:
        return store
    corpus = load_corpus()
    started = time.perf_counter()
    batch = stories(count, corpus)[have:]
    for start in range(0, len(batch), 5000):
        with store.transaction():
            for story in batch[start : start + 5000]:
                store.save(story)
        print(f"  stored {have + start + 5000:,}", file=sys.stderr, end="\r")
    print(f"built {count:,} stories in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if store.backend == "postgres":  # planner statistics, and the GIN pending lists merged
        # into the index, as autovacuum does after a load (VACUUM runs outside a transaction)
        with connect_raw(str(path)) as conn:
            conn.execute("VACUUM (ANALYZE) stories")
    return store


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(store: StoreAPI, repeat: int) -> tuple[list[float], dict[str, tuple[float, int]]]:
    """Every query `repeat` times as /hubnews runs it: all latencies, and per query the
    median (ms) and the number of hits."""
    times: list[float] = []
    per_query: dict[str, tuple[float, int]] = {}
    for text in QUERIES:
        query = parse_query(text, now=NOW)
        mine = []
        hits = []
        for _ in range(repeat):
            started = time.perf_counter()
            hits = store.search(query, limit=6, now=NOW)
            mine.append(time.perf_counter() - started)
        times += mine
        per_query[text] = (statistics.median(mine) * 1000, len(hits))
    return times, per_query


def baseline(store: Store, repeat: int) -> tuple[list[float], dict[str, float]]:
    """Plain FTS5 bm25 with the same MATCH expression (SQLite only)."""
    times: list[float] = []
    per_query: dict[str, float] = {}
    for text in QUERIES:
        match = fts_expression(parse_query(text, now=NOW))
        if not match:
            per_query[text] = float("nan")
            continue
        theirs = []
        for _ in range(repeat):
            started = time.perf_counter()
            store._rows(
                "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? "
                "ORDER BY bm25(stories_fts) LIMIT 5",
                (match,),
            )
            theirs.append(time.perf_counter() - started)
        times += theirs
        per_query[text] = statistics.median(theirs) * 1000
    return times, per_query


def postgres_url(given: str | None, shared_buffers: str) -> tuple[str, object]:
    """The URL to bench on: --pg, or a throwaway server (returned to be stopped)."""
    if given:
        return given, None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from pg_server import PgServer, binaries  # the tests' throwaway server

    found = binaries()
    if found is None:
        raise SystemExit("no PostgreSQL binaries: give --pg postgresql://… or install PostgreSQL")
    server = PgServer(found).start(f"shared_buffers={shared_buffers}")
    return server.database(fresh=True), server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("bench/out/search.db"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--pg", help="a PostgreSQL URL (default: a throwaway server)")
    parser.add_argument(
        "--shared-buffers",
        default="3GB",
        help="the throwaway server's shared_buffers: the stories table and its search indexes "
        "(~2.4 GB at 1M stories) should fit (default: 3GB)",
    )
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"skipped: the corpus is not at {CORPUS}", file=sys.stderr)
        return 0
    args.db.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple[list[float], dict[str, tuple[float, int]]]] = {}
    base: tuple[list[float], dict[str, float]] | None = None
    server_line = ""
    if args.backend in ("sqlite", "both"):
        store = build(args.db, args.stories)
        assert isinstance(store, Store)
        results["sqlite"] = measure(store, args.repeat)
        base = baseline(store, args.repeat)
        count = store.count_stories()
        store.close()
    if args.backend in ("postgres", "both"):
        url, server = postgres_url(args.pg, args.shared_buffers)
        try:
            store_pg = build(url, args.stories)
            results["postgres"] = measure(store_pg, args.repeat)
            settings = store_pg._pg(  # type: ignore[attr-defined]
                "SELECT current_setting('server_version') AS v, "
                "current_setting('shared_buffers') AS b, current_setting('work_mem') AS w"
            )[0]
            server_line = (
                f"PostgreSQL {settings['v']}: shared_buffers {settings['b']}, "
                f"work_mem {settings['w']}"
            )
            count = store_pg.count_stories()
            store_pg.close()
        finally:
            if server is not None:
                server.stop()  # type: ignore[attr-defined]
    names = list(results)
    print(f"{count:,} stories; {len(QUERIES)} queries x {args.repeat}")
    if server_line:
        print(server_line)
    header = "".join(f"{n + ' ms':>13}" for n in names) + (f"{'bm25 ms':>9}" if base else "")
    print(f"{'query':28}{header} {'hits':>5}")
    for text in QUERIES:
        cells = "".join(f"{results[n][1][text][0]:13.1f}" for n in names)
        extra = f"{base[1][text]:9.1f}" if base else ""
        print(f"{text:28}{cells}{extra} {results[names[0]][1][text][1]:5d}")
    for name in names:
        times = results[name][0]
        p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
        print(f"{name:9} p50 {p50:.1f} ms  p95 {p95:.1f} ms")
    if base and base[0]:
        b50, b95 = percentile(base[0], 0.5) * 1000, percentile(base[0], 0.95) * 1000
        print(f"baseline  p50 {b50:.1f} ms  p95 {b95:.1f} ms  (SQLite plain bm25, no clusters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
