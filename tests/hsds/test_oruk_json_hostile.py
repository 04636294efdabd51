"""Hostile ORUK JSON files: imported, or refused in one line with nothing written; never a
traceback, never a control character or a cell in a message."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hsds_hostile import (
    FUZZ,
    SECRET,
    import_or_refused,
    nasty,
)
from hypothesis import given
from hypothesis import strategies as st
from legacy_packages import oruk_service, write_json
from sqlalchemy import select

from referral_desk.domain.text import has_controls
from referral_desk.hsds.detect import open_package
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.package_reader import Limits, PackageError
from referral_desk.store.models import Service

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
    plan = import_or_refused(app, write_json(tmp_path / "f.json", [oruk_service(1), 7, "x", None]))
    assert plan is not None and plan.counts["service"]["new"] == 1
    assert sum("is not a service object" in n for n in plan.notes) == 3


def test_control_characters_in_json_are_cleaned_and_never_echoed(app: Any, tmp_path: Path):
    service = oruk_service(1)
    service["name"] = "Housing\x1b[2J advice\x00"
    service["organization"]["name"] = "New\u202eLeaf"
    plan = import_or_refused(app, write_json(tmp_path / "f.json", service))
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
        plan = import_or_refused(app, path)
    if plan is not None:
        for issue in [*plan.rejected, *plan.warnings]:
            assert not has_controls(issue.message)
        for note in plan.notes:
            assert not has_controls(note)
    with app.db.read() as session:
        for name in session.scalars(select(Service.name)):
            assert not has_controls(name)
