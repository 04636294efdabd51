"""How good a team passphrase is, by a rule an officer can be told in one line.

A passphrase protects every sync file carried on a USB drive. Length does most of the work and
variety helps: "four random words" is long and easy to type. The rule is deliberately simple
(no dictionary, nothing to download) so the strength shown is explainable: it counts
characters and kinds of character (lower case, capitals, digits, spaces and symbols).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 8
GOOD_LENGTH = 16

__all__ = ["GOOD_LENGTH", "MIN_LENGTH", "Strength", "passphrase_strength"]


@dataclass(frozen=True)
class Strength:
    level: int  # 0 refused (too short), 1 weak, 2 fair, 3 strong
    label: str  # Too short, Weak, Fair, Strong
    reason: str  # why, in words: "11 characters, 2 kinds"

    @property
    def acceptable(self) -> bool:
        return self.level > 0


def _kinds(text: str) -> list[str]:
    found = []
    if any(c.islower() for c in text):
        found.append("lower case")
    if any(c.isupper() for c in text):
        found.append("capitals")
    if any(c.isdigit() for c in text):
        found.append("digits")
    if any(not c.isalnum() for c in text):
        found.append("spaces or symbols")
    return found


def passphrase_strength(text: str) -> Strength:
    """Too short under 8 characters; strong from 16 with two kinds of character (or 20 of
    anything); fair from 12, or 8 with three kinds; weak otherwise."""
    length = len(text)
    kinds = _kinds(text)
    reason = f"{length} character{'s' if length != 1 else ''}, {len(kinds)} kind" + (
        "s" if len(kinds) != 1 else ""
    )
    if length < MIN_LENGTH:
        return Strength(0, "Too short", f"at least {MIN_LENGTH} characters; {reason}")
    if length >= 20 or (length >= GOOD_LENGTH and len(kinds) >= 2):
        return Strength(3, "Strong", reason)
    if length >= 12 or len(kinds) >= 3:
        return Strength(2, "Fair", f"{reason}; longer is stronger (four words or more)")
    return Strength(1, "Weak", f"{reason}; use {GOOD_LENGTH}+ characters, e.g. four words")
