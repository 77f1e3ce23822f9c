"""The language a story is written in: Unicode script first, then lingua for Latin text.

`detect(text)` -> "en", "de", "fr", "it", "es", "nl", "ja", "ko" or "zh" ("zh" covers simplified
and traditional script: the taxonomy lists both spellings). Hangul settles Korean and kana
Japanese; Han characters without kana are Chinese. Latin text with English function words is
English without a model (the common case, ~1 µs); other Latin text goes to lingua
(lingua-language-detector), restricted to the languages the taxonomy has vocabulary for, low
accuracy mode: its models ship inside the package (nothing is downloaded), are loaded on first
use and take ~15 MB. py3langid was measured and dropped: 60-86 MB resident for its full model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

LATIN = ("en", "de", "fr", "it", "es", "nl")
_LINGUA = {
    "en": "ENGLISH",
    "de": "GERMAN",
    "fr": "FRENCH",
    "it": "ITALIAN",
    "es": "SPANISH",
    "nl": "DUTCH",
}
_CODES = {name: code for code, name in _LINGUA.items()}
CJK = ("zh", "ja", "ko")

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ANY_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
# words that are not words of the other Latin languages here
_ENGLISH = frozenset(
    {
        "the",
        "and",
        "of",
        "to",
        "for",
        "with",
        "that",
        "said",
        "has",
        "have",
        "will",
        "from",
        "its",
        "this",
        "which",
    }
)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA.values()]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect(text: str) -> str:
    """The language of `text` (a title plus its first paragraph is enough)."""
    sample = text[:600]
    if not sample.isascii() and _ANY_CJK.search(sample):
        hangul = len(_HANGUL.findall(sample))
        kana = len(_KANA.findall(sample))
        han = len(_HAN.findall(sample))
        if hangul >= 2 and hangul >= kana:
            return "ko"
        if kana:  # Chinese is never written with kana
            return "ja"
        if han >= 4:
            return "zh"
    words = sample.lower().split()
    if len(words) < 3 or len(_ENGLISH.intersection(words)) >= 2:
        return "en"  # too short to tell, or English function words: without the model
    found = _detector().detect_language_of(sample[:300])
    return _CODES.get(found.name, "en") if found else "en"


def script_of(lang: str) -> str:
    return "cjk" if lang in CJK else "latin"
