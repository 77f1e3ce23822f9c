"""Character classes hubnews treats specially, and the two cleaners built on them.

Feed and Slack text is third-party data. Two rules keep it from acting on a terminal, a log or
a Slack message:

* `strip_controls(text)` removes terminal escape sequences (CSI `ESC [ … m`, OSC `ESC ] … BEL`,
  two-character `ESC x`) whole, then every other C0/C1 control character and DEL; `\\n` and
  `\\t` are kept. Feed text is cleaned with it once, when it is normalised (`bot.htmltext`), so
  stored text never carries a control character.
* `for_terminal(text)` is what a terminal may show: `strip_controls` plus the bidirectional
  embedding/override/isolate controls (which can reorder the rest of the line), with line breaks
  and tabs folded to spaces unless `lines=True`. Text stored before this rule, error messages
  quoting HTTP reason phrases and Slack-typed feed names all pass through it when printed.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ params final), OSC / DCS / SOS / PM / APC strings
# (terminated by BEL or ST = ESC \), and the two-character forms (ESC 7, ESC c, …).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -~]?"
)
# C0 except TAB (09) and LF (0A); DEL; C1 (80-9F). VT and FF (0B, 0C) are whitespace: a space.
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\r]")
_BLANKS = re.compile(r"[\x0b\x0c]")
# LRE RLE PDF LRO RLO (U+202A-E) and LRI RLI FSI PDI (U+2066-9): they change the display
# order of what follows them. LRM/RLM (U+200E/F) only mark a direction and are harmless.
BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n\r\f\v\u2028\u2029\x85]+")


def strip_controls(text: str) -> str:
    """`text` without escape sequences or control characters, keeping `\\n` and `\\t`."""
    if not text or (text.isprintable() and "\x1b" not in text):
        return text
    return _BLANKS.sub(" ", CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text)))


def for_terminal(text: object, *, lines: bool = False) -> str:
    """Third-party text as a terminal may show it: no escapes, controls or bidi overrides."""
    value = "" if text is None else str(text)
    if not lines:
        value = _BREAKS.sub(" ", value)
    return BIDI_CONTROL.sub("", strip_controls(value))
