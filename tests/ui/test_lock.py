"""Locked when unattended (issue 12): Ctrl+L, the Lock button and the idle timer hide everything
and drop the key; the passphrase brings every window back as it was, typed text included;
background work waits while locked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QTabBar,
    QWidget,
)
from settling import settle
from unlocking import TEST_PASSPHRASE

from referral_desk.domain.errors import DataLocked
from referral_desk.ui.main_window import LOCKED_TITLE, MainWindow
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui


# -- what the officer (or a passer-by) can see -------------------------------------------------
def visible_texts() -> list[str]:
    """Every text on screen: window titles, labels, buttons, fields, tabs."""
    texts = []
    for widget in QApplication.allWidgets():
        if not widget.isVisible():
            continue
        if widget.isWindow():
            texts.append(widget.windowTitle())
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count())]
        texts.append(widget.accessibleName())
    return texts


def shows_anywhere(word: str) -> bool:
    return any(word in text for text in visible_texts())


def wait_locked(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.is_locked() and window.services.security.is_locked(), timeout=5000
    )


def unlock_by_keyboard(qtbot: Any, window: MainWindow, passphrase: str) -> None:
    screen = window.lock_screen
    assert screen.passphrase.hasFocus() or QApplication.focusWidget() is None
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    wait_answer(qtbot, window)


def wait_answer(qtbot: Any, window: MainWindow) -> None:
    """Wait for the passphrase to be checked (on the worker: the lock screen keeps painting)."""
    qtbot.waitUntil(lambda: not window.locker.is_unlocking(), timeout=5000)


class Steps:
    """Run steps from a timer while the test itself is blocked in a dialog's exec(): each
    step waits for its condition, then acts. A failing step closes every dialog."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.steps: list[tuple[Callable[[], bool], Callable[[], None]]] = []
        self.done: list[int] = []
        self.error: BaseException | None = None
        self._waited = 0

    def when(self, condition: Callable[[], bool], action: Callable[[], None]) -> Steps:
        self.steps.append((condition, action))
        return self

    def start(self) -> None:
        QTimer.singleShot(0, self._poll)

    def _poll(self) -> None:
        if self.error is not None or len(self.done) == len(self.steps):
            return
        condition, action = self.steps[len(self.done)]
        try:
            if condition():
                self.done.append(len(self.done))
                self._waited = 0
                action()
            else:
                self._waited += 20
                if self._waited > 8000:
                    raise AssertionError(f"step {len(self.done)} never became ready")
        except BaseException as err:  # stop the dialog so exec() returns and the test fails
            self.error = err
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QDialog) and widget.isVisible():
                    widget.reject()
            return
        QTimer.singleShot(20, self._poll)

    def check(self) -> None:
        if self.error is not None:
            raise self.error
        assert len(self.done) == len(self.steps)


# -- locking ------------------------------------------------------------------------------------
def test_ctrl_l_hides_every_name_and_drops_the_key(qtbot, app, gui, window, referred) -> None:
    window.open_person(referred["person"].id)
    gui.wait_idle(window)
    assert "Ward" in window.windowTitle() and shows_anywhere("Ward")

    gui.key(window, "Ctrl+L")
    wait_locked(qtbot, window)

    assert window.windowTitle() == LOCKED_TITLE
    assert window.lock_screen.isVisible() and not window.content.isVisible()
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    for name in ("Zoë", "Ward", "X123456", "A1234BC", "Alex Morgan"):
        assert not shows_anywhere(name), name
    assert not any(a.isEnabled() for a in window.actions_by_name.values())
    with pytest.raises(DataLocked):
        app.people.get(referred["person"].id)

    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
    assert not window.is_locked() and not app.security.is_locked()
    assert window.content.isVisible() and window.menuBar().isVisible()
    assert "Ward" in window.windowTitle()
    assert window.actions_by_name["lock"].isEnabled()
    assert app.people.get(referred["person"].id).family_name == "Ward"


