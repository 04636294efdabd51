"""Reports screen: run a report through the widgets, read its table and chart, export, switch."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTableView
from settling import settle

from referral_desk.ui.reports_page import ReportsPage
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui


def with_worker(qtbot: Any, widget: Any) -> Any:
    """Give a page built on its own the worker a window gives it (stopped when it closes)."""
    worker = Worker(widget)
    qtbot.addWidget(widget, before_close_func=lambda _w: _stop(qtbot, worker))
    return widget


@pytest.fixture
def needs(app: Any) -> dict[str, str]:
    """Two people, four needs in February 2026: three unmet (one "Other"), one met."""
    app.clock.fixed_today = date(2026, 2, 10)
    ann = app.people.add(
        given_name="Ann",
        family_name="Ashworth",
        gender="female",
        setting="community",
        area="West Yorkshire",
    ).id
    bob = app.people.add(
        given_name="Bob",
        family_name="Birchall",
        gender="male",
        setting="community",
        area="West Yorkshire",
    ).id
    app.needs.log(ann, "accommodation", "n/a", unmet="no-service")
    app.needs.log(bob, "accommodation", "n/a", unmet="no-service")
    app.needs.log(bob, "other", "Help with a pet while away", unmet="no-service")
    app.needs.log(ann, "alcohol", "n/a")
    app.clock.fixed_today = date(2026, 3, 2)
    return {"ann": ann, "bob": bob}


@pytest.fixture
def page(app: Any, qtbot: Any) -> ReportsPage:
    widget = with_worker(qtbot, ReportsPage(app))
    widget.resize(1366, 768)
    widget.show()
    settle(qtbot, widget)
    return widget


def cells(view: QTableView) -> dict[str, list[str]]:
    model = view.model()
    return {
        model.index(r, 0).data(): [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    }


def test_defaults_to_the_last_twelve_months(page: ReportsPage) -> None:
    assert page.date_from.value() == date(2025, 4, 1)
    assert page.date_to.value() == date(2026, 3, 2)
    assert page.date_from.text() == "1 April 2025"
    assert page.chooser.currentData() == "unmet-needs"
    assert not page.export_buttons["csv"].isEnabled()
    assert "hide counts below 5" in page.status.text()


def test_unmet_needs_table_chart_and_other_descriptions(
    page: ReportsPage, needs: dict[str, str], qtbot: Any, tmp_path: Path
) -> None:
    qtbot.keyClick(page.date_to, Qt.Key.Key_Return)  # Enter runs the report
    settle(qtbot, page)
    assert page.report is not None and page.report.name == "unmet-needs"
    view = page.current_table_view()
    assert view is not None and view.accessibleName() == "Unmet needs by need category"
    rows = cells(view)
    assert rows["Accommodation"] == ["Accommodation", "2", "0", "0", "0", "2"]
    assert rows["Other"][1] == "1"
    assert rows["Total"] == ["Total", "3", "0", "0", "0", "3"]
    # The totals row stays last when sorting by the total, either way.
    view.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    model = view.model()
    assert model.index(0, 0).data() == "Accommodation"
    assert model.index(model.rowCount() - 1, 0).data() == "Total"
    assert page.chart.bar_count() == 2  # Accommodation and Other
    assert "Accommodation: Total 2" in page.chart.accessibleDescription()
    assert page.other_list.isVisibleTo(page)
    assert page.other_list.item(0).text().endswith("Help with a pet while away")
    page.grab().save(str(tmp_path / "reports.png"))

    # As exported: small counts become markers, shown as text.
    page.as_exported.setChecked(True)
    page.run_button.click()
    settle(qtbot, page)
    rows = cells(page.current_table_view())
    assert rows["Accommodation"][1] == "<5"
    assert rows["Total"][-1] in ("<5", "[c]")
    assert page.report.other_descriptions == ()
    assert page.chart.bar_count() == 0 and "hidden" in page.chart.accessibleDescription()


def test_csv_export_has_no_names(
    qtbot, page: ReportsPage, needs: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page.run_button.click()
    settle(qtbot, page)
    target = tmp_path / "unmet"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    page.export_buttons["csv"].click()
    settle(qtbot, page)
    written = tmp_path / "unmet.csv"
    assert written.is_file()
    text = written.read_text(encoding="utf-8-sig")
    assert list(csv.reader(text.splitlines()))
    for word in ("Ann", "Bob", "Ashworth", "Birchall", "pet"):
        assert word not in text
    assert shown and str(written) in shown[0]


def test_switching_report_shows_its_tables_and_charts(
    qtbot, page: ReportsPage, needs: dict[str, str]
) -> None:
    page.run_button.click()
    settle(qtbot, page)
    for name in ("outcomes", "followups", "freshness"):
        page.chooser.setCurrentIndex(page.chooser.findData(name))
        page.run_button.click()
        settle(qtbot, page)
        assert page.report is not None and page.report.name == name
        assert page.tables.count() == len(page.report.tables)
        assert page.chart_choice.count() == len(page.report.charts)
        assert not page.other_list.isVisibleTo(page)


def test_a_bad_period_shows_an_error(
    qtbot: Any, page: ReportsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    page.date_from.set_value(date(2026, 3, 1))
    page.date_to.set_value(date(2026, 1, 1))
    page.run_button.click()
    settle(qtbot, page)
    assert shown and "from date" in shown[0]
    shown.clear()
    page.date_to.setText("31/02/2026")  # typed like every other date, and checked the same
    page.run_button.click()
    settle(qtbot, page)
    assert shown and "To date is not a real date" in shown[0]
    assert page.report is None and page.run_button.isEnabled()


def test_row_names_stay_in_view_when_the_figures_scroll(demo: Any, qtbot: Any) -> None:
    """At 1366 wide only Provider and Service fitted; scrolling right to the figures lost them."""
    from referral_desk.ui.frozen_table import FrozenColumnTableView

    page = with_worker(qtbot, ReportsPage(demo))
    page.resize(1366, 690)
    page.show()
    qtbot.waitExposed(page)
    settle(qtbot, page)
    page.chooser.setCurrentIndex(page.chooser.findData("outcomes"))
    page.run_report()
    settle(qtbot, page)
    view = page.current_table_view()
    assert isinstance(view, FrozenColumnTableView) and view.frozen_count() == 2
    bar = view.horizontalScrollBar()
    assert bar.maximum() > 0  # the figures do not all fit: there is something to scroll to
    bar.setValue(bar.maximum())
    qtbot.wait(10)
    names = view.frozen_view
    shown = names.viewport().visibleRegion().boundingRect()
    assert names.isVisible() and shown == names.viewport().rect()  # on top, nothing over it
    assert names.geometry().left() == view.frameWidth()
    assert names.width() == view.columnWidth(0) + view.columnWidth(1)
    assert not names.isColumnHidden(0) and names.isColumnHidden(2)
    model = view.model()
    assert names.model() is model
    assert names.visualRect(model.index(0, 0)).isValid()
    # Both tables show the same rows, sorted and selected together.
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert names.horizontalHeader().sortIndicatorSection() == 0
    view.selectRow(1)
    assert names.selectionModel() is view.selectionModel()
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    assert names.verticalScrollBar().value() == view.verticalScrollBar().value()


def _stop(qtbot: Any, worker: Any) -> None:
    """Let the last outcomes arrive (so busy feedback is undone), then stop the worker."""
    settle(qtbot, worker, timeout=10_000)
    worker.stop()
