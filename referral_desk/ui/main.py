"""Start the desktop client: the Qt application, the first-run profile, the main window."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QLockFile, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from referral_desk import logs
from referral_desk.ui.collector import GuiThreadCollector
from referral_desk.ui.main_window import MainWindow
from referral_desk.ui.preferences import PreferencesDialog
from referral_desk.ui.widgets import run_dialog
from referral_desk.ui.worker import Worker
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.security import Unlock

APP_NAME = "Referral Desk"


def ensure_application() -> QApplication:
    """The running QApplication, or a new one named so QSettings finds this app's settings."""
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationDisplayName(APP_NAME)
    return app


def show_upgrade_notice() -> QWidget:
    """A small window saying the data is being backed up and updated (shown before a long,
    blocking upgrade of an older database; the caller closes it when the upgrade is done)."""
    ensure_application()
    notice = QLabel(
        "<b>Updating your Referral Desk data</b><br><br>"
        "A backup copy is being made first, then the data is updated for this version.<br>"
        "With a large caseload this can take a minute. Please wait."
    )
    notice.setWindowTitle(APP_NAME)
    notice.setAccessibleName("Updating your data")
    notice.setMargin(24)
    notice.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
    notice.show()
    for _ in range(3):  # painted now: the upgrade that follows blocks the event loop
        QApplication.processEvents()
    return notice


def show_start_error(message: str) -> None:
    """The reason the data could not be opened, in a window: a desktop launcher has no console.

    `message` is a DatabaseError's own text, which never carries personal data.
    """
    ensure_application()
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message)
    box.setInformativeText("Nothing was changed. Ask your IT contact if this keeps happening.")
    box.setAccessibleName("Referral Desk cannot start")
    box.exec()


def unlock_at_start(
    open_with: Callable[[Unlock], AppServices],
    *,
    setting_up: bool,
    plaintext: bool = False,
    os_login: bool = False,
    retry_after: float = 0.0,
) -> AppServices | None:
    """Ask for the passphrase (or, on a folder without one, have it chosen) until the data
    opens; None when the officer cancelled. A failure other than a wrong answer (a damaged
    database, a missing key file) is raised for the caller's start-error window."""
    from referral_desk.ui.unlock_dialog import SetPassphraseDialog, UnlockDialog

    ensure_application()
    opened: list[AppServices] = []

    def attempt(unlock: Unlock) -> None:
        opened.append(open_with(unlock))

    dialog: SetPassphraseDialog | UnlockDialog
    if setting_up:
        dialog = SetPassphraseDialog(attempt, plaintext=plaintext)
    else:
        dialog = UnlockDialog(attempt, os_login=os_login, retry_after=retry_after)
    run_dialog(dialog)
    if dialog.failure is not None:
        raise dialog.failure
    return opened[0] if opened else None


def tell_after_unlock(services: AppServices) -> None:
    """The recovery code of a new folder (once, until confirmed written down), and what
    opening did that the officer must know (older, plaintext data encrypted)."""
    from referral_desk.ui.unlock_dialog import RecoveryCodeDialog

    ensure_application()
    code = services.security.take_recovery_code()
    if code:
        run_dialog(RecoveryCodeDialog(code))
    for notice in services.security.notices:
        box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, notice)
        box.setAccessibleName("Your data is now encrypted")
        box.exec()


def ask_first_profile(services: AppServices) -> bool:
    """First run: ask who the officer is before anything else. False if they cancelled.

    This runs before the main window (which makes the client's one worker) exists, so the
    question gets a worker of its own on a window that is never shown, stopped once answered;
    the dialog reads and saves through `ui.ops` as it does from the window's menu.
    """
    if services.profile.get() is not None:
        return True
    host = QWidget()  # never shown: owns the start-up worker; the dialog centres on it
    host.setGeometry(ensure_application().primaryScreen().availableGeometry())
    worker = Worker(host)
    try:
        accepted = run_dialog(PreferencesDialog(services, host, first_run=True))
    finally:
        worker.stop()
        host.deleteLater()
    return accepted and services.profile.get() is not None


