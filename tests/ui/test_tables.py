"""Table helpers: sort keys for optional dates, and cut-off cells shown whole in a tooltip."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView, QToolTip

from referral_desk.ui.tables import day_number, tip_elided_cells

pytestmark = pytest.mark.gui


def test_cut_off_table_cells_show_their_whole_text_as_a_tooltip(qtbot: Any) -> None:
    model = QStandardItemModel(2, 1)
    model.setItem(0, 0, QStandardItem("Short"))
    model.setItem(1, 0, QStandardItem("A very long note " * 20))
    view = tip_elided_cells(QTableView())
    qtbot.addWidget(view)
    view.setModel(model)
    view.setColumnWidth(0, 120)
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)

    def tip_for(row: int) -> str:
        QToolTip.hideText()
        rect = view.visualRect(model.index(row, 0))
        pos = rect.center()
        event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
        view.viewportEvent(event)
        return QToolTip.text() if QToolTip.isVisible() else ""

    assert tip_for(0) == ""
    assert "A very long note A very long note" in tip_for(1)
    QToolTip.hideText()


def test_day_number_orders_dates_and_blanks() -> None:
    assert day_number(None) < day_number(date(1900, 1, 1)) < day_number(date(2026, 3, 2))


def test_item_roles_are_defined_once_and_never_share_a_number() -> None:
    """SORT_ROLE was UserRole in one module and UserRole+1 in two others, where UserRole+1
    was ROW_ROLE: a proxy and a model could disagree on what a role means, silently."""
    import re
    from pathlib import Path

    from referral_desk.ui import tables

    roles = {name: int(value) for name, value in vars(tables).items() if name.endswith("_ROLE")}
    assert len(set(roles.values())) == len(roles), roles
    defines = re.compile(r"^\w+_ROLE\s*=|UserRole\s*\+", re.MULTILINE)
    elsewhere = [
        path.name
        for path in Path(tables.__file__).parent.glob("*.py")
        if path.name != "tables.py" and defines.search(path.read_text("utf-8"))
    ]
    assert elsewhere == []
