"""Exact verification of one candidate on full texts: which sentences are shared, where, and
what the rest is.

`compare(new, old)` (each `(title, body)`) strips re-publishers' boilerplate
(`bot.boilerplate`), splits both texts into sentences, and marks each sentence of one text as
shared when most of its word bigrams (character bigrams for CJK) occur in the other text. From
that it measures where the shared text sits (does it open the new story? does it cover the old
story?), what the unshared part of the new story holds (tokens, numbers and names the old one
lacks), and whether a shared sentence changed a figure. The verdict comes with one sentence
naming the shared part and the new part:

    changed figure          a shared sentence carries another number (in the first two
                            sentences, also another name) that the texts confirm: the old
                            one gone from the new text and the new one absent from the old
                            (in the lead either is enough; for the story's first figure,
                            its key one, the sentence word for word but for it is enough):
                            a correction -> new
    contained               the new text adds (almost) nothing but boilerplate -> copy
    fuller                  the new text opens with the old one and continues it -> copy
                            (kind "fuller": a full article after its teaser or excerpt)
    update on top           all of the old text, a short paragraph on top without new
                            facts (a wire UPDATE) -> copy
    reworded in order       at least 4 in 5 sentences say what the old text's sentences say,
                            one by one in its order, the lead included, no new number: a
                            rewording or machine-spun copy -> copy (German capitals mark
                            nouns, not names: there only numbers count as facts)
    reworded                nearly every sentence reworded, same facts, similar length, the
                            opening shared or reworded -> copy
    otherwise               new lead or new paragraphs of substance -> new news

With `brief=True` (what `bot.dedup` asks), a pair whose shared sentences are too few for any
copy rule (the new text mostly unshared and at most half of the old one covered, and not a
possible rewording in order) is "new" at once: its facts, rewordings and figures are never
measured (a text's words and facts are computed when first read). Every copy verdict is
the same either way.

Thresholds were chosen on the `train` split of tests/copies_pairs and checked on its `dev`
pairs (never on `test`). A text is verified on its first VERIFY_CHARS characters and
MAX_SENTENCES sentences.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from bot.boilerplate import clean_title, strip
from bot.dedup_text import (
    _CAPS,
    _HAS_CJK,
    _NUMBER,
    _STOP_CAPS,
    _TOKEN,
    MIN_BODY,
    _number,
    clean,
    raw_tokens,
)
from bot.lang import detect

_DIGIT = re.compile(r"\d")
_FIGURE = re.compile(r"\d[\d.,]*\Z")  # a word that is a figure ("3", "1,000", "9.4"; not "3g")
_ENDS = re.compile(r"[.!?。！？]|[\u3000-\u9fff]\s")
NOUN_CAPS = 0.25  # from this share of capitalised words, ask whether the text is German
_CUT = ("…", "...")  # a sentence ending so may end in a word cut in two
CUT_OPENING = 8  # word pairs an earlier opening cut short needs to be found inside the new one
SWAP_WORDS = 3  # a sentence of this many words may show a corrected key figure on its own
LEAD_SENTENCES = 2  # a changed figure here (where a story's key figure sits) needs less proof
VERIFY_CHARS = 20_000  # a 5 MB body is verified on its first 20,000 characters
MAX_SENTENCES = 400  # ... and on its first 400 sentences: aligning sentences costs their
# product (5,000 two-word "sentences" took 0.4 s a check); real articles have < 150 (the pair
# set's longest: 142)
_SENTENCE = re.compile(
    r"(?<=[.!?。！？])[\"'”’»)]*\s+|(?<=[。！？])|(?<=[\u3000-\u9fff])\s+(?=[\u3000-\u9fff])"
)
# the same split for text without CJK or full-width punctuation (2x faster: no empty match)
_SENTENCE_LATIN = re.compile(r"(?<=[.!?])[\"'”’»)]*\s+")
_WIDE = re.compile(r"[\u3000-\u9fff\uff01\uff1f]")
_WIDE_OR_CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff01\uff1f]")  # one scan for both

RULES: Mapping[str, float] = MappingProxyType(
    {
        "shared": 0.5,  # a sentence is shared when this share of its bigrams is in the other
        "contained_new": 0.15,  # contained: at most this share of the new text is unshared ...
        "contained_facts": 3,  # ... holding fewer new numbers/names than this
        "reworded": 0.7,  # an unshared sentence is reworded when this share of its words ...
        "reworded_grams": 0.25,  # ... and this share of its bigrams are in the other text
        "figure_match": 0.7,  # a changed figure counts in a sentence this close to its match
        "swapped_facts": 5,  # numbers/names each text has and the other lacks: new news
        "lead_tokens": 30,  # contained: at most this many fresh tokens before the shared text
        "fuller_cover": 0.8,  # fuller / update: this share of the old text is in the new one
        "update_new": 0.35,  # update on top: at most this share of the new text is new ...
        "update_facts": 5,  # ... with fewer new numbers/names than this
        "reworded_words": 0.7,  # reworded: this share of the new text's words is in the old
        "reworded_length": 0.7,  # ... at comparable lengths ...
        "reworded_facts": 2,  # ... with fewer new numbers/names than this
        "reworded_cover": 0.5,  # ... and this share of the old text shared (also when a
        # contained text rewords part of it): below, a same-topic story, not a rewording
        "rewords_cover": 0.6,  # a contained text that rewords part: this much of the old shared
        "aligned_match": 0.35,  # in-order rewording: a sentence's words match (Dice) this much ...
        "aligned_lead": 0.6,  # ... the lead by at least this much (a new lead: new news) ...
        "aligned_order": 0.8,  # ... this share of the new text's sentences, in the old order ...
        "aligned_cover": 0.6,  # ... covering this share of the old text's sentences ...
        "aligned_sentences": 5,  # ... in a text of at least this many sentences ...
        "aligned_numbers": 0,  # ... with at most this many numbers the old text lacks
    }
)


class Sentence(NamedTuple):  # a tuple: built ~15 times per text, cheaper than a dataclass
    text: str
    tokens: int
    grams: frozenset[tuple[str, ...]]
    words: list[str]  # its tokens (a rewording test reads them; not tokenised again)


@dataclass(slots=True)
class Text:
    """A prepared text. Its words and facts are computed when first read: a comparison that
    cannot end in a copy stops before it needs them (`compare(..., brief=True)`)."""

    sentences: tuple[Sentence, ...]
    grams: frozenset[tuple[str, ...]]
    boilerplate: int  # paragraphs dropped
    tokens: int
    kept: str  # the paragraphs kept, joined (where the facts are read)
    _words: frozenset[str] | None = None
    _numbers: frozenset[str] | None = None
    _names: tuple[frozenset[str], bool, bool] | None = None

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(itertools.chain.from_iterable(s.words for s in self.sentences))
        return self._words

    @property
    def numbers(self) -> frozenset[str]:
        if self._numbers is None:  # (apart from names: the brief stop asks for numbers only)
            self._numbers = _facts(self.kept, names=False)[0]
        return self._numbers

    def _read_names(self) -> tuple[frozenset[str], bool, bool]:
        if self._names is None:
            caps = _CAPS.findall(self.kept)
            names = _names_of(caps)
            # German capitalises every noun: there a capital marks no name, names are no facts
            proper = len(caps) < NOUN_CAPS * self.tokens or detect(self.kept) != "de"
            self._names = (names if proper else _EMPTY, _may_correct(self.kept), proper)
        return self._names

    @property
    def names(self) -> frozenset[str]:
        return self._read_names()[0]

    @property
    def may_correct(self) -> bool:
        """A correction word may be in it (else no sentence is searched for one)."""
        return self._read_names()[1]

    @property
    def proper(self) -> bool:
        """Capitals mark names (not nouns, as in German): names count as facts."""
        return self._read_names()[2]


_EMPTY: frozenset[str] = frozenset()


def _facts(text: str, names: bool = True) -> tuple[frozenset[str], frozenset[str]]:
    numbers = frozenset(map(_number, _NUMBER.findall(text))) if _DIGIT.search(text) else _EMPTY
    if not names:
        return numbers, _EMPTY
    return numbers, _names_of(_CAPS.findall(text))


def _names_of(caps: list[str]) -> frozenset[str]:
    """Names from the capitalised words `_CAPS` found (lower-cased, common openers dropped)."""
    return frozenset(map(str.lower, caps)) - _STOP_CAPS


def _bigrams(tokens: list[str]) -> frozenset[tuple[str, ...]]:
    """Word pairs as tuples (hashed once, into the set); a lone word as a 1-tuple."""
    return frozenset(itertools.pairwise(tokens)) or frozenset(zip(tokens))


def prepare(title: str, body: str) -> Text:
    """A text's sentences (boilerplate removed; the first MAX_SENTENCES) with their bigrams;
    its words and facts."""
    text = clean(body[:VERIFY_CHARS])
    cjk = wide = False  # most texts hold neither: one scan tells
    if not text.isascii() and _WIDE_OR_CJK.search(text):
        cjk = bool(_HAS_CJK.search(text))
        wide = cjk or bool(_WIDE.search(text))  # else every paragraph splits the Latin way
    paragraphs, dropped = strip(text)
    sentences: list[Sentence] = []
    grams_all: set[tuple[str, ...]] = set()
    for paragraph in paragraphs:
        if not wide:
            parts = _SENTENCE_LATIN.split(paragraph)
        elif not _ENDS.search(paragraph):
            parts = [paragraph]
        else:
            parts = (_SENTENCE if _WIDE.search(paragraph) else _SENTENCE_LATIN).split(paragraph)
        for part in parts:
            if len(sentences) == MAX_SENTENCES:
                break
            tokens = raw_tokens(part.lower(), cleaned=True) if cjk else _TOKEN.findall(part.lower())
            if len(tokens) > 1 and part.endswith(_CUT):  # "... where Baidu te…": a word a
                tokens.pop()  # feed cut in two is no word of the story
            if not tokens:
                continue
            grams = _bigrams(tokens)
            grams_all.update(grams)
            sentences.append(Sentence(part, len(tokens), grams, tokens))
        if len(sentences) >= MAX_SENTENCES:  # (its bigrams are the kept sentences' only)
            break
    del title  # titles are compared by the index's judge; the verifier reads the text
    return Text(
        tuple(sentences),
        frozenset(grams_all),
        dropped,
        sum(s.tokens for s in sentences),
        "\n".join(paragraphs),
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    copy: bool
    kind: str  # "near" or "fuller"
    scores: dict[str, float]
    reason: str
    rule: str = ""  # "update" for an update on top (the Deduper weighs its timing)


def _shared(s: Sentence, other: Text, rule: float) -> bool:
    return len(s.grams & other.grams) >= rule * len(s.grams)


def _changed_figures(q: Text, c: Text, qs: list[bool], rule: float) -> list[tuple[str, str]]:
    """(old, new) figures of shared sentences whose close counterpart has a number (or name)
    this sentence replaced by another: the old one gone from the whole new text and the new
    one absent from the whole old text, or, in the first LEAD_SENTENCES (where a story's key
    figure sits), either of the two; the story's first figure needs neither when a sentence is
    an old one word for word but for it. Not a conversion added: that keeps the old number."""
    same = {o.text for o in c.sentences}
    key = _key_figure_swapped(q, c, same)
    changes = [key[1]] if key else []
    names = q.proper and c.proper
    for i, (s, shared) in enumerate(zip(q.sentences, qs, strict=True)):
        lead = i < LEAD_SENTENCES  # (there a changed name counts too: "appointed X as CFO")
        if not shared or s.text in same or not (lead or _DIGIT.search(s.text)):
            continue  # an identical sentence changes nothing
        if key and i == key[0]:
            continue
        best = max(c.sentences, key=lambda o: len(o.grams & s.grams))
        close = len(best.grams & s.grams) >= rule * max(len(s.grams), len(best.grams))
        (mine, my_names), (theirs, their_names) = _facts(s.text, names), _facts(best.text, names)
        if not close and _close_but_facts(s, best, my_names | their_names) < rule:
            continue
        change = _replaced(mine, theirs, q.numbers, c.numbers, lead)
        if change is None and names:
            change = _replaced(my_names, their_names, q.names, c.names, lead)
        if change is not None:
            changes.append(change)
    return changes


def _key_figure_swapped(q: Text, c: Text, same: set[str]) -> tuple[int, tuple[str, str]] | None:
    """(index, (old, new)) of the sentence of `q` that is the sentence of `c` holding the story's
    first figure, its key one, word for word but for that figure ("3 already established" ->
    "9 already established"; "Vantor has 3 plants." -> "9 plants."): proof enough of a
    correction wherever it sits and however short the sentence, though the old figure may be
    elsewhere in the new text still. None when there is no such sentence."""
    key, first = next(
        ((o, w) for o in c.sentences if _DIGIT.search(o.text) for w in o.words if _FIGURE.match(w)),
        (None, ""),
    )
    if key is None or len(key.words) < SWAP_WORDS:
        return None
    first = _number(first)
    for i, s in enumerate(q.sentences):
        if len(s.words) == len(key.words) and s.text not in same:
            swap = _swapped_figure(s.words, key.words)
            if swap is not None and swap[0] == first:
                return i, swap
    return None


def _swapped_figure(mine: list[str], theirs: list[str]) -> tuple[str, str] | None:
    """(old, new) when two sentences are the same words in the same order but for figures, and
    a figure differs ("Radio 4's" / "Radio 11's"; "has 3 plants" / "has 9 plants"); None
    otherwise (a figure only re-spelt, "3,000" / "3000", is the same figure)."""
    if len(mine) != len(theirs):
        return None
    change = None
    for old, new in zip(theirs, mine, strict=True):
        if old == new:
            continue
        if not (_FIGURE.match(old) and _FIGURE.match(new)):
            return None
        if change is None and _number(old) != _number(new):
            change = (_number(old), _number(new))
    return change


def _close_but_facts(a: Sentence, b: Sentence, names: frozenset[str]) -> float:
    """How close two sentences are when every number, and every name of `names`, reads the
    same: changed facts alone take a short sentence dense with them ("fell to £363,226, from
    £363,444"; "appointed Karel Smit as CFO on Monday, from April") under the closeness a
    changed fact is looked for at."""
    ga, gb = _masked(a.words, names), _masked(b.words, names)
    return len(ga & gb) / max(1, len(ga), len(gb))


def _masked(words: list[str], names: frozenset[str]) -> frozenset[tuple[str, ...]]:
    return _bigrams(["#" if w[0].isdigit() or w in names else w for w in words])


def _replaced(
    mine: frozenset[str],
    theirs: frozenset[str],
    new_all: frozenset[str],
    old_all: frozenset[str],
    lead: bool,
) -> tuple[str, str] | None:
    """(old, new) when the counterpart lost a fact this sentence replaced by another, and the
    texts confirm it: the old fact is in no other place of the new text and the new one in no
    place of the old text; in the lead one of the two is enough ("surging 3.5%" became
    "surging 10%" while the old text has a "10" elsewhere)."""
    gone, added = theirs - mine, mine - theirs
    if not (gone and added):
        return None
    lost, fresh = gone - new_all, added - old_all
    if not (lost or fresh) or not (lead or (lost and fresh)):
        return None
    return min(lost or gone), min(fresh or added)


def _reworded(s: Sentence, other: Text, rules: Mapping[str, float]) -> bool:
    words = set(s.words)
    return len(words & other.words) >= rules["reworded"] * len(words) and len(
        s.grams & other.grams
    ) >= rules["reworded_grams"] * len(s.grams)


_CORRECTION = re.compile(
    r"\b(correction|corrected|clarification|berichtigung|korrektur|rectificatif|"
    r"correctif|corrección|correção|rettifica)\b|更正|訂正|정정",
    re.IGNORECASE,
)
# What every _CORRECTION match holds once lower-cased: case-insensitive matching equates the
# ASCII letters of these words only with their own cases, except "i" with "ı" and "İ" (which
# lower-cases to "i" + U+0307). A text holding none of these cannot match (one cheap scan
# instead of one regex search per unshared sentence and candidate).
_CORRECTION_HINTS = (
    "corre",
    "clarification",
    "berichtigung",
    "korrektur",
    "rectificatif",
    "rettifica",
    "更正",
    "訂正",
    "정정",
    "ı",
    "\u0307",
)


def _may_correct(text: str) -> bool:
    low = text.lower()
    return any(hint in low for hint in _CORRECTION_HINTS)


def _in_order(q: Text, c: Text, rule: float, lead_rule: float) -> tuple[int, int, bool]:
    """A rewording keeps the article's sentences in their order: (how many of `q`'s sentences
    match a sentence of `c` (word Dice >= rule) in `c`'s order, how many of `c`'s sentences
    they match, whether `q`'s lead matches one of them by at least `lead_rule`). The order
    is the longest increasing run of matched positions."""
    theirs = [set(o.words) for o in c.sentences]
    run: list[int] = []
    matched: set[int] = set()
    lead = False
    for i, s in enumerate(q.sentences):
        mine = set(s.words)
        best, where = rule, -1
        for j, other in enumerate(theirs):
            both = len(mine) + len(other)
            dice = 2 * len(mine & other) / both if both else 0.0
            if dice >= best:
                best, where = dice, j
        if where < 0:
            continue
        lead = lead or (i == 0 and best >= lead_rule)
        matched.add(where)
        at = bisect.bisect_left(run, where)
        run[at : at + 1] = [where]
    return len(run), len(matched), lead


def _may_reword(q: Text, c: Text, rules: Mapping[str, float]) -> bool:
    """Whether the in-order rewording rule applies at all (long enough, no new number)."""
    return len(q.sentences) >= rules["aligned_sentences"] and (
        len(q.numbers - c.numbers) <= rules["aligned_numbers"]
    )


def _figure(fact: str) -> str:
    """A normalised fact as a reader writes it: '363226' -> '363,226', 'eindhoven' ->
    'Eindhoven'."""
    if not fact[0].isdigit():
        return fact[0].upper() + fact[1:]
    return f"{int(fact):,}" if fact.isdigit() and len(fact) > 4 else fact


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cannot_copy(new_share: float, old_covered: float, rules: Mapping[str, float]) -> bool:
    """Shares for which no rule of `compare` can say "copy": every copy verdict needs
    new_share <= contained_new (contained: fresh_share <= new_share), or old_covered >=
    rewords_cover (contained, rewording part), >= fuller_cover (fuller, update on top) or
    > reworded_cover (reworded)."""
    return (
        new_share > rules["contained_new"]
        and old_covered < rules["rewords_cover"]
        and old_covered < rules["fuller_cover"]
        and old_covered <= rules["reworded_cover"]
    )


def compare(
    new: Text, old: Text, rules: Mapping[str, float] = RULES, *, brief: bool = False
) -> Verdict | None:
    """Is `new` a copy of `old`? Sentence-level, on full texts; None when a text is nothing
    but boilerplate (the title-aware judge decides then). With `brief`, a pair whose shared
    sentences are too few for any copy rule gets a "new" verdict at once, with only those
    shares measured (for a caller that reads the scores and reason of copies only)."""
    q, c, rule = new, old, rules["shared"]
    if not q.sentences or not c.sentences:
        return None
    short = q.tokens < MIN_BODY  # a feed's one-line description: a copy only word for word
    if short:
        rule = 1.0
    qs = [_shared(s, c, rule) for s in q.sentences]
    cs = [_shared(s, q, rule) for s in c.sentences]
    q_tokens, c_tokens = max(1, q.tokens), max(1, c.tokens)
    new_tokens = sum(s.tokens for s, ok in zip(q.sentences, qs, strict=True) if not ok)
    covered = sum(s.tokens for s, ok in zip(c.sentences, cs, strict=True) if ok)
    may_reword = not short and _may_reword(q, c, rules)
    if brief and not may_reword and _cannot_copy(new_tokens / q_tokens, covered / c_tokens, rules):
        return Verdict(
            False,
            "near",
            {"new_share": new_tokens / q_tokens, "old_covered": covered / c_tokens},
            f"{new_tokens / q_tokens:.0%} of it is not in the earlier story, which it covers "
            f"{covered / c_tokens:.0%} of: too little shared for a copy",
        )
    unshared = [s for s, ok in zip(q.sentences, qs, strict=True) if not ok]
    names = q.proper and c.proper
    new_facts = frozenset().union(
        *(frozenset().union(*_facts(s.text, names)) for s in unshared)
    ) - (c.numbers | c.names)
    changes = _changed_figures(q, c, qs, rules["figure_match"])
    fresh = [s for s in unshared if short or not _reworded(s, c, rules)]
    fresh_tokens = sum(s.tokens for s in fresh)
    fresh_ids = {id(s) for s in fresh}
    correction = q.may_correct and any(_CORRECTION.search(s.text) for s in unshared)
    lead = 0
    while lead < len(qs) and qs[lead]:
        lead += 1
    fresh_lead = 0
    for s, ok in zip(q.sentences, qs, strict=True):
        if ok:
            break
        fresh_lead += s.tokens if id(s) in fresh_ids else 0
    q_facts, c_facts = (
        (q.numbers | q.names, c.numbers | c.names) if names else (q.numbers, c.numbers)
    )
    swapped = min(len(q_facts - c_facts), len(c_facts - q_facts))
    scores = {
        "new_share": new_tokens / q_tokens,
        "fresh_share": fresh_tokens / q_tokens,
        "old_covered": covered / c_tokens,
        "new_facts": float(len(new_facts)),
        "changed_figures": float(len(changes)),
        "shared_lead": float(lead),
        "fresh_lead": float(fresh_lead),
        "swapped_facts": float(swapped),
        "words": len(q.words & c.words) / max(1, len(q.words)),
        "length_ratio": min(q_tokens, c_tokens) / max(q_tokens, c_tokens),
        "boilerplate": float(q.boilerplate),
    }
    n_shared, n_q, n_c = sum(qs), len(qs), len(cs)
    adds = (
        f"; it adds only {_count(q.boilerplate, 'line')} of boilerplate"
        if q.boilerplate
        else "; it adds nothing"
    )
    if not n_shared:
        where = f"none of its {_count(n_q, 'sentence')}"
    elif n_shared == n_q:
        where = "its only sentence" if n_q == 1 else f"all {n_q} of its sentences"
    elif lead == n_shared:
        where = f"the first {n_shared} of its {n_q} sentences"
    else:
        where = f"{n_shared} of its {n_q} sentences"
    are = "is" if n_shared == 1 and n_q == 1 else "are"
    if correction:
        return Verdict(
            False, "near", scores, f"{where} {are} in the earlier story, but it adds a correction"
        )
    if changes:
        old_n, new_n = changes[0]
        return Verdict(
            False,
            "near",
            scores,
            f"{where} {are} in the earlier story, but a shared sentence changes a "
            f"{'figure' if old_n[0].isdigit() else 'name'} ({_figure(old_n)} -> "
            f"{_figure(new_n)}): a correction or new data",
        )
    if may_reword:
        in_order, matched, same_lead = _in_order(
            q, c, rules["aligned_match"], rules["aligned_lead"]
        )
        scores["in_order"] = in_order / n_q
        scores["old_matched"] = matched / n_c
        if (
            same_lead
            and in_order >= rules["aligned_order"] * n_q
            and matched >= rules["aligned_cover"] * n_c
        ):
            return Verdict(
                True,
                "near",
                scores,
                f"a rewording in the same order: {in_order} of its {n_q} sentences say what "
                f"the earlier story's sentences say, one by one, covering {matched} of its "
                f"{n_c}, with no new numbers",
            )
    if swapped >= rules["swapped_facts"]:
        return Verdict(
            False,
            "near",
            scores,
            f"{where} {are} in the earlier story, but each text has numbers or names the other "
            f"lacks ({swapped} swapped): other facts in the same words",
        )
    if (
        scores["fresh_share"] <= rules["contained_new"]
        and len(new_facts) < rules["contained_facts"]
        and fresh_lead <= rules["lead_tokens"]
        and (
            scores["new_share"] <= rules["contained_new"]
            or scores["old_covered"] >= rules["rewords_cover"]
        )
    ):
        if new_tokens:  # unshared sentences: say what they are
            rest = (
                f"the rest ({scores['new_share']:.0%}) rewords it"
                if not fresh_tokens
                else f"it adds {_count(fresh_tokens, 'word')} of its own "
                f"({scores['fresh_share']:.0%})"
            )
            adds = f"; {rest}" + (
                f" and {_count(q.boilerplate, 'line')} of boilerplate" if q.boilerplate else ""
            )
        return Verdict(True, "near", scores, f"{where} {are} in the earlier story{adds}")
    if scores["old_covered"] >= rules["fuller_cover"]:
        opening = c.sentences[0].grams  # a description cut short ("... has pledged…") is the
        # new opening word for word, but for a last word cut in two
        inside = len(opening) >= CUT_OPENING and len(opening - q.sentences[0].grams) <= 1
        more = scores["new_share"] if lead else max(0.0, 1 - covered / q_tokens)
        tail = f"it continues with {more:.0%} more text"
        if lead or inside:
            return Verdict(
                True,
                "fuller",
                scores,
                f"it opens with the earlier story ({scores['old_covered']:.0%} of it, "
                f"{_count(n_c, 'sentence')}); {tail}: a fuller version",
            )
        if (
            scores["new_share"] <= rules["update_new"]
            and len(new_facts) < rules["update_facts"]
            and not short
        ):
            return Verdict(
                True,
                "near",
                scores,
                f"it holds {scores['old_covered']:.0%} of the earlier story under "
                f"{_count(n_q - n_shared, 'new sentence')} on top without new facts: an update",
                "update",
            )
    if (
        not short
        and scores["words"] >= rules["reworded_words"]
        and scores["length_ratio"] >= rules["reworded_length"]
        and len(new_facts) < rules["reworded_facts"]
        and scores["old_covered"] > rules["reworded_cover"]
        and not (lead == 0 and n_shared < n_q / 2 and len(new_facts))
        and not fresh_lead  # a rewording keeps the lead: a new opening is a follow-up's
    ):
        return Verdict(
            True,
            "near",
            scores,
            f"a rewording: {scores['words']:.0%} of its words are the earlier story's, "
            f"{where} shared, no new numbers or names",
        )
    first = "its opening is new" if not qs[0] else f"it shares {where}"
    return Verdict(
        False,
        "near",
        scores,
        f"{first}; {scores['new_share']:.0%} of it is not in the earlier story, with "
        f"{_count(len(new_facts), 'new number or name')}",
    )


def title_words(title: str) -> list[str]:
    return raw_tokens(clean_title(title).lower())
