"""Build the dedup dev set's texts at test time from references and recipes.

`pairs.json` holds only references and transformation recipes: a BBC article id, a feed file
and item index, a seed file, or a text from `texts.txt` (written by the team), then a list
of `[recipe, argument]` steps. BBC articles and the GPL/unlicensed feeds are read from
`../shared/corpus/` (or $HUBNEWS_CORPUS) and never copied into the repo; `Unavailable` is
raised when they are absent so the tests can skip with the reason.

A document is (title, paragraphs). Every recipe is deterministic.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = Path(os.environ.get("HUBNEWS_CORPUS", ROOT.parent / "shared" / "corpus"))
SEEDS = ROOT / "tests" / "fixtures" / "seeds"  # the product owner's seeds (scmp.com, 2020)
SEED_FILES = {"000": "000_fb14683d7b6d4548.txt", "001": "001_69f3e0fecde67706.txt"}

Doc = tuple[str, list[str]]


class Unavailable(Exception):
    """A referenced corpus file is not on this machine."""


def _need(path: Path) -> Path:
    if not path.exists():
        raise Unavailable(
            f"{path} is absent (BBC articles and GPL/unlicensed feeds are not "
            f"in the repo; set HUBNEWS_CORPUS to ../shared/corpus)"
        )
    return path


@functools.cache
def _bbc() -> dict[str, tuple[str, str]]:
    with _need(CORPUS / "articles" / "bbc.jsonl").open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return {row["id"]: (row["title"], row["body"]) for row in rows}


def bbc_ids() -> list[str]:
    return sorted(_bbc())


@functools.cache
def _feed(name: str) -> list[tuple[str, str]]:
    import feedparser  # a dependency of hubnews

    parsed = feedparser.parse(_need(CORPUS / "feeds-real" / name).read_bytes())
    items = []
    for entry in parsed.entries:
        html = entry.get("content", [{}])[0].get("value", "") or entry.get("summary", "")
        text = re.sub(r"\s*\n\s*", "\n", re.sub(r"<(p|br|h\d|li)[^>]*>", "\n", html))
        items.append((entry.get("title", ""), re.sub(r"<[^>]+>", " ", text).strip()))
    return items


@functools.cache
def _texts() -> dict[str, str]:
    blocks = re.split(r"^=== (\S+)\n", (HERE / "texts.txt").read_text(encoding="utf-8"), flags=re.M)
    return {blocks[i]: blocks[i + 1].strip("\n") for i in range(1, len(blocks), 2)}


def _split(text: str) -> Doc:
    title, _, body = text.partition("\n")
    return title.strip(), [p for p in body.split("\n") if p.strip()]


def source(ref: str) -> Doc:
    """'bbc:tech/001', 'feed:file.xml#3', 'seed:000', 'text:name'."""
    kind, _, name = ref.partition(":")
    if kind == "bbc":
        title, body = _bbc()[name]
        return title, [p for p in body.split("\n") if p.strip()]
    if kind == "feed":
        file, _, index = name.partition("#")
        title, body = _feed(file)[int(index)]
        return title, [p for p in body.split("\n") if p.strip()]
    if kind == "seed":
        return _split((SEEDS / SEED_FILES[name]).read_text(encoding="utf-8"))
    if kind == "text":
        return _split(_texts()[name])
    raise ValueError(f"unknown source {ref!r}")


# ------------------------------------------------------------------ recipes


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“‘])", paragraph) if s]


def _words(text: str, n: int) -> str:
    words = text.split()
    return " ".join(words[:n]).rstrip(",;:") + ("…" if len(words) > n else "")


def retitle(doc: Doc, _: object = None) -> Doc:
    """A new headline made from the second paragraph's opening words."""
    _title, paras = doc
    base = paras[1] if len(paras) > 1 else paras[0]
    return _words(_sentences(base)[0], 11).rstrip("…."), paras


def standfirst(doc: Doc, _: object = None) -> Doc:
    title, paras = doc
    bullets = ["- " + _words(_sentences(p)[0], 16) for p in paras[2:4] or paras[:1]]
    return title, [*bullets, *paras]


def truncate(doc: Doc, fraction: float) -> Doc:
    title, paras = doc
    return title, paras[: max(2, round(len(paras) * fraction))]


def excerpt(doc: Doc, count: int) -> Doc:
    title, paras = doc
    return title, [*paras[:count], "Read the full story on our website…"]


def prepend(doc: Doc, name: str) -> Doc:
    """An update: a new top paragraph (a team-written text's body), the rest kept."""
    title, paras = doc
    return title, [*source("text:" + name)[1], *paras]


def prepend_line(doc: Doc, text: str) -> Doc:
    title, paras = doc
    return title, [text, *paras]


