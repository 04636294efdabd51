"""What an officer asks the directory: filters normalised so equal questions compare equal,
absurd values refused on one line, free text never refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.search_query import MAX_AGE, MAX_LIMIT, SearchQuery, normalise_gender


@pytest.mark.parametrize(
    ("typed", "gender"),
    [("M", "male"), (" woman ", "female"), ("f", "female"), ("Non-Binary", "non-binary")],
)
def test_what_an_officer_types_maps_to_the_directory_gender(typed: str, gender: str) -> None:
    assert normalise_gender(typed) == gender


@pytest.mark.parametrize("typed", [None, "", "  ", "Any"])
def test_blank_or_any_gender_is_no_filter(typed: str | None) -> None:
    assert normalise_gender(typed) is None


def test_blank_filters_become_none_and_equal_questions_compare_equal() -> None:
    one = SearchQuery(
        text="housing", area="  ", prison=" HMP Leeds ", setting="Custody", gender="m"
    )
    two = SearchQuery(text="housing", prison="HMP Leeds", setting="custody", gender="male")
    assert one == two
    assert one.area is None and one.setting == "custody"


def test_only_filters_count_as_filters() -> None:
    assert not SearchQuery(text="anything at all").has_filters
    assert SearchQuery(age=0).has_filters
    assert SearchQuery(prechecked=True).has_filters
    assert not SearchQuery(include_inactive=True).has_filters


@pytest.mark.parametrize(
    "kwargs",
    [
        {"setting": "prison"},
        {"age": -1},
        {"age": MAX_AGE + 1},
        {"age": True},
        {"age": "30"},
        {"limit": 0},
        {"limit": MAX_LIMIT + 1},
        {"limit": 2.5},
        {"text": None},
        {"category": 3},
    ],
)
def test_a_meaningless_question_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValidationError):
        SearchQuery(**kwargs)


def test_a_lone_surrogate_is_replaced_so_the_text_can_be_stored() -> None:
    query = SearchQuery(text="hous\ud800ing", area="Leeds\udfff")
    # The module docstring says U+FFFD; `encode(..., "replace")` actually gives "?".
    assert query.text == "hous?ing" and query.area == "Leeds?"


@given(st.text())
def test_any_free_text_is_accepted_and_storable(text: str) -> None:
    SearchQuery(text=text).text.encode("utf-8")
