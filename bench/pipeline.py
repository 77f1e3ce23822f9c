"""Throughput of the whole pipeline over the 44 real feeds of ../shared/corpus/feeds-real.

Runs, in one process and on the same files:
  baseline  feedparser.parse on the bytes (what any reader pays)
  parse     hubnews parse (feedparser + HTML to text + identity)
  pipeline  fetch (local file) → parse → dedup → classify → summarize → store (temp SQLite)
and prints stories per second and the ratios.

    python bench/pipeline.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import feedparser

from bot import config
from bot.fetch import Fetched
from bot.parse import parse
from bot.pipeline import Pipeline
from bot.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds-real"


def timed(run: callable, repeat: int) -> tuple[float, int]:  # type: ignore[valid-type]
    times, count = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: the corpus is not at {CORPUS}", file=sys.stderr)
        return 0
    files = sorted(CORPUS.iterdir())
    bodies = [(f, f.read_bytes()) for f in files]

    def baseline() -> int:
        return sum(len(feedparser.parse(io.BytesIO(body)).entries) for _, body in bodies)

    def ours() -> int:
        return sum(
            len(parse(Fetched(url=str(f), status=0, body=b), f.name, f.name).stories)
            for f, b in bodies
        )

    def pipeline() -> int:
        with tempfile.TemporaryDirectory() as folder:
            base = config.load(None, environ={})
            feeds = tuple(config.Feed(name=f.name, url=str(f)) for f in files)
            cfg = config.Config(
                path=None,
                database=Path(folder) / "b.db",
                feeds=feeds,
                routes=base.routes,
                limits=base.limits,
                dedup=base.dedup,
            )
            store = Store(cfg.database)
            run = Pipeline(cfg, store)
            count = sum(len(outcome.stories) for outcome in run.poll(cfg.feeds))
            run.close()
            store.close()
            return count

    rows = [
        ("baseline: feedparser.parse", *timed(baseline, args.repeat)),
        ("hubnews parse", *timed(ours, args.repeat)),
        ("hubnews full pipeline (store included)", *timed(pipeline, args.repeat)),
    ]
    base_seconds = rows[0][1]
    print(f"{len(files)} feeds, median of {args.repeat} runs")
    print(f"{'stage':42} {'stories':>8} {'seconds':>8} {'stories/s':>10} {'vs baseline':>12}")
    for name, seconds, count in rows:
        print(
            f"{name:42} {count:8d} {seconds:8.3f} {count / seconds:10.0f} "
            f"{seconds / base_seconds:11.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
