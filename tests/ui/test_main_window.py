"""Main window: menus and shortcuts, accessible names everywhere, remembered layout, first run,
preferences, the background worker and error messages."""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QTabBar,
    QTabWidget,
    QWidget,
)
from qt_helpers import when_modal
from settling import settle
from unlocking import connect as connect_db
from unlocking import keyed_engine, write_key_file
from unlocking import open_test_services as open_services

from referral_desk.domain.errors import ValidationError
from referral_desk.ui.main import ask_first_profile, start_window
from referral_desk.ui.main_window import MainWindow
from referral_desk.ui.messages import UNEXPECTED, error_text, show_error
from referral_desk.ui.window_actions import ACTIONS, MENUS
from referral_desk.ui.worker import Worker
from referral_desk.usecases.base import Clock

pytestmark = pytest.mark.gui

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QAbstractSpinBox, QTabBar)


def unnamed_controls(root: QWidget) -> list[str]:
    """Interactive widgets without an accessible name (Qt's internal children excepted)."""
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, CONTROLS) or widget.objectName().startswith("qt_"):
            continue
        if widget.window() is not root.window():  # combo and completer pop-ups
            continue
        parent = widget.parentWidget()
        # Qt's own parts: a line edit's clear button, a combo's editor, a spin box's editor.
        if isinstance(parent, QComboBox | QAbstractSpinBox | QLineEdit | QTabWidget):
            continue
        if type(widget).__name__ in ("QHeaderView", "QTableCornerButton"):
            continue
        if not widget.accessibleName():
            missing.append(
                f"{type(widget).__name__} {widget.objectName()!r} in "
                f"{type(parent).__name__} {parent.objectName()!r}"
            )
    return missing


def test_every_action_is_in_a_menu_with_a_unique_shortcut(window) -> None:
    in_menus = {name for names in MENUS.values() for name in names if name}
    assert in_menus == set(ACTIONS)
    keys = [
        a.shortcut().toString()
        for a in window.actions_by_name.values()
        if not a.shortcut().isEmpty()
    ]
    assert len(keys) == len(set(keys)), keys
    for key in ("Ctrl+N", "Ctrl+Shift+I", "Ctrl+L", "Ctrl+F", "F5", "Ctrl+Shift+D", "Ctrl+J"):
        assert key in keys
    menus = [m.title() for m in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))]
    for title in MENUS:
        assert title in menus
    for action in window.actions_by_name.values():
        assert action.statusTip() and action.toolTip()


def test_every_control_has_an_accessible_name(qtbot, app, window, referred) -> None:
    window.open_person(referred["person"].id)
    settle(qtbot, window)
    assert unnamed_controls(window) == []
    from referral_desk.ui.consent_dialog import ConsentDialog
    from referral_desk.ui.follow_up_dialogs import FollowUpDoneDialog, RescheduleDialog
    from referral_desk.ui.hand_over_dialog import HandOverDialog
    from referral_desk.ui.need_dialog import NeedDialog, NeedStatusDialog
    from referral_desk.ui.person_dialog import PersonDialog
    from referral_desk.ui.preferences import PreferencesDialog
    from referral_desk.ui.setting_dialog import SettingDialog

    person = window.person_page.person
    follow_up = app.follow_ups.list()[0]
    dialogs = [
        PersonDialog(app, window, person=person),
        NeedDialog(app, person.id, window),
        NeedStatusDialog(app, referred["need"], window),
        SettingDialog(app, person, 1, window),
        PreferencesDialog(app, window),
        PreferencesDialog(app, window, first_run=True),
        HandOverDialog(person, app.profile.officers(), window),
        ConsentDialog(app, person, window),
        FollowUpDoneDialog(app, follow_up, window),
        RescheduleDialog(app, follow_up, window),
    ]
    for dialog in dialogs:
        assert dialog.accessibleName()
        assert unnamed_controls(dialog) == [], type(dialog).__name__
        dialog.deleteLater()


def test_pages_switch_from_the_keyboard_and_f5_reloads(qtbot, app, gui, window) -> None:
    gui.key(window, "Ctrl+2")
    assert window.current_page() == "caseload"
    assert window.caseload.model.rowCount() == 0
    app.people.add(given_name="Dee", family_name="Jones")
    gui.key(window, "F5")
    gui.wait_idle(window)
    assert window.caseload.model.rowCount() == 1
    gui.key(window, "Ctrl+1")
    assert window.current_page() == "my_day"
    assert not window.actions_by_name["go_person"].isEnabled()  # nobody opened yet
    gui.key(window, "Ctrl+J")
    assert window.current_page() == "caseload" and window.caseload.filter.hasFocus()


