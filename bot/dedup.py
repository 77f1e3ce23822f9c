"""Fold re-published copies: `Deduper.check(story) -> Match | None`, then `add(story)`.

Rule order (the first that decides wins):
  1. key      the same `story.key` is in the window
  2. url      the same canonical URL
  3. text     identical normalised body text (bodies of at least FULL_BELOW shingles)
  4. near     candidates from an inverted index of hashed word 4-gram shingles (rarest
              first, `bot.dedup_index`), the MAX_CANDIDATES with most shared keys (ties:
              newest first) and up to COVERED_CANDIDATES short stories most of whose own
              keys are shared (a teaser met by its full article), each judged by
              `bot.dedup_judge.judge`: a copy when the shorter text is mostly contained
              in the longer one and the two do not swap facts (numbers, names).
  5. verify   the plausible candidates (judged a copy, containment >= VERIFY_FROM without
              many swapped facts, most of the shorter text's keys shared, most of the new
              text's names and numbers shared, or all of its numbers: a rewording) are
              verified on their full texts, at most MAX_VERIFY of them except those judged a
              copy and the covered short stories, which always are (a sketch's "copy" never
              folds unverified when the text can be read) (`text_of(key)` reads the store;
              the last RECENT stories added are kept in memory) by `bot.dedup_verify`:
              which sentences are shared, where they sit, what the rest adds. Its verdict
              and explanation replace the judge's; kind "fuller" = a full article after its
              teaser. A pair sharing too few sentences for any copy rule stops there
              (`compare(brief=True)`: "new", without measuring facts and rewordings); one
              the sketches already rule out (little shared both ways, new numbers:
              `dedup_judge.hopeless`) is not read at all.
              Without a text (no `text_of`), the judge decides as before.
Title-only items (body < MIN_BODY tokens) are judged on their titles alone with a stricter
threshold, and never when the title is generic ("Live updates") or under three words. A body
of MIN_TEXT to MIN_BODY tokens (a feed's one-line description) the titles do not fold is also
verified, and folds only word for word, only into another outlet's story, and never when two
earlier stories that are not copies of one another hold it (stock text: `_stock`).

Why these signals (measured on the seed pair and the dev set, tests/dedup_devset, 164 pairs):
- Seed 001 vs 000: title similarity 0.24 (Indel on words), Jaccard of word 4-grams 0.44,
  but containment of the shorter text's 4-grams in the longer 0.92 (0.89 on the stored 1/8
  sample). Containment survives retitling, standfirsts, truncation and debris; so it is the
  first signal, on a consistent sample (hash = 0 mod 8, bottom-72) to keep memory small.
- Containment alone cannot separate copies from new news: 27 new-news pairs of the dev set
  (follow-ups, templates, BBC's own follow-ups) reach >= 0.45, many >= 0.9. What differs is
  the facts: the numbers and mid-sentence capitalised names each side has and the other
  lacks. Copies swap 0-2 of them (4 once: a BBC rewrite with an identical lead); new news
  swaps 1-14, and where it swaps 2-4 its lead differs (lead 3-gram overlap <= 0.38 for
  follow-ups, 0.53-0.55 for templates; copies that swap any have leads >= 0.74). Hence:
  new news when >= `new_facts` are swapped, or >= `lead_facts` with a changed lead.
- Which side is longer matters: an update (new top paragraph) holds all of the old story and
  is < 50% new; a roundup holding a brief is mostly new (`novelty`), unless the old text is
  an excerpt that opens the new one under the same title (`excerpt_lead`, `excerpt_title`).
- A paraphrase keeps ~0.6-0.9 of its 4-grams: between `paraphrase` and `containment` a
  pair folds only with comparable lengths and no swapped facts.
- The judge's thresholds were chosen on this dev set; the verifier's rules on the `train`
  split of tests/copies_pairs (986 pairs, mostly real text), scored on its `test` split
  (docs/BENCHMARKS-dedup.md). The dev set stays as unit-level regression examples.
- Memory: per story one packed `bytes` (<= 72 sampled 4-gram hashes at 4 bytes, lead and
  facts at 2 bytes) and its postings at 8 bytes in sorted numpy arrays; speed: one
  tokenisation, vectorised binary searches, at most MAX_CANDIDATES cheap judgements (most
  stop at the containment test). Figures: docs/BENCHMARKS-dedup.md.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

import numpy as np

from bot.dedup_index import Postings
from bot.dedup_judge import DEFAULT_THRESHOLDS, hopeless, judge
from bot.dedup_text import SAMPLE_MOD, Features, features, pack, unique, unpack
from bot.dedup_verify import RULES, Text, _count, compare, prepare
from bot.hanzi import has_han, simplified
from bot.story import Match, Story

__all__ = ["DEFAULT_THRESHOLDS", "Deduper", "judge", "stored_texts"]

MAX_CANDIDATES = 8
COVERED_CANDIDATES = 2  # ... plus short stories most of whose keys are shared (`_covered`)
COVERED_POSTED = 24  # short: posting at most this many keys (a teaser of a paragraph or two)
MIN_PROBES = 8  # below this many probe keys a candidate sharing a single key is still judged
PROBE_MOD = 4  # a check looks up its shingles = 0 mod 4; long texts post their 0 mod 8 sample,
# short ones (< FULL_BELOW shingles) their 0 mod 4 shingles, so every posted key is probed
assert SAMPLE_MOD % PROBE_MOD == 0
BUDGET = 4096  # postings read per check
_SALT_TITLE = np.uint32(0x5BD1E995)
VERIFY_FROM = 0.45  # sampled containment from which a candidate is verified on full text
FACT_NAMES = 5  # a candidate sharing FACT_SHARE of the new text's names (at least this many)
FACT_SHARE = 0.7  # ... and of its numbers is verified too
FACT_NUMBERS = 3  # so is one holding all of the new text's numbers, at least this many
MAX_VERIFY = 2  # candidates verified on full text per check, best-ranked first
LEAD_POSTED = 160  # a long text (bottom-k sample) also posts its 0 mod 8 keys of this many
# first tokens: a teaser of its first paragraphs must find it, whatever the sketch kept
PREPARED = 64  # sentence-split texts kept for re-verification (a popular original, a new story)
RECENT = 256  # texts of the last stories added, kept for verification (the store has the rest)
SCRIPT_SAMPLE = 2_000  # characters read to tell traditional from simplified Chinese
UPDATE_WITHIN = timedelta(hours=36)  # an "update on top" folds only this soon after the story:
# wire UPDATEs and write-throughs come the same day, a follow-up re-running it days later

TextOf = Callable[[str], "tuple[str, str] | None"]


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _top(counts: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k largest counts, largest first, ties newest (highest index) first: what
    `np.lexsort((-index, -counts))[:k]` gives, without sorting all of them. A phrase many
    earlier stories share ties them all; the copy arriving now most often repeats the newest
    (a teaser's one sentence in 9 older stories left its own article ninth of 8 candidates)."""
    n = len(counts)
    rank = (int(counts.max()) - counts.astype(np.int64)) * n + np.arange(n - 1, -1, -1)
    if n <= k:
        return np.argsort(rank)
    best = np.argpartition(rank, k)[:k]
    return best[np.argsort(rank[best])]


