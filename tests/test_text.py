"""bot.text: escape sequences and control characters never survive normalisation or printing."""

from __future__ import annotations

import pytest

from bot.htmltext import to_text
from bot.text import for_terminal, strip_controls

HOSTILE = [
    ("title \x1b]0;pwned\x07 end", "title  end"),  # OSC: retitles the terminal
    ("\x1b[2J\x1b[31mred\x1b[0m", "red"),  # CSI: clear screen, colour
    ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink, ST ended
    ("bell\x07 nul\x00 del\x7f", "bell nul del"),
    ("c1\x9b2J csi \x85nel", "c1 csi nel"),  # C1 CSI sequence / NEL
    ("esc\x1b]unterminated", "escunterminated"),  # a lone ESC never reaches a terminal
    ("keep\ttab\nline", "keep\ttab\nline"),
    ("[/x] [bold]markup[/]", "[/x] [bold]markup[/]"),  # markup is text here; printers escape
]


@pytest.mark.parametrize(("raw", "clean"), HOSTILE)
def test_strip_controls_removes_escapes_and_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), HOSTILE)
def test_normalised_feed_text_carries_no_control_character(raw: str, clean: str) -> None:
    text = to_text(raw)
    assert not any((ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F for ch in text)
    assert "\x1b" not in to_text(f"<p>{raw}</p>")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\u202eevil\u202c.exe", "evil.exe"),  # RLO ... PDF reorders the line
        ("\u2067isolate\u2069 ok", "isolate ok"),
        ("two\nlines\tand tab", "two lines and tab"),
        ("\u200fRLM stays", "\u200fRLM stays"),  # a direction mark reorders nothing
        (None, ""),
    ],
)
def test_for_terminal_drops_bidi_overrides_and_folds_lines(raw: object, shown: str) -> None:
    assert for_terminal(raw) == shown
