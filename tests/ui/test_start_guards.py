"""Start-up when something is wrong: a second window on the same data, a missing Qt plugin, an
error nobody expected. Each gives a clear message, is logged, and loses nothing."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QMessageBox
from qt_helpers import when_modal

from referral_desk import logs
from referral_desk.app import EXIT_NO_QT_PLATFORM, run
from referral_desk.ui.main import EXIT_ALREADY_OPEN, LOCK_NAME, install_excepthook, start_window


@pytest.fixture
def log_file(app):
    path = logs.configure(app.data_path.parent)
    yield path
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()


def test_a_second_window_on_the_same_data_is_refused_with_a_message(qtbot, app) -> None:
    first = QLockFile(str(app.data_path.parent / LOCK_NAME))
    assert first.tryLock(0)
    try:
        seen = when_modal(QMessageBox, lambda box: box.close())
        assert start_window(app) == EXIT_ALREADY_OPEN
        assert seen and "already open" in seen[0].text()
    finally:
        first.unlock()


def test_a_missing_qt_platform_plugin_is_explained_not_a_crash(
    tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "nosuchplatform")
    assert run(["--data-dir", str(tmp_path / "data")]) == EXIT_NO_QT_PLATFORM
    err = capsys.readouterr().err
    assert "cannot open its window" in err and "Nothing was changed" in err
    logged = (tmp_path / "data" / "logs" / "referral-desk.log").read_text("utf-8")
    assert "window cannot start" in logged
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()


def test_an_unexpected_error_in_the_window_is_logged_and_shown_without_personal_data(
    qtbot, app, log_file, monkeypatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise RuntimeError("UPDATE person SET family_name='Zephaniah' failed")
    except RuntimeError as err:
        error = err
    shown = when_modal(QMessageBox, lambda box: box.close())
    sys.excepthook(RuntimeError, error, error.__traceback__)
    assert shown, "a window says something went wrong"
    details = shown[0].detailedText()
    assert "RuntimeError" in details and "Zephaniah" not in details
    logged = log_file.read_text("utf-8")
    assert "RuntimeError" in logged and "Zephaniah" not in logged


def test_a_damaged_installation_is_explained_in_a_window_and_logged(
    qtbot, tmp_path, capsys, monkeypatch
) -> None:
    """A resource file the app cannot read (here: the reference data) stops the start with a
    window saying so — the windowed build has no console — and a log entry, not a traceback."""
    from referral_desk import app as composition
    from referral_desk.usecases import reference

    def damaged(*_a, **_k):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(reference.ReferenceService, "seed_defaults", damaged)
    logs.configure(tmp_path / "data")  # as `run` does before the window
    seen = when_modal(QMessageBox, lambda box: box.close())
    assert composition.run_gui(tmp_path / "data") == 2
    assert seen and "could not start" in seen[0].text()
    assert "Traceback" not in capsys.readouterr().err
    logged = (tmp_path / "data" / "logs" / "referral-desk.log").read_text("utf-8")
    assert "opening the data" in logged and "ValueError" in logged
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()
