"""Score `bot.dedup.Deduper` on the copies pair set: `python tests/copies_pairs/evaluate.py`.

For each pair: a fresh Deduper, `add(a)`, then `check(b)`; a copy is found when the match
names a. Prints precision/recall per split (train, test) and origin (web = the 161 real web
pairs) and the errors per kind (`--markdown`: as tables; `--overlap`: the web pairs' shared
words by label and verdict). `test` is scored, never tuned on.
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
import pairset  # noqa: E402

from bot.dedup import Deduper  # noqa: E402
from bot.story import Match, Source, Story  # noqa: E402

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def make_story(key: str, title: str, body: str, domain: str = "example.com") -> Story:
    link = f"https://{domain}/{key}"
    src = Source(domain, domain, domain)
    return Story(key, link, title, src, T0, content=body, canonical_url=link)


def verdict(pair: dict, crowd: bytes | None = None) -> Match | None:
    a = make_story(pair["id"] + "/a", *pairset.build(pair["a"]), pairset.domain(pair["a"]))
    b = make_story(pair["id"] + "/b", *pairset.build(pair["b"]), pairset.domain(pair["b"]))
    texts = {a.key: (a.title, a.body)}
    if crowd is not None:
        deduper, crowd_texts = pickle.loads(crowd)
        texts |= crowd_texts
        deduper._text_of = texts.get
    else:
        deduper = Deduper(text_of=texts.get) if _takes_text() else Deduper()
    deduper.add(a)
    return deduper.check(b)


def dev_pairs(split: str = "dev") -> list[dict]:
    """`make_pairs.dev_pairs()` ("dev") or `make_pairs.devweb_pairs()` ("devweb"), loaded by
    path (tests/dedup_devset has a make_pairs.py too)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("copies_make_pairs", HERE / "make_pairs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pairs: list[dict] = module.devweb_pairs() if split == "devweb" else module.dev_pairs()
    return pairs


def crowd(size: int) -> bytes:
    """A pickled Deduper holding `size` distractors (and their texts), to copy per pair."""
    sys.path.insert(0, str(HERE.parents[1] / "bench"))
    sys.path.insert(0, str(HERE.parents[1] / "tests" / "dedup_devset"))
    import random

    from dedup import mix, sentence_pools  # bench/dedup.py

    rng = random.Random(20240301)
    pools = sentence_pools(pairset.recipes.CORPUS)
    stories = [
        make_story(f"crowd/{i}", title, "\n".join(paras))
        for i, (title, paras) in enumerate(mix(rng, pools) for _ in range(size))
    ]
    deduper = Deduper()
    deduper.load(stories)
    return pickle.dumps((deduper, {s.key: (s.title, s.body) for s in stories}))


def _takes_text() -> bool:
    import inspect

    return "text_of" in inspect.signature(Deduper).parameters


def score(rows: list[tuple[dict, bool]]) -> dict[str, float]:
    tp = sum(1 for p, f in rows if f and p["label"] == "copy")
    fp = sum(1 for p, f in rows if f and p["label"] == "new")
    fn = sum(1 for p, f in rows if not f and p["label"] == "copy")
    return {
        "pairs": len(rows),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "fp": fp,
        "fn": fn,
    }


def run(pairs: list[dict], crowd: bytes | None = None) -> list[tuple[dict, bool, Match | None]]:
    out = []
    for pair in pairs:
        match = verdict(pair, crowd)
        out.append((pair, match is not None and match.original_key == pair["id"] + "/a", match))
    return out


def report(results: list[tuple[dict, bool, Match | None]], verbose: bool = False) -> None:
    groups: dict[str, list[tuple[dict, bool]]] = defaultdict(list)
    for pair, folded, _ in results:
        for name in (pair["split"], f"{pair['split']}/{pair['origin']}"):
            groups[name].append((pair, folded))
    for name in sorted(groups):
        s = score(groups[name])
        errors = Counter(
            p["kind"] for p, f in groups[name] if f != (p["label"] == "copy")
        ).most_common()
        print(
            f"{name:24} n={s['pairs']:4} P={s['precision']:.3f} R={s['recall']:.3f} "
            f"fp={s['fp']} fn={s['fn']} {dict(errors) if '/' not in name else ''}"
        )
    if verbose:
        for pair, folded, match in results:
            if folded != (pair["label"] == "copy"):
                print(pair["split"], pair["id"], pair["label"], match.reason if match else "-")


def markdown(results: list[tuple[dict, bool, Match | None]]) -> None:
    """Per split: precision/recall by origin, then pairs and errors by kind."""
    present = {p["split"] for p, _, _ in results}
    splits = [x for x in ("train", "test", "dev", "devweb") if x in present]
    for split in splits:
        rows = [(p, f) for p, f, _ in results if p["split"] == split]
        print(f"\n#### {split}\n\n| origin | pairs | copies | precision | recall | fp | fn |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        origins = sorted({p["origin"] for p, _ in rows})
        for origin in [*origins, "all"]:
            part = [(p, f) for p, f in rows if origin in ("all", p["origin"])]
            s = score(part)
            copies = sum(p["label"] == "copy" for p, _ in part)
            print(
                f"| {origin} | {s['pairs']} | {copies} | {s['precision']:.3f} | "
                f"{s['recall']:.3f} | {s['fp']} | {s['fn']} |"
            )
    print(f"\n#### by kind (pairs / wrong)\n\n| kind | label | {' | '.join(splits)} |")
    print("|---|---|" + "---:|" * len(splits))
    kinds = sorted({(p["kind"], p["label"]) for p, _, _ in results}, key=lambda k: (k[1], k[0]))
    for kind, label in kinds:
        cells = []
        for split in splits:
            part = [f for p, f, _ in results if p["kind"] == kind and p["split"] == split]
            wrong = sum(f != (label == "copy") for f in part)
            cells.append(f"{len(part)} / {wrong}" if wrong else f"{len(part)}")
        print(f"| {kind} | {label} | {' | '.join(cells)} |")


def overlap(results: list[tuple[dict, bool, Match | None]]) -> None:
    """How much of a web pair's new text is the earlier text's words, by label and verdict: the
    share of its word types (4+ letters, or any CJK token), boilerplate removed, found in the
    earlier text. Shows where copies the rules miss sit beside other outlets' own reports."""
    from bot.dedup_verify import prepare

    def content(words: frozenset[str]) -> set[str]:
        return {w for w in words if len(w) >= 4 or not w.isascii()}

    groups: dict[str, list[float]] = defaultdict(list)
    for pair, folded, _ in results:
        if pair["origin"] != "web":
            continue
        new = content(prepare(*pairset.build(pair["b"])).words)
        old = content(prepare(*pairset.build(pair["a"])).words)
        share = len(new & old) / max(1, len(new))
        if pair["label"] == "copy":
            groups["copies folded" if folded else "copies missed"].append(share)
        else:
            groups["new news folded" if folded else "new news alerted"].append(share)
    print("| web pairs | n | min | median | max |\n|---|---:|---:|---:|---:|")
    for name in ("copies folded", "copies missed", "new news alerted", "new news folded"):
        values = sorted(groups[name])
        if values:
            median = values[len(values) // 2]
            print(f"| {name} | {len(values)} | {values[0]:.2f} | {median:.2f} | {values[-1]:.2f} |")


if __name__ == "__main__":
    wanted = [a for a in sys.argv[1:] if not a.startswith("-")] or ["train", "test"]
    size = next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--crowd=")), 0)
    chosen = [p for p in pairset.pairs() if p["split"] in wanted]
    for split in ("dev", "devweb"):
        if split in wanted:
            chosen += dev_pairs(split)
    results = run(chosen, crowd(size) if size else None)
    if "--markdown" in sys.argv:
        markdown(results)
    elif "--overlap" in sys.argv:
        overlap(results)
    else:
        report(results, verbose="-v" in sys.argv)
