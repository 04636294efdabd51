"""The op API: work on the window's one worker, outcomes on the GUI thread, stale ones dropped."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QProgressDialog, QWidget
from settling import settle

from referral_desk.domain.errors import ValidationError
from referral_desk.ui.ops import find_worker, op
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot) -> Iterator[QWidget]:
    window = QWidget()
    window.message_bar = None  # no bar: errors go to a message box
    qtbot.addWidget(window)
    worker = Worker(window)
    yield window
    worker.stop()


def _wait_idle(qtbot, widget: QWidget) -> None:
    worker = find_worker(widget)
    settle(qtbot, worker, timeout=5000)


def test_work_runs_on_the_worker_and_the_outcome_on_the_gui_thread(qtbot, window) -> None:
    seen: dict[str, object] = {}

    def work() -> int:
        seen["work"] = threading.current_thread()
        return 42

    def done(value: int) -> None:
        seen["done"] = threading.current_thread()
        seen["value"] = value

    op(window, work).success(done).run()
    _wait_idle(qtbot, window)
    assert seen["value"] == 42
    assert seen["work"] is not threading.main_thread()
    assert seen["done"] is threading.main_thread()


def test_a_dialog_finds_the_worker_of_the_window_it_belongs_to(qtbot, window) -> None:
    dialog = QDialog(window)
    label = QLabel(dialog)
    assert find_worker(label) is find_worker(window)
    with pytest.raises(LookupError):
        find_worker(QWidget())


def test_a_newer_op_of_the_same_kind_supersedes_an_older_one(qtbot, window) -> None:
    gate = threading.Event()
    delivered: list[str] = []
    op(window, gate.wait).run()  # holds the worker so the next three queue behind it
    ran: list[str] = []

    def load(name: str):
        def work() -> str:
            ran.append(name)
            return name

        return work

    for name in ("a", "ab", "abc"):
        op(window, load(name), kind="filter").success(delivered.append).run()
    gate.set()
    _wait_idle(qtbot, window)
    assert delivered == ["abc"]
    assert ran == ["abc"]  # the stale ones were not even run


def test_ops_of_different_kinds_do_not_supersede_each_other(qtbot, window) -> None:
    delivered: list[str] = []
    op(window, lambda: "people", kind="people").success(delivered.append).run()
    op(window, lambda: "services", kind="services").success(delivered.append).run()
    _wait_idle(qtbot, window)
    assert delivered == ["people", "services"]


def test_a_result_for_a_closed_dialog_is_dropped(qtbot, window) -> None:
    gate = threading.Event()
    dialog = QDialog(window)
    delivered: list[object] = []
    op(dialog, gate.wait).success(delivered.append).run()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not window.findChildren(QDialog), timeout=2000)
    gate.set()
    _wait_idle(qtbot, window)
    assert delivered == []


def test_failure_goes_to_the_callback(qtbot, window) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        raise ValidationError("Give a name.")

    op(window, work).failure(errors.append).run()
    _wait_idle(qtbot, window)
    assert [str(e) for e in errors] == ["Give a name."]


def test_without_a_failure_callback_the_error_policy_shows_it(qtbot, window, monkeypatch) -> None:
    shown: list[tuple[QWidget, str]] = []
    monkeypatch.setattr(
        "referral_desk.ui.messages.show_error",
        lambda parent, err, retry=None: shown.append((parent, str(err))),
    )

    def work() -> None:
        raise ValidationError("That date is in the future.")

    op(window, work).run()
    _wait_idle(qtbot, window)
    assert shown == [(window, "That date is in the future.")]


def test_busy_shows_the_wait_cursor_until_the_outcome(qtbot, window) -> None:
    gate = threading.Event()
    op(window, gate.wait).busy().run()
    assert QApplication.overrideCursor() is not None
    gate.set()
    _wait_idle(qtbot, window)
    assert QApplication.overrideCursor() is None


def test_progress_moves_a_dialog_that_closes_at_the_end(qtbot, window) -> None:
    gate = threading.Event()
    half = threading.Event()

    def work(report) -> str:
        report(1, 2)
        half.set()
        gate.wait()
        return "done"

    results: list[str] = []
    op(window, work).progress("Importing…").success(results.append).run()
    assert half.wait(5)
    dialog = window.findChild(QProgressDialog)
    assert dialog is not None and dialog.labelText() == "Importing…"
    qtbot.waitUntil(lambda: dialog.maximum() == 2 and dialog.value() == 1, timeout=2000)
    gate.set()
    _wait_idle(qtbot, window)
    assert results == ["done"]
    qtbot.waitUntil(lambda: window.findChild(QProgressDialog) is None, timeout=2000)


def test_the_locks_own_work_runs_while_paused_ahead_of_waiting_work(qtbot, window) -> None:
    """Locked: ordinary ops wait (queued and undelivered); an op marked `while_locked` runs
    and is delivered at once (dropping the key, checking a passphrase), then the rest run
    after `resume()` in the order they were asked for."""
    worker = find_worker(window)
    worker.pause()
    order: list[str] = []
    op(window, lambda: order.append("ran: page load")).success(
        lambda _r: order.append("shown: page load")
    ).run()
    op(window, lambda: order.append("ran: unlock")).while_locked().success(
        lambda _r: order.append("shown: unlock")
    ).run()
    qtbot.waitUntil(lambda: "shown: unlock" in order, timeout=5000)
    assert order == ["ran: unlock", "shown: unlock"]
    worker.resume()
    _wait_idle(qtbot, window)
    assert order[2:] == ["ran: page load", "shown: page load"]


def test_save_op_keeps_the_form_and_offers_try_again_for_a_busy_database(qtbot) -> None:
    from referral_desk.domain.errors import DatabaseBusy
    from referral_desk.ui.message_bar import MessageBar
    from referral_desk.ui.ops import save_op

    dialog = QDialog()
    qtbot.addWidget(dialog)
    worker = Worker(dialog)
    bar = MessageBar(dialog)
    tries: list[int] = []

    def save() -> None:
        tries.append(1)
        if len(tries) == 1:
            raise DatabaseBusy("The data is busy. Try again in a moment.")

    def again() -> None:
        save_op(dialog, save, bar=bar, retry=again).success(lambda _r: dialog.accept()).run()

    dialog.show()
    again()
    settle(qtbot, worker, timeout=5000)
    assert dialog.isVisible() and bar.kind == "error"
    assert bar.action_button.isVisible() and bar.action_button.text() == "&Try again"
    bar.action_button.click()
    settle(qtbot, worker, timeout=5000)
    assert len(tries) == 2 and not dialog.isVisible()
    worker.stop()


def test_stopping_the_worker_undoes_the_busy_cursor_of_ops_that_never_ran(qtbot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    worker = Worker(window)
    gate = threading.Event()
    op(window, gate.wait).run()  # holds the worker
    op(window, lambda: None).busy().run()  # queued behind it, never to run
    assert QApplication.overrideCursor() is not None
    gate.set()
    worker.stop()
    assert QApplication.overrideCursor() is None
