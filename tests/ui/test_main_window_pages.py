"""Directory, Reports and Sync are reachable from the main window by keyboard and menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def test_directory_and_reports_pages_by_shortcut(qtbot, window) -> None:
    qtbot.waitUntil(window.is_settled)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "directory"
    assert window.stack.currentWidget() is window.directory_page
    qtbot.waitUntil(window.is_settled)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "reports"
    assert window.nav.tabText(4) == "Reports"


def test_sync_and_directory_menus_and_print_action(window) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Sync" in titles and "&Directory" in titles
    assert titles.index("&Sync") < titles.index("&Help")
    assert window.actions_by_name["sync_now"].shortcut().toString() == "F9"
    assert window.actions_by_name["print_today"].isEnabled()
