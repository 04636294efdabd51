"""The commands that read or write files — `report`, `slip`, `sync`, `directory` — never print a
traceback, whatever file or argument they are given: they succeed, or print one line on stderr
and exit non-zero, and a refused command changes nothing.

Hypothesis makes the files (random bytes, and random bytes after the opening of each format the
app reads: a sync bundle, a zip, a data package descriptor, a CSV) and the arguments (dates,
formats, page sizes, references, paths that are folders, missing or inside the data folder).
The commands run in-process, so an exception that escapes `referral_desk.app.run` fails the test
with its traceback.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unlocking import open_test_services as open_services

from referral_desk.app import run
from referral_desk.demo import generate_demo
from referral_desk.usecases.base import Clock

PASSPHRASE = "correct horse battery staple"
PREFIXES = [
    b"",
    b"RDSYNC\x1a\n",
    b"RDSYNC\x1a\n\x00\x01\x00\x00\x00\x10{}",
    b"PK\x03\x04",
    b'{"resources": [',
    b"id,name,organization_id\n",
    b"\xef\xbb\xbf",
    b"\x00" * 64,
]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


file_bytes = st.one_of(
    st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=2048)).map(lambda t: t[0] + t[1]),
    st.dictionaries(
        st.sampled_from(
            [
                "datapackage.json",
                "services.csv",
                "organizations.csv",
                "../x.csv",
                "/abs.csv",
                "dir/",
            ]
        ),
        st.binary(max_size=512),
        max_size=4,
    ).map(_zip),
)
_real_dates = st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)).map(str)
# Mostly dates the command accepts (so the report is really written), some it must refuse.
dates = st.one_of(
    _real_dates,
    _real_dates,
    _real_dates,
    st.sampled_from(["", "2026-02-30", "31/12/2025", "tomorrow", "9999-99-99"]),
)


@pytest.fixture(scope="module")
def references(seeded: Path) -> list[str]:
    """Real referral references of the demo caseload (so slips are really written)."""
    services = open_services(seeded, Clock())
    try:
        return [r.reference for r in services.referrals.list()][:5]
    finally:
        services.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo caseload, copied afresh for every example that may write."""
    folder = tmp_path_factory.mktemp("seeded") / "data"
    services = open_services(folder, Clock())
    try:
        generate_demo(services, people=6, services=8, seed=3)
    finally:
        services.close()
    return folder


def _fresh(seeded: Path, tmp: Path) -> Path:
    target = tmp / "data"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(seeded, target)
    return target


def _checked(argv: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    code = run(argv)
    _out, err = capsys.readouterr()
    assert code in (0, 1, 2), code
    assert "Traceback" not in err
    if code:
        assert err.strip() and len(err.strip().splitlines()) == 1, err
    return code


_settings = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_settings
@given(data=file_bytes, dry_run=st.booleans())
def test_sync_import_of_any_file(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, dry_run: bool
) -> None:
    folder = _fresh(seeded, tmp_path)
    path = tmp_path / "in.rdsync"
    path.write_bytes(data)
    os.environ["REFERRAL_DESK_PASSPHRASE"] = PASSPHRASE
    try:
        argv = ["--data-dir", str(folder), "sync", "import", str(path)]
        assert _checked(argv + (["--dry-run"] if dry_run else []), capsys) != 0
    finally:
        del os.environ["REFERRAL_DESK_PASSPHRASE"]


@_settings
@given(data=file_bytes, as_zip=st.booleans(), dry_run=st.booleans())
def test_directory_import_of_any_file_or_folder(
    seeded: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    as_zip: bool,
    dry_run: bool,
) -> None:
    folder = _fresh(seeded, tmp_path)
    target = tmp_path / ("pkg.zip" if as_zip else "pkg")
    shutil.rmtree(target, ignore_errors=True)
    target.unlink(missing_ok=True)
    if as_zip:
        target.write_bytes(data)
    else:
        target.mkdir()
        (target / "datapackage.json").write_bytes(data[:200])
        (target / "services.csv").write_bytes(data[200:])
    argv = ["--data-dir", str(folder), "directory", "import", str(target)]
    _checked(argv + (["--dry-run"] if dry_run else []), capsys)


@_settings
@given(
    name=st.sampled_from(["unmet-needs", "outcomes", "followups", "freshness", "nonsense"]),
    date_from=dates,
    date_to=dates,
    fmt=st.sampled_from(["csv", "xlsx", "pdf", "json", "doc"]),
    where=st.sampled_from(["file", "folder", "missing-folder", "database", "wal"]),
)
def test_report_to_any_place(
    seeded: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    date_from: str,
    date_to: str,
    fmt: str,
    where: str,
) -> None:
    folder = _fresh(seeded, tmp_path)
    out = {
        "file": tmp_path / f"report.{fmt}",
        "folder": tmp_path,
        "missing-folder": tmp_path / "no" / "such" / "report.csv",
        "database": folder / "referral-desk.sqlite3",
        "wal": folder / "referral-desk.sqlite3-wal",
    }[where]
    before = (folder / "referral-desk.sqlite3").read_bytes()
    argv = [
        "--data-dir",
        str(folder),
        "report",
        name,
        "--from",
        date_from,
        "--to",
        date_to,
        "--format",
        fmt,
        "--out",
        str(out),
    ]
    code = _checked(argv, capsys)
    if where in ("database", "wal"):
        assert code != 0
        assert (folder / "referral-desk.sqlite3").read_bytes() == before


@_settings
@given(
    data=st.data(),
    size=st.sampled_from(["A4", "A5", "Letter", ""]),
    form=st.booleans(),
    where=st.sampled_from(["file", "folder", "database", "backups"]),
)
def test_slip_of_any_reference_to_any_place(
    seeded: Path,
    references: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data: st.DataObject,
    size: str,
    form: bool,
    where: str,
) -> None:
    folder = _fresh(seeded, tmp_path)
    ref = data.draw(
        st.one_of(
            st.sampled_from(references),
            st.text(max_size=12),
            st.sampled_from(["K7M-3QH", "", "-", "../../etc"]),
        )
    )
    out = {
        "file": tmp_path / "slip.pdf",
        "folder": tmp_path,
        "database": folder / "referral-desk.sqlite3",
        "backups": folder / "backups" / "slip.pdf",
    }[where]
    argv = ["--data-dir", str(folder), "slip", ref, "--out", str(out), "--size", size]
    code = _checked(argv + (["--form"] if form else []), capsys)
    if where in ("database", "backups"):
        assert code != 0
    assert not list(tmp_path.glob("*.part")), "a failed slip leaves nothing behind"
