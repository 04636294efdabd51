"""The directory page: keeper edits, read-only for officers, freshness, corrections, HSDS import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE as EXAMPLE
from legacy_packages import V11_FILES, oruk_service, write_csvs, write_json
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel
from role_helpers import join_another_team

from referral_desk.store.models import Service
from referral_desk.ui.directory_page import DirectoryPage
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui

SHOTS = Path("/tmp/shots")


def _page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    page = DirectoryPage(app)
    worker = Worker(page)  # the window's worker, as ui.ops finds it
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    qtbot.waitUntil(page.is_settled, timeout=5000)
    yield page
    qtbot.waitUntil(page.is_settled, timeout=5000)
    worker.stop()


@pytest.fixture
def keeper_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    # A fresh database is its team's first manager: a manager may do all a keeper may.
    yield from _page(app, qtbot)


@pytest.fixture
def officer_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    join_another_team(app.db)  # an officer of a team, granted no role
    yield from _page(app, qtbot)


def _reload(page: DirectoryPage, qtbot: Any) -> None:
    qtbot.waitUntil(page.is_settled, timeout=5000)


def _shot(page: Any, name: str) -> None:
    if SHOTS.is_dir():
        page.grab().save(str(SHOTS / f"{name}.png"))


def test_keeper_creates_a_service_through_the_editor(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    page = keeper_page
    assert page.is_keeper and not page.note.isVisibleTo(page)
    assert page.new_button.isEnabled()

    def fill(dialog: Any) -> None:
        dialog.org_name.setText("New Leaf Trust")
        dialog.name.setText("Housing advice")
        dialog.areas.setText("Leeds")
        _shot(dialog, "editor")
        gui.button(dialog, "Save service").click()

    gui.on_next_dialog(fill)
    page.new_service()
    _reload(page, qtbot)
    names = [s.name for s in page.services_model.rows()]
    assert names == ["Housing advice"]
    assert app.directory.list_services()[0].organisation_name == "New Leaf Trust"
    assert page.selected_service() is not None  # the new service is selected
    _shot(page, "services_keeper")


def test_officer_sees_read_only(
    app: Any, officer_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = officer_page
    page.refresh()
    _reload(page, qtbot)
    assert not page.is_keeper and page.note.isVisibleTo(page)
    assert page.select_service(service_id)
    for button in page.edit_buttons:
        assert not button.isEnabled()
    assert not page.import_action.isEnabled()
    assert page.report_button.isEnabled()  # any officer can report a correction
    _shot(page, "services_officer")


def test_verified_today_updates_the_table(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = keeper_page
    page.refresh()
    _reload(page, qtbot)
    assert page.services_model.rows()[0].assured_date is None
    assert page.select_service(service_id)
    page.verify_button.click()
    _reload(page, qtbot)
    row = page.services_model.rows()[0]
    assert row.assured_date == app.clock.today() and row.assurer == "Alex Morgan"
    col = [c.title for c in page.services_model.columns].index("Verified")
    assert page.services_model.index(0, col).data() == "2 Mar 2026"
    assert page.stale_model.rows() == []  # verified today is not stale


def test_stale_list_shows_an_old_service(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    old = gui.add_service("Old Service")
    gui.add_service("Fresh Service")
    with app.db.write() as session:
        for svc in session.query(Service):
            svc.assured_date = date(2024, 1, 5) if svc.id == old else date(2026, 2, 1)
    page = keeper_page
    page.refresh()
    _reload(page, qtbot)
    assert [s.name for s in page.stale_model.rows()] == ["Old Service"]
    assert page.stale_model.rows()[0].months_since == 25
    page.months.setValue(36)  # a longer window: nothing is that old
    _reload(page, qtbot)
    assert page.stale_model.rows() == []
    page.months.setValue(12)
    _reload(page, qtbot)
    page.tabs.setCurrentIndex(1)
    _shot(page, "needs_checking")


def test_reported_correction_reaches_the_inbox_and_accept_resolves_it(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = keeper_page
    page.refresh()
    _reload(page, qtbot)
    page.select_service(service_id)

    def report(dialog: Any) -> None:
        dialog.text.setPlainText("The phone number is now 0113 496 0999")
        gui.button(dialog, "Send to directory keeper").click()

    gui.on_next_dialog(report)
    page.report_button.click()
    _reload(page, qtbot)
    inbox = page.corrections_model.rows()
    assert [c.service_name for c in inbox] == ["Hope Mentoring"]
    assert "(1)" in page.tabs.tabText(2)
    page.tabs.setCurrentIndex(2)
    page.corrections_view.selectRow(0)
    page.resolution.setText("Phone updated")
    _shot(page, "corrections")
    page.accept_button.click()
    _reload(page, qtbot)
    assert page.corrections_model.rows() == []
    done = app.directory_admin.corrections("all")
    assert [(c.status, c.resolution_note) for c in done] == [("accepted", "Phone updated")]


def test_import_example_package_preview_then_apply(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = keeper_page
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *a, **k: (str(EXAMPLE / "datapackage.json"), "")),
    )
    page.import_action.trigger()
    qtbot.waitUntil(lambda: page.preview_dialog is not None, timeout=10000)
    dialog = page.preview_dialog
    assert dialog is not None and app.directory.list_services() == []
    report = dialog.report
    assert report.dry_run and report.counts["service"]["new"] >= 1
    rows = [dialog.counts.verticalHeaderItem(r).text() for r in range(dialog.counts.rowCount())]
    assert "Services" in rows
    r = rows.index("Services")
    assert dialog.counts.item(r, 0).text() == str(report.counts["service"]["new"])
    assert dialog.rejected.rowCount() == len(report.rejected) + len(report.warnings)
    _shot(dialog, "import_preview")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: page.last_report is not None, timeout=20000)
    _reload(page, qtbot)
    assert page.last_report.applied
    assert len(page.services_model.rows()) == report.counts["service"]["new"] >= 1
    assert "Imported" in page.result.text()
    assert QApplication.activeModalWidget() is None  # busy indicator closed


def test_services_are_listed_a_to_z(
    app: Any, officer_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    for name in ("Zebra Housing", "Alpha Advice", "Middle Mentoring"):
        gui.add_service(name)
    page = officer_page
    page.refresh()
    _reload(page, qtbot)
    proxy = page.services_proxy
    assert [proxy.record(r).name for r in range(proxy.rowCount())] == [
        "Alpha Advice",
        "Middle Mentoring",
        "Zebra Housing",
    ]
    header = page.services_view.horizontalHeader()
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder


def test_a_filter_that_matches_nothing_says_why_and_clears(
    app: Any, officer_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    gui.add_service("Hope Mentoring")
    page = officer_page
    page.refresh()
    _reload(page, qtbot)
    assert not page.empty_panel.isVisible() and page.services_view.isVisible()
    page.status_filter.setCurrentText("active")
    qtbot.keyClicks(page.filter, "xyz")
    assert page.services_proxy.rowCount() == 0
    assert page.empty_panel.isVisible() and not page.services_view.isVisible()
    text = page.empty_label.text()
    assert "No services match “xyz” with the status active" in text and "all 1" in text
    qtbot.mouseClick(page.clear_filters_button, Qt.MouseButton.LeftButton)
    assert page.filter.text() == "" and page.status_filter.currentIndex() == 0
    assert page.services_proxy.rowCount() == 1 and page.services_view.isVisible()
    assert not page.empty_panel.isVisible()


def test_an_empty_directory_says_how_services_arrive(
    officer_page: DirectoryPage, qtbot: Any
) -> None:
    page = officer_page
    _reload(page, qtbot)
    assert page.empty_panel.isVisible()
    assert "no services yet" in page.empty_label.text()
    assert not page.clear_filters_button.isVisible()


def test_a_long_organisation_name_leaves_the_other_columns_in_view(
    app: Any, officer_page: DirectoryPage, qtbot: Any
) -> None:
    with app.db.write() as session:
        from referral_desk.store.models import Organisation

        org = Organisation(name="Maximiliana" + "x" * 189)
        session.add_all([org, Service(name="Hope Mentoring", organisation_id=org.id)])
    page = officer_page
    page.refresh()
    _reload(page, qtbot)
    view = page.services_view
    header = view.horizontalHeader()
    verified = [c.title for c in page.services_model.columns].index("Verified")
    assert header.sectionViewportPosition(verified) < view.viewport().width()
    assert all(header.sectionSize(c) <= 280 for c in range(header.count() - 1))


def test_import_preview_of_oruk_json_names_the_form(
    app: Any,
    keeper_page: DirectoryPage,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    feed = write_json(tmp_path / "feed.json", {"contents": [oruk_service(1), oruk_service(2)]})
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(feed), ""))
    )
    page = keeper_page
    page.import_action.trigger()
    qtbot.waitUntil(lambda: page.preview_dialog is not None, timeout=10000)
    dialog = page.preview_dialog
    assert dialog is not None
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert any("Detected: HSDS 3.0 JSON" in t for t in texts)
    assert dialog.report.counts["service"]["new"] == 2
    dialog.reject()
    assert app.directory.list_services() == []


def test_import_of_package_whose_services_all_fail_says_why_in_one_line(
    app: Any,
    keeper_page: DirectoryPage,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    files = {k: v for k, v in V11_FILES.items() if k != "organizations.csv"}
    picked = write_csvs(tmp_path / "pkg", files) / "services.csv"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(picked), ""))
    )
    page = keeper_page
    page.import_action.trigger()
    qtbot.waitUntil(lambda: "rejected" in page.result.text(), timeout=10000)
    assert page.preview_dialog is None
    assert "HSDS 1.1 tabular package" in page.result.text()
    assert app.directory.list_services() == []