def test_the_lock_button_locks(qtbot, app, window) -> None:
    assert window.lock_button.isVisible() and window.lock_button.toolTip()
    qtbot.mouseClick(window.lock_button, Qt.MouseButton.LeftButton)
    wait_locked(qtbot, window)
    assert window.lock_screen.passphrase.hasFocus()


def test_idle_time_locks_the_window(qtbot, app, settings) -> None:
    window = MainWindow(app, settings, idle_ms=300)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    try:
        wait_locked(qtbot, window)
        assert not window.locker.idle.is_counting()  # nothing counts while locked
        unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
        assert not window.is_locked() and window.locker.idle.is_counting()
    finally:
        window.close()
        window.deleteLater()


def test_input_anywhere_restarts_the_idle_time(qtbot, window) -> None:
    idle = window.locker.idle
    assert idle.interval_ms() == 5 * 60_000  # the team's default: 5 minutes
    qtbot.waitUntil(lambda: idle.idle_for_ms() > 500)
    target = window.caseload if window.caseload.isVisible() else window.nav
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(5, 5),
        QPointF(5, 5),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, move)
    assert idle.idle_for_ms() < 300
    qtbot.waitUntil(lambda: idle.idle_for_ms() > 500)
    qtbot.keyClick(window.nav, Qt.Key.Key_Right)
    assert idle.idle_for_ms() < 300


def test_input_while_counting_puts_the_lock_off(qtbot, app, settings) -> None:
    window = MainWindow(app, settings, idle_ms=1200)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    try:
        for _ in range(8):  # 1.6 s of typing, every 0.2 s: never idle for 1.2 s
            qtbot.keyClick(window.nav, Qt.Key.Key_Right)
            qtbot.wait(200)
        assert not window.is_locked()
        wait_locked(qtbot, window)  # then left alone: locked
    finally:
        window.close()
        window.deleteLater()


# -- unlocking ----------------------------------------------------------------------------------
def test_a_wrong_passphrase_says_so_and_stays_locked(qtbot, app, window) -> None:
    window.lock()
    wait_locked(qtbot, window)
    screen = window.lock_screen
    for attempt in range(3):
        unlock_by_keyboard(qtbot, window, f"not the passphrase {attempt}")
        assert window.is_locked() and app.security.is_locked()
        assert screen.error.isVisible()
        assert "passphrase" in screen.error.text().lower()
        assert screen.passphrase.text() == ""  # a secret is never left in the field
    # The third wrong answer in a row brings a delay: said in the message, and the button waits.
    assert "Wait 2 seconds" in screen.error.text()
    assert not screen.unlock_button.isEnabled() and "Wait" in screen.unlock_button.text()
    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)  # Enter does nothing during the wait
    assert window.is_locked() and screen.passphrase.text() == TEST_PASSPHRASE
    qtbot.waitUntil(screen.unlock_button.isEnabled, timeout=5000)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)  # and works once it is over
    wait_answer(qtbot, window)
    assert not window.is_locked() and not app.security.is_locked()


