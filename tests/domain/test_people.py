from datetime import date

import pytest

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.people import (
    AGE_BANDS,
    DuplicateMatch,
    PersonKey,
    age_band,
    age_on,
    normalise_name,
    probable_duplicates,
    validate_date_of_birth,
)

DOB = date(1990, 3, 14)


def person(pid, given="John", family="Smith", dob=DOB, crn=None, nomis=None):
    return PersonKey(pid, given, family, dob, crn, nomis)


def test_normalise_name():
    assert normalise_name("  O'Brien ") == "obrien"
    assert normalise_name("Zoë  Smith-Jones") == "zoe smithjones"
    assert normalise_name("D\u2019Arcy") == "darcy"
    assert normalise_name("STRASSE") == normalise_name("straße")
    assert normalise_name(None) == ""


def test_same_crn_ignores_case_and_names():
    cand = person("new", given="Alan", family="Other", dob=None, crn="x123456")
    found = probable_duplicates(cand, [person("p1", crn="X123456"), person("p2", crn="X654321")])
    assert found == [DuplicateMatch("p1", "same CRN")]


def test_same_prison_number():
    cand = person("new", given="Alan", family="Other", dob=None, nomis="A1234BC")
    found = probable_duplicates(cand, [person("p1", nomis="a1234bc")])
    assert found == [DuplicateMatch("p1", "same prison number")]


def test_missing_identifiers_never_match():
    cand = person("new", given="Alan", family="Other", dob=None)
    assert probable_duplicates(cand, [person("p1"), person("p2", crn="", nomis="")]) == []


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Jon", "Smith"),  # fuzzy
        ("JOHN", "SMITH"),
        ("J.", "Smith"),  # same family name and initial
        ("Johnny", "Smith"),
        ("Smith", "John"),  # swapped
        ("Jöhn", "Smíth"),
    ],
)
def test_same_dob_similar_name(given, family):
    cand = person("new", given=given, family=family)
    assert probable_duplicates(cand, [person("p1")]) == [
        DuplicateMatch("p1", "same date of birth and similar name")
    ]


@pytest.mark.parametrize(
    ("given", "family", "dob"),
    [
        ("Mary", "Jones", DOB),  # different name
        ("Peter", "Smith", DOB),  # same family, different initial, not similar
        ("John", "Smith", date(1990, 3, 15)),  # different DOB
        ("John", "Smith", None),  # unknown DOB
    ],
)
def test_not_duplicates(given, family, dob):
    cand = person("new", given=given, family=family, dob=dob)
    assert probable_duplicates(cand, [person("p1")]) == []


def test_skips_own_record_and_orders_by_strength():
    cand = person("me", crn="X123456", nomis="A1234BC")
    existing = [
        person("me", crn="X123456"),
        person("by-name"),
        person("by-nomis", given="Z", family="Q", nomis="A1234BC"),
        person("by-crn", given="Z", family="Q", crn="X123456"),
        person("by-crn", given="Z", family="Q", crn="X123456"),
    ]
    assert probable_duplicates(cand, existing) == [
        DuplicateMatch("by-crn", "same CRN"),
        DuplicateMatch("by-nomis", "same prison number"),
        DuplicateMatch("by-name", "same date of birth and similar name"),
    ]


def test_accepts_generator():
    cand = person("new")
    assert len(probable_duplicates(cand, (p for p in [person("a"), person("b")]))) == 2


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2008, 3, 13), 17),
        (date(2008, 3, 14), 18),
        (date(2026, 12, 31), 36),
    ],
)
def test_age_on(on, age):
    assert age_on(date(1990, 3, 14), on) == age


def test_leap_day_birthday():
    dob = date(2004, 2, 29)
    assert age_on(dob, date(2022, 2, 28)) == 17
    assert age_on(dob, date(2022, 3, 1)) == 18
    assert age_on(dob, date(2024, 2, 29)) == 20


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (10, "under 18"),
        (17, "under 18"),
        (18, "18-25"),
        (25, "18-25"),
        (26, "26-35"),
        (35, "26-35"),
        (36, "36-49"),
        (49, "36-49"),
        (50, "50-64"),
        (64, "50-64"),
        (65, "65+"),
        (99, "65+"),
    ],
)
def test_age_band(age, band):
    on = date(2026, 6, 1)
    dob = date(on.year - age, 6, 1)
    assert age_band(dob, on) == band
    assert band in AGE_BANDS


def test_validate_date_of_birth():
    today = date(2026, 6, 1)
    validate_date_of_birth(date(2016, 6, 1), today)  # exactly 10
    validate_date_of_birth(date(1916, 6, 2), today)  # 109, nearly 110
    validate_date_of_birth(date(1915, 6, 2), today)  # 110
    with pytest.raises(ValidationError, match="future"):
        validate_date_of_birth(date(2026, 6, 2), today)
    with pytest.raises(ValidationError, match="under 10"):
        validate_date_of_birth(date(2016, 6, 2), today)
    with pytest.raises(ValidationError, match="over 110") as err:
        validate_date_of_birth(date(1915, 6, 1), today)
    assert "1915" not in str(err.value)
