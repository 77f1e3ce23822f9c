"""Regenerate pairs.json (references and operations only; run once, output committed).

    python tests/copies_pairs/make_pairs.py

Sources: 161 real web pairs; the real BBC pairs and same-day feed pairs of tests/dedup_devset
(bbc-near/exact/update copies, bbc-follow-up/template and own-reporting new news); and
constructed pairs from BBC articles and long 2022-04 feed items that sit in no duplicate group.
Every constructed pair takes one real article through the operations of ops.py; follow-ups,
templates and same-topic pairs take their second real article from the nearest neighbour (word
overlap) in the same category (BBC) or feed, on the same side of the split.

The split is made ONCE, by source article: hash(root id) -> train (60 %) or test (40 %), where
the root of a BBC article is the smallest id of its duplicate group, so no article's variants
sit on both sides. `test` is for scoring, never for choosing rules or thresholds.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pairset  # noqa: E402
from ops import recipes  # noqa: E402

COPY_KINDS = [
    ("republished-retitled", lambda s, n, i: ({}, {"ops": [["retitle", i]]})),
    ("truncated", lambda s, n, i: ({}, {"ops": [["truncate", 0.4 + 0.1 * (i % 3)]]})),
    ("teaser-trailer", lambda s, n, i: ({}, {"ops": [["teaser", i]]})),
    ("standfirst-added", lambda s, n, i: ({}, {"ops": [["standfirst", i]]})),
    ("standfirst-dropped", lambda s, n, i: ({"ops": [["standfirst", i]]}, {})),
    ("caption-plug", lambda s, n, i: ({}, {"ops": [["caption_plug", i]]})),
    ("currency-bracket", lambda s, n, i: ({}, {"ops": [["currency", i]]})),
    ("light-rewording", lambda s, n, i: ({}, {"ops": [["reword", i]]})),
    ("machine-reworded", lambda s, n, i: ({}, {"ops": [["spin", i]]})),
    ("wire-update", lambda s, n, i: ({}, {"ops": [["wire_update", i]]})),
    ("wire-refile", lambda s, n, i: ({}, {"ops": [["refile", i]]})),
    ("amp-print", lambda s, n, i: ({}, {"ops": [["amp", i]]})),
    ("dateline-debris", lambda s, n, i: ({}, {"ops": [["dateline", i], ["debris", i]]})),
    ("write-through", lambda s, n, i: ({}, {"ops": [["write_through", i]]})),
    ("fuller-after-teaser", lambda s, n, i: ({"ops": [["teaser", i]]}, {})),
    ("fuller-after-truncated", lambda s, n, i: ({"ops": [["truncate", 0.5]]}, {})),
    ("teaser-dateline", lambda s, n, i: ({"ops": [["dateline", i]]}, {"ops": [["teaser", i]]})),
]
NEW_KINDS = [
    (
        "follow-up-background",
        lambda s, n, i: ({}, {"ops": [["follow_up", [n, 0.3 + 0.1 * (i % 4)]]]}),
    ),
    (
        "follow-up-teaser",
        lambda s, n, i: ({}, {"ops": [["follow_up", [n, 0.5]], ["teaser", i]]}),
    ),
    ("template-other-facts", lambda s, n, i: ({}, {"ops": [["template", [n, i]]]})),
    ("correction-key-figure", lambda s, n, i: ({}, {"ops": [["correction", i]]})),
    ("roundup-brief", lambda s, n, i: ({}, {"ops": [["roundup", [n]]]})),
    ("same-topic-real", lambda s, n, i: ({}, {"src": n})),
    (
        "follow-up-caption-plug",
        lambda s, n, i: ({}, {"ops": [["follow_up", [n, 0.6]], ["caption_plug", i]]}),
    ),
]


def side_of(root: str) -> str:
    digest = hashlib.blake2b(root.encode(), digest_size=4).digest()
    return "train" if int.from_bytes(digest, "little") % 10 < 6 else "test"


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def substantial(body: str) -> bool:
    """Long enough to build every kind from: >= 6 paragraphs and >= 250 words."""
    return len([x for x in body.split("\n") if x.strip()]) >= 6 and len(body.split()) >= 250


def nearest(i: str, ids: list[str], vocab: dict[str, set[str]]) -> str:
    """The article of `ids` whose words overlap `i`'s most (Jaccard), for follow-ups etc."""
    return max(
        (j for j in ids if j != i),
        key=lambda j: len(vocab[i] & vocab[j]) / (len(vocab[i] | vocab[j]) or 1),
    )