def test_unlock_restores_a_dialog_with_its_typed_text(qtbot, app, gui, window) -> None:
    """Locked from inside a modal form (Ctrl+L in the dialog): the form is hidden, not closed;
    after unlock it is back, modal, with what was typed."""
    from referral_desk.ui.person_dialog import PersonDialog

    seen: dict[str, Any] = {}

    def dialog() -> PersonDialog | None:
        modal = QApplication.activeModalWidget()
        return modal if isinstance(modal, PersonDialog) else None

    def type_then_lock() -> None:
        form = dialog()
        assert form is not None
        seen["form"] = form
        qtbot.keyClicks(form.given_name, "Unsaved")
        qtbot.keyClicks(form.family_name, "Formfield")
        # Ctrl+L as the keyboard sends it: to the dialog's window (the main window's shortcut
        # cannot fire while a modal dialog is open).
        qtbot.keyClick(form.windowHandle(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    def locked_and_hidden() -> bool:
        return window.is_locked() and app.security.is_locked() and not seen["form"].isVisible()

    def check_hidden_then_unlock() -> None:
        seen["hidden_names"] = shows_anywhere("Formfield")
        seen["modal_while_locked"] = QApplication.activeModalWidget()
        unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)

    def back_again() -> bool:
        return dialog() is seen["form"] and seen["form"].isVisible()

    def check_restored() -> None:
        form = seen["form"]
        seen["restored"] = (form.given_name.text(), form.family_name.text())
        form.reject()

    steps = (
        Steps(qtbot)
        .when(lambda: dialog() is not None and dialog().isActiveWindow(), type_then_lock)
        .when(locked_and_hidden, check_hidden_then_unlock)
        .when(back_again, check_restored)
    )
    steps.start()
    gui.key(window, "Ctrl+N")  # blocks in the dialog's exec() until the steps reject it
    steps.check()
    assert seen["hidden_names"] is False
    assert seen["modal_while_locked"] is None  # nothing blocks the lock screen
    assert seen["restored"] == ("Unsaved", "Formfield")
    assert not window.is_locked()


def test_a_non_modal_window_is_hidden_and_shown_again(qtbot, app, window) -> None:
    other = QWidget(window, Qt.WindowType.Window)
    other.setWindowTitle("Zoë Ward — notes")
    other.show()
    qtbot.waitExposed(other)
    window.lock()
    wait_locked(qtbot, window)
    assert not other.isVisible() and not shows_anywhere("Zoë")
    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
    assert other.isVisible()
    other.close()


# -- background work ----------------------------------------------------------------------------
def test_jobs_wait_while_locked_and_the_running_one_finishes_first(qtbot, app, window) -> None:
    gate, started = threading.Event(), threading.Event()
    ran: list[str] = []
    delivered: list[object] = []
    worker = window.worker

    def running_job() -> int:
        started.set()
        gate.wait(5)
        ran.append("running")
        return len(app.people.list())  # the data is still open for the job in hand

    worker.submit(running_job, delivered.append)
    assert started.wait(5)
    window.lock()
    assert window.is_locked()
    # The job in hand still has the key: the data is locked only once it has finished.
    assert not app.security.is_locked()
    worker.submit(lambda: ran.append("submitted while locked") or "late", delivered.append)
    gate.set()
    qtbot.waitUntil(app.security.is_locked, timeout=5000)
    qtbot.wait(100)
    assert ran == ["running"]  # the second job waits for the unlock
    assert delivered == []  # and no result reaches a hidden page meanwhile
    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=5000)
    assert ran == ["running", "submitted while locked"]
    assert delivered[1] == "late" and isinstance(delivered[0], int)


def test_a_paused_worker_holds_jobs_and_results(qtbot) -> None:
    worker = Worker()
    try:
        paused: list[bool] = []
        worker.paused.connect(lambda: paused.append(True))
        worker.pause()
        assert paused == [True]  # nothing running: paused at once
        results: list[int] = []
        worker.submit(lambda: 41 + 1, results.append)
        qtbot.wait(100)
        assert results == [] and not worker.is_idle()
        worker.resume()
        qtbot.waitUntil(lambda: results == [42], timeout=3000)
        assert worker.is_idle()
    finally:
        worker.stop()


def test_a_stopped_worker_leaves_even_while_paused(qtbot) -> None:
    worker = Worker()
    worker.pause()
    worker.submit(lambda: None)
    worker.stop()  # must not hang on the paused thread
    assert worker._thread is not None and not worker._thread.is_alive()