class _Facts:
    """The new text's names and numbers as sets, made once per check (up to MAX_CANDIDATES
    candidates ask `same(c)`)."""

    __slots__ = ("names", "numbers")

    def __init__(self, q: Features) -> None:
        self.names = set(q.names.tolist()) if len(q.names) >= FACT_NAMES else None
        self.numbers = set(q.numbers.tolist())

    def same(self, c: Features) -> bool:
        """Most of the new text's names (at least FACT_NAMES of them) and numbers are the
        earlier story's: worth verifying on full text even when few phrases are shared (a
        rewording)."""
        if self.names is None:
            return False
        names = len(self.names.intersection(c.names.tolist()))
        numbers = len(self.numbers.intersection(c.numbers.tolist()))
        return names >= FACT_SHARE * len(self.names) and numbers >= FACT_SHARE * len(self.numbers)

    def all_numbers(self, c: Features) -> bool:
        """Every one of the new text's numbers (at least FACT_NUMBERS of them) is the earlier
        story's: a rewording keeps them all, even where it keeps few names and phrases."""
        return len(self.numbers) >= FACT_NUMBERS and self.numbers.issubset(c.numbers.tolist())


def _when(story: Story) -> float:
    """A story's time in the window: published, else now (when it is seen), epoch seconds."""
    return story.published.timestamp() if story.published else time.time()


