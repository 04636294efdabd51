"""The passphrase strength rule: simple, explainable, monotonic in length."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.passphrase import MIN_LENGTH, passphrase_strength


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("", "Too short"),
        ("abc1234", "Too short"),
        ("abcdefgh", "Weak"),
        ("Abcdef1!", "Fair"),  # 8 characters but three kinds
        ("abcdefghijkl", "Fair"),
        ("correct horse battery", "Strong"),
        ("CorrectHorse2026", "Strong"),
        ("a" * 20, "Strong"),
    ],
)
def test_examples(text: str, label: str) -> None:
    assert passphrase_strength(text).label == label


def test_the_reason_says_what_was_counted() -> None:
    strength = passphrase_strength("abc1234")
    assert not strength.acceptable
    assert f"at least {MIN_LENGTH} characters" in strength.reason
    assert "7 characters" in strength.reason
    assert passphrase_strength("correct horse battery").reason == "21 characters, 2 kinds"


@given(st.text(max_size=40), st.text(min_size=1, max_size=10))
def test_adding_characters_never_makes_it_weaker(text: str, more: str) -> None:
    assert passphrase_strength(text + more).level >= passphrase_strength(text).level


@given(st.text(max_size=40))
def test_only_short_ones_are_refused(text: str) -> None:
    assert passphrase_strength(text).acceptable == (len(text) >= MIN_LENGTH)
