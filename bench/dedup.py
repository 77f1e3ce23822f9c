"""Benchmark dedup against two baselines on windows of 20k and 200k stories.

    python bench/dedup.py [--quick] [--corpus ../shared/corpus] [--write docs/BENCHMARKS-dedup.md]

Window: stories built from *sentence mixes* of the BBC corpus (../shared/corpus/articles,
read in place, never copied): each story takes 8-16 sentences from random articles of one
category, in paragraphs of 1-3 sentences, and the title of one of them. Queries (checked, not
added): copies of window stories made with the dev set's recipes (retitle + standfirst +
truncation, update, excerpt, paraphrase, furniture, reordering, debris), and new news:
fresh mixes, follow-ups (a new paragraph of facts + half of a window story), roundups
(first paragraphs of four window stories). A copy counts as found only if the match names
its original; any match for new news is a false positive.

Systems, side by side on the same window and queries:
  hubnews     bot.dedup.Deduper (load, then check)
  rapidfuzz   brute force: process.extract(title + lead, window, scorer=token_set_ratio,
              limit=1, score_cutoff=RF_CUTOFF); timed on a sample of checks (it is linear)
  datasketch  MinHashLSH(threshold=0.5, num_perm=128) over the same word 4-grams; the best
              candidate by estimated Jaccard is the match
Memory per story: tracemalloc over unpickling each system's index (what stays in memory
after the build; transient garbage excluded), divided by the window size. hubnews verifies
its candidates on full text read from a SQLite table of the window's stories (as the
pipeline reads its store): those reads are inside the timed checks, the table is not memory.
"check+add" times one `check` then `add` of each new-news query (the pipeline's path);
"ingest check+add" the same for every window story ingested one by one into an empty window
(windows up to 20k; a stream whose stories share sentences with many earlier ones).
CPU columns use time.thread_time (the process's own CPU time: on a shared, loaded machine
wall-clock medians vary 2x between runs, CPU time much less).
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "dedup_devset"))

import recipes  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.dedup import Deduper  # noqa: E402
from bot.dedup_text import raw_tokens  # noqa: E402
from bot.story import Source, Story  # noqa: E402

RF_CUTOFF = 90
T0 = datetime(2024, 3, 1, tzinfo=UTC)
NAMES = [
    "Helena Marsh",
    "Robert Ainsley",
    "Kessler Capital",
    "Claire Dobson",
    "Kenji Sato",
    "Tessa Morland",
    "Lord Puttnam",
    "Amicus",
    "Bill Frist",
    "Nomura",
    "Ofcom",
    "Airbus",
]
COPY_STYLES: list[tuple[str, list[list[Any]]]] = [
    ("retitle-truncate", [["retitle", None], ["standfirst", None], ["truncate", 0.5]]),
    (
        "update",
        [
            [
                "prepend_line",
                "Updated: shares closed 3% higher in London on Friday, and a "
                "spokesman for Halvorsen Group said more details would follow on 14 May.",
            ]
        ],
    ),
    ("excerpt", [["excerpt", 2]]),
    ("paraphrase", [["paraphrase", None]]),
    ("furniture", [["furniture", []]]),
    ("reorder", [["reorder", None]]),
    ("debris", [["debris", None]]),
]


def sentence_pools(corpus: Path) -> dict[str, tuple[list[str], list[str]]]:
    pools: dict[str, tuple[list[str], list[str]]] = {}
    with (corpus / "articles" / "bbc.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            titles, sentences = pools.setdefault(row["category"], ([], []))
            titles.append(row["title"])
            sentences += [
                s
                for s in re.split(r"(?<=[.!?])\s+", row["body"].replace("\n", " "))
                if len(s.split()) >= 5
            ]
    return pools


def mix(rng: random.Random, pools: dict[str, tuple[list[str], list[str]]]) -> recipes.Doc:
    titles, sentences = pools[rng.choice(sorted(pools))]
    chosen = rng.sample(sentences, rng.randint(8, 16))
    paras, i = [], 0
    while i < len(chosen):
        step = rng.randint(1, 3)
        paras.append(" ".join(chosen[i : i + step]))
        i += step
    return rng.choice(titles), paras


def follow_up(rng: random.Random, doc: recipes.Doc) -> recipes.Doc:
    a, b = rng.sample(NAMES, 2)
    facts = (
        f"{rng.randint(2, 6)} days later, {a} said {rng.randint(120, 9000)} more cases had "
        f"been found and that {b} would report by {rng.randint(1, 28)} June."
    )
    return recipes.follow_up(doc, facts)


def make_queries(
    rng: random.Random, pools: dict, window: list[recipes.Doc], count: int
) -> list[tuple[str, recipes.Doc, int | None]]:
    """(kind, doc, index of the original in the window or None) ..."""
    out: list[tuple[str, recipes.Doc, int | None]] = []
    for n in range(count):
        target = rng.randrange(len(window))
        if n % 2 == 0:
            kind, steps = COPY_STYLES[(n // 2) % len(COPY_STYLES)]
            doc = window[target]
            for name, arg in steps:
                doc = recipes.RECIPES[name](doc, arg)
            out.append((kind, doc, target))
        elif n % 6 == 1:
            out.append(("new-mix", mix(rng, pools), None))
        elif n % 6 == 3:
            out.append(("follow-up", follow_up(rng, window[target]), None))
        else:
            briefs = [window[rng.randrange(len(window))] for _ in range(4)]
            paras = [p for t, body in briefs for p in (t.upper(), body[0])]
            out.append(("roundup", ("Morning briefing: " + briefs[0][0], paras), None))
    return out


def as_story(key: str, doc: recipes.Doc, when: datetime) -> Story:
    url = f"https://bench.example/{key}"
    return Story(
        key=key,
        url=url,
        title=doc[0],
        source=Source("bench", "bench", "bench.example"),
        published=when,
        content="\n".join(doc[1]),
        canonical_url=url,
    )


# ------------------------------------------------------------------ systems


class Hubnews:
    name = "hubnews"

    def build(self, stories: list[Story]) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.db = sqlite3.connect(Path(self._dir.name) / "store.sqlite")
        self.db.execute("CREATE TABLE stories (key TEXT PRIMARY KEY, title TEXT, body TEXT)")
        self.db.executemany(
            "INSERT INTO stories VALUES (?, ?, ?)", ((s.key, s.title, s.body) for s in stories)
        )
        self.db.commit()
        self.index = Deduper(window=timedelta(days=3650), text_of=self.text_of)
        self.index.load(stories)

    def text_of(self, key: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT title, body FROM stories WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def detach(self) -> Any:
        reader, self.index._text_of = self.index._text_of, None
        return reader

    def attach(self, reader: Any) -> None:
        self.index._text_of = reader

    def check(self, story: Story) -> str | None:
        match = self.index.check(story)
        return match.original_key if match else None

    def check_add(self, story: Story) -> None:
        story = story.with_(duplicate=self.index.check(story))
        self.index.add(story)

    def ingest(self, stories: list[Story]) -> list[float]:
        """CPU time of `check` then `add` of each story, ingested one by one into an empty
        window (the pipeline's path over a stream), read from the same table."""
        index = Deduper(window=timedelta(days=3650), text_of=self.text_of)
        times = []
        for story in stories:
            start = time.thread_time()
            index.add(story.with_(duplicate=index.check(story)))
            times.append(time.thread_time() - start)
        return times


class RapidfuzzBrute:
    name = "rapidfuzz"

    def build(self, stories: list[Story]) -> None:
        self.keys = [s.key for s in stories]
        self.index = [f"{s.title} {s.body[:300]}" for s in stories]

    def check(self, story: Story) -> str | None:
        found = process.extract(
            f"{story.title} {story.body[:300]}",
            self.index,
            scorer=fuzz.token_set_ratio,
            limit=1,
            score_cutoff=RF_CUTOFF,
        )
        return self.keys[found[0][2]] if found else None


def shingles(text: str) -> list[bytes]:
    words = [w.lower() for w in raw_tokens(text)]
    return [" ".join(words[i : i + 4]).encode() for i in range(max(1, len(words) - 3))]


class DatasketchLSH:
    """MinHashLSH; a lower `threshold` trades its speed for recall (to compare at equal recall)."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.name = "datasketch" if threshold == 0.5 else f"datasketch t={threshold}"

    def build(self, stories: list[Story]) -> None:
        from datasketch import MinHash, MinHashLSH

        self.minhash = MinHash
        self.index = (MinHashLSH(threshold=self.threshold, num_perm=128), {})
        for s in stories:
            m = self._sketch(s)
            self.index[0].insert(s.key, m)
            self.index[1][s.key] = m

    def _sketch(self, story: Story) -> Any:
        m = self.minhash(num_perm=128)
        m.update_batch(shingles(story.body))
        return m

    def check(self, story: Story) -> str | None:
        m = self._sketch(story)
        found = self.index[0].query(m)
        return max(found, key=lambda k: m.jaccard(self.index[1][k])) if found else None


# ------------------------------------------------------------------ measuring


def memory_per_story(system: Any, size: int) -> float:
    reader = system.detach() if hasattr(system, "detach") else None
    blob = pickle.dumps(system.index, protocol=pickle.HIGHEST_PROTOCOL)
    if reader is not None:
        system.attach(reader)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    copy = pickle.loads(blob)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del copy
    return (after - before) / size


def run(
    system: Any,
    window: list[Story],
    queries: list[tuple[str, Story, str | None]],
    sample: int | None,
) -> dict[str, Any]:
    gc.collect()
    start = time.perf_counter()
    system.build(window)
    build = time.perf_counter() - start
    memory = memory_per_story(system, len(window))
    chosen = queries if sample is None else queries[:: max(1, len(queries) // sample)]
    times, tp, fp, fn, wrong = [], 0, 0, 0, []
    cpu = []
    for kind, story, truth in chosen:
        start, start_cpu = time.perf_counter(), time.thread_time()
        found = system.check(story)
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        if truth is not None and found == truth:
            tp += 1
        elif truth is not None or found is not None:
            fp += found is not None
            fn += truth is not None
            wrong.append(kind)
    times.sort()
    both = []
    if hasattr(system, "check_add"):
        for _kind, story, truth in chosen:
            if truth is None:
                start = time.thread_time()
                system.check_add(story)
                both.append(time.thread_time() - start)
    ingest = system.ingest(window) if hasattr(system, "ingest") and len(window) <= 20_000 else []
    return {
        "ingest": statistics.median(ingest) if ingest else None,  # CPU time
        "check_add": statistics.median(both) if both else None,  # CPU time
        "cpu": statistics.median(cpu),
        "build": build,
        "memory": memory,
        "median": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "checks": len(chosen),
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "errors": dict(sorted({k: wrong.count(k) for k in set(wrong)}.items())),
    }


def table(size: int, rows: dict[str, dict[str, Any]]) -> list[str]:
    out = [
        f"\n### Window of {size:,} stories\n",
        "| system | check median | check p95 | check CPU median | check+add CPU median | "
        "ingest check+add CPU median | checks timed | build | memory/story | precision | "
        "recall | errors by kind |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        both = f"{r['check_add'] * 1e3:.3f} ms" if r["check_add"] else "-"
        ingest = f"{r['ingest'] * 1e3:.3f} ms" if r["ingest"] else "-"
        out.append(
            f"| {name} | {r['median'] * 1e3:.3f} ms | {r['p95'] * 1e3:.3f} ms | "
            f"{r['cpu'] * 1e3:.3f} ms | {both} | {ingest} | "
            f"{r['checks']} | {r['build']:.1f} s | {r['memory']:,.0f} B | "
            f"{r['precision']:.3f} | {r['recall']:.3f} | {r['errors']} |"
        )
    ours = rows["hubnews"]
    for name, r in rows.items():  # (no comparison lines when the baselines were skipped)
        if name != "hubnews":
            out.append(
                f"\n{name} / hubnews: check median {_times(r['median'], ours['median'])},"
                f" p95 {_times(r['p95'], ours['p95'])}, memory per story "
                f"{_times(r['memory'], ours['memory'])}, build "
                f"{_times(r['build'], ours['build'])}; recall {r['recall']:.3f} vs "
                f"{ours['recall']:.3f}, precision {r['precision']:.3f} vs "
                f"{ours['precision']:.3f}."
            )
    return out


def _times(theirs: float, ours: float) -> str:
    """'3.2x' (theirs is 3.2 times ours: hubnews smaller/faster when > 1)."""
    return f"{theirs / ours:.2f}x" if ours else "n/a"


HOSTILE = {  # (earlier text, new text): sentence-dense bodies a broken or hostile feed can send
    "3,000 figure sentences": (
        " ".join(f"Item {i} rose to {i + 7}." for i in range(3000)),
        " ".join(f"Item {i} rose to {i + 8}." for i in range(3000)),
    ),
    "3,000 name sentences": (
        " ".join(f"Then Alpha{i} met Beta{i}." for i in range(3000)),
        " ".join(f"Then Alpha{i} met Gamma{i}." for i in range(3000)),
    ),
    "5,000 two-word sentences": (
        " ".join(f"Ab{i} cd." for i in range(5000)),
        " ".join(f"Ab{i} cd." for i in range(4999)) + " End x.",
    ),
}


def hostile(pools: dict) -> list[str]:
    """Check time of sentence-dense bodies against one earlier text each, beside the median
    check of ordinary pairs (a BBC mix and its truncated copy) in the same process."""
    rng = random.Random(7)
    out = ["\n### Hostile shapes (one earlier story, then check)\n"]
    out += ["| shape | check (wall) | x an ordinary pair's |", "|---|---:|---:|"]

    def once(old: str, new: str) -> float:
        texts = {"old": ("Title of the earlier story", old)}
        index = Deduper(text_of=texts.get)
        index.add(as_story("old", ("Title of the earlier story", [old]), T0))
        query = as_story("new", ("Title of the earlier story", [new]), T0)
        start = time.perf_counter()
        index.check(query)
        return time.perf_counter() - start

    ordinary = []
    for _ in range(50):
        _title, paras = mix(rng, pools)
        body = "\n".join(paras)
        ordinary.append(once(body, "\n".join(paras[: max(1, len(paras) // 2)])))
    base = statistics.median(ordinary)
    for name, (old, new) in HOSTILE.items():
        took = once(old, new)
        out.append(f"| {name} | {took * 1e3:.1f} ms | {took / base:.0f}x |")
    out.append(f"| ordinary pair (median of 50) | {base * 1e3:.2f} ms | 1x |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="windows of 2k and 20k stories")
    parser.add_argument("--corpus", type=Path, default=recipes.CORPUS)
    parser.add_argument("--write", type=Path, help="also save the Markdown tables here")
    parser.add_argument("--hubnews-only", action="store_true", help="skip the baselines")
    parser.add_argument("--hostile", action="store_true", help="only the hostile shapes")
    args = parser.parse_args(argv)
    if not (args.corpus / "articles" / "bbc.jsonl").exists():
        print(f"skipped: {args.corpus}/articles/bbc.jsonl is absent", file=sys.stderr)
        return 0
    rng = random.Random(20240301)
    pools = sentence_pools(args.corpus)
    if args.hostile:
        print("\n".join(hostile(pools)))
        return 0
    sizes = (2_000, 20_000) if args.quick else (20_000, 200_000)
    lines = [
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{datetime.now(UTC):%Y-%m-%d}; {'--quick' if args.quick else 'full run'}"
    ]
    systems: list[tuple[Callable[[], Any], int | None]] = [
        (Hubnews, None),
        (DatasketchLSH, None),
        (lambda: DatasketchLSH(threshold=0.2), None),
        (RapidfuzzBrute, 0),
    ]
    if args.hubnews_only:
        systems = systems[:1]
    for size in sizes:
        docs = [mix(rng, pools) for _ in range(size)]
        window = [as_story(f"w{i}", d, T0 + timedelta(seconds=i)) for i, d in enumerate(docs)]
        queries = [
            (
                kind,
                as_story(f"q{i}", doc, T0 + timedelta(days=31)),
                None if target is None else f"w{target}",
            )
            for i, (kind, doc, target) in enumerate(make_queries(rng, pools, docs, 700))
        ]
        rows = {}
        for make, sample in systems:
            system = make()
            print(f"{size:,}: {system.name} ...", file=sys.stderr, flush=True)
            rows[system.name] = run(
                system,
                window,
                queries,
                None
                if sample is None
                else (700 if size <= 2_000 else 120 if size <= 20_000 else 40),
            )
            del system
        lines += table(size, rows)
        del docs, window, queries
    text = "\n".join(lines)
    print(text)
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
