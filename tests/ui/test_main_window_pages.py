"""Directory, Reports and Sync are reachable from the main window by keyboard and menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from settling import settle

pytestmark = pytest.mark.gui


def test_directory_and_reports_pages_by_shortcut(qtbot, window) -> None:
    settle(qtbot, window)
    # Built when first shown, not at start-up.
    assert not window._directory_slot.is_built() and not window._reports_slot.is_built()
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "directory"
    assert window._directory_slot.is_built() and window.directory_page.isVisible()
    assert window.stack.currentWidget().page is window.directory_page
    settle(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "reports"
    assert window.nav.tabText(4) == "Reports"
    assert window.reports_page.isVisible()
    # Shown for the first time, the page runs the chosen report by itself.
    qtbot.waitUntil(lambda: window.reports_page.current_table_view() is not None)
    assert "Choose a report" not in window.reports_page.title.text()


def test_directory_menu_offers_the_page_actions_before_the_page_is_opened(qtbot, window) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Directory")
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert texts == ["&Report a correction…", "&Import HSDS package…", "E&xport HSDS package…"]
    menu.aboutToShow.emit()  # shown again: the same three, not six
    assert len(menu.actions()) == 3
    assert window.current_page() == "my_day"


def test_sync_and_directory_menus_and_print_action(window) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Sync" in titles and "&Directory" in titles
    assert titles.index("&Sync") < titles.index("&Help")
    assert window.actions_by_name["sync_now"].shortcut().toString() == "F9"
    assert window.actions_by_name["print_today"].isEnabled()
