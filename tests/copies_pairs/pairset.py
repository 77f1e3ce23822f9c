"""The copies pair set: references + operations in `pairs.json`, texts built at test time.

A side is `{"src": ref, "ops": [[op, arg], ...]}` (and an optional "outlet") where `ref` is
`bbc:<id>`, `feed:<file>#<i>` (tests/dedup_devset/recipes.source), `web:<pair id>#a|b`
(../shared/corpus/web/pairs-web.jsonl, 161 real pairs) or `item:<id>` (an excerpt of
../shared/corpus/web/labelled-web.jsonl). `Unavailable` is raised when the corpus is absent,
so tests skip.
`split` is fixed in pairs.json ("train" or "test", by source article; see make_pairs.py).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import urlsplit

import ops
from ops import OPS, Doc, recipes

HERE = Path(__file__).resolve().parent
Unavailable = recipes.Unavailable


@functools.cache
def _rows(name: str) -> dict[str, dict]:
    """A JSONL file of ../shared/corpus/web by its rows' ids."""
    path = recipes._need(recipes.CORPUS / "web" / name)
    with path.open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def _web() -> dict[str, dict]:
    return _rows("pairs-web.jsonl")


def _labelled() -> dict[str, dict]:
    return _rows("labelled-web.jsonl")


def web_pairs() -> list[dict]:
    return list(_web().values())


def labelled_items() -> list[dict]:
    """The 402 real web excerpts of labelled-web.jsonl (the tagger's set), for `devweb`."""
    return list(_labelled().values())


def source(ref: str) -> Doc:
    if ref.startswith("item:"):  # an excerpt of labelled-web.jsonl
        item = _labelled()[ref[5:]]
        return item["title"], [p for p in item["summary"].split("\n") if p.strip()]
    if ref.startswith("web:"):
        pair, _, side = ref[4:].partition("#")
        item = _web()[pair][side]
        return item["title"], [p for p in item["summary"].split("\n") if p.strip()]
    return recipes.source(ref)


ops.source = source  # a follow-up's or a template's other article may be any reference


def domain(side: dict) -> str:
    """The outlet a side comes from: its "outlet" when given, a web page's host, else one
    stand-in for every side (BBC articles and the copies built from real articles)."""
    if "outlet" in side:
        return str(side["outlet"])
    if side["src"].startswith("item:"):
        return urlsplit(_labelled()[side["src"][5:]]["url"]).hostname or "example.com"
    if side["src"].startswith("web:"):
        pair, _, name = side["src"][4:].partition("#")
        return urlsplit(_web()[pair][name]["url"]).hostname or "example.com"
    return "example.com"


def build(side: dict) -> tuple[str, str]:
    doc = source(side["src"])
    for name, arg in side.get("ops", []):
        doc = OPS[name](doc, arg)
    return doc[0], "\n".join(doc[1])


def pairs() -> list[dict]:
    return json.loads((HERE / "pairs.json").read_text(encoding="utf-8"))
