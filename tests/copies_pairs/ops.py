"""How re-publishers and newsrooms change an article: the operations of the copies pair set.

Each operation maps a document (title, paragraphs) to another, deterministically (an integer
`seed` picks among variants). Sources are real texts read at test time from ../shared/corpus
through `tests/dedup_devset/recipes.source` (BBC articles, 2022-04 feed items, the web pairs);
only references and operations are in the repository. The strings written here are the
furniture re-publishers add (trailers, plugs, captions, datelines), never article text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dedup_devset"))
import recipes

Doc = tuple[str, list[str]]
source = recipes.source

OUTLETS = ["Asia Business Wire", "The Daily Ledger", "NewsNow Hub", "Tech Digest", "Yahoo News"]
TRAILERS = [
    "Read the full story at {outlet}.",
    "This article first appeared on {outlet}.",
    "The post {title} appeared first on {outlet}.",
    "Continue reading on {outlet} …",
    "[…] Read more",
    "Lesen Sie den vollständigen Artikel auf {outlet}.",
    "Cet article est paru initialement sur {outlet}.",
    "Leia a matéria completa em {outlet}.",
    "Click here to read the full article.",
    "This story was originally published by {outlet}. Republished with permission.",
]
PLUGS = [
    "Subscribe to {outlet} for just $1 a week for the first 12 weeks.",
    "Sign up for our free Morning Briefing newsletter to get stories like this in your inbox.",
    "Get unlimited access to {outlet} journalism for 9.99 a month. Cancel anytime.",
]
CAPTIONS = [
    "Photo: Maria Lopez/Reuters",
    "A view of the headquarters in 2019. Photo: Bloomberg via Getty Images",
    "Image caption: Officials at a press conference on Monday (AFP/Jean Dupont)",
]


def _sentences(paragraph: str) -> list[str]:
    return recipes._sentences(paragraph)


def _words(text: str, n: int) -> str:
    return recipes._words(text, n)


def retitle(doc: Doc, seed: int = 0) -> Doc:
    return recipes.retitle(doc)


def truncate(doc: Doc, fraction: float) -> Doc:
    return recipes.truncate(doc, fraction)


def teaser(doc: Doc, seed: int) -> Doc:
    """The first one or two paragraphs under a new headline, a standfirst, a trailer."""
    title, paras = doc
    outlet = OUTLETS[seed % len(OUTLETS)]
    keep = paras[: 1 + seed % 2]
    trailer = TRAILERS[seed % len(TRAILERS)].format(outlet=outlet, title=title)
    head = [_words(_sentences(paras[-1])[0], 18)] if seed % 3 == 0 and len(paras) > 2 else []
    new_title = recipes.retitle(doc)[0] if seed % 2 else title
    return new_title, [*head, *keep, trailer]


def standfirst(doc: Doc, seed: int = 0) -> Doc:
    """A one-sentence standfirst on top (drawn from a later sentence)."""
    title, paras = doc
    base = paras[min(2, len(paras) - 1)]
    return title, [_words(_sentences(base)[0], 20), *paras]


def drop_first(doc: Doc, seed: int = 0) -> Doc:
    """The standfirst dropped again (paired with `standfirst` on the other side)."""
    return doc[0], doc[1][1:]


def caption_plug(doc: Doc, seed: int) -> Doc:
    """A photo caption after the lead and a subscription plug at the end (names, numbers)."""
    title, paras = doc
    outlet = OUTLETS[(seed + 1) % len(OUTLETS)]
    return title, [
        paras[0],
        CAPTIONS[seed % len(CAPTIONS)],
        *paras[1:],
        PLUGS[seed % len(PLUGS)].format(outlet=outlet),
    ]


_MONEY = re.compile(r"([$£€])(\d[\d,]*(?:\.\d+)?)(bn|m| billion| million)?")


def currency(doc: Doc, seed: int = 0) -> Doc:
    """A currency conversion in brackets after the first amounts."""
    title, paras = doc
    count = 0

    def add(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        if count > 3:
            return m.group(0)
        value = float(m.group(2).replace(",", "")) * (0.92 if m.group(1) != "€" else 1.09)
        other = "€" if m.group(1) != "€" else "$"
        return f"{m.group(0)} (about {other}{value:.1f}{m.group(3) or ''})"

    return title, [_MONEY.sub(add, p) for p in paras]


def reword(doc: Doc, seed: int = 0) -> Doc:
    """A light wire rewrite: every third sentence reworded, figures restyled."""
    return recipes.paraphrase(doc)


_SPIN = [
    (r"\bsaid\b", "stated"),
    (r"\bsays\b", "claims"),
    (r"\bwill\b", "is going to"),
    (r"\bfirm\b", "business"),
    (r"\bcompany\b", "business"),
    (r"\bgovernment\b", "administration"),
    (r"\bpeople\b", "individuals"),
    (r"\bnew\b", "brand-new"),
    (r"\bbig\b", "huge"),
    (r"\blarge\b", "sizeable"),
    (r"\bsmall\b", "little"),
    (r"\bshow\b", "reveal"),
    (r"\bshows\b", "reveals"),
    (r"\bhelp\b", "aid"),
    (r"\bbuy\b", "purchase"),
    (r"\bmake\b", "produce"),
    (r"\bmarket\b", "marketplace"),
    (r"\bincrease\b", "boost"),
    (r"\bfell\b", "dropped"),
    (r"\brose\b", "climbed"),
    (r"\bexpected\b", "anticipated"),
    (r"\bcould\b", "might"),
    (r"\bthe\b", "the"),
    (r"\babout\b", "approximately"),
    (r"\balso\b", "furthermore"),
    (r"\bbut\b", "however"),
    (r"\bstarted\b", "began"),
    (r"\bend\b", "finish"),
    (r"\blast year\b", "the previous year"),
    (r"\bmore than\b", "over"),
]


def spin(doc: Doc, seed: int = 0) -> Doc:
    """A machine-reworded copy: synonyms in every sentence, clauses moved."""
    title, paras = doc
    out = []
    for para in paras:
        sentences = []
        for sentence in _sentences(para):
            for pattern, replacement in _SPIN:
                sentence = re.sub(pattern, replacement, sentence)
            sentences.append(recipes._reword(sentence))
        out.append(" ".join(sentences))
    return recipes._reword(title).rstrip("."), out


def wire_update(doc: Doc, seed: int) -> Doc:
    """'UPDATE 1-': a short paragraph on top with a reaction; everything else kept."""
    title, paras = doc
    names = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}", " ".join(paras))
    who = names[0] if names else "Officials"
    lines = [
        f"{who} did not immediately respond to a request for further comment on Tuesday.",
        f"The news was greeted cautiously, with {who} expected to say more later in the day.",
        f"Reaction was muted in early trading as {who} declined to give further detail.",
    ]
    return f"UPDATE {1 + seed % 2}-{title}", [lines[seed % len(lines)], *paras]


def refile(doc: Doc, seed: int) -> Doc:
    """'REFILE-'/'CORRECTED-' for a typo or a spelling: no figure changes."""
    title, paras = doc
    prefix = ("REFILE-", "CORRECTED-")[seed % 2]
    fixed = [re.sub(r"\b(the)\b", "teh", paras[0], count=1), *paras[1:]]
    return prefix + title, fixed if seed % 2 == 0 else [*paras]


def amp(doc: Doc, seed: int) -> Doc:
    """An AMP or print rendering: site chrome between paragraphs."""
    title, paras = doc
    out = ["Listen to this article · 4 min", "Share on Facebook Share on Twitter Email Print"]
    for i, para in enumerate(paras):
        out.append(para)
        if i % 3 == 1:
            out.append("Advertisement")
    out += ["Most Read", "© 2005 All rights reserved."]
    return title, out


def dateline(doc: Doc, seed: int) -> Doc:
    """A wire dateline and credit line."""
    title, paras = doc
    city = ["LONDON", "NEW YORK", "BRUSSELS", "HONG KONG"][seed % 4]
    return title, [
        f"{city} (Reuters) - {paras[0]}",
        *paras[1:],
        "(Reporting by Anna Smith; Editing by Mark Potter)",
    ]


def debris(doc: Doc, seed: int = 0) -> Doc:
    return recipes.debris(doc)


def write_through(doc: Doc, seed: int) -> Doc:
    """The outlet's same-day write-through: a reworded lead, the body kept, the end trimmed."""
    title, paras = doc
    lead = recipes._reword(_sentences(paras[0])[0])
    rest = " ".join(_sentences(paras[0])[1:])
    body = [f"{lead} {rest}".strip(), *paras[1:]]
    if len(body) > 4:
        body = body[:-1]
    return title, body


