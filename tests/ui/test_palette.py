"""One palette: every colour of the client is named in `ui/palette.py`, and text stays readable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import referral_desk.ui as ui_package
from referral_desk.ui import palette

HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_no_ui_module_spells_out_a_colour_of_its_own() -> None:
    folder = Path(ui_package.__file__).parent
    found = {
        path.name: HEX.findall(path.read_text(encoding="utf-8"))
        for path in folder.glob("*.py")
        if path.name != "palette.py"
    }
    assert {name: colours for name, colours in found.items() if colours} == {}


@pytest.mark.parametrize(
    "text",
    ["ERROR", "WARNING", "CAUTION", "NOTE", "INFO", "INFO_TEXT", "GOOD", "MUTED", "STALE"],
)
def test_text_colours_are_readable_on_white(text: str) -> None:
    assert contrast(getattr(palette, text), "#ffffff") >= 4.5


@pytest.mark.parametrize("kind", ["error", "warning", "info"])
def test_banner_text_is_readable_on_its_background(kind: str) -> None:
    style = dict(
        part.strip().split(": ", 1)
        for part in palette.banner_style(kind).split(";")
        if part.strip()
    )
    assert contrast(style["color"], style["background"]) >= 4.5
    assert style["border"].startswith("1px solid #")
