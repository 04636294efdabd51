"""Fuzzing the HSDS import with malformed packages: it imports, or refuses with a DomainError
(PackageError) and writes nothing — never any other exception, never a half-written import."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from referral_desk.domain.errors import DomainError
from referral_desk.domain.text import has_controls
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import read_package
from referral_desk.hsds.schema import TABLES
from referral_desk.store.models import ChangeEntry, Location, Organisation, Service

IDS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(1, 7)]
TABLE_NAMES = [
    "organization",
    "service",
    "location",
    "service_at_location",
    "phone",
    "service_area",
    "attribute",
    "taxonomy_term",
    "taxonomy",
    "schedule",
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty_text = st.text(
    alphabet=st.sampled_from(list("aZ09 -'\"=,;@\t\r\n\x00\x1b\x1f\x7f\u202e\u00e9\ufeff")),
    max_size=12,
)
cell = st.one_of(
    nasty_text,
    st.sampled_from(IDS),
    st.sampled_from(
        ["active", "physical", "service", "organization", " " + IDS[0].upper() + " ", ""]
    ),
)


@st.composite
def csv_file(draw: Any, table: str) -> bytes:
    """A CSV for `table`: usually its own header (so rows get checked), sometimes noise."""
    kind = draw(st.sampled_from(["rows", "rows", "rows", "valid", "valid", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    columns = list(TABLES[table].columns)
    if kind == "valid":  # rows that pass the checks, with hostile text in them
        return _valid_rows(draw, table, columns)
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))[: draw(st.integers(1, len(columns)))]
    if draw(st.booleans()):
        columns = [*columns, draw(nasty_text)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(columns)
    for _ in range(draw(st.integers(0, 5))):
        width = len(columns) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        writer.writerow([draw(cell) for _ in range(max(width, 0))])
    data = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:  # a truncated or mangled file
        data = data[: draw(st.integers(0, len(data)))] + draw(st.sampled_from(['"', "\x00", ""]))
    return data.encode("utf-8", "surrogatepass")


def _valid_rows(draw: Any, table: str, columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\r\n")
    writer.writeheader()
    for i in range(draw(st.integers(1, 4))):
        row = {c: draw(nasty_text) if draw(st.booleans()) else "" for c in columns}
        row["id"] = IDS[i] if table in ("organization", "taxonomy") else IDS[i + 2]
        for column, target in TABLES[table].links:
            row[column] = IDS[draw(st.integers(0, 1))] if target == "organization" else ""
        for spec in TABLES[table].fields:
            if spec.required and spec.name not in ("id",) and not row[spec.name].strip():
                row[spec.name] = spec.enum[0] if spec.enum else draw(nasty_text) + "x"
            if spec.enum and spec.name in row:
                row[spec.name] = draw(st.sampled_from([*spec.enum, row[spec.name]]))
        if table == "attribute":
            row.update(link_entity="service", link_id=IDS[2])
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | nasty_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def descriptor(draw: Any, tables: list[str]) -> bytes:
    kind = draw(st.sampled_from(["listing", "listing", "listing", "json", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=100))
    if kind == "deep":
        depth = draw(st.sampled_from([40, 5_000, 100_000]))
        return b'{"resources": [], "x": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    resources: list[Any] = [{"name": t, "path": TABLES[t].path} for t in tables]
    if draw(st.booleans()):
        resources.append(
            draw(
                st.one_of(
                    st.fixed_dictionaries({"name": nasty_text, "path": nasty_text}),
                    st.fixed_dictionaries({"path": st.lists(nasty_text, max_size=2)}),
                    json_values,
                )
            )
        )
    return json.dumps({"resources": resources}).encode()


@st.composite
def package(draw: Any) -> tuple[str, dict[str, bytes]]:
    tables = draw(st.lists(st.sampled_from(TABLE_NAMES), unique=True, max_size=6))
    files = {TABLES[t].path: draw(csv_file(t)) for t in tables}
    if draw(st.integers(0, 5)):
        files["datapackage.json"] = draw(descriptor(tables))
    if draw(st.booleans()):
        files[draw(st.sampled_from(["notes.txt", "../x.csv", "/abs.csv", "sub/x.csv"]))] = b"x"
    return draw(st.sampled_from(["folder", "zip", "zip"])), files


def write(root: Path, shape: str, files: dict[str, bytes]) -> Path:
    if shape == "zip":
        archive = root / "p.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return archive
    folder = root / "pkg"
    folder.mkdir()
    for name, data in files.items():
        if name.startswith(("/", "..")):
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def counts(app: Any) -> tuple[int, ...]:
    with app.db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(m))
            for m in (ChangeEntry, Organisation, Location, Service)
        )


@FUZZ
@given(pkg=package())
def test_a_malformed_package_is_imported_or_refused_cleanly(app: Any, pkg: Any) -> None:
    shape, files = pkg
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), shape, files)
        before = counts(app)
        try:
            with app.db.write() as session:
                plan = import_package(session, path)
        except DomainError as err:
            assert counts(app) == before, "a refused import must write nothing"
            assert "\n" not in str(err) and not has_controls(str(err))
            return
    for issue in [*plan.rejected, *plan.warnings]:
        assert not has_controls(issue.message) and not has_controls(issue.record_id)
    with app.db.read() as session:
        for name in session.scalars(select(Service.name)):
            assert not has_controls(name)


@FUZZ
@given(pkg=package())
def test_read_package_reads_or_raises_a_package_error(pkg: Any) -> None:
    shape, files = pkg
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), shape, files)
        try:
            with read_package(path) as read:
                for name in read.tables:
                    for row in read.table(name).rows:
                        cells = [v.replace("\n", "") for v in row.cells.values()]
                        assert not any(map(has_controls, cells))
        except DomainError:
            return