def _holds_line(new: Features, line: Features) -> bool:
    """Whether every key an earlier one-line description posted is in the new text (the full
    article after its feed's cut-short description)."""
    if line.has_body or not line.has_text or not line.full:
        return False
    keys = line.sample[line.sample % PROBE_MOD == 0]
    return len(keys) > 0 and bool(np.isin(keys, new.shingles).all())


def _posted(f: Features) -> int:
    """How many keys a story posted in the index (its probe-able sample)."""
    return int(np.count_nonzero(f.sample % PROBE_MOD == 0)) if f.full else len(f.sample)


def stored_texts(store: object) -> TextOf:
    """`text_of` reading a story's title and body from the store (`get_story(key)`)."""

    def text_of(key: str) -> tuple[str, str] | None:
        story = store.get_story(key)  # type: ignore[attr-defined]
        return (story.title, story.body) if story is not None else None

    return text_of


class Deduper:
    """The window of recent stories and the decision whether a new one repeats one of them."""

    def __init__(
        self,
        window: timedelta = timedelta(days=30),
        thresholds: Mapping[str, float] | None = None,
        text_of: TextOf | None = None,
    ) -> None:
        """`text_of(key)` -> (title, body) of a stored story (the store), for verification."""
        unknown = set(thresholds or {}) - set(DEFAULT_THRESHOLDS) - set(RULES)
        if unknown:
            raise ValueError(
                f"unknown dedup thresholds {sorted(unknown)}; known: "
                f"{', '.join([*DEFAULT_THRESHOLDS, *RULES])}"
            )
        self.window = window
        self.thresholds = {**DEFAULT_THRESHOLDS, **RULES, **(thresholds or {})}
        self._keys: list[str | None] = []
        self._roots: list[str | None] = []
        self._blobs: list[bytes | None] = []
        self._times = array("d")  # published (or added) time, epoch seconds
        self._key_counts = array("H")  # near keys each story posted, title's too (<= 65,535)
        self._outlets = array("I")  # each story's outlet: (feed, link's domain), as an id
        self._outlet_ids: dict[tuple[str, str], int] = {}
        self._outlet_names: list[tuple[str, str]] = []
        self._alive = np.zeros(1024, bool)
        self._near = Postings(np.uint32)
        self._exact = Postings(np.uint64)
        self._dead = 0
        self._text_of = text_of
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._last: tuple[tuple[str, str, str], Features] | None = None
        self._prepared: OrderedDict[str, Text] = OrderedDict()
        self._mine: tuple[tuple[str, str, str], Text] | None = None  # the last check's text

    def __len__(self) -> int:
        return len(self._keys) - self._dead

    def check(self, story: Story) -> Match | None:
        """The earlier story this one repeats, with scores and reason; None for new news."""
        f = self._features(story)
        return self._exact_match(story, f) or self._near_match(story, f)

    def add(self, story: Story, *, _merge: bool = True) -> None:
        """Index an accepted story (original or copy); a key already held is ignored."""
        f = self._features(story)
        self._last = None
        if self._mine is not None and self._mine[0] == (story.key, story.title, story.body):
            self._keep(story.key, self._mine[1])  # likely a candidate for the next copies
        self._mine = None
        exact = self._exact_keys(story, f)
        if any(self._keys[i] == story.key for i in self._live(self._exact.get(exact[0][1]))):
            return
        sid = len(self._keys)
        if sid >= len(self._alive):
            self._alive = np.concatenate([self._alive, np.zeros(len(self._alive), bool)])
        self._alive[sid] = True
        self._keys.append(story.key)
        if _merge:
            self._recent[story.key] = (story.title, story.body)
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        self._roots.append(story.duplicate.original_key if story.duplicate else None)
        self._blobs.append(pack(f))
        self._times.append(_when(story))
        self._outlets.append(self._outlet(story))
        posted = f.sample[f.sample % PROBE_MOD == 0] if f.full else f.sample
        if f.capped:
            lead = f.shingles[:LEAD_POSTED]
            posted = np.concatenate([posted, lead[lead % SAMPLE_MOD == 0]])
        near = unique(np.concatenate([posted, self._title_keys(f)]))
        self._key_counts.append(min(len(near), 65_535))
        self._near.add(near, sid, _merge)
        self._exact.add(np.array([h for _, h in exact], np.uint64), sid, _merge)

    def load(self, stories: Iterable[Story]) -> int:
        """Rebuild from the store's recent stories (oldest first); returns how many were added."""
        before, seen = len(self), set[str]()
        for story in stories:
            if story.key not in seen:
                seen.add(story.key)
                self.add(story, _merge=False)
        self._near.merge()
        self._exact.merge()
        return len(self) - before

    def evict(self, now: datetime) -> int:
        """Forget stories published (or added, when undated) before `now - window`."""
        cutoff = (now - self.window).timestamp()
        gone = [i for i, t in enumerate(self._times) if t < cutoff and self._alive[i]]
        for sid in gone:
            self._alive[sid] = False
            self._keys[sid] = self._roots[sid] = self._blobs[sid] = None
        self._dead += len(gone)
        if gone:
            self._near.merge(self._alive)
            self._exact.merge(self._alive)
        return len(gone)

    def memory_bytes(self) -> int:
        """Bytes held by the postings arrays (tracemalloc gives the full figure)."""
        return self._near.nbytes() + self._exact.nbytes()

    # ------------------------------------------------------------ stages

    def _features(self, story: Story) -> Features:
        """Features of a story, computed once for its `check` and `add`."""
        ident = (story.key, story.title, story.body)
        if self._last is not None and self._last[0] == ident:
            return self._last[1]
        f = features(story.title, story.body)
        self._last = (ident, f)
        return f

    def _keep(self, key: str, text: Text) -> None:
        self._prepared[key] = text
        self._prepared.move_to_end(key)
        if len(self._prepared) > PREPARED:
            self._prepared.popitem(last=False)

    def _prepared_text(self, key: str) -> Text | None:
        text = self._prepared.get(key)
        if text is None:
            raw = self._text(key)
            if raw is None:
                return None
            text = prepare(*raw)
        self._keep(key, text)
        return text

    def _text(self, key: str) -> tuple[str, str] | None:
        text = self._recent.get(key)
        if text is None and self._text_of is not None:
            text = self._text_of(key)
        return text

    def _live(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if self._alive[i]]

    @staticmethod
    def _exact_keys(story: Story, f: Features) -> list[tuple[str, int]]:
        keys = [("key", _hash64(b"k:" + story.key.encode()))]
        if story.canonical_url:
            keys.append(("url", _hash64(b"u:" + story.canonical_url.encode())))
        if f.has_body and not f.full:  # short bodies are often boilerplate: judged below
            keys.append(("text", _hash64(b"t:" + f.digest)))
        return keys

    def _exact_match(self, story: Story, f: Features) -> Match | None:
        for kind, probe in self._exact_keys(story, f):
            ids = self._live(self._exact.get(probe))
            if kind == "key":
                ids = [i for i in ids if self._keys[i] == story.key]
            if ids:
                reason = f"the same {kind} as an earlier story"
                key = self._keys[ids[0]]
                if kind == "text" and key is not None and self._other_script(story.body, key):
                    reason += "; it is written in the other Chinese script"
                return self._match(ids[0], kind, {}, reason)
        return None

    @staticmethod
    def _title_keys(f: Features) -> np.ndarray:
        if f.title_generic or len(f.title) < 2:
            return np.empty(0, np.uint32)
        pairs = f.title[:-1].astype(np.uint32) << np.uint32(16) | f.title[1:].astype(np.uint32)
        return pairs ^ _SALT_TITLE

    def _covered(self, uniq: np.ndarray, counts: np.ndarray, top: np.ndarray) -> np.ndarray:
        """Up to COVERED_CANDIDATES more candidates, outside the `top` by hits, most of whose
        own keys are here (>= 3 and half): a short teaser met by its full article, which long
        stories sharing a few of its sentences outrank on hits alone."""
        posted = np.frombuffer(self._key_counts, np.uint16)[uniq].astype(np.int64)
        fit = (counts >= 3) & (2 * counts >= posted) & (posted <= COVERED_POSTED)
        fit[top] = False
        if not fit.any():
            return np.empty(0, np.int64)
        chosen = np.flatnonzero(fit)
        share = counts[chosen] / np.maximum(posted[chosen], 1)
        return chosen[np.argsort(-share, kind="stable")[:COVERED_CANDIDATES]]

    def _other_script(self, body: str, key: str) -> bool:
        """Whether one text is in traditional Chinese characters and the other is not (both
        are compared as simplified ones: the reason says so)."""
        if not has_han(body[:SCRIPT_SAMPLE]):
            return False
        raw = self._text(key)
        if raw is None:
            return False
        mine, theirs = body[:SCRIPT_SAMPLE], raw[1][:SCRIPT_SAMPLE]
        return (simplified(mine) != mine) != (simplified(theirs) != theirs)

    def _outlet(self, story: Story) -> int:
        name = (story.source.feed, story.source.domain)
        if name not in self._outlet_ids:
            self._outlet_ids[name] = len(self._outlet_names)
            self._outlet_names.append(name)
        return self._outlet_ids[name]

    def _other_outlet(self, sid: int, outlet: int) -> bool:
        """Story `sid` comes from another feed and another site than `outlet` (an aggregator's
        feed links its items to many sites; one site may have several feeds)."""
        feed, site = self._outlet_names[self._outlets[sid]]
        return feed != self._outlet_names[outlet][0] and site != self._outlet_names[outlet][1]

    def _stock(self, uniq: np.ndarray, counts: np.ndarray, probes: int) -> bool:
        """Whether earlier stories that are not copies of one another hold all of a short
        text's keys: a feed's stock description ("Listen to the latest episode ..."), which
        folds nothing."""
        held = uniq[counts >= max(1, probes)].tolist()
        return len({self._roots[i] or self._keys[i] for i in held}) >= 2

    def _near_match(self, story: Story, f: Features) -> Match | None:
        probes = f.shingles[f.shingles % PROBE_MOD == 0]
        keys = unique(np.concatenate([probes, self._title_keys(f)]))
        if not len(keys):
            return None
        ids = self._near.lookup(keys, BUDGET)
        ids = ids[self._alive[ids]]
        if not len(ids):
            return None
        uniq, counts = np.unique(ids, return_counts=True)
        order = _top(counts, MAX_CANDIDATES)
        if len(uniq) > MAX_CANDIDATES:
            order = np.concatenate([order, self._covered(uniq, counts, order)])
        least = 1 if len(probes) < MIN_PROBES else 2  # one shared key: a shared phrase, not a copy
        # a one-line description the titles do not fold is verified too, as a copy word for
        # word, when another outlet's story holds it and it is no stock text
        short = not f.has_body and f.has_text and not self._stock(uniq, counts, len(probes))
        outlet = self._outlet(story) if short else -1
        sampled = int(np.count_nonzero(probes % SAMPLE_MOD == 0))  # what a long text posts
        best: tuple[float, int, dict[str, float], str, str] | None = None
        mine: Text | None = None
        facts = _Facts(f)
        verified = 0
        for n, (sid, hits) in enumerate(
            zip(uniq[order].tolist(), counts[order].tolist(), strict=True)
        ):
            weak = hits < least  # one shared key is a shared phrase unless the facts agree
            if weak and not (f.has_body and len(f.names) >= FACT_NAMES):
                break  # candidates come by hits: the rest are as weak, and no facts can agree
            blob, key = self._blobs[sid], self._keys[sid]
            assert blob is not None and key is not None
            theirs = unpack(blob)
            if weak and not facts.same(theirs):
                continue
            ok, scores, reason = judge(f, theirs, self.thresholds)
            rank = scores.get("containment", scores.get("title", 0.0))
            kind = "near"
            swapped = (
                min(scores.get("new_facts", 0), scores.get("dropped_facts", 0))
                >= (self.thresholds["new_facts"])
            )
            if (
                (f.has_body or (short and not ok and self._other_outlet(sid, outlet)))
                # a sketch's "copy" and a covered short story (after the first
                # MAX_CANDIDATES, by `_covered`) are always checked
                and (ok or n >= MAX_CANDIDATES or verified < MAX_VERIFY)
                and (
                    ok
                    or (rank >= VERIFY_FROM and not swapped)  # many facts swapped: new news
                    or hits >= max(2, sampled // 2)  # most of a short new text is there
                    or (f.full and hits >= max(1, len(probes) if theirs.full else sampled))
                    # all of a very short one (of its keys a long text can post)
                    or (hits >= 3 and hits >= _posted(theirs) // 2)  # most of a short earlier
                    # text is here
                    or _holds_line(f, theirs)  # all of a one-line earlier text is
                    # a rewording keeps the names and numbers (a weak candidate got here only
                    # by passing that test above)
                    or weak
                    or facts.same(theirs)
                    or facts.all_numbers(theirs)
                )
            ):
                verified += 1
                text = None if not ok and hopeless(f, theirs) else self._prepared_text(key)
                if text is not None:  # exact verification on the full texts
                    if mine is None:
                        mine = prepare(story.title, story.body)
                        self._mine = ((story.key, story.title, story.body), mine)
                    v = compare(mine, text, self.thresholds, brief=True)
                    if v is not None:
                        ok, kind, reason = v.copy, v.kind, v.reason
                        if ok and v.rule == "update":
                            late = timedelta(seconds=_when(story) - self._times[sid])
                            if late > UPDATE_WITHIN:  # an UPDATE or write-through: same day
                                ok = False
                                reason += f", but {_count(late.days, 'day')} later: a follow-up"
                        scores = {**scores, **v.scores}
                        if ok:  # verified on full text: this is the original
                            if self._other_script(story.body, key):
                                reason += "; it is written in the other Chinese script"
                            return self._match(sid, kind, scores, reason)
            if ok and (best is None or rank > best[0]):
                best = (rank, sid, scores, reason, kind)
        return self._match(best[1], best[4], best[2], best[3]) if best else None

    def _match(self, sid: int, kind: str, scores: dict[str, float], reason: str) -> Match:
        key = self._keys[sid]
        root = self._roots[sid] or key
        assert key is not None and root is not None
        if root != key:
            reason += f" (it matched {key}, itself a copy)"
        return Match(
            original_key=root,
            kind=kind,
            scores=scores,
            reason=reason[0].upper() + reason[1:] + ".",
            thresholds=dict(self.thresholds),
        )