def dev_pairs(per_category: int = 30) -> list[dict]:
    """Fresh constructed pairs for checking rules chosen on `train` (split "dev", built on the
    fly, never written): every copy and new-news kind applied to TRAIN-side BBC articles that
    no pair of pairs.json uses and that sit in no duplicate group, up to `per_category` per
    category. Rules fitted to the 400 constructed train pairs meet other articles here; the
    test side's articles are never read."""
    used = {side["src"] for p in pairset.pairs() for side in (p["a"], p["b"])}
    dups = json.loads((recipes.CORPUS / "articles" / "bbc-duplicates.json").read_text())
    for group in dups["exact_duplicate_groups"] + dups["same_title_groups"]:
        used |= {f"bbc:{x}" for x in group}
    used |= {f"bbc:{x}" for p in dups["near_duplicate_pairs"] for x in (p["a"], p["b"])}
    used |= {side["src"] for p in recipes.pairs() for side in (p["a"], p["b"])}
    bbc = recipes._bbc()
    pool: dict[str, list[str]] = {}
    for bid, (_title, body) in sorted(bbc.items()):
        if f"bbc:{bid}" not in used and side_of(bid) == "train" and substantial(body):
            pool.setdefault(bid.split("/")[0], []).append(bid)
    out: list[dict] = []
    n = 1000
    for _cat, ids in sorted(pool.items()):
        vocab = {i: words(bbc[i][1]) for i in ids}
        for i in ids[1 :: max(1, len(ids) // per_category)][:per_category]:
            out += _every_kind(f"bbc:{i}", f"bbc:{nearest(i, ids, vocab)}", n, "dev", "dev")
            n += 1
    return out


def _every_kind(
    src: str, other: str, n: int, split: str, origin: str, outlet: str | None = None
) -> list[dict]:
    """Every copy and new-news kind built on `src` (`other`: the follow-ups' and templates'
    other article; `outlet`: side b's, when given), but for recipes with nothing to apply
    to (no figure, too few sentences): those are left out."""
    out = []
    for k, (kind, make) in enumerate([*COPY_KINDS, *NEW_KINDS]):
        a, b = make(src, other, n + k)
        pair = {
            "id": f"{'w' if split == 'devweb' else 'd'}{n}-{kind}",
            "label": "copy" if k < len(COPY_KINDS) else "new",
            "kind": kind,
            "origin": origin,
            "split": split,
            "a": {"src": a.get("src", src), "ops": a.get("ops", [])},
            "b": {"src": b.get("src", src), "ops": b.get("ops", [])},
        }
        if outlet:
            pair["b"]["outlet"] = outlet
        try:
            if pairset.build(pair["a"]) == pairset.build(pair["b"]):
                continue
        except (IndexError, ValueError):
            continue
        out.append(pair)
    return out


def _grams(text: str) -> set[str]:
    """Word 6-grams and 10-character CJK runs: what two texts built from one article share."""
    words = re.findall(r"\w+", text.lower())
    han = re.sub(r"[^\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", "", text)
    return {" ".join(words[i : i + 6]) for i in range(len(words) - 5)} | {
        han[i : i + 10] for i in range(len(han) - 9)
    }


def devweb_pairs() -> list[dict]:
    """Fresh constructed pairs on short multilingual real text (split "devweb", built on the
    fly): every copy and new-news kind applied to the excerpts of labelled-web.jsonl (1-3
    paragraphs, 10 languages) that share no 6-word run (or 10 CJK characters) with any text
    of the 161 web pairs, train or test. A follow-up's lead is the nearest excerpt of the
    same language. Side a is the item's own outlet, side b another one, whatever the label
    (a re-publisher's copy and a follow-up alike)."""
    taken: set[str] = set()
    for row in pairset.web_pairs():
        for side in (row["a"], row["b"]):
            taken |= _grams(side["title"] + "\n" + side["summary"])
    items = [
        x for x in pairset.labelled_items() if not _grams(x["title"] + "\n" + x["summary"]) & taken
    ]
    vocab = {
        x["id"]: set(re.findall(r"\w{4,}", (x["title"] + " " + x["summary"]).lower()))
        | set(re.findall(r"[\u3040-\u9fff\uac00-\ud7af]{2}", x["summary"]))
        for x in items
    }
    out: list[dict] = []
    n = 5000
    for lang in sorted({x["lang"] for x in items}):
        ids = [x["id"] for x in items if x["lang"] == lang]
        for i in ids:
            best = nearest(i, ids, vocab)
            out += _every_kind(f"item:{i}", f"item:{best}", n, "devweb", lang, "other.example")
            n += 1
    return out


def main() -> None:
    out: list[dict] = []
    for row in pairset.web_pairs():
        out.append(
            {
                "id": row["id"],
                "label": "copy" if row["copy"] else "new",
                "kind": "web:" + row["kind"],
                "origin": "web",
                "split": side_of(row["id"]),
                "a": {"src": f"web:{row['id']}#a"},
                "b": {"src": f"web:{row['id']}#b"},
            }
        )
    dups = json.loads((recipes.CORPUS / "articles" / "bbc-duplicates.json").read_text())
    root: dict[str, str] = {}
    groups = [set(g) for g in dups["exact_duplicate_groups"] + dups["same_title_groups"]]
    groups += [{p["a"], p["b"]} for p in dups["near_duplicate_pairs"]]
    devset = recipes.pairs()
    real_kinds = {"bbc-near", "bbc-exact", "bbc-update", "bbc-follow-up", "bbc-template"}
    groups += [{p["a"]["src"][4:], p["b"]["src"][4:]} for p in devset if p["kind"] in real_kinds]
    changed = True
    while changed:  # union of overlapping groups
        changed = False
        for g in groups:
            low = min(min(root.get(x, x) for x in g), *g)
            for x in g:
                if root.get(x, x) != low:
                    root[x] = low
                    changed = True
    used: set[str] = set(root)
    for p in devset:
        if p["kind"] in real_kinds:
            a, b = p["a"]["src"][4:], p["b"]["src"][4:]
            out.append(
                {
                    "id": "bbc-" + p["id"],
                    "label": p["label"],
                    "kind": p["kind"] + "-real",
                    "origin": "bbc-real",
                    "split": side_of(root.get(a, a)),
                    "a": {"src": p["a"]["src"], "ops": p["a"].get("recipe", [])},
                    "b": {"src": p["b"]["src"], "ops": p["b"].get("recipe", [])},
                }
            )
        elif p["kind"] == "own-reporting":
            out.append(
                {
                    "id": "feed-" + p["id"],
                    "label": "new",
                    "kind": "own-reporting-real",
                    "origin": "feed-real",
                    "split": side_of(p["id"]),
                    "a": {"src": p["a"]["src"]},
                    "b": {"src": p["b"]["src"]},
                }
            )
            used |= {p["a"]["src"], p["b"]["src"]}
    bbc = recipes._bbc()
    pool: dict[tuple[str, str], list[str]] = {}
    for bid, (_title, body) in sorted(bbc.items()):
        if bid not in used and substantial(body):
            pool.setdefault((bid.split("/")[0], side_of(bid)), []).append(bid)
    sources: list[tuple[str, str, str]] = []  # (ref, split, neighbour ref)
    for (_cat, split), ids in sorted(pool.items()):
        chosen = ids[:: max(1, len(ids) // 12)][:12]
        vocab = {i: words(bbc[i][1]) for i in ids}
        for i in chosen:
            best = nearest(i, ids, vocab)
            sources.append((f"bbc:{i}", split, f"bbc:{best}"))
    feeds = ["engadget-2022-04.xml", "macrumors-2022-04.xml", "theguardian-2022-04.xml"]
    for name in feeds:
        items = recipes._feed(name)
        ok = [
            i
            for i, (t, b) in enumerate(items)
            if len(b.split("\n")) >= 4 and len(b.split()) >= 150 and f"feed:{name}#{i}" not in used
        ]
        vocab = {i: words(items[i][1]) for i in ok}
        for i in ok[:: max(1, len(ok) // 10)][:10]:
            split = side_of(f"feed:{name}#{i}")
            same = [j for j in ok if j != i and side_of(f"feed:{name}#{j}") == split]
            if not same:
                continue
            best = max(same, key=lambda j: len(vocab[i] & vocab[j]) / len(vocab[i] | vocab[j]))
            sources.append((f"feed:{name}#{i}", split, f"feed:{name}#{best}"))
    for n, (ref, split, neighbour) in enumerate(sources):
        plan = [COPY_KINDS[(3 * n + k) % len(COPY_KINDS)] for k in range(3)]
        plan += [NEW_KINDS[(2 * n + k) % len(NEW_KINDS)] for k in range(2)]
        for k, (kind, make) in enumerate(plan):
            a, b = make(ref, neighbour, n + k)
            out.append(
                {
                    "id": f"c{n:03d}-{k}-{kind}",
                    "label": "copy" if k < 3 else "new",
                    "kind": kind,
                    "origin": "constructed",
                    "split": split,
                    "a": {"src": a.get("src", ref), "ops": a.get("ops", [])},
                    "b": {"src": b.get("src", ref), "ops": b.get("ops", [])},
                }
            )
    lines = ",\n".join(json.dumps(p, ensure_ascii=False) for p in out)
    (HERE / "pairs.json").write_text(f"[\n{lines}\n]\n", encoding="utf-8")  # a pair a line
    from collections import Counter

    print(len(out), Counter((p["split"], p["label"]) for p in out))


if __name__ == "__main__":
    main()
