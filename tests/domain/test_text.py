"""One rule for control characters at every input (issue: NUL/ANSI in names, XLSX refusals)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.text import clean_line, clean_text, has_controls, printable


def test_line_turns_controls_and_breaks_into_single_spaces() -> None:
    assert clean_line("  Ann\x00\x1b[31m  Smith\r\nJr\t ") == "Ann [31m Smith Jr"
    assert clean_line(None) == ""
    assert clean_line("Siân ap Rhys‮evil") == "Siân ap Rhys evil"


def test_text_keeps_paragraphs_and_drops_other_controls() -> None:
    assert clean_text("Line one\r\nLine two\rThree\x07\x00\tend  ") == (
        "Line one\nLine two\nThree end"
    )
    assert clean_text("\x1b[2J") == "[2J"


def test_printable_escapes_controls_for_terminals() -> None:
    assert printable("A\x1b[31mB\x00") == "A\\x1b[31mB\\x00"
    assert printable("Łukasiewicz") == "Łukasiewicz"


@given(st.text())
def test_cleaners_leave_no_controls_and_are_idempotent(value: str) -> None:
    line, text = clean_line(value), clean_text(value)
    assert not has_controls(line)
    assert not has_controls(text.replace("\n", ""))
    assert clean_line(line) == line
    assert clean_text(text) == text
    assert not has_controls(printable(value))


@given(st.text())
def test_json_printable_keeps_the_json_and_leaves_no_raw_control(value: str) -> None:
    import json

    from referral_desk.domain.text import json_printable

    dumped = json.dumps({"v": value, "w": [value]}, ensure_ascii=False, indent=2)
    safe = json_printable(dumped)
    assert json.loads(safe) == {"v": value, "w": [value]}
    assert not has_controls(safe.replace("\n", ""))