def follow_up(doc: Doc, opening: str) -> Doc:
    """Days later: new facts first, then the first half of the earlier text word for word."""
    _title, paras = doc
    new = [p.strip() for p in opening.split("|")]
    return _words(new[0], 10).rstrip("…."), [*new, *paras[: max(1, len(paras) // 2)]]


_SWAPS = [
    (r"\bsaid\b", "told reporters"),
    (r"\bsays\b", "stated"),
    (r"\bcompany\b", "firm"),
    (r"\bgovernment\b", "administration"),
    (r"\bannounced\b", "unveiled"),
    (r"\bincrease\b", "rise"),
    (r"\bplans\b", "proposals"),
    (r"\bbig\b", "large"),
    (r"\bhowever\b", "but"),
    (r"\balso\b", "additionally"),
    (r"\bbecause\b", "as"),
    (r"\bpeople\b", "individuals"),
    (r"\bwill\b", "is set to"),
    (r"\bhas been\b", "was"),
    (r"\bmore than\b", "over"),
    (r"\babout\b", "around"),
    (r"\bthe\b", "this"),
    (r"\bshow\b", "indicate"),
    (r"\bnew\b", "fresh"),
    (r"\bbuy\b", "acquire"),
    (r"\bmarket\b", "sector"),
    (r"\bhelp\b", "assist"),
    (r"\bbetween\b", "among"),
    (r"US\$(\d+(?:\.\d+)?) billion", r"$\1bn"),
    (r"\$(\d+(?:\.\d+)?) billion", r"$\1bn"),
    (r"(\d+(?:\.\d+)?) million", r"\1m"),
    (r"\bper cent\b", "%"),
]


def _reword(sentence: str) -> str:
    for pattern, replacement in _SWAPS:
        sentence = re.sub(pattern, replacement, sentence)
    head, sep, tail = sentence.rstrip(".").partition(", ")
    if sep and len(tail.split()) > 3:  # move the clause after the first comma to the front
        sentence = tail[0].upper() + tail[1:] + ", " + head[0].lower() + head[1:] + "."
    return sentence


def paraphrase(doc: Doc, _: object = None) -> Doc:
    """An aggregator's light paraphrase: every third sentence reworded, figures restyled."""
    title, paras = doc
    count, out = 0, []
    for para in paras:
        sentences = []
        for sentence in _sentences(para):
            sentences.append(
                _reword(sentence)
                if count % 3 == 1
                else re.sub(r"US\$(\d+(?:\.\d+)?) billion", r"$\1bn", sentence)
            )
            count += 1
        out.append(" ".join(sentences))
    return _reword(title).rstrip("."), out


def furniture(doc: Doc, related: list[str]) -> Doc:
    """The same body in another site's furniture: related links, a caption, a prompt, a bio."""
    title, paras = doc
    links = ["Related: " + source(ref)[0] for ref in related]
    middle = len(paras) // 2
    return title, [
        "Image caption: " + _words(paras[0], 8) + " (Photo: Getty Images)",
        *paras[:middle],
        "Sign up for our free morning newsletter to get stories like this.",
        *links,
        *paras[middle:],
        "Alex Morgan covers business and technology policy. Follow on social media for more.",
        "Share this article · Comments (12) · Most read",
    ]


def reorder(doc: Doc, _: object = None) -> Doc:
    """Paragraphs 2-3 and 4-5 swapped, with copy edits."""
    title, paras = doc
    out = list(paras)
    for i in (1, 3):
        if i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
    edits = [
        (r"\bper cent\b", "%"),
        (r"\bUS\b", "U.S."),
        (r"\bsaid\b", "says"),
        (r"\bMr\b", "Mr."),
        (r"  +", " "),
    ]
    for pattern, replacement in edits:
        out = [re.sub(pattern, replacement, p) for p in out]
    return title, out


def roundup(doc: Doc, others: list[str]) -> Doc:
    """A briefing: a one-paragraph brief of this story among briefs of others."""
    items = [doc, *(source(ref) for ref in others)]
    items = items[1:3] + items[:1] + items[3:]  # the story is third, not first
    paras = []
    for title, body in items:
        paras += [title.upper(), body[0]]
    return "Morning briefing: " + ", ".join(t for t, _ in items[:2]), paras


def debris(doc: Doc, _: object = None) -> Doc:
    """Scraping debris: a Published line, a broken sentence, the headline repeated, a domain."""
    title, paras = doc
    first = paras[1].split(" ") if len(paras) > 1 else paras[0].split(" ")
    cut = len(first) // 2
    broken = [" ".join(first[:cut]), " ".join(first[cut:])]
    return title, [
        "Published: 7:00pm, 3 Mar, 2005",
        paras[0],
        *broken,
        *paras[2:],
        title,
        "www.example-news.com",
    ]


def body_only(doc: Doc, _: object = None) -> Doc:
    return "", doc[1]


def title_only(doc: Doc, _: object = None) -> Doc:
    return doc[0], []


def set_title(doc: Doc, title: str) -> Doc:
    return title, doc[1]


RECIPES: dict[str, Callable[[Doc, object], Doc]] = {
    f.__name__: f
    for f in (
        retitle,
        standfirst,
        truncate,
        excerpt,
        prepend,
        prepend_line,  # type: ignore[misc]
        follow_up,
        paraphrase,
        furniture,
        reorder,
        roundup,
        debris,
        body_only,
        title_only,
        set_title,
    )
}


def build(side: dict) -> tuple[str, str]:
    """One side of a pair: (title, body)."""
    doc = source(side["src"])
    for name, argument in side.get("recipe", []):
        doc = RECIPES[name](doc, argument)
    return doc[0], "\n".join(doc[1])


def pairs() -> list[dict]:
    return json.loads((HERE / "pairs.json").read_text(encoding="utf-8"))


def needs_corpus(pair: dict) -> bool:
    return any(
        side["src"].startswith(("bbc:", "feed:"))
        or any(
            isinstance(arg, list) and any(str(x).startswith("bbc:") for x in arg)
            for _, arg in side.get("recipe", [])
        )
        for side in (pair["a"], pair["b"])
    )
