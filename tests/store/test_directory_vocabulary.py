"""One directory vocabulary (issue 16): every controlled value survives HSDS export and import,
and stored values in older spellings are rewritten by migration 0012."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select
from unlocking import connect, keyed_engine

from referral_desk.demo import generate_demo
from referral_desk.domain.vocabularies import (
    CAPACITIES,
    CONTROLLED_LISTS,
    GENDERS,
    SERVICE_STATUSES,
    capacity_value,
    in_vocabulary,
)
from referral_desk.hsds.exporter import export_package
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.taxonomy import TERMS_BY_CODE
from referral_desk.store.database import DB_FILENAME, alembic_config
from referral_desk.store.models import Service
from referral_desk.usecases.directory_admin import DirectoryAdminService


def test_the_lists_are_those_of_hsds_and_our_taxonomy() -> None:
    assert set(SERVICE_STATUSES) == set(TABLES["service"].field("status").enum)  # type: ignore[union-attr]
    assert TERMS_BY_CODE["capacity"].allowed == CAPACITIES
    assert TERMS_BY_CODE["eligibility-gender"].allowed == GENDERS
    assert in_vocabulary("Waiting_List", CAPACITIES) == "waiting list"
    assert capacity_value("waiting_list") == "waiting list"
    assert capacity_value("") == "accepting"


def _open(data: Path, clock: Any) -> Any:
    from unlocking import open_test_services

    return open_test_services(data, clock)


def test_every_value_of_every_controlled_list_round_trips(
    app: Any, tmp_path: Path, clock: Any, template_db: Path
) -> None:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name="Lists")
    wanted: dict[str, dict[str, str]] = {}
    width = max(len(v) for v in CONTROLLED_LISTS.values())
    for i in range(width):
        values = {f: vals[i % len(vals)] for f, vals in CONTROLLED_LISTS.items()}
        svc = admin.create_service(org.id, f"Service {i}", gender=values["gender"])
        admin.set_status(svc.id, values["status"])
        admin.set_capacity(svc.id, values["capacity"])
        wanted[f"Service {i}"] = values
    with app.db.read() as session:
        export_package(session, tmp_path / "out")
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    shutil.copy2(template_db, other / DB_FILENAME)
    services = _open(other, clock)
    try:
        with services.db.write() as session:
            plan = import_package(session, tmp_path / "out")
        assert plan.rejected == [] and plan.warnings == []
        got = {
            s.name: {"gender": s.gender, "status": s.status, "capacity": s.capacity}
            for s in services.directory.list_services()
        }
    finally:
        services.close()
    assert got == wanted
    seen = {f: {v[f] for v in got.values()} for f in CONTROLLED_LISTS}
    assert seen == {f: set(v) for f, v in CONTROLLED_LISTS.items()}


def test_the_demo_writes_only_vocabulary_values(app: Any) -> None:
    generate_demo(app, people=2, services=60, seed=3)
    services = app.directory.list_services()
    assert {s.capacity for s in services} == set(CAPACITIES)
    with app.db.read() as session:
        stored = set(session.scalars(select(Service.capacity)))
    assert stored == set(CAPACITIES)  # as stored, not only as shown
    for svc in services:
        assert svc.capacity in CAPACITIES and svc.status in SERVICE_STATUSES
        assert svc.gender in GENDERS


def test_migration_0012_rewrites_older_spellings(app: Any, tmp_path: Path, clock: Any) -> None:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name="Old")
    a = admin.create_service(org.id, "A")
    b = admin.create_service(org.id, "B")
    c = admin.create_service(org.id, "C")
    db_file = Path(app.db.path)
    app.close()
    con = connect(db_file)
    con.execute("UPDATE service SET capacity = 'waiting_list' WHERE id = ?", (a.id,))
    con.execute(
        "UPDATE service SET capacity = 'Full', status = 'temporarily_closed' WHERE id = ?", (b.id,)
    )
    con.commit()
    con.close()
    engine = keyed_engine(db_file)  # back to 0011 (later migrations undone) as 0011 left it
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    engine.dispose()
    services = _open(db_file.parent, clock)  # backs up, then upgrades to head
    services.close()
    con = connect(db_file)
    found = dict(
        (sid, (cap, status))
        for sid, cap, status in con.execute("SELECT id, capacity, status FROM service")
    )
    con.close()
    assert found[a.id] == ("waiting list", "active")
    assert found[b.id] == ("full", "temporarily closed")
    assert found[c.id] == ("accepting", "active")


def test_older_exports_with_underscored_values_import_in_the_vocabulary() -> None:
    """Exports of demo data made before the shared vocabulary said `waiting_list`."""
    from referral_desk.hsds.taxonomy import decode_values, encode_values

    term = TERMS_BY_CODE["capacity"]
    assert decode_values(term, ["waiting_list"]) == "waiting list"
    assert encode_values(term, "waiting_list") == ["waiting list"]
    with pytest.raises(ValueError):
        decode_values(term, ["maybe"])
