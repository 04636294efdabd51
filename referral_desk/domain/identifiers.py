"""Case identifiers (CRN, NOMIS, PNC) and the short referral reference printed on slips.

Identifiers are personal data, so validation errors describe the expected format and never
repeat what was typed (messages can reach logs and the CLI's terminal).

The referral reference is read aloud over the phone and copied by hand from paper slips, so its
alphabet leaves out characters that are easily confused (0/O, 1/I, 5/S, 8/B). It must also never
look like a CRN or prison number, so that nobody mistakes a slip reference for a case identifier
(or searches the case system with it).
"""

from __future__ import annotations

import random
import re
import secrets

from referral_desk.domain.errors import ValidationError

__all__ = [
    "REFERENCE_ALPHABET",
    "looks_like_reference",
    "new_reference",
    "normalise_crn",
    "normalise_nomis",
    "normalise_pnc",
    "normalise_reference",
]

_CRN = re.compile(r"[A-Z]\d{6}")
_NOMIS = re.compile(r"[A-Z]\d{4}[A-Z]{2}")
_PNC = re.compile(r"\d{2}(?:\d{2})?/\d{1,7}[A-Z]")

REFERENCE_ALPHABET = "234679ACDEFGHJKLMNPQRTUVWXYZ"
"""Digits and capitals without the look-alikes 0 O 1 I 5 S 8 B."""

_REFERENCE_LENGTH = 6
_REFERENCE_SET = frozenset(REFERENCE_ALPHABET)
# A letter followed by four digits is the start of both a CRN and a NOMIS number.
_CASE_ID_SHAPED = re.compile(r"[A-Z]\d{4}")
_REFERENCE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise ValidationError("Identifier must be text")
    return text.strip().upper()


def normalise_crn(text: str) -> str:
    """Return the CRN in canonical form (`X123456`) or raise ValidationError."""
    value = _clean(text)
    if not _CRN.fullmatch(value):
        raise ValidationError("CRN must be one letter followed by six digits, e.g. X123456")
    return value


def normalise_nomis(text: str) -> str:
    """Return the prison (NOMIS) number in canonical form (`A1234BC`) or raise ValidationError."""
    value = _clean(text)
    if not _NOMIS.fullmatch(value):
        raise ValidationError(
            "Prison number must be a letter, four digits and two letters, e.g. A1234BC"
        )
    return value


def normalise_pnc(text: str) -> str:
    """Return the PNC number upper-cased (`2012/0123456A`) or raise ValidationError.

    The year is kept as typed (two or four digits): converting a two-digit year would need a
    century guess, and the PNC itself accepts both spellings.
    """
    value = _clean(text)
    if not _PNC.fullmatch(value):
        raise ValidationError(
            "PNC number must be a 2- or 4-digit year, a slash, up to seven digits and a letter,"
            " e.g. 2012/0123456A"
        )
    return value


def _is_case_id_shaped(compact: str) -> bool:
    return _CASE_ID_SHAPED.search(compact) is not None


def new_reference(rng: random.Random | None = None) -> str:
    """Draw a new `XXX-XXX` referral reference.

    Uses `secrets` unless a seeded `rng` is given (tests, reproducible demo data). Candidates that
    contain a letter followed by four digits are redrawn, so a reference is never CRN- or
    NOMIS-shaped. About 0.3% of draws are rejected, so the loop ends quickly.
    """
    choice = secrets.choice if rng is None else rng.choice
    while True:
        compact = "".join(choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
        if not _is_case_id_shaped(compact):
            return f"{compact[:3]}-{compact[3:]}"


def _compact_reference(text: str) -> str | None:
    if not isinstance(text, str):
        return None
    compact = _REFERENCE_SEPARATORS.sub("", text).upper()
    if len(compact) != _REFERENCE_LENGTH or not set(compact) <= _REFERENCE_SET:
        return None
    return compact


def normalise_reference(text: str) -> str:
    """Return the canonical `XXX-XXX` form of a typed reference, or raise ValidationError.

    Accepts lower case, a missing hyphen and stray spaces, because references are copied by hand
    from paper and read over the phone.
    """
    compact = _compact_reference(text)
    if compact is None:
        raise ValidationError(
            "Referral reference must be six characters like K7M-3QH"
            f" (letters and digits from {REFERENCE_ALPHABET})"
        )
    return f"{compact[:3]}-{compact[3:]}"


def looks_like_reference(text: str) -> bool:
    """True when `text` normalises to a referral reference (e.g. to route a search box query)."""
    return _compact_reference(text) is not None
