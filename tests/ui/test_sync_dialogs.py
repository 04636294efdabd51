"""Sync now and carrying a file, driven through their dialogs between two real sites and a
shared folder (set-up in tests/sync_gui.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sync_gui
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog
from sync_gui import PASSPHRASE, WAIT_MS, caseload, everything, open_dialog, table_rows, wait_state

from referral_desk.ui import sync_dialogs
from referral_desk.ui.sync_conflicts import ConflictsDialog
from referral_desk.ui.sync_dialogs import ExportFileDialog, ImportFileDialog, SyncNowDialog
from referral_desk.ui.sync_exchange import ExchangeDialog
from referral_desk.ui.sync_settings import SyncSettingsDialog
from referral_desk.usecases.passphrase_store import SERVICE_NAME

pytestmark = pytest.mark.gui

# The shared fixtures (tests/sync_gui.py) this module uses.
no_os_keyring = sync_gui.no_os_keyring
no_leaked_threads = sync_gui.no_leaked_threads
host = sync_gui.host
memory_keyring = sync_gui.memory_keyring
prompts = sync_gui.prompts
site_b = sync_gui.site_b
store = sync_gui.store


def test_every_control_has_an_accessible_name(host, qtbot, app, site_b) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QLineEdit

    dialogs = [
        SyncSettingsDialog(app, host),
        SyncNowDialog(app, host, passphrase=PASSPHRASE),
        ConflictsDialog(app, host),
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        assert dialog.accessibleName()
        for kind in (QAbstractButton, QLineEdit, QAbstractItemView):
            for widget in dialog.findChildren(kind):
                if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
                    continue  # Qt's own parts of a table (corner button, headers)
                if widget.parent() is dialog or widget.isVisibleTo(dialog):
                    assert widget.accessibleName(), f"{type(dialog).__name__}: {widget!r}"


def test_sync_now_exports_then_colleague_previews_and_applies(
    host, qtbot, app, site_b, store, gui, memory_keyring, prompts
) -> None:
    ids = caseload(app, gui)
    app.sync.set_store(store)
    site_b.sync.set_store(store)
    memory_keyring.set_password(SERVICE_NAME, app.sync.site_id(), PASSPHRASE)

    a = open_dialog(qtbot, SyncNowDialog(app, host))  # A's passphrase is remembered: no prompt
    wait_state(qtbot, a, "preview")
    assert prompts.asked == []
    assert "of yours to send to the shared store" in a.message.text()
    assert not list(store.iterdir()), "the preview writes nothing, not even the store file"
    a.apply_button.click()
    wait_state(qtbot, a, "done")
    assert a.heading.text() == "Sync finished"
    assert "Sent" in a.message.text()
    outbox = store / "outbox" / app.sync.site_id()
    assert len([p for p in outbox.iterdir() if p.suffix == ".rdsync"]) == 1
    a.close_button.click()

    prompts.answers = [PASSPHRASE]  # B has no password store entry: asked once
    b = open_dialog(qtbot, SyncNowDialog(site_b, host))
    wait_state(qtbot, b, "preview")
    assert len(prompts.asked) == 1
    counts = table_rows(b.counts)
    assert {
        k: counts[k] for k in ("People", "Needs", "Referrals", "Follow-ups", "Conflicts to review")
    } == {
        "People": "1",
        "Needs": "1",
        "Referrals": "1",
        "Follow-ups": "1",
        "Conflicts to review": "0",
    }
    assert int(counts["Directory changes"]) >= 1  # the service the referral went to
    assert b.apply_button.isVisible() and b.apply_button.isEnabled()
    assert site_b.people.list() == [], "nothing is written before Apply"

    b.apply_button.click()
    wait_state(qtbot, b, "done")
    assert b.changed
    assert table_rows(b.counts)["People"] == "1"
    assert [p.display_name for p in site_b.people.list()] == ["Zoë Ward"]
    assert site_b.referrals.get(ids["referral"]).status == "sent"
    assert b.close_button.isVisible() and not b.apply_button.isVisible()
    b.close_button.click()

    again = open_dialog(qtbot, SyncNowDialog(site_b, host, passphrase=PASSPHRASE))
    wait_state(qtbot, again, "preview", "nothing")
    # B's own first export (its seeded reference data) is still to send; A has nothing new.
    assert "Nothing new from colleagues" in again.message.text()


def test_wrong_passphrase_is_refused_and_writes_nothing(
    host, qtbot, app, site_b, store, gui, memory_keyring, prompts
) -> None:
    caseload(app, gui)
    app.sync.sync_now(store, PASSPHRASE)
    site_b.sync.set_store(store)
    site = site_b.sync.site_id()
    memory_keyring.set_password(SERVICE_NAME, site, "an old passphrase")
    before = everything(site_b)

    dialog = open_dialog(qtbot, SyncNowDialog(site_b, host))
    wait_state(qtbot, dialog, "refused")
    assert dialog.heading.text() == "Refused"
    assert dialog.message.text().startswith(
        "Wrong passphrase for this shared store: nothing was exported or imported."
    )
    assert "remembered on this computer" in dialog.message.text()
    assert dialog.retry_button.isVisible() and not dialog.apply_button.isVisible()
    assert everything(site_b) == before
    assert not (store / "outbox" / site).exists()

    prompts.answers = [PASSPHRASE]
    dialog.retry_button.click()
    wait_state(qtbot, dialog, "preview")
    assert memory_keyring.items[(SERVICE_NAME, site)] == PASSPHRASE, "the new one replaces it"
    assert table_rows(dialog.counts)["People"] == "1"
    dialog.cancel_button.click()
    assert dialog.state == "cancelled"
    assert everything(site_b) == before, "cancelling after the preview writes nothing"


def test_cancelling_the_passphrase_prompt_closes_without_syncing(
    host, qtbot, app, store, prompts
) -> None:
    app.sync.set_store(store)
    dialog = open_dialog(qtbot, SyncNowDialog(app, host))
    qtbot.waitUntil(lambda: dialog.state == "cancelled", timeout=WAIT_MS)
    assert not dialog.isVisible()
    assert not list(store.iterdir())


@pytest.fixture
def autopilot() -> Iterator[Callable[..., list[str]]]:
    """Drive the next modal sync dialog (it blocks in exec()): Apply or Cancel a preview, then
    Close. The returned list receives the states it acted on."""
    timers: list[QTimer] = []

    def start(*, apply: bool = True) -> list[str]:
        seen: list[str] = []

        def poll() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, ExchangeDialog) or not dialog.isVisible():
                return
            if dialog.state == "preview":
                seen.append("preview")
                (dialog.apply_button if apply else dialog.cancel_button).click()
            elif dialog.state in ("done", "nothing", "refused"):
                seen.append(dialog.state)
                timer.stop()  # one dialog each: the next autopilot drives the next one
                dialog.close_button.click()

        timer = QTimer()
        timer.timeout.connect(poll)
        timer.start(20)
        timers.append(timer)
        return seen

    yield start
    for timer in timers:
        timer.stop()


def test_carry_a_file_export_and_import(
    host, qtbot, app, site_b, gui, tmp_path, prompts, monkeypatch, autopilot
) -> None:
    caseload(app, gui)
    usb = tmp_path / "usb"
    usb.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(usb / "for prison"), "")
    )
    prompts.answers = [PASSPHRASE]
    seen = autopilot()
    assert sync_dialogs.export_to_file(app, host)
    assert seen == ["done"]
    carried = usb / "for prison.rdsync"
    assert carried.is_file(), "the .rdsync suffix is added"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(carried), ""))
    prompts.answers = [PASSPHRASE]
    seen = autopilot()
    assert sync_dialogs.import_from_file(site_b, host) is True
    assert seen == ["preview", "done"]
    assert [p.display_name for p in site_b.people.list()] == ["Zoë Ward"]

    again = open_dialog(qtbot, ImportFileDialog(site_b, carried, host, passphrase=PASSPHRASE))
    wait_state(qtbot, again, "nothing")
    assert again.message.text() == "for prison.rdsync was imported before: nothing new in it."
    assert not again.apply_button.isVisible()

    second = usb / "second.rdsync"  # a new file with the same content: nothing to apply
    app.sync.export_file(second, PASSPHRASE)
    same = open_dialog(qtbot, ImportFileDialog(site_b, second, host, passphrase=PASSPHRASE))
    wait_state(qtbot, same, "nothing")
    assert same.message.text() == "Everything in second.rdsync is already on this computer."


def test_import_preview_then_cancel_writes_nothing(host, qtbot, app, site_b, gui, tmp_path) -> None:
    caseload(app, gui)
    carried = tmp_path / "carry.rdsync"
    export = open_dialog(qtbot, ExportFileDialog(app, carried, host, passphrase=PASSPHRASE))
    wait_state(qtbot, export, "done")
    assert "Carry it to the other computer" in export.message.text()
    before = everything(site_b)
    dialog = open_dialog(qtbot, ImportFileDialog(site_b, carried, host, passphrase=PASSPHRASE))
    wait_state(qtbot, dialog, "preview")
    assert table_rows(dialog.counts)["Needs"] == "1"
    dialog.cancel_button.click()
    assert everything(site_b) == before and not dialog.changed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty: it is not a sync file or was not copied completely."),
        (b"PK\x03\x04 a zip file, say", "This is not a Referral Desk sync file."),
    ],
)
def test_damaged_or_foreign_files_are_refused(
    host, qtbot, site_b, tmp_path, content, message
) -> None:
    path = tmp_path / "odd.rdsync"
    path.write_bytes(content)
    before = everything(site_b)
    dialog = open_dialog(qtbot, ImportFileDialog(site_b, path, host, passphrase=PASSPHRASE))
    wait_state(qtbot, dialog, "refused")
    assert dialog.message.text() == f"{message} Nothing was written."
    assert not dialog.retry_button.isVisible()
    assert everything(site_b) == before


def test_truncated_file_and_wrong_passphrase_for_a_file(
    host, qtbot, app, site_b, gui, tmp_path, prompts
) -> None:
    caseload(app, gui)
    good = tmp_path / "good.rdsync"
    app.sync.export_file(good, PASSPHRASE)
    cut = tmp_path / "cut.rdsync"
    cut.write_bytes(good.read_bytes()[:-100])
    before = everything(site_b)
    dialog = open_dialog(qtbot, ImportFileDialog(site_b, cut, host, passphrase=PASSPHRASE))
    wait_state(qtbot, dialog, "refused")
    assert "incomplete or damaged" in dialog.message.text() or "Wrong passphrase" in (
        dialog.message.text()
    )
    wrong = open_dialog(
        qtbot, ImportFileDialog(site_b, good, host, passphrase="not the passphrase")
    )
    wait_state(qtbot, wrong, "refused")
    assert wrong.message.text() == (
        "Wrong passphrase, or the file was changed or damaged. Nothing was written."
    )
    assert wrong.retry_button.isVisible()
    assert everything(site_b) == before


def test_sync_now_without_a_store_opens_settings_first(host, qtbot, app, monkeypatch) -> None:
    opened: list[str] = []

    def fake_settings(services: Any, parent: Any) -> bool:
        opened.append("settings")
        return False  # cancelled

    monkeypatch.setattr(sync_dialogs, "open_sync_settings", fake_settings)
    assert sync_dialogs.sync_now(app, host) is False
    assert opened == ["settings"]


def test_a_double_clicked_sync_file_opens_its_import_preview(
    host, qtbot, app, site_b, gui, tmp_path, prompts, autopilot
) -> None:
    """`referral-desk-gui --import FILE` (the .rdsync file association) previews and imports."""
    from referral_desk.ui.sync_menu import import_carried_file

    caseload(app, gui)
    carried = tmp_path / "from the office.rdsync"
    app.sync.export_file(carried, PASSPHRASE)
    changed: list[bool] = []
    prompts.answers = [PASSPHRASE]
    seen = autopilot()
    import_carried_file(site_b, host, str(carried), lambda: changed.append(True))
    assert seen == ["preview", "done"]
    assert changed == [True]
    assert [p.display_name for p in site_b.people.list()] == ["Zoë Ward"]


def test_the_first_sync_to_a_new_store_asks_for_the_passphrase_twice(
    host, qtbot, app, site_b, store, prompts
) -> None:
    app.sync.set_store(store)
    prompts.answers = [PASSPHRASE]
    first = open_dialog(qtbot, SyncNowDialog(app, host))
    wait_state(qtbot, first, "preview")
    assert prompts.confirmed == [True], "no team passphrase in the store yet: typed twice"
    first.apply_button.click()
    wait_state(qtbot, first, "done")
    first.close_button.click()

    site_b.sync.set_store(store)
    prompts.answers = [PASSPHRASE]
    second = open_dialog(qtbot, SyncNowDialog(site_b, host))
    wait_state(qtbot, second, "preview")
    assert prompts.confirmed == [True, False], "the store holds it now: typed once"
    second.cancel_button.click()


def test_exporting_a_file_asks_for_the_passphrase_twice(
    host, qtbot, app, tmp_path, prompts
) -> None:
    prompts.answers = [PASSPHRASE]
    dialog = open_dialog(qtbot, ExportFileDialog(app, tmp_path / "team.rdsync", host))
    wait_state(qtbot, dialog, "done")
    assert prompts.confirmed == [True]


def test_the_passphrase_prompt_checks_as_typed_and_asks_twice(qtbot) -> None:
    from referral_desk.ui.passphrase_dialog import PassphraseDialog

    dialog = PassphraseDialog(confirm=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled() and dialog.problem.text() == ""
    qtbot.keyClicks(dialog.passphrase_edit, "abc")
    assert not dialog.ok_button.isEnabled()
    assert "at least 8 characters" in dialog.problem.text()
    assert not dialog.strength.isVisible()
    qtbot.keyClicks(dialog.passphrase_edit, "defgh")
    assert dialog.strength.text().startswith("Strength: Weak")
    assert "Type it again" in dialog.problem.text() and not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.confirm_edit, "abcdefgX")
    assert "not the same" in dialog.problem.text() and not dialog.ok_button.isEnabled()
    dialog.confirm_edit.setText("abcdefgh")
    assert dialog.ok_button.isEnabled() and dialog.problem.text() == ""
    dialog.ok_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.passphrase() == "abcdefgh"
