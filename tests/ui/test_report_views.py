"""A report's chart and table on screen: labels cut short are whole in a tooltip."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.gui


def test_chart_labels_cut_short_show_whole_as_a_tooltip(qtbot: Any) -> None:
    from PySide6.QtCore import QPointF

    from referral_desk.reports.model import ChartData, Series
    from referral_desk.ui.report_views import BarChart

    long = "Release and resettlement practical support at the gate"
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data(ChartData("k", "Unmet needs", ("Debt", long), (Series("Unmet", (3, 4)),)))
    chart.resize(300, chart.sizeHint().height())
    chart.grab()  # paints: the label rectangles are where they were drawn
    (short_rect, *_), (long_rect, *_) = chart._label_rects
    assert chart.label_tip(QPointF(long_rect.center())) == long
    assert chart.label_tip(QPointF(short_rect.center())) == ""
