"""Chinese in one script or the other (OpenCC): 臺積電 ≈ 台积电, 亦莊 ≈ 亦庄.

Mainland outlets write simplified characters, Hong Kong and Taiwan ones traditional; a story
re-run across the strait keeps its words but changes most characters. `simplified` folds a
text for comparison (bot.dedup_text); `other_scripts` gives a search word its other
spellings (bot.aliases). The converters load with the first Chinese text (~15 ms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@functools.cache
def _converter(config: str) -> Callable[[str], str]:
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC(config).convert
    return convert


def _convert(config: str, text: str) -> str:
    try:
        return _converter(config)(text)
    except UnicodeEncodeError:  # a lone surrogate cannot cross into C++
        return _converter(config)(text.encode("utf-8", "replace").decode("utf-8"))


def has_han(text: str) -> bool:
    return not text.isascii() and _HAN.search(text) is not None


def simplified(text: str) -> str:
    """Traditional characters as simplified ones ("t2s"); other text unchanged."""
    return _convert("t2s", text) if has_han(text) else text


def other_scripts(term: str) -> tuple[str, ...]:
    """A Chinese word's spellings in the other script(s), without `term` itself."""
    if not has_han(term):
        return ()
    forms = (_convert("t2s", term), _convert("s2t", term))
    return tuple(f for f in dict.fromkeys(forms) if f != term)
