"""Opening times read into weekly schedule rows (HSDS `schedules`), or left as free text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_desk.demo import content as demo_content
from referral_desk.domain.languages import language_code, language_name
from referral_desk.domain.opening_times import Opening, describe, parse_line

WEEKDAYS = (0, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 9:00-17:00", [(WEEKDAYS, "09:00", "17:00")]),
        ("Tue & Thu 10am-2pm", [((1, 3), "10:00", "14:00")]),
        ("Mon–Fri 9:30–4:30", [(WEEKDAYS, "09:30", "16:30")]),
        ("Mon–Thu 9–5, Fri 9–4:30", [((0, 1, 2, 3), "09:00", "17:00"), ((4,), "09:00", "16:30")]),
        ("Tue and Thu 10:00–2:00", [((1, 3), "10:00", "14:00")]),
        ("Mon–Fri 8:30–6, Sat 10–1", [(WEEKDAYS, "08:30", "18:00"), ((5,), "10:00", "13:00")]),
        ("Monday to Friday 9am to 5pm", [(WEEKDAYS, "09:00", "17:00")]),
        ("Wed 1-3", [((2,), "13:00", "15:00")]),
        ("Mon 6-9pm", [((0,), "18:00", "21:00")]),
        ("Sat 10:00-13:30", [((5,), "10:00", "13:30")]),
    ],
)
def test_common_forms_are_read(text: str, expected: list[tuple[tuple[int, ...], str, str]]) -> None:
    assert parse_line(text) == tuple(Opening(d, o, c) for d, o, c in expected)


@pytest.mark.parametrize(
    "text",
    [
        "24 hours (helpline); office Mon–Fri 9–5",
        "Evenings Tue–Thu 6–9pm",
        "By appointment",
        "Mon, Wed, Fri 10–3; drop-in Wed 1–3",
        "Sat 11pm-2am",
        "Fri-Mon 9-5",
        "Mon 9:75-10",
        "",
    ],
)
def test_other_text_stays_free_text(text: str) -> None:
    assert parse_line(text) is None


def test_most_demo_opening_times_are_structured() -> None:
    read = [t for t in demo_content.OPENING_TIMES if parse_line(t)]
    assert len(read) >= len(demo_content.OPENING_TIMES) // 2


@given(st.text(max_size=60))
def test_any_text_is_read_or_left_alone_never_an_error(text: str) -> None:
    found = parse_line(text)
    for opening in found or ():
        assert opening.days and opening.opens < opening.closes


def test_structured_rows_are_described_in_words() -> None:
    assert describe("MO,TU,WE", "09:00:00", "17:00:00") == "Mon, Tue, Wed 09:00–17:00"
    assert describe("", "", "") == ""


def test_language_codes() -> None:
    assert (language_code("Welsh"), language_code(" british  sign language")) == ("cy", "bfi")
    assert language_code("Klingon") == ""
    assert language_name("ur") == "Urdu" and language_name("xx") == ""
    missing = [n for n in ["English", *demo_content.LANGUAGES_EXTRA] if not language_code(n)]
    assert missing == []