# -- the team setting ---------------------------------------------------------------------------
def test_the_lock_time_is_a_team_setting_of_at_most_30_minutes(qtbot, app, gui, window) -> None:
    from referral_desk.domain.errors import ValidationError
    from referral_desk.store.models import TeamSetting
    from referral_desk.store.seed import team_setting_id

    assert app.team_settings.lock_minutes() == 5
    for bad in (0, 31, 90):
        with pytest.raises(ValidationError, match="between 1 and 30 minutes"):
            app.team_settings.set_lock_minutes(bad)
    assert app.team_settings.lock_minutes() == 5  # nothing changed

    # A value from another site beyond the limit (an older or tampered copy) reads as 30.
    app.team_settings.set_lock_minutes(12)
    with app.db.write() as session:
        session.get(TeamSetting, team_setting_id("lock_after_idle_minutes")).value = 45
    assert app.team_settings.lock_minutes() == 30

    def set_in_preferences(dialog: Any) -> None:
        spin = dialog.lock_minutes
        assert spin.maximum() == 30 and spin.value() == 30
        spin.setValue(45)  # clamped by the field
        assert spin.value() == 30
        spin.setValue(7)
        gui.button(dialog, "Save preferences").click()

    gui.on_next_dialog(set_in_preferences)
    window.actions_by_name["preferences"].trigger()
    assert app.team_settings.lock_minutes() == 7
    gui.wait_idle(window)  # the window reads the new lock time on the worker
    assert window.locker.idle.interval_ms() == 7 * 60_000


def test_a_dialog_opened_from_a_dialog_comes_back_above_it(qtbot, app, window) -> None:
    """Locked with two modal dialogs open (a form and a question it asked): after unlock both
    are back, the question modal above the form; each then ends as the officer chooses."""
    from referral_desk.ui.lock import exec_dialog

    outer = QDialog(window)
    outer.setWindowTitle("Outer form")
    field = QLineEdit(outer)
    inner = QDialog(outer)
    inner.setWindowTitle("Inner question")
    results: dict[str, int] = {}
    seen: dict[str, Any] = {}

    def open_inner() -> None:
        results["inner"] = exec_dialog(inner)

    def lock_from_inner() -> None:
        qtbot.keyClicks(field, "typed before the lock")
        window.lock()

    def after_unlock() -> None:
        seen["both_visible"] = (outer.isVisible(), inner.isVisible())
        seen["modal"] = QApplication.activeModalWidget()
        inner.accept()

    def outer_again() -> None:
        seen["outer_modal_again"] = QApplication.activeModalWidget()
        seen["text"] = field.text()
        outer.reject()

    steps = (
        Steps(qtbot)
        .when(lambda: outer.isVisible(), lambda: QTimer.singleShot(0, open_inner))
        .when(lambda: inner.isVisible(), lock_from_inner)
        .when(
            lambda: app.security.is_locked() and not inner.isVisible(),
            lambda: unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE),
        )
        .when(lambda: inner.isVisible() and QApplication.activeModalWidget() is inner, after_unlock)
        .when(lambda: "inner" in results and outer.isVisible(), outer_again)
    )
    steps.start()
    results["outer"] = exec_dialog(outer)
    steps.check()
    assert seen["both_visible"] == (True, True) and seen["modal"] is inner
    assert seen["outer_modal_again"] is outer and seen["text"] == "typed before the lock"
    assert results == {"inner": QDialog.DialogCode.Accepted, "outer": QDialog.DialogCode.Rejected}


def test_closing_the_locked_window_ends_a_waiting_form_as_cancelled(
    qtbot, app, gui, settings
) -> None:
    """Nobody gave the passphrase: the form is not saved, and nothing fails on the way out."""
    from referral_desk.ui.person_dialog import PersonDialog

    window = MainWindow(app, settings)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    settle(qtbot, window, timeout=5000)
    people_before = len(app.people.list())
    seen: dict[str, Any] = {}

    def type_then_lock() -> None:
        form = QApplication.activeModalWidget()
        seen["form"] = form
        qtbot.keyClicks(form.given_name, "Never")
        qtbot.keyClicks(form.family_name, "Saved")
        window.lock()

    steps = (
        Steps(qtbot)
        .when(lambda: isinstance(QApplication.activeModalWidget(), PersonDialog), type_then_lock)
        .when(lambda: app.security.is_locked() and not seen["form"].isVisible(), window.close)
    )
    steps.start()
    gui.key(window, "Ctrl+N")  # returns once the closing window has ended the waiting form
    steps.check()
    window.deleteLater()
    assert app.security.is_locked()
    app.security.unlock(TEST_PASSPHRASE)
    assert len(app.people.list()) == people_before


