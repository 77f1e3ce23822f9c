"""BASELINE for bench/classify.py: summarize as it was before tags-2 (commit 06ea94e), verbatim.

Extractive summaries: 1-3 sentences, at most 600 characters, no model.

Order of work:
 1. Take the best text (`story.body`: content over description), its first `_READ` characters.
 2. Clean it: HTML leftovers to text; drop bylines, "Published:"/"Updated:" lines, image credits,
    "Read more…"/"Continue reading…"/"Subscribe…" and other boilerplate, bare domain lines;
    re-join lines a feed broke mid-sentence.
 3. Candidates: (a) the lede (first sentence) plus the sentence carrying the key figure (money,
    "billion", per cent; a figure the headline repeats counts most), or the second sentence when
    no sentence carries one and both fit in `_SHORT`; (b) a bullet standfirst at the top.
 4. The candidate covering more of the headline's words wins (the standfirst gets a small bonus:
    an editor wrote it as a summary); the result is cut to 600 characters at a word if it must be.
"""

from __future__ import annotations

import re

from bot.story import Story

LIMIT = 600
_READ = 4000
_SHORT = 400
_KEY_WINDOW = 12  # sentences searched for the key figure
_STANDFIRST_BONUS = 0.15

_BOILER_LINE = re.compile(
    r"^\s*(published|updated|posted|last updated|first published)\s*:|"
    r"^\s*by\s+[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}(\s*(,|and|&)\s*[A-Z][\w.'’-]*"
    r"(\s+[A-Z][\w.'’-]*){0,3})*\s*(,.{0,40})?$|"
    r"^\s*(photo|image|picture|illustration|video|graphic)s?(\s+credit)?\s*[:|]|"
    r"^\s*(read more|continue reading|subscribe|sign up|advertisement|share this|follow us|"
    r"related:|see also|click here|watch:|listen:|more:)|"
    r"(getty images|/reuters|/afp|/ap photo|shutterstock)\s*\)?\s*$|"
    r"all rights reserved|^\s*(©|copyright\b)|appeared first on|"
    r"^\s*(https?://)?(www\.)?[\w-]+(\.[\w-]+)+/?\s*$",
    re.IGNORECASE,
)
_BOILER_INLINE = re.compile(
    r"subscribe or log in to read the rest of this content\.?|continue reading\.*|"
    r"read more(\s*(…|\.\.\.|»|>>))?|\[\s*(…|\.\.\.)\s*\]|"
    r"\((photo|image|picture)s?( credit)?:[^)]{0,80}\)|"
    r"the post .{0,200} appeared first on .{0,80}$",
    re.IGNORECASE,
)
_INLINE_CUES = (
    "subscribe",
    "continue reading",
    "read more",
    "[",
    "(photo",
    "(image",
    "(picture",
    "appeared first on",
)
_DIGIT = re.compile(r"\d")
_MARKUP = re.compile(r"<[a-zA-Z!/?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_BULLET = re.compile(r"^\s*[-•*–·▪]\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*$")
_ABBREV = re.compile(
    r"(\b(Mr|Mrs|Ms|Dr|Prof|St|Co|Ltd|Inc|Corp|Jr|Sr|No|Gov|Gen|Sen|Rep|vs|etc|e\.g|i\.e|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z](\.[A-Z])*)\.$"
)
_SPLIT = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_MONEY = re.compile(
    r"(US\$|\$|€|£|¥|HK\$|S\$|A\$|C\$|₹|\byuan\b|\byen\b|\bwon\b|\brupees?\b|"
    r"\beuros?\b|\bdollars?\b|\bpounds\b)",
    re.IGNORECASE,
)
_SCALE = re.compile(r"\b(billion|trillion|million|bn|crore|lakh)\b|\d(bn|m|tn)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\d\s?(%|per ?cent|percent)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_GLOSS = re.compile(r" \([A-Z][A-Za-z&]{1,9}\)")
_WEEKDAY = re.compile(
    r"\b(said|says|announced|told reporters)( on)? (Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)( that)?\b"
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "after",
        "over",
        "into",
        "its",
        "his",
        "her",
        "their",
        "has",
        "have",
        "was",
        "were",
        "are",
        "will",
        "not",
        "but",
        "says",
        "said",
        "new",
        "more",
        "than",
        "about",
    ]
)


def summarize(story: Story) -> str:
    """1-3 sentences from the story's best text, at most 600 characters ("" when it has none)."""
    lines = _clean(story.body[:_READ])
    bullets, paragraphs = _standfirst(lines)
    sentences: list[str] = []
    for paragraph in paragraphs:
        sentences.extend(_sentences(paragraph))
        if len(sentences) >= _KEY_WINDOW:
            break
    title_words = _words(story.title)
    candidates: list[tuple[float, list[str]]] = []
    if sentences:
        standfirst = (
            " ".join(story.description.split())
            if story.content
            and len(story.description) <= _SHORT
            and not _MARKUP.search(story.description)
            else ""
        )
        chosen = _lede_and_key(sentences, story.title, standfirst)
        candidates.append((_coverage(chosen, title_words), chosen))
    if bullets:
        candidates.append((_coverage(bullets, title_words) + _STANDFIRST_BONUS, bullets[:3]))
    if not candidates:
        return ""
    best = max(candidates, key=lambda c: c[0])[1]
    return _fit(best)


def _clean(text: str) -> list[str]:
    if _MARKUP.search(text):
        from bot.htmltext import to_text  # only for feeds that left markup in

        text = to_text(text)
    lines: list[str] = []
    for raw in text.splitlines():
        low = raw.lower()
        if any(cue in low for cue in _INLINE_CUES):
            raw = _BOILER_INLINE.sub(" ", raw)
        line = " ".join(raw.split())
        if not line or (len(line) < 300 and _BOILER_LINE.search(line)):
            continue
        if (
            lines
            and not _BULLET.match(line)
            and not _SENTENCE_END.search(lines[-1])
            and not _BULLET.match(lines[-1])
            and (line[0].islower() or (len(lines[-1]) < 40 and lines[-1][-1:].islower()))
        ):
            lines[-1] = f"{lines[-1]} {line}"  # a line the feed broke mid-sentence
        else:
            lines.append(line)
    return lines


def _standfirst(lines: list[str]) -> tuple[list[str], list[str]]:
    """Bullets at the top (the standfirst) and the remaining paragraphs."""
    bullets: list[str] = []
    for line in lines:
        if not _BULLET.match(line):
            break
        point = _BULLET.sub("", line).strip()
        bullets.append(point if _SENTENCE_END.search(point) else point + ".")
    rest = [_BULLET.sub("", line) for line in lines[len(bullets) :]]
    return bullets, rest


def _sentences(paragraph: str) -> list[str]:
    parts: list[str] = []
    for piece in _SPLIT.split(paragraph):
        if parts and _ABBREV.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        elif piece.strip():
            parts.append(piece.strip())
    return parts


def _figure_score(sentence: str, title: str) -> float:
    if not _DIGIT.search(sentence):
        return 0.0
    score = 0.0
    if _MONEY.search(sentence):
        score += 2.0
    if _SCALE.search(sentence):
        score += 1.0
    if _PERCENT.search(sentence):
        score += 1.0
    numbers = set(_NUMBER.findall(sentence))
    if numbers & set(_NUMBER.findall(title)):
        score += 2.0  # the headline's own figure
    elif numbers and score == 0:
        score += 0.25
    return score


def _lede_and_key(sentences: list[str], title: str, standfirst: str) -> list[str]:
    lede = sentences[0]
    scored = [(_figure_score(s, title), i) for i, s in enumerate(sentences[1:_KEY_WINDOW], 1)]
    for _score, i in sorted((si for si in scored if si[0] >= 1.0), key=lambda si: (-si[0], si[1])):
        for first in (lede, _compress(lede), standfirst):
            pair = [first, sentences[i]]
            if first and len(" ".join(pair)) > LIMIT:
                pair = [_compress(first), _compress(sentences[i])]
            if first and len(" ".join(pair)) <= LIMIT:
                return pair
    if len(sentences) > 1 and len(lede) + 1 + len(sentences[1]) <= _SHORT:
        return sentences[:2]
    return [lede]


def _compress(sentence: str) -> str:
    """Light, meaning-keeping cuts: acronym glosses "(MOST)", weekday attributions."""
    return _GLOSS.sub("", _WEEKDAY.sub(r"\1", sentence))


def _words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


def _coverage(sentences: list[str], title_words: set[str]) -> float:
    if not title_words:
        return 0.0
    return len(title_words & _words(" ".join(sentences))) / len(title_words)


def _fit(sentences: list[str]) -> str:
    out = ""
    for sentence in sentences[:3]:
        joined = f"{out} {sentence}".strip()
        if len(joined) > LIMIT:
            return out or _cut(sentence)
        out = joined
    return out


def _cut(text: str) -> str:
    if len(text) <= LIMIT:
        return text
    cut = text.rfind(" ", 0, LIMIT - 1)
    return text[: cut if cut > LIMIT // 2 else LIMIT - 1].rstrip(" ,;:") + "…"
