"""Text that reaches the database from people and files: no control characters get in.

A NUL or an ANSI escape in a name breaks spreadsheets (openpyxl refuses C0 controls), rewrites
an officer's terminal when the command line echoes it, and hides text in printed documents.
Nobody means one, so every input path — forms, the command line, HSDS packages, sync — passes
its text through one of two cleaners here, and the rule is the same everywhere:

- `clean_line`: one-line fields (names, codes, phone numbers, places). Every control character
  and line break becomes a single space; runs of white space collapse; the ends are trimmed.
- `clean_text`: free text that may hold paragraphs (descriptions, notes). Line breaks are kept
  (CRLF and CR become LF), a tab becomes a space, every other control character is removed, and
  trailing white space at the ends is trimmed.

Controls are C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F), and the Unicode bidirectional
overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make text display in a different
order from the order it is stored in ("Trojan Source").

Cleaning is deterministic and idempotent, so two sites that clean the same synced value store
the same text, and sync still converges.
"""

from __future__ import annotations

import re

_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_LINE_BREAKS = re.compile("\r\n?")
# In free text: everything in _CONTROLS except LF, which is kept (tab handled first).
_TEXT_CONTROLS = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")
_SPACES = re.compile(r"\s+")
# The controls json.dumps leaves raw (it escapes C0 itself; its indent line breaks are C0 too).
_RAW_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")


def has_controls(value: str) -> bool:
    """True if `value` holds any character the cleaners would change as a control."""
    return _CONTROLS.search(value) is not None


def clean_line(value: str | None) -> str:
    """One line of text: controls and line breaks become spaces, white space collapses."""
    if not value:
        return ""
    return _SPACES.sub(" ", _CONTROLS.sub(" ", value)).strip()


def clean_text(value: str | None) -> str:
    """Free text: line breaks kept as LF, tabs become spaces, other controls removed."""
    if not value:
        return ""
    text = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    return _TEXT_CONTROLS.sub("", text).strip()


def printable(value: str) -> str:
    """For output to a terminal or a log: controls shown as `\\xNN`/`\\uNNNN`, never sent raw.

    Stored text is clean, but text from a file that was refused (or from an older version's
    database) may not be: echoing it must never move the cursor or change colours.
    """
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def json_printable(text: str) -> str:
    """JSON text for a terminal: controls in strings as `\\uNNNN` escapes (the same JSON).

    json.dumps escapes C0 controls itself but writes DEL, C1 (U+009B is an escape to some
    terminals) and the bidirectional overrides raw when `ensure_ascii` is off. Those can only
    appear inside JSON strings, where the escape means the same character.
    """
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["clean_line", "clean_text", "has_controls", "json_printable", "printable"]
