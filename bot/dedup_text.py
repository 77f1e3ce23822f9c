"""Text features for `bot.dedup`: normalisation, tokens, shingles, facts, packed storage.

`features(title, body)` turns a story's text into a `Features` value:

    tokens    words (NFKC, lower-cased, HTML tags/entities, URLs dropped);
              Han and kana characters are one token each, so CJK text is shingled as
              character n-grams while Latin text is shingled as word n-grams
    shingles  32-bit hashes of SHINGLE consecutive tokens, in text order (the lookup keys)
    sample    the shingles kept for scoring: every one whose hash is 0 mod SAMPLE_MOD
              (a consistent sample, so containment estimated on samples is unbiased), or all
              of them when the text is short; sorted; of a long text only the MAX_SAMPLE
              smallest (a bottom-k sketch: compare two below the lower of their maxima)
    lead      16-bit hashes of the word 3-grams of the first LEAD_TOKENS tokens
    numbers   16-bit hashes of the numbers ("US$7.5 billion" and "$7.5bn" both give 7.5)
    names     16-bit hashes of capitalised words inside sentences (openers are not names)
    title     16-bit hashes of the title's first MAX_TITLE_TOKENS tokens, in order (rapidfuzz
              Indel compares them)

Hashes are zlib.crc32 (deterministic across processes, unlike `hash(str)`). Only the first
MAX_CHARS characters of a body are read: a 5 MB body costs no more than a long article.
`pack`/`unpack` store a `Features` in one `bytes` of about 4 bytes per sampled shingle.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

from bot.hanzi import simplified

SHINGLE = 4  # tokens per shingle (word 4-grams, or 4 CJK characters)
SAMPLE_MOD = 8  # keep shingles whose hash is 0 mod 8 ...
FULL_BELOW = 48  # ... unless the text has fewer shingles than this: then keep all
MAX_SAMPLE = 72
LEAD_TOKENS = 40
MAX_FACTS = 64
MAX_CHARS = 60_000
MAX_FACT_CHARS = 20_000  # numbers and names are read from the first 20,000 characters
MIN_BODY = 25  # tokens; fewer and the story is judged on its title ...
MIN_TEXT = 12  # ... unless it has this many: then it is also verified, as a copy word for word
MAX_TITLE_TOKENS = 48  # a title's first 48 words (real ones have < 30; a 60,000-character
# title made one story cost 68 KB of index)

GENERIC_TITLES = frozenset(
    {
        "live updates",
        "live",
        "breaking news",
        "news",
        "latest news",
        "update",
        "updates",
        "news in brief",
        "in brief",
        "briefing",
        "morning briefing",
        "evening briefing",
        "the latest",
        "live blog",
        "what we know",
        "photos",
        "video",
        "watch",
        "opinion",
        "letters",
        "editorial",
        "podcast",
        "newsletter",
        "untitled",
        "no title",
    }
)
_STOP_CAPS = frozenset(
    {
        "the",
        "a",
        "an",
        "and",
        "but",
        "or",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "from",
        "by",
        "with",
        "as",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "there",
        "here",
        "when",
        "while",
        "after",
        "before",
        "if",
        "so",
        "yet",
        "mr",
        "mrs",
        "ms",
        "dr",
        "said",
        "says",
        "read",
        "sign",
        "published",
        "updated",
        "photo",
        "image",
        "copyright",
    }
)

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# possessive: the same tokens as r"\w+(?:[.,]\d+)*" (nothing follows that could make it
# backtrack), without the engine saving backtrack points (~20 % faster)
_TOKEN = re.compile(r"\w++(?:[.,]\d++)*+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_SPLIT_CJK = re.compile(rf"[{_CJK}]|[^{_CJK}]+")
# a number; in Chinese and Japanese with its myriad units: "1萬844" is 10,844, "1.5亿" 150 million
_UNITS = {"萬": 10**4, "万": 10**4, "億": 10**8, "亿": 10**8}
_MYRIAD_UNITS = "".join(_UNITS)
_NUMBER = re.compile(rf"\d[\d.,]*(?:[{_MYRIAD_UNITS}]\d[\d.,]*|[{_MYRIAD_UNITS}])*")
_MYRIAD = re.compile(rf"(\d[\d.,]*)([{_MYRIAD_UNITS}]?)")
# a capitalised word after a word and a space (the group; a literal space first: a fast scan)
_CAPS = re.compile(r" (?<=[\w,;:] )([A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]\w+)")
_TAG = re.compile(r"<[^>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_THOUSANDS = re.compile(r",(?=\d{3}(?:\D|$))")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MULT = [
    np.uint64(m)
    for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5)
]
_HEADER = struct.Struct("<IHHHHHHB")
_NO_SHINGLES = np.empty(0, np.uint32)  # an unpacked story has no lookup shingles (read-only)
_NO_SHINGLES.flags.writeable = False


@dataclass(frozen=True, slots=True)
class Features:
    shingles: np.ndarray  # uint32, text order (lookup keys)
    sample: np.ndarray  # uint32, sorted unique
    full: bool  # sample holds every shingle (short text)
    capped: bool  # sample is the MAX_SAMPLE smallest of the 0 mod SAMPLE_MOD hashes
    lead: np.ndarray  # uint16 unique
    numbers: np.ndarray  # uint16 unique
    names: np.ndarray  # uint16 unique
    title: np.ndarray  # uint16, title token order
    n_tokens: int  # body tokens (capped by MAX_CHARS)
    title_generic: bool
    digest: bytes = b""  # of the body's whole token sequence (the exact-text key; not packed)

    @property
    def has_body(self) -> bool:
        return self.n_tokens >= MIN_BODY

    @property
    def has_text(self) -> bool:
        """Enough words to be verified on full text (a feed's one-line description)."""
        return self.n_tokens >= MIN_TEXT


def clean(text: str) -> str:
    """NFKC text without HTML tags, entities, URLs and bare domains; Chinese in simplified
    characters."""
    text = text[:MAX_CHARS]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = simplified(text)  # one script: a Hong Kong re-run of a Xinhua story is a copy
    return _URL.sub(" ", text) if ("www." in text or "://" in text) else text


def raw_tokens(text: str, cleaned: bool = False) -> list[str]:
    """Word tokens; each Han or kana character is a token of its own."""
    text = text if cleaned else clean(text)
    tokens = _TOKEN.findall(text)
    if not text.isascii() and _HAS_CJK.search(text):  # (isascii: a free first test)
        tokens = [
            part for t in tokens for part in (_SPLIT_CJK.findall(t) if _HAS_CJK.search(t) else (t,))
        ]
    return tokens


def token_hashes(tokens: list[str]) -> np.ndarray:
    return np.fromiter(map(zlib.crc32, map(str.encode, tokens)), np.uint64, len(tokens))


def shingle(hashes: np.ndarray, size: int = SHINGLE) -> np.ndarray:
    """32-bit hashes of every run of `size` token hashes (one run for shorter texts).

    The high half of a 64-bit polynomial is kept, to which a run's last token is only added:
    it reaches the key through a carry, so two runs differing in their last token alone
    mostly share a key (the keys behave much like (size - 1)-grams; every figure in
    docs/BENCHMARKS-dedup.md was measured so; a proper mix loses reworded copies on train).
    Nothing may read a key as proof that two texts are the same: see `Features.digest`."""
    if len(hashes) == 0:
        return np.empty(0, np.uint32)
    size = min(size, len(hashes))
    count = len(hashes) - size + 1
    acc = np.zeros(count, np.uint64)
    for offset in range(size):
        acc = acc * _MULT[offset] + hashes[offset : offset + count] + np.uint64(offset + 1)
    return (acc >> np.uint64(32)).astype(np.uint32)


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, as `np.unique` (which hashes first since numpy 2.3: 5-20x
    slower on the tens to hundreds of values a story has)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _small(values: list[str]) -> np.ndarray:
    """16-bit hashes, sorted; the MAX_FACTS smallest (compare below both maxima). In plain
    Python: a story has tens of facts, where numpy's per-call cost dominates."""
    small = sorted({zlib.crc32(v.encode()) & 0xFFFF for v in values})[:MAX_FACTS]
    return np.array(small, np.uint16)


@functools.lru_cache(maxsize=4096)
def _number(token: str) -> str:
    """'1,000' -> '1000', '7,5' -> '7.5', '7.50' -> '7.5', '007' -> '7'; '1萬844' -> '10844',
    '2億3000萬' -> '230000000', '٣٥' -> '35' (the same figure as its Western spelling)."""
    if not token.isascii():  # other scripts' digits ("٣٥") read as ASCII ones ("35")
        token = "".join(c if c.isascii() else _ascii_digit(c) for c in token)
        if any(unit in token for unit in _MYRIAD_UNITS):
            return _myriads(token)
    number = _THOUSANDS.sub("", token.rstrip(".,")).replace(",", ".")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number.lstrip("0") or "0"


def _ascii_digit(char: str) -> str:
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


def _myriads(token: str) -> str:
    total = 0.0
    parts = _MYRIAD.findall(token)
    try:
        for digits, unit in parts:
            total += float(_number(digits)) * _UNITS.get(unit, 1)
    except ValueError:  # "1.2.3萬": no figure a reader could compare, keep its digits
        total = math.inf
    if not math.isfinite(total):  # (or hundreds of digits)
        return _number("".join(d.replace(".", "").replace(",", "") for d, _ in parts))
    return _number(f"{total:.4f}") if total != int(total) else str(int(total))


def features(title: str, body: str) -> Features:
    text = clean(body)
    words = raw_tokens(text.lower(), cleaned=True)
    hashes = token_hashes(words)
    shingles = shingle(hashes)
    full = len(shingles) < FULL_BELOW
    sample = unique(shingles if full else shingles[shingles % SAMPLE_MOD == 0])
    capped = len(sample) > MAX_SAMPLE
    sample = sample[:MAX_SAMPLE]  # the smallest hashes: a bottom-k sketch
    lead = unique((shingle(hashes[:LEAD_TOKENS], 3) & 0xFFFF).astype(np.uint16))
    numbers = list(dict.fromkeys(map(_number, _NUMBER.findall(text, 0, MAX_FACT_CHARS))))
    names = [
        w
        for w in dict.fromkeys(_CAPS.findall(text, 0, MAX_FACT_CHARS))
        if w.lower() not in _STOP_CAPS
    ]
    title_words = raw_tokens(title[: 16 * MAX_TITLE_TOKENS].lower())[:MAX_TITLE_TOKENS]
    generic = " ".join(title_words) in GENERIC_TITLES or len(title_words) < 3
    return Features(
        shingles,
        sample,
        full,
        capped,
        lead,
        _small(numbers),
        _small([n.lower() for n in names]),
        (token_hashes(title_words) & 0xFFFF).astype(np.uint16),
        len(words),
        generic,
        hashlib.blake2b(hashes.tobytes(), digest_size=8).digest(),
    )


def pack(f: Features) -> bytes:
    """One compact `bytes` for the index (the lookup shingles are not kept)."""
    head = _HEADER.pack(
        f.n_tokens,
        len(f.sample),
        len(f.lead),
        len(f.numbers),
        len(f.names),
        len(f.title),
        0,
        f.full | f.title_generic << 1 | f.capped << 2,
    )
    parts = (f.sample.astype("<u4"), f.lead, f.numbers, f.names, f.title)
    return head + b"".join(
        p.astype("<u2" if p.dtype == np.uint16 else "<u4").tobytes() for p in parts
    )


def unpack(blob: bytes) -> Features:
    n_tokens, n_sample, n_lead, n_numbers, n_names, n_title, _spare, flags = _HEADER.unpack_from(
        blob
    )
    offset = _HEADER.size + 4 * n_sample
    a = n_lead  # slice ends in one view of the 16-bit part (8 candidates a check: cheap)
    b = a + n_numbers
    c = b + n_names
    d = c + n_title
    small = np.frombuffer(blob, "<u2", d, offset)
    return Features(
        _NO_SHINGLES,
        np.frombuffer(blob, "<u4", n_sample, _HEADER.size),
        bool(flags & 1),
        bool(flags & 4),
        small[:a],
        small[a:b],
        small[b:c],
        small[c:d],
        n_tokens,
        bool(flags & 2),
    )
