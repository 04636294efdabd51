"""The directory page: keeper edits, read-only for officers, freshness, corrections, HSDS import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from directory_pages import open_page, reload, shot
from PySide6.QtCore import Qt
from role_helpers import join_another_team

from referral_desk.store.models import Service
from referral_desk.ui.directory_page import DirectoryPage

pytestmark = pytest.mark.gui


@pytest.fixture
def keeper_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    # A fresh database is its team's first manager: a manager may do all a keeper may.
    yield from open_page(app, qtbot)


@pytest.fixture
def officer_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    join_another_team(app.db)  # an officer of a team, granted no role
    yield from open_page(app, qtbot)


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
        shot(dialog, "editor")
        gui.button(dialog, "Save service").click()

    gui.on_next_dialog(fill)
    page.new_service()
    reload(page, qtbot)
    names = [s.name for s in page.services_model.rows()]
    assert names == ["Housing advice"]
    assert app.directory.list_services()[0].organisation_name == "New Leaf Trust"
    assert page.selected_service() is not None  # the new service is selected
    shot(page, "services_keeper")


def test_officer_sees_read_only(
    app: Any, officer_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = officer_page
    page.refresh()
    reload(page, qtbot)
    assert not page.is_keeper and page.note.isVisibleTo(page)
    assert page.select_service(service_id)
    for button in page.edit_buttons:
        assert not button.isEnabled()
    assert not page.import_action.isEnabled()
    assert page.report_button.isEnabled()  # any officer can report a correction
    shot(page, "services_officer")


def test_verified_today_updates_the_table(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = keeper_page
    page.refresh()
    reload(page, qtbot)
    assert page.services_model.rows()[0].assured_date is None
    assert page.select_service(service_id)
    page.verify_button.click()
    reload(page, qtbot)
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
    reload(page, qtbot)
    assert [s.name for s in page.stale_model.rows()] == ["Old Service"]
    assert page.stale_model.rows()[0].months_since == 25
    page.months.setValue(36)  # a longer window: nothing is that old
    reload(page, qtbot)
    assert page.stale_model.rows() == []
    page.months.setValue(12)
    reload(page, qtbot)
    page.tabs.setCurrentIndex(1)
    shot(page, "needs_checking")


def test_reported_correction_reaches_the_inbox_and_accept_resolves_it(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    service_id = gui.add_service("Hope Mentoring")
    page = keeper_page
    page.refresh()
    reload(page, qtbot)
    page.select_service(service_id)

    def report(dialog: Any) -> None:
        dialog.text.setPlainText("The phone number is now 0113 496 0999")
        gui.button(dialog, "Send to directory keeper").click()

    gui.on_next_dialog(report)
    page.report_button.click()
    reload(page, qtbot)
    inbox = page.corrections_model.rows()
    assert [c.service_name for c in inbox] == ["Hope Mentoring"]
    assert "(1)" in page.tabs.tabText(2)
    page.tabs.setCurrentIndex(2)
    page.corrections_view.selectRow(0)
    page.resolution.setText("Phone updated")
    shot(page, "corrections")
    page.accept_button.click()
    reload(page, qtbot)
    assert page.corrections_model.rows() == []
    done = app.directory_admin.corrections("all")
    assert [(c.status, c.resolution_note) for c in done] == [("accepted", "Phone updated")]


def test_services_are_listed_a_to_z(
    app: Any, officer_page: DirectoryPage, qtbot: Any, gui: Any
) -> None:
    for name in ("Zebra Housing", "Alpha Advice", "Middle Mentoring"):
        gui.add_service(name)
    page = officer_page
    page.refresh()
    reload(page, qtbot)
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
    reload(page, qtbot)
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
    reload(page, qtbot)
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
    reload(page, qtbot)
    view = page.services_view
    header = view.horizontalHeader()
    verified = [c.title for c in page.services_model.columns].index("Verified")
    assert header.sectionViewportPosition(verified) < view.viewport().width()
    assert all(header.sectionSize(c) <= 280 for c in range(header.count() - 1))
