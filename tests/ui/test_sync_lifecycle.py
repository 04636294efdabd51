"""Sync ▸ Write team snapshot and Sync ▸ Change team passphrase, driven through their dialogs
between two real sites and a shared folder (set-up in tests/sync_gui.py); and a colleague's
sync after the change, which asks for the new passphrase and carries on."""

from __future__ import annotations

import pytest
import sync_gui
from sync_gui import PASSPHRASE, caseload, open_dialog, wait_state

from referral_desk.sync.bundle import is_bundle_name
from referral_desk.sync.lifecycle import REJOINED
from referral_desk.ui import sync_lifecycle
from referral_desk.ui.sync_dialogs import SyncNowDialog
from referral_desk.ui.sync_lifecycle import ChangePassphraseDialog, SnapshotDialog
from referral_desk.ui.sync_menu import ACTIONS, ENTRY_POINTS, SYNC_MENU
from referral_desk.usecases.passphrase_store import SERVICE_NAME

pytestmark = pytest.mark.gui

no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads
host = sync_gui.host
memory_keyring = sync_gui.memory_keyring
prompts = sync_gui.prompts
site_b = sync_gui.site_b
store = sync_gui.store

NEW = "the team's brand new passphrase"


def test_the_sync_menu_offers_both_actions() -> None:
    for name in ("write_team_snapshot", "change_team_passphrase"):
        assert name in ACTIONS and name in SYNC_MENU
        assert ENTRY_POINTS[name][0] == "sync_lifecycle"


def test_write_team_snapshot_from_the_menu(host, qtbot, app, store, gui, prompts) -> None:
    caseload(app, gui)
    app.sync.set_store(store)
    app.sync.sync_now(store, PASSPHRASE)
    prompts.answers = [PASSPHRASE]
    dialog = open_dialog(qtbot, SnapshotDialog(app, host))
    wait_state(qtbot, dialog, "done")
    assert dialog.heading.text() == "Team snapshot written"
    assert "Zoë" not in dialog.message.text() and "Wrote the team snapshot" in dialog.message.text()
    outbox = store / "outbox" / app.sync.site_id()
    assert len([p for p in outbox.iterdir() if is_bundle_name(p.name)]) == 2


def test_a_manager_changes_the_passphrase_and_a_colleague_is_asked_for_it(
    host, qtbot, app, site_b, store, gui, memory_keyring, prompts, monkeypatch
) -> None:
    caseload(app, gui)
    for services in (app, site_b, app):
        services.sync.set_store(store)
        services.sync.sync_now(store, PASSPHRASE)
        memory_keyring.set_password(SERVICE_NAME, services.sync.site_id(), PASSPHRASE)
    later = site_b.people.add(given_name="Kit", family_name="Lane", date_of_birth="1980-01-01")

    refused = open_dialog(qtbot, ChangePassphraseDialog(site_b, NEW, host))
    wait_state(qtbot, refused, "refused")  # b joined a's team: not a manager
    assert refused.message.text().startswith("Only a manager may change the team passphrase")
    refused.close()

    shown: list[object] = []
    monkeypatch.setattr(sync_lifecycle, "run_dialog", shown.append)
    prompts.answers = [NEW]
    sync_lifecycle.change_team_passphrase(app, host)  # the entry point asks for it, twice
    assert prompts.confirmed == [True] and len(shown) == 1
    dialog = open_dialog(qtbot, shown[0])  # the current passphrase is the remembered one
    wait_state(qtbot, dialog, "done")
    assert dialog.heading.text() == "Team passphrase changed"
    assert memory_keyring.get_password(SERVICE_NAME, app.sync.site_id()) == NEW
    dialog.close()

    b = open_dialog(qtbot, SyncNowDialog(site_b, host))  # b still remembers the old one
    wait_state(qtbot, b, "refused")
    assert "The team passphrase has changed" in b.message.text()
    assert b.retry_button.isVisible()
    prompts.answers = [NEW]
    b.retry_button.click()
    wait_state(qtbot, b, "preview")  # b's unsynced change is still to send
    b.apply_button.click()
    wait_state(qtbot, b, "done")
    assert REJOINED in b.notes.text()
    assert memory_keyring.get_password(SERVICE_NAME, site_b.sync.site_id()) == NEW
    app.sync.sync_now(store, NEW)
    assert [p.display_name for p in app.people.list() if p.id == later.id] == ["Kit Lane"]


def test_a_change_stopped_after_the_switch_does_not_say_nothing_was_written(
    host, qtbot, app, store, gui, prompts, monkeypatch
) -> None:
    from referral_desk.sync.state import StoreError

    caseload(app, gui)
    app.sync.set_store(store)
    app.sync.sync_now(store, PASSPHRASE)
    stopped = (
        "A file written under the old passphrase could not be removed from the shared store: "
        "run the passphrase change again to finish it."
    )

    def rotate(*_args: object) -> None:
        raise StoreError(stopped)  # as `sync.rotation.rotate` words it after the switch

    monkeypatch.setattr(app.sync, "rotate_passphrase", rotate)
    prompts.answers = [PASSPHRASE]
    dialog = open_dialog(qtbot, ChangePassphraseDialog(app, NEW, host))
    wait_state(qtbot, dialog, "refused")
    assert dialog.message.text() == stopped  # no "Nothing was written." after it
