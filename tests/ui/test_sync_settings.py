"""Sync settings: the shared folder, the team passphrase (remembered or not), the site id."""

from __future__ import annotations

import pytest
import sync_gui
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog
from sync_gui import PASSPHRASE, WAIT_MS, open_dialog, saved

from referral_desk.ui.sync_settings import SyncSettingsDialog
from referral_desk.usecases.passphrase_store import SERVICE_NAME

pytestmark = pytest.mark.gui

# The shared fixtures (tests/sync_gui.py) this module uses.
no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads
host = sync_gui.host
memory_keyring = sync_gui.memory_keyring
store = sync_gui.store


def test_settings_choose_folder_and_remember_passphrase(
    host, qtbot, app, store, memory_keyring, monkeypatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(store))
    dialog = open_dialog(qtbot, SyncSettingsDialog(app, host))
    site = app.sync.site_id()
    assert dialog.site_edit.text() == site and dialog.site_edit.isReadOnly()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == site
    assert dialog.remember_check.isEnabled() and dialog.remember_check.isChecked()
    assert dialog.confirm_edit.isVisible(), "a first passphrase is typed twice"

    dialog.browse_button.click()
    assert dialog.store_edit.text() == str(store)
    qtbot.keyClicks(dialog.passphrase_edit, "short")
    dialog.save_button.click()
    assert "at least 8 characters" in dialog.passphrase_error.text()
    dialog.passphrase_edit.setText(PASSPHRASE)
    qtbot.keyClicks(dialog.confirm_edit, PASSPHRASE + "x")
    dialog.save_button.click()
    assert dialog.passphrase_error.text() == "The two passphrases are not the same."
    assert app.sync.get_store() is None and memory_keyring.items == {}, "nothing saved yet"

    dialog.confirm_edit.setText(PASSPHRASE)
    dialog.save_button.click()
    saved(qtbot, dialog)
    assert dialog.result() == SyncSettingsDialog.DialogCode.Accepted
    assert app.sync.get_store() == str(store)
    assert memory_keyring.items == {(SERVICE_NAME, site): PASSPHRASE}

    again = open_dialog(qtbot, SyncSettingsDialog(app, host))
    assert again.store_edit.text() == str(store)
    assert again.remember_check.isChecked() and not again.confirm_edit.isVisible()
    assert "Remembered" in again.passphrase_edit.placeholderText()
    again.remember_check.setChecked(False)
    assert not again.passphrase_edit.isEnabled()
    again.save_button.click()
    saved(qtbot, again)
    assert memory_keyring.items == {}, "unticking Remember forgets the passphrase"


def test_settings_without_a_password_store_asks_each_time(host, qtbot, app, store) -> None:
    dialog = open_dialog(qtbot, SyncSettingsDialog(app, host))
    assert not dialog.remember_check.isEnabled() and not dialog.remember_check.isChecked()
    assert not dialog.passphrase_edit.isEnabled()
    assert "asks for it each time" in dialog.passphrase_note.text()
    dialog.store_edit.setText(str(store))
    dialog.save_button.click()
    saved(qtbot, dialog)
    assert dialog.result() == SyncSettingsDialog.DialogCode.Accepted
    assert app.sync.get_store() == str(store)


def test_settings_refuse_a_folder_that_is_not_there(host, qtbot, app, tmp_path) -> None:
    dialog = open_dialog(qtbot, SyncSettingsDialog(app, host))
    dialog.store_edit.setText(str(tmp_path / "no such share"))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(dialog.store_error.text()), timeout=WAIT_MS)
    assert dialog.isVisible()
    assert "does not exist or cannot be reached" in dialog.store_error.text()
    assert app.sync.get_store() is None


def test_settings_check_the_passphrase_as_it_is_typed(host, qtbot, app, memory_keyring) -> None:
    dialog = open_dialog(qtbot, SyncSettingsDialog(app, host))
    qtbot.keyClicks(dialog.passphrase_edit, "short")
    # Said before Save (and long before a preview and Apply), with the strength.
    assert "at least 8 characters" in dialog.passphrase_error.text()
    assert not dialog.strength.isVisible()  # the line above says it
    qtbot.keyClicks(dialog.passphrase_edit, " but longer now")
    assert dialog.passphrase_error.text() == ""
    assert dialog.strength.text().startswith("Strength: Strong — 20 characters")
    qtbot.keyClicks(dialog.confirm_edit, "short b")
    assert "not the same" in dialog.passphrase_error.text()
    qtbot.keyClicks(dialog.confirm_edit, "ut longer now")
    assert dialog.passphrase_error.text() == ""
