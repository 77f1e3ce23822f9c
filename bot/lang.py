"""The language a story is written in: Unicode script first, then py3langid for Latin text.

`detect(text)` -> "en", "de", "fr", "it", "es", "nl", "ja", "ko" or "zh" ("zh" covers simplified
and traditional script: the taxonomy lists both spellings). Hangul settles Korean and kana
Japanese; Han characters without kana are Chinese; Latin text goes to py3langid, restricted to
the languages the taxonomy has vocabulary for (its model ships inside the package: nothing is
downloaded; it is loaded once, on first use, ~0.8 s). Text with too few letters to tell is "en".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

LATIN = ("en", "de", "fr", "it", "es", "nl")
CJK = ("zh", "ja", "ko")

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ANY_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
# words that are not words of the other Latin languages here
_ENGLISH = frozenset(
    [
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
    ]
)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from pathlib import Path

    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(Path(MODEL_DIR) / MODEL_FILE)
    identifier.set_languages(list(LATIN))
    return identifier


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
    return str(_identifier().classify(sample[:300])[0])


def script_of(lang: str) -> str:
    return "cjk" if lang in CJK else "latin"