def test_window_remembers_size_layout_and_choices(qtbot, app, gui, settings) -> None:
    first = MainWindow(app, settings)
    qtbot.addWidget(first)
    first.resize(1100, 700)
    first.show()
    gui.wait_idle(first)
    first.my_day.splitter.setSizes([200, 400])
    first.caseload.view.horizontalHeader().resizeSection(0, 333)
    first.actions_by_name["only_mine"].trigger()
    first.close()
    assert not first.worker._thread.is_alive()  # the worker stops with the window
    second = MainWindow(app, settings)
    qtbot.addWidget(second)
    second.show()
    gui.wait_idle(second)
    # The offscreen screen is 800 px wide, so Qt fits the restored width to the minimum.
    assert second.height() == 700
    assert not settings.value("window/geometry").isEmpty()
    sizes = second.my_day.splitter.sizes()
    assert sizes[0] < sizes[1]
    assert second.caseload.view.horizontalHeader().sectionSize(0) == 333
    assert not second.actions_by_name["only_mine"].isChecked()
    assert Path(settings.fileName()).exists()
    second.close()


def test_first_run_asks_for_the_profile(qtbot, tmp_path) -> None:
    services = open_services(tmp_path / "fresh", Clock())
    try:
        assert services.profile.get() is None

        def cancel(dialog) -> None:
            dialog.reject()

        def fill(dialog) -> None:
            assert dialog.windowTitle() == "Welcome to Referral Desk"
            qtbot.waitUntil(lambda: dialog.loaded)  # read on the start-up worker
            qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # empty name: refused inline
            assert "Your name is needed" in dialog.name_error.text()
            qtbot.keyClicks(dialog.name, "Alex Morgan")
            qtbot.keyClicks(dialog.team, "Leeds North")
            qtbot.keyClick(dialog.team, Qt.Key.Key_Return)

        QTimer.singleShot(0, lambda: _when_modal(cancel))
        assert ask_first_profile(services) is False
        QTimer.singleShot(0, lambda: _when_modal(fill))
        assert ask_first_profile(services) is True
        profile = services.profile.get()
        # Not part of a team yet: this PC is its own first manager until it joins one.
        assert (profile.name, profile.team, profile.role) == (
            "Alex Morgan",
            "Leeds North",
            "manager",
        )
    finally:
        services.close()


def _when_modal(callback) -> None:
    dialog = QApplication.activeModalWidget()
    if dialog is None or not dialog.isActiveWindow():
        QTimer.singleShot(10, lambda: _when_modal(callback))
        return
    try:
        callback(dialog)
    except BaseException:
        dialog.close()
        raise


def test_start_window_runs_until_the_window_closes(qtbot, app) -> None:
    def close_main() -> None:
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if not windows:
            QTimer.singleShot(20, close_main)
            return
        settle(qtbot, windows[0])
        windows[0].close()

    QTimer.singleShot(0, close_main)
    try:
        assert start_window(app) == 0
    finally:
        gc.unfreeze()  # start_window froze start-up's objects; the test session collects as usual
    assert QApplication.applicationName() == "Referral Desk"
    assert QApplication.organizationName() == "Referral Desk"
    assert QSettings().format() == QSettings.Format.IniFormat  # tests never touch the registry


def test_shown_window_leaves_start_up_objects_out_of_full_collections(qtbot, app) -> None:
    from referral_desk.ui.main import show_main_window

    gc.unfreeze()
    try:
        window = show_main_window(app)
        qtbot.addWidget(window)
        assert window.isVisible()
        assert gc.get_freeze_count() > 1000  # modules, ORM mappings, Qt wrappers
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
    settle(qtbot, window)


def test_preferences_save_profile_and_local_settings(qtbot, app, gui, window, tmp_path) -> None:
    def edit(dialog) -> None:
        qtbot.waitUntil(lambda: dialog.loaded)  # read on the window's worker
        assert dialog.name.text() == "Alex Morgan"
        assert not hasattr(dialog.role, "setCurrentIndex")  # shown, never picked
        dialog.page_size.setCurrentText("A5")
        qtbot.keyClicks(dialog.printer.lineEdit(), "Office printer")
        qtbot.keyClicks(dialog.shared_store, str(tmp_path))
        dialog.email.clear()
        qtbot.keyClicks(dialog.email, "not-an-email")
        qtbot.keyClick(dialog.email, Qt.Key.Key_Return)  # saved on the worker, refused
        qtbot.waitUntil(lambda: "Email address is not valid" in dialog.message_bar.text())
        dialog.email.clear()
        qtbot.keyClicks(dialog.email, "alex@probation.example")
        qtbot.keyClick(dialog.email, Qt.Key.Key_Return)

    gui.on_next_dialog(edit)
    window.actions_by_name["preferences"].trigger()  # Cmd+, on a Mac; the Edit menu elsewhere
    assert app.profile.get().role == "manager"  # granted, unchanged by the dialog
    assert app.profile.local_setting("page_size") == "A5"
    assert app.profile.local_setting("printer") == "Office printer"
    assert app.profile.local_setting("shared_store") == str(tmp_path)
    assert window.message_bar.text() == "Preferences saved."


