"""Cell values as the HSDS import reads them and the export writes them (`hsds.cells`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.hsds.cells import (
    FILLER,
    blank_row,
    canonical,
    clean_phone,
    fill,
    fmt_number,
    leftover,
    new_row,
    parse_float,
    parse_whole,
    unfill,
)
from referral_desk.hsds.schema import TABLES


@given(st.text(max_size=30).filter(lambda t: t.strip() != FILLER))
def test_filler_round_trips_to_blank_and_text_to_itself(text: str) -> None:
    assert unfill(fill(text)) == text.strip()
    assert fill("  ") == FILLER and unfill(FILLER) == ""


@given(st.one_of(st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_are_written_so_they_read_back_the_same(value: float) -> None:
    text = fmt_number(value)
    assert parse_float(text) == pytest.approx(value, rel=0, abs=0)
    assert fmt_number(None) == "" and fmt_number(2.0) == "2"


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "ten"])
def test_a_number_cell_that_is_not_a_finite_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_float(text)


def test_whole_numbers() -> None:
    assert parse_whole(" 3.0 ") == 3 and parse_whole("") is None
    with pytest.raises(ValueError):
        parse_whole("2.5")
    assert parse_float("1e3") == 1000.0


def test_canonical_rows_keep_standard_columns_then_non_blank_extras() -> None:
    standard = blank_row("phone")
    assert canonical("phone", standard) is standard  # the importer's hot path: no copy
    row = canonical("phone", {"number": "0113", "extension": "", "x_note": "", "x_keep": "1"})
    assert list(row)[: len(TABLES["phone"].columns)] == list(TABLES["phone"].columns)
    assert row["x_keep"] == "1" and "x_note" not in row


def test_helpers_for_rows_and_their_leftovers() -> None:
    assert new_row("contact", name="A")["name"] == "A"
    assert clean_phone(' "+44 113 496 0000" ') == "+44 113 496 0000"
    kept = leftover({"id": "1", "name": "N", "x": "y", "blank": ""}, frozenset({"id", "name"}))
    assert kept == {"x": "y"}
