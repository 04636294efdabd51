"""People on the caseload: duplicate warnings, ages and age bands (DESIGN.md §3).

Two officers at different sites can add the same person before a sync, and a person moving from
custody to the community is often re-entered, so adding a person warns about probable
duplicates. It only warns: merging is a human decision.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from referral_desk.domain.errors import ValidationError

__all__ = [
    "AGE_BANDS",
    "NAME_SIMILARITY_THRESHOLD",
    "DuplicateMatch",
    "PersonKey",
    "age_band",
    "age_on",
    "normalise_name",
    "probable_duplicates",
    "validate_date_of_birth",
]

NAME_SIMILARITY_THRESHOLD = 80

REASON_SAME_CRN = "same CRN"
REASON_SAME_NOMIS = "same prison number"
REASON_SAME_DOB_SIMILAR_NAME = "same date of birth and similar name"


@dataclass(frozen=True)
class PersonKey:
    """The fields duplicate detection looks at."""

    id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    crn: str | None
    nomis: str | None


@dataclass(frozen=True)
class DuplicateMatch:
    person_id: str
    reason: str


_DROPPED = str.maketrans("", "", "-'\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u02bc`")


def normalise_name(text: str | None) -> str:
    """Casefold, strip accents, drop hyphens and apostrophes, collapse spaces.

    So `O'Brien` ~ `OBRIEN`, `Zoë` ~ `Zoe`, `Smith-Jones` ~ `Smithjones`.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_DROPPED).split())


def _same_id(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return "".join(a.split()).upper() == "".join(b.split()).upper()


def _similar_names(a: PersonKey, b: PersonKey) -> bool:
    a_given, a_family = normalise_name(a.given_name), normalise_name(a.family_name)
    b_given, b_family = normalise_name(b.given_name), normalise_name(b.family_name)
    if a_family and a_family == b_family and a_given[:1] and a_given[:1] == b_given[:1]:
        return True
    a_full = f"{a_given} {a_family}".strip()
    if not a_full:
        return False
    # Also try the other's names swapped: given and family are often entered the wrong way round.
    return any(
        fuzz.ratio(a_full, other.strip()) >= NAME_SIMILARITY_THRESHOLD
        for other in (f"{b_given} {b_family}", f"{b_family} {b_given}")
    )


def _match_reason(candidate: PersonKey, other: PersonKey) -> str | None:
    if _same_id(candidate.crn, other.crn):
        return REASON_SAME_CRN
    if _same_id(candidate.nomis, other.nomis):
        return REASON_SAME_NOMIS
    if (
        candidate.date_of_birth is not None
        and candidate.date_of_birth == other.date_of_birth
        and _similar_names(candidate, other)
    ):
        return REASON_SAME_DOB_SIMILAR_NAME
    return None


_REASON_ORDER = {REASON_SAME_CRN: 0, REASON_SAME_NOMIS: 1, REASON_SAME_DOB_SIMILAR_NAME: 2}


def probable_duplicates(
    candidate: PersonKey, existing: Iterable[PersonKey]
) -> list[DuplicateMatch]:
    """Existing people who are probably `candidate`, strongest evidence first.

    One match per person, with the strongest reason (CRN, then prison number, then date of birth
    with a similar name). The candidate's own record (same id) is skipped, so this also works
    when editing.
    """
    matches: list[DuplicateMatch] = []
    seen: set[str] = set()
    for other in existing:
        if other.id == candidate.id or other.id in seen:
            continue
        reason = _match_reason(candidate, other)
        if reason is not None:
            seen.add(other.id)
            matches.append(DuplicateMatch(other.id, reason))
    matches.sort(key=lambda m: _REASON_ORDER[m.reason])
    return matches


def age_on(dob: date, on: date) -> int:
    """Age in completed years; someone born on 29 February turns a year older on 1 March."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


AGE_BANDS: tuple[str, ...] = ("under 18", "18-25", "26-35", "36-49", "50-64", "65+")

_BAND_FLOORS: tuple[tuple[int, str], ...] = (
    (65, "65+"),
    (50, "50-64"),
    (36, "36-49"),
    (26, "26-35"),
    (18, "18-25"),
)


def age_band(dob: date, on: date) -> str:
    """Equality-monitoring age band; 18-25 matches the young adults cohort flag."""
    age = age_on(dob, on)
    for floor, band in _BAND_FLOORS:
        if age >= floor:
            return band
    return "under 18"


MIN_AGE = 10  # age of criminal responsibility in England and Wales
MAX_AGE = 110


def validate_date_of_birth(dob: date, today: date) -> None:
    """Raise ValidationError for a date of birth that is surely a typing mistake."""
    if dob > today:
        raise ValidationError("Date of birth cannot be in the future")
    age = age_on(dob, today)
    if age < MIN_AGE:
        raise ValidationError(f"Date of birth gives an age under {MIN_AGE}; check the year")
    if age > MAX_AGE:
        raise ValidationError(f"Date of birth gives an age over {MAX_AGE}; check the year")
