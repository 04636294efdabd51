"""One import at a time per database: a second holder is refused at once, the lock file is
owner-only, and the lock is free again as soon as its holder lets go."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from referral_desk.sync.import_lock import SUFFIX, ImportBusy, import_lock


def test_a_second_import_of_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "referral-desk.sqlite3"
    with import_lock(db):
        with pytest.raises(ImportBusy, match="Another sync import"), import_lock(db):
            pass  # pragma: no cover - never entered
        with import_lock(tmp_path / "other.sqlite3"):  # another database is not blocked
            pass
    with import_lock(db):  # released on the way out
        pass
    lock_file = db.with_name(db.name + SUFFIX)
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600


def test_the_lock_is_released_when_the_body_fails(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with pytest.raises(RuntimeError), import_lock(db):
        raise RuntimeError("import failed")
    with import_lock(db):
        pass


def test_another_process_holding_the_lock_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with import_lock(db):
        code = (
            "import sys\n"
            "from referral_desk.sync.import_lock import ImportBusy, import_lock\n"
            "try:\n"
            "    with import_lock(sys.argv[1]):\n"
            "        sys.exit(0)\n"
            "except ImportBusy:\n"
            "    sys.exit(3)\n"
        )
        done = subprocess.run([sys.executable, "-c", code, str(db)], check=False, timeout=60)
    assert done.returncode == 3
