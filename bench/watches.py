"""Watch matching at ingest: the Percolator's index against a loop over every watch, one run.

Watches are built from real text (../shared/corpus/articles/bbc.jsonl, read in place): words
from titles, 2-3 word phrases from bodies, two-word ANDs, ORs, some with `tag:` or `source:`,
some tag- or source-only, a few Chinese; words a user would not watch (stems in more than 2 %
of the articles, like "the" or "backs") are left out. Stories are the 2,225 articles, tagged by
the real classifier, each from a feed named after its BBC section.

    python bench/watches.py [--watches 10000] [--naive-stories 200] [--seed 14]

Both sides get the story already tokenised (`Percolator.terms`, timed on its own) and use the
same verifier (`Watch.matches`); the naive loop runs on the first --naive-stories stories
(it costs ~100x more) and must fire exactly the same watches. Anchors are picked two ways:
by token length (no statistics) and by document frequency (the store's fts5vocab would give
it; here counted over the articles).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Hashable
from pathlib import Path

from bot.classify import load_taxonomy, tag_story
from bot.errors import QueryError
from bot.story import Source, Story
from bot.watch import Percolator
from bot.watch_text import StoryTerms, Tokenizer

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles" / "bbc.jsonl"
TAGS = ["ai", "industrial-policy", "semiconductors", "export-controls"]
SECTIONS = ["business", "entertainment", "politics", "sport", "tech"]
CHINESE = ["亦庄", "北京亦庄", "芯片", "人工智能", "华为", "深圳", "半导体", "出口管制", "中芯国际"]
_WORD = re.compile(r"[^\W\d_]{3,}(?:['-][^\W\d_]+)*")


def load_stories() -> list[Story]:
    taxonomy = load_taxonomy()
    stories = []
    with CORPUS.open(encoding="utf-8") as lines:
        for i, line in enumerate(lines):
            item = json.loads(line)
            section = item["category"]
            story = Story(
                key=f"bbc{i}",
                url=f"https://www.bbc.co.uk/news/{section}-{i}",
                title=item["title"],
                source=Source(f"bbc-{section}", f"BBC {section.title()}", "bbc.co.uk"),
                published=None,
                content=item["body"],
            )
            stories.append(tag_story(story, taxonomy))
    return stories


def make_watches(
    stories: list[Story], count: int, rng: random.Random, tokenizer: Tokenizer
) -> list[str]:
    docs = [_WORD.findall(f"{s.title}\n{s.body}") for s in stories]
    df = Counter(t for s in stories for t in set(tokenizer.tokens(f"{s.title}\n{s.body}")))
    limit = len(stories) * 0.02  # as stemmed: "ONS" is "on" to search, "backs" is "back"

    def rare(text: str) -> bool:
        return any(df[t] <= limit for t in tokenizer.phrase(text))

    titles = [[w for w in _WORD.findall(s.title) if rare(w)] for s in stories]
    titles = [t for t in titles if t]

    def word() -> str:
        if rng.random() < 0.5:
            return rng.choice(rng.choice(titles))
        while True:
            words = rng.choice(docs)
            found = [w for w in rng.sample(words, min(8, len(words))) if rare(w)]
            if found:
                return found[0]

    def phrase() -> str:
        while True:
            words = rng.choice(docs)
            at = rng.randrange(max(1, len(words) - 3))
            text = " ".join(words[at : at + rng.randint(2, 3)])
            if rare(text):
                return f'"{text}"'

    watches = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35:
            parts = [word()]
        elif roll < 0.55:
            parts = [phrase()]
        elif roll < 0.70:
            parts = [word(), word()]
        elif roll < 0.85:
            parts = [word(), "OR", word()] + (["OR", phrase()] if rng.random() < 0.3 else [])
        elif roll < 0.92:
            parts = [word(), phrase()]
        elif roll < 0.95:
            parts = [rng.choice(CHINESE)] + ([] if rng.random() < 0.5 else ["OR", word()])
        elif roll < 0.99:
            parts = [f"tag:{rng.choice(TAGS)}"]
        else:
            parts = [f"source:bbc-{rng.choice(SECTIONS)}"]
        if roll < 0.92 and rng.random() < 0.12:
            parts.append(f"tag:{rng.choice(TAGS)}")
        if roll < 0.92 and rng.random() < 0.05:
            parts.append(f"source:bbc-{rng.choice(SECTIONS)}")
        watches.append(" ".join(parts))
    return watches


def build(queries: list[str], frequency: dict[str, float] | None) -> tuple[Percolator, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    percolator = Percolator(frequency)
    for i, query in enumerate(queries):
        with contextlib.suppress(QueryError):
            percolator.add(i, query)
    seconds = time.perf_counter() - started
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return percolator, seconds, memory


def timed(fn, items):  # type: ignore[no-untyped-def]
    times, results = [], []
    for item in items:
        started = time.perf_counter()
        results.append(fn(item))
        times.append((time.perf_counter() - started) * 1000)
    return times, results


def naive(percolator: Percolator, terms: StoryTerms) -> list[Hashable]:
    return [w for w, watch in percolator.watches.items() if watch.matches(terms)]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--naive-stories", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"skipped: the BBC corpus is not at {CORPUS}")
        return 0
    rng = random.Random(args.seed)
    stories = load_stories()
    rng.shuffle(stories)
    tokenizer = Tokenizer()
    cold_ms, _ = timed(tokenizer.story, stories)
    tokenise_ms, all_terms = timed(tokenizer.story, stories)
    queries = make_watches(stories, args.watches, rng, tokenizer)
    frequency = Counter(t for terms in all_terms for t in terms.positions)
    print(f"{len(stories)} stories, {len(queries)} watch queries, e.g. {queries[:6]}")
    print(
        f"tokenise (shared by both sides): median {statistics.median(tokenise_ms):.3f} ms, "
        f"p95 {p95(tokenise_ms):.3f} ms per story (first pass, chunk cache cold: median "
        f"{statistics.median(cold_ms):.3f} ms, p95 {p95(cold_ms):.3f} ms)"
    )

    sample = all_terms[: args.naive_stories]
    for label, freq in (("length anchors", None), ("df anchors", dict(frequency))):
        percolator, seconds, memory = build(queries, freq)
        fast_ms, fast = timed(percolator.match, all_terms)
        naive_ms, slow = timed(lambda t, p=percolator: naive(p, t), sample)
        assert fast[: len(sample)] == slow, "the index lost or invented a match"
        reached = statistics.mean(percolator.candidates(t) for t in all_terms)
        fired = statistics.mean(map(len, fast))
        print(
            f"\n[{label}] {len(percolator)} watches built in {seconds:.2f} s, "
            f"{memory / 2**20:.1f} MiB ({memory / len(percolator):.0f} B/watch)\n"
            f"  percolator: median {statistics.median(fast_ms):.3f} ms, p95 {p95(fast_ms):.3f} ms"
            f" per story ({len(all_terms)} stories); {reached:.0f} watches verified, "
            f"{fired:.1f} fired per story\n"
            f"  naive loop: median {statistics.median(naive_ms):.3f} ms, p95 {p95(naive_ms):.3f}"
            f" ms per story ({len(sample)} stories, same results)\n"
            f"  ratio naive/percolator: median "
            f"{statistics.median(naive_ms) / statistics.median(fast_ms):.0f}x, "
            f"p95 {p95(naive_ms) / p95(fast_ms):.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
