"""Issue 12 on the command line: every command unlocks (terminal, --unlock-file or
$REFERRAL_DESK_UNLOCK), refuses with one line and writes nothing when it cannot, and
`init` / `demo` set a new folder up (asked twice at a terminal, recovery code shown once)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from unlocking import TEST_PASSPHRASE, TEST_RECOVERY_CODE, plaintext_folder

from referral_desk.app import run
from referral_desk.cli import unlock_cmd

ENV = unlock_cmd.ENV_UNLOCK


def _digest(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm") and "logs" not in p.parts
    }


class Terminal(io.StringIO):
    """Standard input that is a terminal; `typed` is what getpass will return, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, typed: list[str]) -> None:
        super().__init__()
        self.prompts: list[str] = []

        def ask(prompt: str = "") -> str:
            self.prompts.append(prompt)
            if not typed:
                raise EOFError
            return typed.pop(0)

        monkeypatch.setattr("getpass.getpass", ask)
        monkeypatch.setattr(sys, "stdin", self)

    def isatty(self) -> bool:
        return True


@pytest.fixture
def folder(app: Any) -> Path:
    data = app.data_path.parent
    app.close()
    return data


def _one_line_refusal(code: int, out: str, err: str) -> None:
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_passphrase_and_no_terminal_is_one_line_and_writes_nothing(
    folder: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    before = _digest(folder)
    code = run(
        [
            "--data-dir",
            str(folder),
            "person",
            "add",
            "--given",
            "A",
            "--family",
            "B",
            "--dob",
            "1980-01-01",
        ]
    )
    out, err = capsys.readouterr()
    _one_line_refusal(code, out, err)
    assert "--unlock-file" in err and ENV in err
    assert _digest(folder) == before


@pytest.mark.parametrize("how", ["env", "file", "terminal"])
def test_a_wrong_passphrase_is_one_line_and_writes_nothing(
    folder: Path, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    argv = ["--data-dir", str(folder)]
    monkeypatch.delenv(ENV)
    if how == "env":
        monkeypatch.setenv(ENV, "not the passphrase")
    elif how == "file":
        (tmp_path / "unlock.txt").write_text("not the passphrase\n")
        argv += ["--unlock-file", str(tmp_path / "unlock.txt")]
    else:
        Terminal(monkeypatch, ["not the passphrase"])
    before = _digest(folder)
    code = run([*argv, "person", "add", "--given", "A", "--family", "B", "--dob", "1980-01-01"])
    out, err = capsys.readouterr()
    _one_line_refusal(code, out, err)
    assert "passphrase is not right" in err
    after = _digest(folder)
    assert after.pop("unlock-attempts.json")  # counted for the delay; nothing else written
    assert after == before


def test_the_passphrase_from_a_file_or_a_terminal_unlocks(
    folder: Path, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    (tmp_path / "unlock.txt").write_text(TEST_PASSPHRASE + "\n")
    assert (
        run(
            [
                "--data-dir",
                str(folder),
                "--unlock-file",
                str(tmp_path / "unlock.txt"),
                "list",
                "people",
            ]
        )
        == 0
    )
    terminal = Terminal(monkeypatch, [TEST_PASSPHRASE])
    assert run(["--data-dir", str(folder), "list", "people"]) == 0
    assert terminal.prompts == ["Passphrase: "]
    capsys.readouterr()


def test_init_at_a_terminal_asks_twice_and_shows_the_recovery_code_once(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV)
    folder = tmp_path / "new"
    Terminal(monkeypatch, ["a good passphrase", "a good passphras"])
    code = run(["--data-dir", str(folder), "init"])
    out, err = capsys.readouterr()
    _one_line_refusal(code, out, err)
    assert "differ" in err and _digest(folder) == {}  # nothing set up, nothing written
    terminal = Terminal(monkeypatch, ["a good passphrase", "a good passphrase"])
    assert run(["--data-dir", str(folder), "init", "--json"]) == 0
    out, err = capsys.readouterr()
    assert len(terminal.prompts) == 2
    assert json.loads(out)["categories"] > 0  # stdout stays JSON
    assert "Recovery code" in err and "only this once" in err
    Terminal(monkeypatch, ["a good passphrase"])
    assert run(["--data-dir", str(folder), "init"]) == 0
    assert "Recovery code" not in capsys.readouterr().err


def test_other_commands_do_not_set_a_new_folder_up(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "new"
    code = run(["--data-dir", str(folder), "list", "people"])
    out, err = capsys.readouterr()
    _one_line_refusal(code, out, err)
    assert "referral-desk init" in err and _digest(folder) == {}


def test_change_passphrase_then_recover(
    folder: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(unlock_cmd.ENV_NEW_UNLOCK, "second passphrase")
    assert run(["--data-dir", str(folder), "unlock", "change-passphrase"]) == 0
    assert "Passphrase changed" in capsys.readouterr().out
    code = run(["--data-dir", str(folder), "list", "people"])  # the old one no longer opens
    _one_line_refusal(code, *capsys.readouterr())
    monkeypatch.setenv(ENV, "second passphrase")
    assert run(["--data-dir", str(folder), "list", "people"]) == 0
    monkeypatch.setenv(unlock_cmd.ENV_RECOVERY_CODE, TEST_RECOVERY_CODE.lower())
    monkeypatch.setenv(unlock_cmd.ENV_NEW_UNLOCK, "third passphrase")
    monkeypatch.delenv(ENV)
    assert run(["--data-dir", str(folder), "unlock", "recover"]) == 0
    monkeypatch.setenv(ENV, "third passphrase")
    capsys.readouterr()
    assert run(["--data-dir", str(folder), "unlock", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["os_login"] is False


def test_a_plaintext_folder_is_encrypted_by_init_and_the_officer_is_told(
    tmp_path: Path, capsys: Any
) -> None:
    folder = plaintext_folder(tmp_path / "old")
    assert run(["--data-dir", str(folder), "list", "people"]) == 1  # not set up: refused
    capsys.readouterr()
    assert run(["--data-dir", str(folder), "init"]) == 0
    err = capsys.readouterr().err
    assert "now encrypted" in err and "Recovery code" in err


def test_scripted_unlock_in_a_child_process(folder: Path) -> None:
    """As a scheduled job runs it: no terminal, the passphrase in the environment."""
    done = subprocess.run(
        [sys.executable, "-m", "referral_desk", "--data-dir", str(folder), "list", "people"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
