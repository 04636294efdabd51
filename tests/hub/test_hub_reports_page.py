"""The Reports page's "Region (hub)" option: commissioners only, suppressed, from the hub."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from role_helpers import grant_own_role
from settling import settle

from referral_desk.ui.reports_page import ReportsPage
from referral_desk.ui.worker import Worker
from referral_desk.usecases.base import Clock

pytestmark = pytest.mark.gui

TODAY = date(2026, 3, 2)


@pytest.fixture
def team(tmp_path: Path, make_team):
    app = make_team(
        tmp_path / "team", "Leeds North", people=40, seed=5, clock=Clock(fixed_today=TODAY)
    )
    yield app
    app.close()


def with_worker(qtbot: Any, widget: Any) -> Any:
    """Give a page built on its own the worker a window gives it (stopped when it closes)."""
    worker = Worker(widget)
    qtbot.addWidget(widget, before_close_func=lambda _w: _stop(qtbot, worker))
    return widget


def page_for(app: Any, qtbot: Any) -> ReportsPage:
    widget = with_worker(qtbot, ReportsPage(app))
    widget.resize(1366, 768)
    widget.show()
    settle(qtbot, widget)
    return widget


def test_only_a_commissioner_sees_the_region_option(team, qtbot):
    page = page_for(team, qtbot)
    assert not page.is_commissioner
    assert not page.scope.isVisibleTo(page)
    grant_own_role(team, "commissioner")
    page = page_for(team, qtbot)
    assert page.scope.isVisibleTo(page)
    assert not page.hub_url.isVisibleTo(page)  # shown once the region is chosen
    page.scope.setCurrentIndex(page.scope.findData("region"))
    assert page.hub_url.isVisibleTo(page) and not page.as_exported.isEnabled()


def test_a_commissioner_runs_and_exports_a_regional_report(
    team, ready_hub, qtbot, monkeypatch, tmp_path
):
    team.hub.push(ready_hub)
    grant_own_role(team, "commissioner")
    page = page_for(team, qtbot)
    page.scope.setCurrentIndex(page.scope.findData("region"))
    page.hub_url.setText(ready_hub)
    page.run_button.click()
    settle(qtbot, page)
    report = page.report
    assert report is not None and report.suppressed_below == 5
    titles = [page.tables.tabText(i) for i in range(page.tables.count())]
    assert "Unmet needs by team" in titles
    assert "Regional reports" in page.status.text()
    assert team.profile.local_setting("hub_url") == ready_hub

    target = tmp_path / "region"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    page.export_buttons["csv"].click()
    settle(qtbot, page)
    written = tmp_path / "region.csv"
    assert "Unmet needs by team" in written.read_text(encoding="utf-8-sig")
    assert shown and str(written) in shown[0]


def test_a_hub_that_cannot_be_reached_shows_one_message(team, qtbot, monkeypatch):
    grant_own_role(team, "commissioner")
    page = page_for(team, qtbot)
    page.scope.setCurrentIndex(page.scope.findData("region"))
    page.hub_url.setText("postgresql://nobody@/hub?host=/nonexistent-dir&port=5999")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    page.run_button.click()
    settle(qtbot, page)
    assert shown and "cannot be reached" in shown[0]
    assert page.run_button.isEnabled()


def _stop(qtbot: Any, worker: Any) -> None:
    """Let the last outcomes arrive (so busy feedback is undone), then stop the worker."""
    settle(qtbot, worker, timeout=10_000)
    worker.stop()
