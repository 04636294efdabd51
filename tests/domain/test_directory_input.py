"""What the directory keeper may type: one rule per kind of field, messages without values."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.directory_input import (
    LOCATION_FIELDS,
    ORGANISATION_FIELDS,
    SERVICE_FIELDS,
    clean_amount,
    clean_bool,
    clean_choice,
    clean_common,
    clean_coordinate,
    clean_email,
    clean_list,
    clean_phone,
    clean_postcode,
    clean_text,
    clean_url,
    clean_whole,
    not_future,
    only_fields,
)
from referral_desk.domain.errors import ValidationError
from referral_desk.domain.vocabularies import SERVICE_STATUSES


@pytest.mark.parametrize(
    ("clean", "typed", "stored"),
    [
        (clean_url, "newleaf.example", "https://newleaf.example"),
        (clean_url, "http://a.example/x?y=1", "http://a.example/x?y=1"),
        (clean_email, " jo@newleaf.example ", "jo@newleaf.example"),
        (clean_phone, "0113 496 0000 ext 12", "0113 496 0000 ext 12"),
        (clean_phone, "+44 (0)113 496 0000", "+44 (0)113 496 0000"),
        (clean_postcode, "ls15hd", "LS1 5HD"),
        (clean_postcode, " sw1a 1aa ", "SW1A 1AA"),
        (clean_postcode, "", ""),
    ],
)
def test_contact_details_are_stored_in_one_form(clean: Any, typed: str, stored: str) -> None:
    assert clean(typed) == stored


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clean_url("ftp:/nowhere 07700 900123"), "Website must be a web address"),
        (lambda: clean_email("jo at 07700 900123"), "Email is not a valid email address"),
        (lambda: clean_phone("call Jo Bloggs"), "Phone must be a phone number"),
        (lambda: clean_phone("12345"), "Phone must be a phone number"),
        (lambda: clean_postcode("Jo Bloggs"), "Postcode is not a valid UK postcode"),
        (lambda: clean_whole("eighteen", "min_age"), "Min age must be a whole number"),
        (lambda: clean_whole(200, "max_age", high=120), "between 0 and 120"),
        (lambda: clean_whole(True, "max_age"), "Max age must be a whole number"),
        (lambda: clean_amount("a lot", "unit_cost"), "Unit cost must be an amount of money"),
        (lambda: clean_amount("-1", "unit_cost"), "Unit cost must be an amount of money"),
        (lambda: clean_coordinate("north", "latitude", 90), "Latitude must be a number"),
        (lambda: clean_coordinate(91, "latitude", 90), "Latitude must be between -90 and 90"),
        (lambda: clean_bool("perhaps", "free"), "Free must be yes or no"),
        (lambda: clean_choice("closed", "status", SERVICE_STATUSES), "Status must be one of"),
        (lambda: clean_text(" ", "name", required=True), "Name is required"),
        (lambda: only_fields({"colour": 1}, ORGANISATION_FIELDS, "organisation"), "colour"),
    ],
)
def test_refusals_name_the_field_never_the_value(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        call()
    for typed in ("Jo Bloggs", "07700 900123", "perhaps", "a lot", "eighteen", "north"):
        assert typed not in str(err.value)


def test_choices_lists_numbers_and_dates() -> None:
    assert clean_choice("Temporarily_Closed", "status", SERVICE_STATUSES) == "temporarily closed"
    assert clean_list("HMP Leeds, HMP Styal, HMP Leeds", "prisons") == ["HMP Leeds", "HMP Styal"]
    assert clean_list(None, "prisons") == []
    assert (clean_whole("", "max_age"), clean_whole(18.0, "max_age")) == (None, 18)
    assert clean_amount("£30", "unit_cost") == 30.0
    assert (clean_bool("Yes", "free"), clean_bool("", "free")) == (True, False)
    today = date(2026, 3, 2)
    assert not_future(today, "capacity date", today) == today
    with pytest.raises(ValidationError, match="Capacity date cannot be in the future"):
        not_future(date(2026, 3, 3), "capacity_date", today)


def test_common_fields_follow_the_rule_their_name_implies() -> None:
    assert clean_common("website", "newleaf.example") == "https://newleaf.example"
    assert clean_common("faith_based", "no") is False
    assert clean_common("languages", "Polish, Welsh") == ["Polish", "Welsh"]
    assert clean_common("description", "Two\n\nparagraphs") == "Two\n\nparagraphs"
    assert set(LOCATION_FIELDS) & set(SERVICE_FIELDS) == {"organisation_id", "name"}


@given(st.text(max_size=300))
def test_one_line_text_never_keeps_a_control_character(typed: str) -> None:
    try:
        cleaned = clean_text(typed, "contact_name", limit=200)
    except ValidationError as err:
        assert typed.strip() == "" or "Contact name" in str(err)
        return
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned)


@pytest.mark.parametrize(
    ("check", "value", "field"),
    [
        (lambda v: clean_email(v), "not an address", "Email"),
        (lambda v: clean_phone(v), "call me", "Phone"),
        (lambda v: clean_postcode(v), "nowhere", "Postcode"),
        (lambda v: clean_url(v), "not a site", "Website"),
        (lambda v: clean_whole(v, "min_age"), "ten", "Min age"),
        (lambda v: clean_text(v, "name", required=True), "", "Name"),
    ],
)
def test_a_refusal_names_its_field_so_a_form_need_not_read_the_message(
    check: Any, value: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        check(value)
    assert refused.value.field == field
