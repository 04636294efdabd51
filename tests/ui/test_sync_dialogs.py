"""Sync in the client, driven through its dialogs between two real sites and a shared folder.

Site A is the `app` database (officer Alex Morgan); site B is a fresh installation opened with
`open_services` (its own site id, officer Sam Patel). The OS password store is replaced by an
in-memory one (or by keyring's "no store" backend), the folder and passphrase prompts by
a monkeypatched QFileDialog and `ask_passphrase`, so nothing touches the real user's keyring.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QTableWidget, QWidget
from unlocking import connect as connect_db
from unlocking import open_test_services as open_services

from referral_desk.services.passphrase_store import SERVICE_NAME
from referral_desk.ui import sync_dialogs, sync_exchange
from referral_desk.ui.sync_conflicts import ConflictsDialog
from referral_desk.ui.sync_dialogs import ExportFileDialog, ImportFileDialog, SyncNowDialog
from referral_desk.ui.sync_exchange import ExchangeDialog
from referral_desk.ui.sync_settings import SyncSettingsDialog
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui

PASSPHRASE = "correct horse battery staple"
WAIT_MS = 30_000


class MemoryKeyring(KeyringBackend):
    """An OS password store that lives in this test only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.values[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not there") from None


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default this machine has no password store: the real one is never touched."""
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    return backend


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """The dialogs use their window's worker and start no thread of their own."""
    yield
    alive = [t.name for t in threading.enumerate() if t.name == "referral-desk-db"]
    assert alive == [], "a sync dialog left a worker thread running"


@pytest.fixture
def host(qtbot: Any) -> Iterator[QWidget]:
    """The window the dialogs belong to: it owns the one worker they run their work on."""
    window = QWidget()
    qtbot.addWidget(window)
    worker = Worker(window)
    yield window
    worker.stop()


class Prompts:
    """Answers for the passphrase prompt, in order; records the prompts shown."""

    def __init__(self) -> None:
        self.answers: list[str | None] = []
        self.asked: list[str] = []
        self.confirmed: list[bool] = []  # asked twice (the passphrase was being set)

    def ask(self, _parent: Any, text: str = "", *, confirm: bool = False) -> str | None:
        self.asked.append(text)
        self.confirmed.append(confirm)
        return self.answers.pop(0) if self.answers else None


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    found = Prompts()
    monkeypatch.setattr(sync_exchange, "ask_passphrase", found.ask)
    return found


@pytest.fixture
def site_b(tmp_path: Path, clock: Any) -> Iterator[Any]:
    services = open_services(tmp_path / "b", clock)
    services.profile.set(name="Sam Patel", team="Leeds South")
    yield services
    services.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    folder.mkdir()
    return folder


def open_dialog(qtbot: Any, dialog: Any) -> Any:
    qtbot.addWidget(dialog)
    dialog.show()
    if isinstance(dialog, SyncSettingsDialog):
        qtbot.waitUntil(lambda: dialog.ready, timeout=WAIT_MS)
    return dialog


def saved(qtbot: Any, dialog: SyncSettingsDialog) -> None:
    """Save writes on the worker: wait until the dialog has closed accepted."""
    qtbot.waitUntil(
        lambda: dialog.result() == SyncSettingsDialog.DialogCode.Accepted, timeout=WAIT_MS
    )


def wait_state(qtbot: Any, dialog: ExchangeDialog, *states: str) -> None:
    qtbot.waitUntil(lambda: dialog.state in states, timeout=WAIT_MS)


def table_rows(table: QTableWidget) -> dict[str, str]:
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def everything(services: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refusal wrote nothing at all."""
    conn = connect_db(services.data_path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'"
            )
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def caseload(app: Any, gui: Any) -> dict[str, str]:
    """A person with a need and a referral on site A (so a follow-up too)."""
    service_id = gui.add_service("Hope Mentoring")
    person = app.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="1999-09-09",
        crn="X123456",
        consent_given_on="2026-02-01",
    )
    need = app.needs.log(person.id, "mentoring", "Wants a mentor")
    referral = app.referrals.make(need.id, service_id, consent=True)
    return {"person": person.id, "need": need.id, "referral": referral.id}


# -- settings -------------------------------------------------------------------------------


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
    assert app.sync.get_store() is None and memory_keyring.values == {}, "nothing saved yet"

    dialog.confirm_edit.setText(PASSPHRASE)
    dialog.save_button.click()
    saved(qtbot, dialog)
    assert dialog.result() == SyncSettingsDialog.DialogCode.Accepted
    assert app.sync.get_store() == str(store)
    assert memory_keyring.values == {(SERVICE_NAME, site): PASSPHRASE}

    again = open_dialog(qtbot, SyncSettingsDialog(app, host))
    assert again.store_edit.text() == str(store)
    assert again.remember_check.isChecked() and not again.confirm_edit.isVisible()
    assert "Remembered" in again.passphrase_edit.placeholderText()
    again.remember_check.setChecked(False)
    assert not again.passphrase_edit.isEnabled()
    again.save_button.click()
    saved(qtbot, again)
    assert memory_keyring.values == {}, "unticking Remember forgets the passphrase"


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


# -- sync now -------------------------------------------------------------------------------


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
    assert memory_keyring.values[(SERVICE_NAME, site)] == PASSPHRASE, "the new one replaces it"
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


# -- carrying a file ------------------------------------------------------------------------


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


# -- conflicts ------------------------------------------------------------------------------


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


# -- the main window's entry points ---------------------------------------------------------


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


# -- the passphrase as it is typed ------------------------------------------------------------


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


def test_waiting_records_are_told_in_words(qtbot, app) -> None:
    from referral_desk.services.sync import ImportSummary
    from referral_desk.ui.sync_summary import attention as _attention
    from referral_desk.ui.sync_summary import count_rows as _count_rows

    imp = ImportSummary(bundles=1, pending=3, pending_reasons=(("person", 3),))
    notes = _attention(imp, preview=True)
    assert (
        "3 records arrived before the person they belong to; they will be added when "
        "that person's record arrives."
    ) in notes
    assert not any("related records" in n for n in notes)
    assert ("Records to be added later", 3) in _count_rows(imp)
