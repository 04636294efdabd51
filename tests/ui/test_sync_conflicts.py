"""Sync conflicts: listed with both values, who and when; Keep mine / Keep theirs resolves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sync_gui
from sync_gui import PASSPHRASE, WAIT_MS, open_dialog, table_rows, wait_state
from unlocking import connect as connect_db

from referral_desk.ui.sync_conflicts import ConflictsDialog
from referral_desk.ui.sync_dialogs import ImportFileDialog, SyncNowDialog

pytestmark = pytest.mark.gui

# The shared fixtures (tests/sync_gui.py) this module uses.
no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads
host = sync_gui.host
site_b = sync_gui.site_b
store = sync_gui.store


def _conflict(app: Any, site_b: Any, store: Path) -> str:
    """The same first name changed on both sites before either saw the other's change."""
    pid = app.people.add(given_name="Anne", family_name="Quux", date_of_birth="1980-05-06").id
    app.sync.sync_now(store, PASSPHRASE)
    site_b.sync.sync_now(store, PASSPHRASE)
    app.people.update(pid, given_name="Annabel")
    site_b.people.update(pid, given_name="Annie")
    app.sync.sync_now(store, PASSPHRASE)
    return pid


def test_conflict_is_previewed_listed_and_keep_theirs_resolves_it(
    host, qtbot, app, site_b, store
) -> None:
    pid = _conflict(app, site_b, store)
    site_b.sync.set_store(store)
    sync = open_dialog(qtbot, SyncNowDialog(site_b, host, passphrase=PASSPHRASE))
    wait_state(qtbot, sync, "preview")
    assert table_rows(sync.counts)["Conflicts to review"] == "1"
    assert "both values will be kept for you to review" in sync.notes.text()
    sync.apply_button.click()
    wait_state(qtbot, sync, "done")
    qtbot.waitUntil(sync.conflicts_button.isVisible, timeout=WAIT_MS)
    sync.close_button.click()

    dialog = open_dialog(qtbot, ConflictsDialog(site_b, host))
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=WAIT_MS)
    model = dialog.model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    current = site_b.people.get(pid).given_name
    assert cells[0] == "Edited on both"
    assert cells[1] == f"Person: {current} Quux"
    assert cells[2] == "First name"
    assert (cells[3], cells[4]) == ("Annie", "Sam Patel")
    assert (cells[6], cells[7]) == ("Annabel", "Alex Morgan")
    assert cells[5] and cells[8], "both changes say when"
    assert dialog.mine_value.text() == "Annie" and dialog.theirs_value.text() == "Annabel"
    assert dialog.mine_by.text() == "Sam Patel" and dialog.theirs_by.text() == "Alex Morgan"
    assert "applied now" in (dialog.mine_box.title() + dialog.theirs_box.title())
    assert dialog.keep_mine_button.isEnabled() and dialog.keep_theirs_button.isEnabled()

    with qtbot.waitSignal(dialog.loaded, timeout=WAIT_MS):
        dialog.keep_theirs_button.click()
    assert dialog.changed
    assert dialog.model.rowCount() == 0 and dialog.empty_label.isVisible()
    assert dialog.status.text().startswith("Kept their value for Person")
    assert site_b.people.get(pid).given_name == "Annabel"
    assert site_b.sync.list_conflicts() == []
    (kept,) = site_b.sync.list_conflicts(include_resolved=True)
    assert kept.kept == "remote"


def test_change_stamped_a_day_ahead_is_listed_for_review(
    host, qtbot, app, site_b, tmp_path
) -> None:
    pid = app.people.add(given_name="Ben", family_name="Quux", date_of_birth="1980-05-06").id
    usb = tmp_path / "a.rdsync"
    app.sync.export_file(usb, PASSPHRASE)
    site_b.sync.import_file(usb, PASSPHRASE)
    with connect_db(site_b.data_path) as conn:  # B's clock is two days fast
        ahead = (conn.execute("SELECT hlc FROM site_state").fetchone()[0] >> 16) + 2 * 86_400_000
        conn.execute("UPDATE site_state SET hlc = ?", (ahead << 16,))
    conn.close()
    site_b.people.update(pid, family_name="Ahead")
    back = tmp_path / "b.rdsync"
    site_b.sync.export_file(back, PASSPHRASE)

    dialog = open_dialog(qtbot, ImportFileDialog(app, back, host, passphrase=PASSPHRASE))
    wait_state(qtbot, dialog, "preview")
    assert int(table_rows(dialog.counts)["Changes stamped more than a day ahead"]) >= 1
    assert "stamped more than a day ahead of this computer's clock" in dialog.notes.text()
    dialog.apply_button.click()
    wait_state(qtbot, dialog, "done")

    conflicts = open_dialog(qtbot, ConflictsDialog(app, host))
    qtbot.waitUntil(lambda: conflicts.model.rowCount() == 1, timeout=WAIT_MS)
    row = conflicts.model.row_at(0)
    assert row.kind == "Clock ahead" and row.field == "Last name" and row.theirs == "Ahead"
    with qtbot.waitSignal(conflicts.loaded, timeout=WAIT_MS):
        conflicts.keep_mine_button.click()
    assert app.people.get(pid).family_name == "Quux"
