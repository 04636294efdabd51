"""Where the data lives: `--data-dir`, then the environment, then the per-user local folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral_desk.paths import ENV_DATA_DIR, data_dir


def test_an_explicit_folder_wins_over_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "env"))
    assert data_dir(tmp_path / "given") == tmp_path / "given"


def test_the_environment_is_used_and_a_tilde_expanded(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(ENV_DATA_DIR, "~/desk")
    assert data_dir() == tmp_path / "desk"
    assert data_dir("") == tmp_path / "desk"  # a blank --data-dir is not a folder


def test_without_either_it_is_the_local_user_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    folder = data_dir()
    assert isinstance(folder, Path) and folder.is_absolute()
    assert folder.name == "ReferralDesk"
