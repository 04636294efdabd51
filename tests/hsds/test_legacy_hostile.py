"""Hostile HSDS 1.1/2.0 tabular packages: imported, or refused in one line with nothing
written; never a traceback, never a control character or a cell in a message."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hsds_hostile import (
    FUZZ,
    counts,
    import_or_refused,
    nasty,
)
from hypothesis import given
from hypothesis import strategies as st
from legacy_packages import V11_FILES, write_csvs, write_v11
from sqlalchemy import select

from referral_desk.domain.text import has_controls
from referral_desk.hsds.detect import open_package
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import Limits, PackageError
from referral_desk.store.models import Service

# --- older tabular packages --------------------------------------------------------------


def test_legacy_csv_that_is_not_utf8_is_refused(app: Any, tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    (folder / "phones.csv").write_bytes(b"id,number\r\n1,\xff\xfe\r\n")
    with pytest.raises(PackageError, match=r"phones\.csv is not UTF-8"), app.db.write() as s:
        import_package(s, folder)
    assert counts(app)[1:] == (0, 0, 0)


def test_legacy_csv_with_broken_quoting_is_refused(app: Any, tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    (folder / "services.csv").write_text('id,name\r\n1,"unterminated\r\n', "utf-8")
    assert import_or_refused(app, folder) is None


def test_legacy_row_with_wrong_cell_count_is_listed(app: Any, tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    with (folder / "phones.csv").open("a", encoding="utf-8") as fh:
        fh.write("99,too,few\r\n")
    plan = import_or_refused(app, folder)
    assert plan is not None
    assert any("phones.csv row 3: has 3 cells" in n for n in plan.notes)


def test_legacy_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    (folder / "services.csv").write_text("id,name\r\n" + "1,x\r\n" * 5000, "utf-8")
    with pytest.raises(PackageError, match=r"services\.csv is larger than the limit"):
        open_package(folder, limits=Limits(max_file_bytes=8192))


def test_legacy_link_inside_the_folder_is_refused(tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    (folder / "phones.csv").unlink()
    (folder / "phones.csv").symlink_to("/etc/passwd")
    with pytest.raises(PackageError, match=r"phones\.csv is not a regular file"):
        open_package(folder, limits=Limits())


@FUZZ
@given(
    table=st.sampled_from(
        [
            "organizations.csv",
            "services.csv",
            "phones.csv",
            "regular_schedules.csv",
            "physical_addresses.csv",
        ]
    ),
    cells=st.lists(
        st.one_of(nasty, st.sampled_from(["1", "2", "10", "100", "active", ""])),
        min_size=1,
        max_size=40,
    ),
)
def test_hostile_cells_in_a_legacy_package(app: Any, table: str, cells: list[str]) -> None:
    files = {k: [dict(r) for r in v] for k, v in V11_FILES.items()}
    rows = files[table]
    columns = list(rows[0])
    for n, value in enumerate(cells):
        rows[n % len(rows)][columns[n % len(columns)]] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_csvs(Path(tmp) / "pkg", files)
        plan = import_or_refused(app, folder)
    if plan is not None:
        assert not any(has_controls(n) for n in plan.notes)
    with app.db.read() as session:
        for name in session.scalars(select(Service.name)):
            assert not has_controls(name)