def show_main_window(services: AppServices, settings: QSettings | None = None) -> MainWindow:
    """Build and show the main window, then take start-up's objects out of full collections.

    Modules, ORM mappings and Qt wrappers made while starting live as long as the process.
    Left in the collector's oldest generation, each full collection walks all ~90 000 of them:
    a 40-70 ms pause that lands on whatever the officer does next (opening a person has a
    100 ms budget, DESIGN.md §9). `gc.freeze()` moves them to a permanent generation.
    """
    window = MainWindow(services, settings)
    window.show()
    gc.freeze()
    return window


# How long `--check-start` waits for My day before it calls the start a failure.
CHECK_START_SECONDS = 120
EXIT_START_FAILED = 3
EXIT_ALREADY_OPEN = 4

LOCK_NAME = "referral-desk-window.lock"


def show_unexpected_error(details: str, parent: QWidget | None = None) -> None:
    """The one window for an error nobody expected: what to do, and details to copy for IT."""
    box = QMessageBox(
        QMessageBox.Icon.Critical, APP_NAME, "Something unexpected went wrong.", parent=parent
    )
    box.setInformativeText(
        "What you saved before is safe; the last action may not have finished. The details below "
        "(no personal data) are also in the log file in your data folder, for IT support."
    )
    box.setDetailedText(details)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()
    copy.clicked.connect(lambda: QApplication.clipboard().setText(details))
    box.addButton(QMessageBox.StandardButton.Close)
    box.setAccessibleName("Unexpected error")
    box.exec()


def install_excepthook() -> object:
    """Unexpected errors in Qt callbacks are logged and shown, not lost on a missing console.
    Returns the hook it replaced (start_window puts it back when the window closes)."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        error.__traceback__ = tb
        details = logs.log_unexpected(error, "the window")
        show_unexpected_error(details, QApplication.activeWindow())

    sys.excepthook = hook
    return previous


def lock_data_folder(folder: Path) -> QLockFile | None:
    """One window per data folder: two would each keep their own view of the same records.
    Returns the held lock, or None when another window already holds it (a lock left by a
    crashed window is taken over: QLockFile checks that its process is gone)."""
    lock = QLockFile(str(folder / LOCK_NAME))
    return lock if lock.tryLock(0) else None


def start_window(
    services: AppServices, *, check_start: bool = False, import_file: str | None = None
) -> int:
    """Run the desktop client until the window closes; returns the process exit code.

    With `check_start` (IT checking an installation, the frozen build's smoke test) there is no
    first-run question: the window opens, and closes itself with exit 0 once My day has loaded,
    or with EXIT_START_FAILED if it has not within CHECK_START_SECONDS. `import_file` (a sync
    file the officer double-clicked) opens its import preview once the window is up.
    """
    app = ensure_application()
    lock = lock_data_folder(services.data_path.parent)
    if lock is None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            APP_NAME,
            "Referral Desk is already open with this data on this PC.",
        )
        box.setInformativeText(
            "Use the window that is open (look on the task bar). Nothing was changed."
        )
        box.setAccessibleName("Referral Desk is already open")
        if not check_start:
            box.exec()
        return EXIT_ALREADY_OPEN
    previous_hook = install_excepthook()
    collector = GuiThreadCollector(app)
    collector.start()
    try:
        return _run_window(app, services, check_start=check_start, import_file=import_file)
    finally:
        collector.stop()
        sys.excepthook = previous_hook  # type: ignore[assignment]
        lock.unlock()


def _run_window(
    app: QApplication, services: AppServices, *, check_start: bool, import_file: str | None
) -> int:
    if not check_start and not ask_first_profile(services):
        return 0
    window = show_main_window(services)
    if import_file:
        from referral_desk.ui.sync_menu import import_carried_file

        QTimer.singleShot(
            0, lambda: import_carried_file(services, window, import_file, window.after_write)
        )
    if check_start:
        window.my_day.loaded.connect(lambda: QTimer.singleShot(0, window.close))
        QTimer.singleShot(CHECK_START_SECONDS * 1000, lambda: app.exit(EXIT_START_FAILED))
    code = app.exec()
    window.worker.stop()
    return code
