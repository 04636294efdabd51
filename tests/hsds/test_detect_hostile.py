"""Hostile HSDS 1.1/2.0 packages and ORUK JSON files: imported, or refused in one line with
nothing written; never a traceback, never a control character or a cell in a message."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from legacy_packages import V11_FILES, oruk_service, write_csvs, write_json, write_v11
from sqlalchemy import func, select

from referral_desk.domain.errors import DomainError
from referral_desk.domain.text import has_controls
from referral_desk.hsds.detect import open_package, publisher_of
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import Limits, PackageError
from referral_desk.store.models import ChangeEntry, Location, Organisation, Service

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
nasty = st.text(
    alphabet=st.sampled_from(list("aZ09 -'\"=,;@\t\r\n\x00\x1b\x1f\x7f\u202e\u00e9\ufeff{}[]")),
    max_size=12,
)
SECRET = "Jane Doe 1980"  # stands for personal data: never in a message


def counts(app: Any) -> tuple[int, ...]:
    with app.db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(m))
            for m in (ChangeEntry, Organisation, Location, Service)
        )


def _import(app: Any, path: Path) -> Any:
    """Import; on a DomainError check it is one clean line and nothing was written."""
    before = counts(app)
    try:
        with app.db.write() as session:
            return import_package(session, path)
    except DomainError as err:
        message = str(err)
        assert "\n" not in message and not has_controls(message)
        assert SECRET not in message
        assert counts(app) == before, "a refused import must write nothing"
        return None


# --- JSON files --------------------------------------------------------------------------


def test_json_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write_json(tmp_path / "big.json", [oruk_service(n) for n in range(50)])
    with pytest.raises(PackageError, match="larger than the limit"):
        open_package(path, limits=Limits(max_file_bytes=4096))


def test_deeply_nested_json_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(PackageError, match="nested more than"):
        open_package(path, limits=Limits())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{not json", "cannot be read as JSON"),
        (b"42", "holds no Open Referral services"),
        (b'{"total": 3}', "holds no Open Referral services"),
    ],
)
def test_unusable_json_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    with pytest.raises(PackageError, match=expected) as err:
        open_package(path, limits=Limits())
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_json_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.json"
    os.mkfifo(fifo)
    with pytest.raises(PackageError, match="not a regular file"):
        open_package(fifo, limits=Limits())


def test_items_that_are_not_services_are_listed(app: Any, tmp_path: Path) -> None:
    plan = _import(app, write_json(tmp_path / "f.json", [oruk_service(1), 7, "x", None]))
    assert plan is not None and plan.counts["service"]["new"] == 1
    assert sum("is not a service object" in n for n in plan.notes) == 3


def test_control_characters_in_json_are_cleaned_and_never_echoed(app: Any, tmp_path: Path):
    service = oruk_service(1)
    service["name"] = "Housing\x1b[2J advice\x00"
    service["organization"]["name"] = "New\u202eLeaf"
    plan = _import(app, write_json(tmp_path / "f.json", service))
    assert plan is not None and plan.cleaned_cells >= 1
    with app.db.read() as session:
        assert not any(has_controls(n) for n in session.scalars(select(Service.name)))


def test_personal_data_in_a_rejected_json_is_not_in_the_refusal(app: Any, tmp_path: Path):
    bad = {
        "id": SECRET,
        "name": "",
        "description": SECRET,
        "organization": {"id": SECRET, "name": SECRET},
    }
    with pytest.raises(PackageError) as err, app.db.write() as session:
        import_package(session, write_json(tmp_path / "f.json", [bad]))
    assert SECRET not in str(err.value)


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(), nasty),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(nasty, inner, max_size=3)),
    max_leaves=12,
)
SERVICE_KEYS = [
    "id",
    "name",
    "status",
    "description",
    "organization",
    "organization_id",
    "phones",
    "schedules",
    "service_at_locations",
    "attributes",
    "languages",
    "service_areas",
    "eligibilitys",
    "contacts",
    "regular_schedules",
    "service_taxonomys",
    "cost_options",
]


@st.composite
def service_like(draw: Any) -> Any:
    """A service object with any value under the keys the reader looks at (and others)."""
    base = oruk_service(draw(st.integers(1, 3))) if draw(st.booleans()) else {}
    for key in draw(st.lists(st.sampled_from(SERVICE_KEYS), max_size=5)):
        base[key] = draw(json_value)
    if draw(st.booleans()):
        base[draw(nasty)] = draw(json_value)
    return base


@FUZZ
@given(
    document=st.one_of(
        json_value,
        st.lists(service_like(), max_size=4),
        st.builds(lambda items: {"contents": items}, st.lists(service_like(), max_size=4)),
        service_like(),
    )
)
def test_any_json_is_imported_or_refused_cleanly(app: Any, document: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = write_json(Path(tmp) / "feed.json", document)
        except ValueError:  # a float json cannot write (nan is written as NaN, which is fine)
            return
        plan = _import(app, path)
    if plan is not None:
        for issue in [*plan.rejected, *plan.warnings]:
            assert not has_controls(issue.message)
        for note in plan.notes:
            assert not has_controls(note)
    with app.db.read() as session:
        for name in session.scalars(select(Service.name)):
            assert not has_controls(name)


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
    assert _import(app, folder) is None


def test_legacy_row_with_wrong_cell_count_is_listed(app: Any, tmp_path: Path) -> None:
    folder = write_v11(tmp_path / "pkg")
    with (folder / "phones.csv").open("a", encoding="utf-8") as fh:
        fh.write("99,too,few\r\n")
    plan = _import(app, folder)
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


def test_publisher_is_the_name_without_a_trailing_date() -> None:
    assert publisher_of(Path("/x/acme-2026-12.zip"), {}) == "acme"
    assert publisher_of(Path("/x/acme_20270101"), {}) == "acme"
    assert publisher_of(Path("/x/2027.zip"), {}) == "2027"
    assert publisher_of(Path("/x/pkg/datapackage.json"), {"name": "Leeds"}) == "leeds"


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
        plan = _import(app, folder)
    if plan is not None:
        assert not any(has_controls(n) for n in plan.notes)
    with app.db.read() as session:
        for name in session.scalars(select(Service.name)):
            assert not has_controls(name)
