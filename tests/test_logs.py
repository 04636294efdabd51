"""The log file holds what went wrong, never personal data (the windowed app has no console)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from referral_desk import logs
from referral_desk.app import run
from referral_desk.domain.errors import ValidationError


@pytest.fixture
def log_file(tmp_path: Path):
    path = logs.configure(tmp_path / "data")
    yield path
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()


def _raise_with_personal_data() -> None:
    try:
        raise KeyError("Zoë Ward 1980-01-01 X123456")
    except KeyError as inner:
        raise RuntimeError("INSERT failed [parameters: ('Zoë', 'Ward', 'X123456')]") from inner


def test_unexpected_errors_are_logged_by_type_and_place_without_their_message(log_file) -> None:
    try:
        _raise_with_personal_data()
    except RuntimeError as err:
        logs.log_unexpected(err, "a test")
    text = log_file.read_text("utf-8")
    assert "RuntimeError" in text and "KeyError" in text and "_raise_with_personal_data" in text
    for personal in ("Zoë", "Ward", "1980", "X123456", "parameters"):
        assert personal not in text
    if os.name == "posix":
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_our_own_error_messages_are_kept(log_file) -> None:
    logs.log_unexpected(ValidationError("Date of birth is in the future"), "a test")
    assert "Date of birth is in the future" in log_file.read_text("utf-8")


def test_an_unexpected_error_in_a_command_is_one_line_and_a_log_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from referral_desk.cli import commands

    def broken(_app, _args):
        _raise_with_personal_data()

    assert run(["--data-dir", str(tmp_path / "data"), "init"]) == 0  # set up (recovery code)
    capsys.readouterr()
    monkeypatch.setitem(commands.HANDLERS, "init", broken)
    code = run(["--data-dir", str(tmp_path / "data"), "init"])
    err = capsys.readouterr().err
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "Zoë" not in err
    logged = (tmp_path / "data" / "logs" / "referral-desk.log").read_text("utf-8")
    assert "command init" in logged and "RuntimeError" in logged and "Zoë" not in logged
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()