# ------------------------------------------------------------------ new news


def follow_up(doc: Doc, arg: list) -> Doc:
    """Another real article's title and lead, then 30-60 % of this one's background verbatim."""
    lead_ref, fraction = arg
    other_title, other = source(lead_ref)
    _title, paras = doc
    lead = other[:3]
    background = paras[1:] or paras
    take = max(1, round(len(lead) * fraction / (1 - fraction)))
    start = max(0, (len(background) - take) // 2)
    return other_title, [*lead, *background[start : start + take]]


def _swap_numbers(text: str, seed: int) -> str:
    def swap(m: re.Match[str]) -> str:
        digits = m.group(0)
        if len(digits) == 4 and digits.startswith(("19", "20")):
            return digits
        return str(int(digits) * 3 + 7 + seed % 5)

    return re.sub(r"\d+", swap, text)


def template(doc: Doc, arg: list) -> Doc:
    """The outlet's template with other facts: another story's title and lead, this one's later
    paragraphs with every number changed and its names replaced by the other story's."""
    other_ref, seed = arg
    other_title, other = source(other_ref)
    _title, paras = doc
    mine = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}", " ".join(paras))
    theirs = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}", " ".join(other)) or ["Acme"]
    swap = {n: theirs[i % len(theirs)] for i, n in enumerate(dict.fromkeys(mine))}
    out = []
    for para in paras[1:]:
        for a, b in swap.items():
            para = re.sub(rf"\b{a}\b", b, para)
        out.append(_swap_numbers(para, seed))
    return other_title, [other[0], *out]


