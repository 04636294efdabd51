"""Language names to ISO 639 codes and back, for HSDS `languages.code`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.languages import language_code, language_name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Welsh", "cy"),
        ("  british   SIGN language ", "bfi"),
        ("BSL", "bfi"),
        ("Kurdish (Sorani)", "ckb"),
        ("Dari", "prs"),
    ],
)
def test_a_known_name_gives_its_code_whatever_the_case_and_spacing(name: str, code: str) -> None:
    assert language_code(name) == code


@pytest.mark.parametrize("name", ["Klingon", "", "   "])
def test_an_unknown_name_exports_without_a_code_never_a_guess(name: str) -> None:
    assert language_code(name) == ""


def test_a_code_gives_the_first_name_listed_for_it_in_title_case() -> None:
    assert language_name("cy") == "Welsh"
    assert language_name(" BFI ") == "British Sign Language"
    assert language_name("fa") == "Farsi"  # not "Persian", listed after it
    assert language_name("xx") == ""


@given(st.sampled_from(["cy", "pl", "ckb", "bfi", "yue", "gd", "rom"]))
def test_a_code_round_trips_through_its_name(code: str) -> None:
    assert language_code(language_name(code)) == code


@given(st.text(max_size=40))
def test_any_text_is_looked_up_without_failing(text: str) -> None:
    assert isinstance(language_code(text), str)
    assert isinstance(language_name(text), str)
