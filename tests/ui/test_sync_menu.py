"""The Sync menu's actions: texts, shortcuts and their entry points."""

from __future__ import annotations

import pytest
import sync_gui
from PySide6.QtWidgets import QWidget

pytestmark = pytest.mark.gui

# The shared fixtures (tests/sync_gui.py) this module uses.
no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads


def test_sync_actions_have_menu_texts_and_shortcuts(qtbot, app) -> None:
    from referral_desk.ui.sync_menu import SYNC_MENU, make_sync_actions

    parent = QWidget()
    qtbot.addWidget(parent)
    calls: list[str] = []
    actions = make_sync_actions(app, parent, lambda: calls.append("reload"))
    assert set(actions) == {n for n in SYNC_MENU if n}
    assert actions["sync_now"].shortcut().toString() == "F9"
    assert actions["sync_conflicts"].shortcut().toString() == "Shift+F9"
    assert all(a.text() and a.statusTip() for a in actions.values())
    assert calls == []