def test_a_forgotten_passphrase_is_replaced_with_the_recovery_code(qtbot, app, window) -> None:
    from unlocking import TEST_RECOVERY_CODE

    window.lock()
    wait_locked(qtbot, window)
    screen = window.lock_screen
    qtbot.mouseClick(screen.forgot_button, Qt.MouseButton.LeftButton)
    assert screen.recovery_code.hasFocus() and not screen.passphrase.isEnabled()
    qtbot.keyClicks(screen.recovery_code, TEST_RECOVERY_CODE)
    qtbot.keyClicks(screen.new_passphrase, "a brand new passphrase")
    qtbot.keyClicks(screen.repeat_passphrase, "a brand new passphrase?")
    qtbot.keyClick(screen.repeat_passphrase, Qt.Key.Key_Return)
    wait_answer(qtbot, window)
    assert window.is_locked() and "not the same" in screen.error.text()
    qtbot.keyClicks(screen.new_passphrase, "a brand new passphrase")
    qtbot.keyClicks(screen.repeat_passphrase, "a brand new passphrase")
    qtbot.keyClick(screen.repeat_passphrase, Qt.Key.Key_Return)
    wait_answer(qtbot, window)
    assert not window.is_locked() and not app.security.is_locked()

    window.lock()
    wait_locked(qtbot, window)
    assert not screen.recovery.isVisible()  # a fresh lock screen asks for the passphrase
    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)  # the old one no longer opens it
    assert window.is_locked()
    unlock_by_keyboard(qtbot, window, "a brand new passphrase")
    assert not window.is_locked()


def test_the_recovery_form_can_be_left_for_the_passphrase(qtbot, app, window) -> None:
    window.lock()
    wait_locked(qtbot, window)
    screen = window.lock_screen
    qtbot.mouseClick(screen.forgot_button, Qt.MouseButton.LeftButton)
    assert screen.recovery.isVisible()
    qtbot.mouseClick(screen.forgot_button, Qt.MouseButton.LeftButton)  # "Back to my passphrase"
    assert not screen.recovery.isVisible() and screen.passphrase.hasFocus()
    unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
    assert not window.is_locked()


def test_a_dialogs_own_worker_finishes_its_job_before_the_key_goes(qtbot, app, window) -> None:
    """A sync dialog runs its work on a worker of its own: the lock waits for that one too."""
    gate, started = threading.Event(), threading.Event()
    own = Worker(window)
    delivered: list[int] = []

    def job() -> int:
        started.set()
        gate.wait(5)
        return len(app.people.list())

    try:
        own.submit(job, delivered.append)
        assert started.wait(5)
        window.lock()
        qtbot.wait(100)
        assert not app.security.is_locked()
        gate.set()
        qtbot.waitUntil(app.security.is_locked, timeout=5000)
        assert delivered == []
        unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE)
        qtbot.waitUntil(lambda: len(delivered) == 1, timeout=5000)
    finally:
        gate.set()
        own.stop()


def test_the_idle_time_locks_from_inside_a_modal_dialog(qtbot, app, gui, settings) -> None:
    from referral_desk.ui.person_dialog import PersonDialog

    window = MainWindow(app, settings, idle_ms=600)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    seen: dict[str, Any] = {}

    def form() -> Any:
        modal = QApplication.activeModalWidget()
        return modal if isinstance(modal, PersonDialog) else None

    def type_and_leave() -> None:
        seen["form"] = form()
        qtbot.keyClicks(seen["form"].given_name, "Leftalone")

    def restored() -> None:
        seen["text"] = seen["form"].given_name.text()
        seen["form"].reject()

    steps = (
        Steps(qtbot)
        .when(lambda: form() is not None, type_and_leave)
        .when(
            lambda: window.is_locked() and not seen["form"].isVisible(),
            lambda: unlock_by_keyboard(qtbot, window, TEST_PASSPHRASE),
        )
        .when(lambda: form() is seen["form"], restored)
    )
    try:
        steps.start()
        gui.key(window, "Ctrl+N")
        steps.check()
        assert seen["text"] == "Leftalone"
    finally:
        window.close()
        window.deleteLater()
