"""Every command that writes a file the user names refuses the data folder, by any name.

`--out D/referral-desk.sqlite3` once replaced the live database with a report and exited 0.
Each command is driven through `referral_desk.app.run`, as the console script is, with the
target at the database, its WAL, a link to it, a `..` path into it, a hard link to it, a FIFO
and a folder: one line on stderr, exit 1, nothing written anywhere, the database intact.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from unlocking import connect as connect_db

from referral_desk.app import run
from referral_desk.cli.sync_cmd import ENV_PASSPHRASE
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import Organisation, Service, ServiceCategory

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="FIFOs and POSIX links")


@pytest.fixture
def data(app: Any) -> Path:
    return app.data_path.parent


@pytest.fixture
def reference(app: Any) -> str:
    """A sent referral, so `slip` has something to print."""
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=5)
        s.add_all([org, svc, ServiceCategory(service_id=svc.id, category_code="accommodation")])
    person = app.people.add(given_name="Ann", family_name="Bee", date_of_birth="1990-01-01")
    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    return app.referrals.make(need.id, svc.id, consent=True).reference


@pytest.fixture
def cli(data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV_PASSPHRASE, "correct horse battery staple")

    def call(*argv: str) -> tuple[int, str, str]:
        code = run(["--data-dir", str(data), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _file_commands(reference: str) -> dict[str, Callable[[str], list[str]]]:
    return {
        "report": lambda out: [
            "report",
            "unmet-needs",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--format",
            "csv",
            "--out",
            out,
        ],
        "report-pdf": lambda out: [
            "report",
            "outcomes",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--format",
            "pdf",
            "--out",
            out,
        ],
        "slip": lambda out: ["slip", reference, "--out", out],
        "provider-form": lambda out: ["slip", reference, "--form", "--out", out],
        "sync-export": lambda out: ["sync", "export", "--out", out],
        "directory-zip": lambda out: ["directory", "export", out],
    }


COMMANDS = ["report", "report-pdf", "slip", "provider-form", "sync-export", "directory-zip"]


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under `folder` (not following links): what it is, its inode and size.
    SQLite's own -wal/-shm come and go as connections open and close, so they are left out."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(("-wal", "-shm")):
            continue
        st = path.lstat()
        # The database's size may change when SQLite checkpoints; its inode must not.
        size = -1 if path.name == DB_FILENAME else st.st_size
        found[str(path.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_ino, size)
    return found


def _database_intact(data: Path) -> None:
    conn = connect_db(data / DB_FILENAME)  # still opens with its key: an encrypted database
    try:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        conn.close()


def _refused(cli: Any, argv: list[str], tmp_path: Path, data: Path) -> str:
    before = _snapshot(tmp_path)
    code, out, err = cli(*argv)
    assert code == 1, (out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _snapshot(tmp_path) == before  # nothing written, in the data folder or beside it
    _database_intact(data)
    code, _, still = cli("list", "people", "--json")
    assert code == 0, still  # the database still opens and reads
    return err


def _target(kind: str, data: Path, tmp_path: Path, suffix: str) -> str:
    db = data / DB_FILENAME
    if kind == "database":
        return str(db)
    if kind == "wal":
        wal = Path(f"{db}-wal")
        assert wal.exists()
        return str(wal)
    if kind == "new-file-inside":
        return str(data / f"export{suffix}")
    if kind == "dot-dot":
        return str(data / ".." / data.name / DB_FILENAME)
    if kind == "symlink":
        link = tmp_path / f"link{suffix}"
        link.symlink_to(db)
        return str(link)
    if kind == "folder-symlink":
        link = tmp_path / "data-link"
        link.symlink_to(data, target_is_directory=True)
        return str(link / DB_FILENAME)
    if kind == "hard-link":
        hard = tmp_path / f"hard{suffix}"
        os.link(db, hard)
        return str(hard)
    if kind == "fifo":
        fifo = tmp_path / f"fifo{suffix}"
        os.mkfifo(fifo)
        return str(fifo)
    if kind == "folder":
        folder = tmp_path / f"folder{suffix}"
        folder.mkdir()
        return str(folder)
    raise AssertionError(kind)


TARGETS = [
    "database",
    "wal",
    "new-file-inside",
    "dot-dot",
    "symlink",
    "folder-symlink",
    "hard-link",
    "fifo",
    "folder",
]


@POSIX_ONLY
@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("command", COMMANDS)
def test_out_into_the_data_folder_is_refused(
    cli: Any, reference: str, data: Path, tmp_path: Path, command: str, kind: str
) -> None:
    suffix = ".zip" if command == "directory-zip" else ".pdf"
    target = _target(kind, data, tmp_path, suffix)
    err = _refused(cli, _file_commands(reference)[command](target), tmp_path, data)
    if kind in (
        "database",
        "wal",
        "new-file-inside",
        "dot-dot",
        "symlink",
        "folder-symlink",
        "hard-link",
    ):
        assert "data folder" in err


@POSIX_ONLY
@pytest.mark.parametrize(
    "kind", ["data", "dot-dot", "inside", "symlink", "parent", "backups-zip", "fifo-zip"]
)
def test_directory_export_to_the_data_folder_is_refused(
    cli: Any, data: Path, tmp_path: Path, kind: str
) -> None:
    (data / "backups").mkdir(exist_ok=True)
    if kind == "data":
        target = data
    elif kind == "dot-dot":
        target = data / ".." / data.name
    elif kind == "inside":
        target = data / "hsds"
    elif kind == "symlink":
        target = tmp_path / "data-link"
        target.symlink_to(data, target_is_directory=True)
    elif kind == "parent":  # exporting "over" the folder that holds the data folder
        target = data.parent
    elif kind == "backups-zip":
        target = data / "backups" / "directory.zip"
    else:
        target = tmp_path / "fifo.zip"
        os.mkfifo(target)
    err = _refused(cli, ["directory", "export", str(target)], tmp_path, data)
    assert ("not an ordinary file" if kind == "fifo-zip" else "data folder") in err


@pytest.mark.parametrize("command", COMMANDS)
def test_files_written_elsewhere_are_owner_only(
    cli: Any, reference: str, data: Path, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out" / ("export.zip" if command == "directory-zip" else "export.bin")
    out.parent.mkdir()
    out.write_bytes(b"an older file, readable by all")
    out.chmod(0o644)
    code, _, err = cli(*_file_commands(reference)[command](str(out)), "--json")
    assert code == 0, err
    assert out.read_bytes() != b"an older file, readable by all"
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_directory_export_folder_is_owner_only(cli: Any, tmp_path: Path) -> None:
    code, out, err = cli("directory", "export", str(tmp_path / "pkg"), "--json")
    assert code == 0, err
    assert json.loads(out)["path"] == str(tmp_path / "pkg")
    files = list((tmp_path / "pkg").iterdir())
    assert "datapackage.json" in {p.name for p in files}
    if os.name == "posix":
        assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["pkg"]


def test_failed_slip_leaves_nothing_and_says_one_line(
    cli: Any, reference: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk half-way through the PDF: no `.part`, no partial PDF, one line, exit 1."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_full)
    code, out, err = cli("slip", reference, "--out", str(out_dir / "slip.pdf"))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "No space left on device" in err
    assert list(out_dir.iterdir()) == []


def test_failed_slip_keeps_the_previous_pdf(
    cli: Any, reference: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "slip.pdf"
    code, _, err = cli("slip", reference, "--out", str(out))
    assert code == 0, err
    first = out.read_bytes()

    def no_rename(src: Any, dst: Any) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", no_rename)
    code, _, err = cli("slip", reference, "--form", "--out", str(out))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["slip.pdf"]
