"""The copies pair set: references + operations in `pairs.json`, texts built at test time.

A side is `{"src": ref, "ops": [[op, arg], ...]}` where `ref` is `bbc:<id>`, `feed:<file>#<i>`
(tests/dedup_devset/recipes.source) or `web:<pair id>#a|b` (../shared/corpus/web/pairs-web.jsonl,
161 real pairs). `Unavailable` is raised when the corpus is absent, so tests skip.
`split` is fixed in pairs.json ("train" or "test", by source article; see make_pairs.py).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ops import OPS, Doc, recipes

HERE = Path(__file__).resolve().parent
Unavailable = recipes.Unavailable


@functools.cache
def _web() -> dict[str, dict]:
    path = recipes._need(recipes.CORPUS / "web" / "pairs-web.jsonl")
    with path.open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def web_pairs() -> list[dict]:
    return list(_web().values())


def source(ref: str) -> Doc:
    if ref.startswith("web:"):
        pair, _, side = ref[4:].partition("#")
        item = _web()[pair][side]
        return item["title"], [p for p in item["summary"].split("\n") if p.strip()]
    return recipes.source(ref)


def build(side: dict) -> tuple[str, str]:
    doc = source(side["src"])
    for name, arg in side.get("ops", []):
        doc = OPS[name](doc, arg)
    return doc[0], "\n".join(doc[1])


def pairs() -> list[dict]:
    return json.loads((HERE / "pairs.json").read_text(encoding="utf-8"))