def test_shortcuts_help_lists_every_shortcut(qtbot, gui, window) -> None:
    seen: list[list[str]] = []

    def read(dialog) -> None:
        table = dialog.findChildren(QAbstractItemView)[0]
        seen.append([table.model().index(r, 1).data() for r in range(table.model().rowCount())])
        dialog.reject()

    gui.on_next_dialog(read)
    gui.key(window, "F1")
    assert "Ctrl+L" in seen[0] and "F5" in seen[0]


def test_calendar_export_from_the_file_menu(
    qtbot, app, gui, window, referred, tmp_path, monkeypatch
) -> None:
    target = tmp_path / "follow-ups.ics"
    monkeypatch.setattr("referral_desk.ui.calendar_export.ask_path", lambda parent: target)
    gui.key(window, "Ctrl+Shift+C")
    gui.wait_idle(window)  # written on the worker
    assert target.exists()
    assert "Exported 1 open follow-up" in window.message_bar.text()


def test_errors_show_their_message_and_bugs_never_log_personal_data(caplog, window) -> None:
    show_error(window.caseload, ValidationError("Choose the prison for someone in custody."))
    assert window.message_bar.text() == "Choose the prison for someone in custody."
    assert window.message_bar.kind == "error"
    with caplog.at_level(logging.ERROR):
        text = error_text(KeyError("Zoë Ward X123456"))
    assert text == UNEXPECTED
    assert "KeyError" in caplog.text and "Zoë" not in caplog.text and "X123456" not in caplog.text


def test_worker_runs_off_the_ui_thread_in_order_and_delivers_on_it(qtbot) -> None:
    worker = Worker()
    main = threading.current_thread()
    ran_on: list[threading.Thread] = []
    got: list[tuple[str, object]] = []

    def job(n: int) -> int:
        ran_on.append(threading.current_thread())
        return n * 2

    for n in range(5):
        worker.submit(
            lambda n=n: job(n),
            lambda r: got.append(("done", r, threading.current_thread() is main)),
        )
    worker.submit(lambda: 1 / 0, None, lambda e: got.append(("error", type(e).__name__, True)))
    qtbot.waitUntil(worker.is_idle)
    assert got == [("done", n * 2, True) for n in range(5)] + [("error", "ZeroDivisionError", True)]
    assert all(t is not main for t in ran_on)
    assert len(set(ran_on)) == 1  # one serialised thread
    worker.stop()
    assert not worker._thread.is_alive()
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)


def test_worker_results_and_errors_come_back_through_the_signal(qtbot) -> None:
    errors: list[BaseException] = []
    worker = Worker(default_on_error=errors.append)
    busy: list[bool] = []
    worker.busy_changed.connect(busy.append)
    results: list[int] = []
    worker.submit(lambda: 41 + 1, results.append)
    qtbot.waitUntil(worker.is_idle, timeout=5000)
    assert results == [42]
    worker.submit(lambda: int("x"))
    qtbot.waitUntil(worker.is_idle, timeout=5000)
    assert isinstance(errors[0], ValueError)
    assert busy == [True, False, True, False]
    worker.stop()


def _database_at(folder: Path, revision: str) -> None:
    """A database file as an older (or, with a made-up revision, newer) version left it."""

    from alembic import command

    from referral_desk.store.database import DB_FILENAME, alembic_config

    folder.mkdir(parents=True)
    write_key_file(folder)  # the tests' key: the window unlocks with $REFERRAL_DESK_UNLOCK
    engine = keyed_engine(folder / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    engine.dispose()
    if revision != "0004":
        con = connect_db(folder / DB_FILENAME)
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        con.commit()
        con.close()


def test_an_older_database_is_upgraded_behind_a_notice(qtbot, tmp_path, monkeypatch) -> None:
    from referral_desk import app as composition
    from referral_desk.ui import main as ui_main

    _database_at(tmp_path / "data", "0004")
    shown: list[tuple[Any, bool, str]] = []
    real = ui_main.show_upgrade_notice

    def spy() -> Any:
        notice = real()
        shown.append((notice, notice.isVisible(), notice.text()))
        return notice

    started: list[Any] = []
    monkeypatch.setattr(ui_main, "show_upgrade_notice", spy)
    monkeypatch.setattr(
        ui_main, "start_window", lambda services, **_: started.append(services) or 0
    )
    assert composition.run_gui(tmp_path / "data") == 0
    [(notice, visible, text)] = shown
    assert visible and "backup copy is being made first" in text
    assert not notice.isVisible()  # closed before the main window starts
    assert started and list((tmp_path / "data" / "backups").glob("*.sqlite3"))


def test_a_database_that_cannot_be_opened_is_explained_in_a_window(qtbot, tmp_path) -> None:
    from referral_desk import app as composition

    _database_at(tmp_path / "data", "9999")  # written by a newer version
    texts: list[str] = []

    def read_and_close(box: QMessageBox) -> None:
        texts.append(box.text())
        box.accept()

    seen = when_modal(QMessageBox, read_and_close)
    assert composition.run_gui(tmp_path / "data") == 2
    assert seen and "newer version of Referral Desk" in texts[0]