def correction(doc: Doc, seed: int) -> Doc:
    """A correction that changes the key figure (the first number of the text) everywhere."""
    title, paras = doc
    first = re.search(r"\b\d+(?:\.\d+)?\b", "\n".join(paras))
    if not first:
        return "CORRECTED-" + title, [f"Correction: {13 + seed} people were hurt, not 3.", *paras]
    old = first.group(0)
    new = str(round(float(old) * 2 + 3, 1)).removesuffix(".0")
    fixed = [re.sub(rf"\b{re.escape(old)}\b", new, p) for p in paras]
    return "CORRECTED-" + re.sub(rf"\b{re.escape(old)}\b", new, title), fixed


def roundup(doc: Doc, others: list[str]) -> Doc:
    return recipes.roundup(doc, others)


def set_title(doc: Doc, title: str) -> Doc:
    return title, doc[1]


OPS: dict[str, Callable[[Doc, object], Doc]] = {
    f.__name__: f  # type: ignore[misc]
    for f in (
        retitle,
        truncate,
        teaser,
        standfirst,
        drop_first,
        caption_plug,
        currency,
        reword,
        spin,
        wire_update,
        refile,
        amp,
        dateline,
        debris,
        write_through,
        follow_up,
        template,
        correction,
        roundup,
        set_title,
    )
}
