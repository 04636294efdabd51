"""Shared widgets: text an officer typed is never silently cut (elided with a tooltip, or
wrapped anywhere), whatever its length."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from referral_desk.ui.elided import ZERO_WIDTH_SPACE, ElidedLabel, breakable, full_text_tip

pytestmark = pytest.mark.gui

UNBROKEN = "x" * 4000


def test_breakable_marks_long_runs_only() -> None:
    assert breakable("Needs a flat near the bus route") == "Needs a flat near the bus route"
    marked = breakable(UNBROKEN)
    assert marked.replace(ZERO_WIDTH_SPACE, "") == UNBROKEN
    assert max(len(run) for run in marked.split(ZERO_WIDTH_SPACE)) <= 24


def test_full_text_tip_is_wrapping_rich_text_with_the_whole_text() -> None:
    tip = full_text_tip("a <b> & c\nsecond line")
    assert tip.startswith("<p>") and "a &lt;b&gt; &amp; c<br>second line" in tip
    assert full_text_tip("  ") == ""


@pytest.mark.parametrize("lines", [1, 3])
def test_elided_label_stays_small_and_keeps_the_whole_text(qtbot: Any, lines: int) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    box = QVBoxLayout(host)
    label = ElidedLabel(UNBROKEN, max_lines=lines)
    box.addWidget(label)
    host.resize(400, 200)
    host.show()
    qtbot.waitExposed(host)
    assert label.minimumSizeHint().width() < 100
    assert host.minimumSizeHint().width() < 200
    assert label.text() == UNBROKEN
    assert label.is_elided() and UNBROKEN[:100] in label.toolTip().replace(ZERO_WIDTH_SPACE, "")
    shown = label._lines(label.contentsRect().width())[0]
    assert len(shown) == lines and shown[-1].endswith("…")
    label.setText("Short")
    assert not label.is_elided() and label.toolTip() == ""


def test_elided_label_wraps_words_before_eliding(qtbot: Any) -> None:
    label = ElidedLabel("one two three four five six seven", max_lines=3)
    qtbot.addWidget(label)
    width = label.fontMetrics().horizontalAdvance("one two three") + 4
    lines, elided = label._lines(width)
    assert not elided and lines[0].strip() == "one two three"
    assert label.heightForWidth(width) == 3 * label.fontMetrics().lineSpacing()
