"""Shared set-up for the sync dialogs' GUI tests: two real sites, a shared folder, an
in-memory OS password store, scripted passphrase prompts and the window's worker.

Site A is the `app` database (officer Alex Morgan); site B is a fresh installation opened with
`open_services` (its own site id, officer Sam Patel). The OS password store is replaced by an
in-memory one (or by keyring's "no store" backend), the folder and passphrase prompts by
a monkeypatched QFileDialog and `ask_passphrase`, so nothing touches the real user's keyring.
A test module takes the fixtures it uses by assigning them (`host = sync_gui.host`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QTableWidget, QWidget
from settling import settled
from unlocking import MemoryKeyring
from unlocking import connect as connect_db
from unlocking import open_test_services as open_services

from referral_desk.ui import sync_exchange
from referral_desk.ui.ops import find_worker
from referral_desk.ui.sync_exchange import ExchangeDialog
from referral_desk.ui.sync_settings import SyncSettingsDialog
from referral_desk.ui.worker import Worker

PASSPHRASE = "correct horse battery staple"
WAIT_MS = 30_000


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
def host(qtbot: Any) -> QWidget:
    """The window the dialogs belong to: it owns the one worker they run their work on."""
    window = QWidget()
    worker = Worker(window)

    def stop(_window: QWidget) -> None:
        # Before the window and its dialogs close: the last outcomes arrive (busy feedback
        # undone), then the thread ends. Closed first, undelivered jobs would never finish.
        qtbot.waitUntil(worker.is_idle, timeout=WAIT_MS)
        worker.stop()

    qtbot.addWidget(window, before_close_func=stop)
    return window


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
    """Wait for one of `states` and for what reaching it started: the step that shows the
    preview also queues remembering the passphrase that worked, on the worker."""
    idle = find_worker(dialog).is_idle
    qtbot.waitUntil(settled(lambda: dialog.state in states and idle()), timeout=WAIT_MS)


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
