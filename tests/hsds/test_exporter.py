"""HSDS 3.0 export: a valid package that our own import reads back identically."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE as EXAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from referral_desk.hsds.exporter import ExportError, export_package, package_files
from referral_desk.hsds.importer import import_package
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.taxonomy import LOCAL_TAXONOMY, LOCAL_TERMS
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import (
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.usecases.directory_admin import DirectoryAdminService

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BOOKKEEPING = {"created_at", "updated_at", "site_id"}


@pytest.fixture
def other_app(tmp_path: Path, clock: Any, template_db: Path) -> Iterator[Any]:
    """A second, empty installation to import into."""
    from unlocking import open_test_services as open_services

    data = tmp_path / "other"
    data.mkdir(mode=0o700)
    shutil.copy2(template_db, data / DB_FILENAME)
    services = open_services(data, clock)
    yield services
    services.close()


def build_directory(app: Any) -> dict[str, str]:
    """A directory using every field we have, including awkward values."""
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(
        name="=CMD()",
        charity_number="1234567",
        company_number="07654321",
        description="Housing and resettlement",
        website="https://newleaf.example",
        email="hello@newleaf.example",
        phone="+44 113 496 0000",
        faith_based=True,
        uses_volunteers=True,
        lived_experience=True,
    )
    bare = admin.create_organisation(name="Open Door")  # no description: HSDS needs one
    loc = admin.create_location(
        organisation_id=org.id,
        name="Head office",
        address_1="1 Park Row",
        address_2="Floor 2",
        city="Leeds",
        region="West Yorkshire",
        postcode="ls1 5hd",
        latitude=53.7997,
        longitude=-1.5492,
    )
    only_postcode = admin.create_location(organisation_id=bare.id, postcode="M1 1AE")
    refuge_site = admin.create_location(
        organisation_id=bare.id, name="Refuge", address_1="2 Secret Street", city="Bolton"
    )
    full = admin.create_service(
        org.id,
        "Housing advice",
        location_id=loc.id,
        description="Advice on tenancies.",
        status="active",
        gender="male",
        min_age=18,
        max_age=65,
        offence_exclusions=["arson"],
        risk_levels=["low", "medium"],
        cohorts=["IOM"],
        prisons=["HMP Leeds", "HMP Wakefield"],
        community=False,
        through_the_gate=True,
        free=False,
        unit_cost=42.5,
        referral_method="email",
        referral_contact="referrals@newleaf.example",
        contact_name="Sam Duty",
        phone="-0113 496 0001",
        email="advice@newleaf.example",
        response_days=3,
        waiting_weeks=2,
        languages=["English", "Polish"],
        accessibility="Step-free access",
        opening_times="Mon 9-5\n+Tue 10-4",
        what_to_bring="ID\n\nProof of address",
        categories=["accommodation", "finance"],
        areas=["Leeds", "Bradford"],
    )
    admin.set_precheck(full.id, isp_agreed=True, reports_attendance=True, reports_progress=True)
    admin.set_capacity(full.id, "waiting list")
    admin.verify_today(full.id)
    refuge = admin.create_service(
        bare.id,
        "Women's refuge",
        location_id=refuge_site.id,
        confidential_address=True,
        categories=["women"],
    )
    paid = admin.create_service(bare.id, "Spot purchase", free=False, location_id=only_postcode.id)
    admin.set_status(paid.id, "temporarily_closed")
    minimal = admin.create_service(bare.id, "Minimal")
    return {
        "org": org.id,
        "bare": bare.id,
        "loc": loc.id,
        "full": full.id,
        "refuge": refuge.id,
        "refuge_site": refuge_site.id,
        "paid": paid.id,
        "minimal": minimal.id,
    }


def snapshot(app: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every directory column of every live record, keyed by HSDS id."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with app.db.read() as session:
        for model in (Organisation, Location, Service, ServiceArea):
            table = model.__table__
            rows = session.execute(select(table).where(table.c.deleted_at.is_(None)))
            out[table.name] = {
                (r.hsds_id or r.id): {k: v for k, v in r._mapping.items() if k not in _BOOKKEEPING}
                for r in rows
            }
        cats = session.execute(
            select(ServiceCategory.service_id, ServiceCategory.category_code).where(
                ServiceCategory.deleted_at.is_(None)
            )
        )
        out["categories"] = {"all": {"pairs": sorted(cats)}}  # type: ignore[dict-item]
    return out


def read_dir(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def check_valid_hsds(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Header, required values, UUIDs, enums and every foreign key, as a validator would."""
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    tables: dict[str, list[dict[str, str]]] = {}
    for resource in descriptor["resources"]:
        name = resource["name"]
        fields = resource["schema"]["fields"]
        raw = (folder / resource["path"]).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
        assert reader.fieldnames == [f["name"] for f in fields], name
        assert [f["name"] for f in fields][: len(TABLES[name].fields)] == list(TABLES[name].columns)
        rows = list(reader)
        for row in rows:
            for f in fields:
                value = row[f["name"]]
                if f["constraints"]["required"]:
                    assert value != "", (name, f["name"])
                if f.get("format") == "uuid" and value:
                    assert _UUID.fullmatch(value), (name, f["name"])
                if "enum" in f["constraints"] and value:
                    assert value in f["constraints"]["enum"], (name, f["name"])
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), name
        tables[name] = rows
    ids = {n: {r["id"] for r in rows} for n, rows in tables.items()}
    for resource in descriptor["resources"]:
        for fk in resource["schema"].get("foreignKeys", []):
            target = fk["reference"]["resource"]
            for row in tables[resource["name"]]:
                value = row[fk["fields"]]
                assert not value or value in ids[target], (resource["name"], fk["fields"])
    for row in tables["attribute"]:
        assert row["link_id"] in ids[row["link_entity"]]
    return tables


def export_dir(app: Any, folder: Path) -> dict[str, int]:
    with app.db.read() as session:
        return export_package(session, folder)


def import_into(app: Any, path: Path) -> Any:
    with app.db.write() as session:
        return import_package(session, path)


def test_export_is_valid_hsds_with_our_local_taxonomy(app: Any, tmp_path: Path) -> None:
    build_directory(app)
    counts = export_dir(app, tmp_path / "out")
    tables = check_valid_hsds(tmp_path / "out")
    assert counts["service"] == 4 and counts["organization"] == 2
    assert LOCAL_TAXONOMY.id in {t["id"] for t in tables["taxonomy"]}
    published = {t["code"] for t in tables["taxonomy_term"] if t["taxonomy"] == "referral-desk"}
    assert published == {t.code for t in LOCAL_TERMS}
    by_term = {t["id"]: t["code"] for t in tables["taxonomy_term"]}
    values = {(by_term[a["taxonomy_term_id"]], a["value"]) for a in tables["attribute"]}
    assert {
        ("prison-served", "HMP Leeds"),
        ("offence-exclusion", "arson"),
        ("precheck-isp-agreed", "true"),
        ("capacity", "waiting list"),
        ("accommodation", ""),
        ("faith-based", "true"),
    } <= values


def test_formula_like_cells_are_exported_verbatim(app: Any, tmp_path: Path) -> None:
    """HSDS is data interchange, not a spreadsheet: no apostrophe before = + - @."""
    build_directory(app)
    export_dir(app, tmp_path / "out")
    orgs = (tmp_path / "out" / "organizations.csv").read_text("utf-8")
    assert ",=CMD()," in orgs and "'=CMD()" not in orgs
    phones = (tmp_path / "out" / "phones.csv").read_text("utf-8")
    assert ",+44 113 496 0000," in phones and ",-0113 496 0001," in phones
    assert "'" not in phones
    schedules = (tmp_path / "out" / "schedules.csv").read_text("utf-8")
    assert ",+Tue 10-4," in schedules and "'+Tue" not in schedules
    descriptor = json.loads((tmp_path / "out" / "datapackage.json").read_text("utf-8"))
    assert descriptor["referral_desk"] == {"cells": "verbatim"}


_PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''+", "'-", "@'"])
_TEXT = st.text(st.characters(categories=("L", "N", "P", "S", "Zs"), codec="utf-8"), max_size=30)
_VALUE = st.builds(lambda p, t: p + t, _PREFIXES, _TEXT).filter(lambda v: v.strip() != "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(_VALUE, min_size=7, max_size=7),
    phone=st.sampled_from(["+44 113 496 0000", "+44 (0)7700 900123", "0113 496 0000"]),
)
def test_every_stored_value_survives_export_byte_for_byte(
    app: Any, values: list[str], phone: str
) -> None:
    """Stored values -> export -> the csv module (a third-party reader): the same strings."""
    admin = DirectoryAdminService(app.db, app.clock)
    orgs = app.directory.list_organisations()
    org_id = orgs[0]["id"] if orgs else admin.create_organisation(name="x").id
    admin.update_organisation(org_id, name=values[0], description=values[1])
    services = app.directory.list_services()
    svc_id = services[0].id if services else admin.create_service(org_id, "x").id
    admin.update_service(
        svc_id,
        name=values[2],
        description=values[3],
        phone=phone,
        contact_name=values[5],
        what_to_bring=values[6],
        opening_times=values[6],
        languages=[values[6]],
    )
    with app.db.read() as session:
        org = session.get(Organisation, org_id)
        svc = session.get(Service, svc_id)
        assert org is not None and svc is not None
        stored = {
            ("organizations.csv", "name"): org.name,
            ("organizations.csv", "description"): org.description,
            ("services.csv", "name"): svc.name,
            ("services.csv", "description"): svc.description,
            ("phones.csv", "number"): svc.phone,
            ("contacts.csv", "name"): svc.contact_name,
            ("required_documents.csv", "document"): svc.what_to_bring,
            ("schedules.csv", "description"): svc.opening_times,
            ("languages.csv", "name"): svc.languages[0],
        }
        files, _counts = package_files(session)
    for (name, column), value in stored.items():
        assert value  # the test stores something in every one of them
        reader = csv.DictReader(io.StringIO(files[name].decode("utf-8"), newline=""))
        cells = {row[column] for row in reader}
        assert value in cells, (name, column)


def test_apostrophes_are_data_in_packages_from_others(app: Any, tmp_path: Path) -> None:
    """A leading apostrophe in someone else's package is kept: only we ever escaped cells."""
    pkg = tmp_path / "theirs"
    shutil.copytree(EXAMPLE, pkg)
    services = pkg / "services.csv"
    services.write_text(
        services.read_text("utf-8").replace("Community Counselling", "'+Community Counselling"),
        "utf-8",
    )
    import_into(app, pkg)
    (svc,) = app.directory.list_services()
    assert svc.name == "'+Community Counselling"


def test_packages_from_older_versions_of_ours_are_unescaped(
    app: Any, other_app: Any, tmp_path: Path
) -> None:
    """Older Referral Desk exports prefixed formula-like cells: those apostrophes are removed."""
    build_directory(app)
    export_dir(app, tmp_path / "new")
    old = tmp_path / "old"
    old.mkdir()
    for path in (tmp_path / "new").iterdir():
        if path.name == "datapackage.json":
            descriptor = json.loads(path.read_text("utf-8"))
            del descriptor["referral_desk"]  # as versions before the verbatim export wrote it
            (old / path.name).write_text(json.dumps(descriptor), "utf-8")
            continue
        text = path.read_text("utf-8")
        for value in ("=CMD()", "+44 113 496 0000", "-0113 496 0001", "+Tue 10-4"):
            text = text.replace("," + value, ",'" + value)
        (old / path.name).write_text(text, "utf-8")
    assert "'=CMD()" in (old / "organizations.csv").read_text("utf-8")
    plan = import_into(other_app, old)
    assert plan.rejected == []
    names = {o["name"] for o in other_app.directory.list_organisations()}
    assert "=CMD()" in names
    phones = {s.phone for s in other_app.directory.list_services()}
    assert "-0113 496 0001" in phones


def test_confidential_addresses_are_never_exported(app: Any, tmp_path: Path) -> None:
    ids = build_directory(app)
    export_dir(app, tmp_path / "out")
    everything = b"".join(read_dir(tmp_path / "out").values()).decode("utf-8")
    assert "Secret Street" not in everything
    assert ids["refuge_site"] not in everything
    assert "Women's refuge" in everything


def test_round_trip_loses_nothing(app: Any, other_app: Any, tmp_path: Path) -> None:
    ids = build_directory(app)
    export_dir(app, tmp_path / "a")
    plan = import_into(other_app, tmp_path / "a")
    assert plan.rejected == [] and plan.warnings == []
    before, after = snapshot(app), snapshot(other_app)
    # The refuge's address was withheld on purpose; everything else is identical.
    before["service"][ids["refuge"]]["location_id"] = None
    del before["location"][ids["refuge_site"]]
    assert after == before
    # Our own export leaves nothing to keep verbatim.
    assert all(
        not r["extra"] for t in ("organisation", "location", "service") for r in after[t].values()
    )
    export_dir(other_app, tmp_path / "b")
    assert read_dir(tmp_path / "a") == read_dir(tmp_path / "b")


def test_reimporting_our_own_export_changes_nothing(app: Any, tmp_path: Path) -> None:
    build_directory(app)
    export_dir(app, tmp_path / "a")
    plan = import_into(app, tmp_path / "a")
    assert plan.changes == []
    assert plan.counts["service"]["unchanged"] == 4


def test_example_package_round_trips(app: Any, other_app: Any, tmp_path: Path) -> None:
    import_into(app, EXAMPLE)
    export_dir(app, tmp_path / "a")
    check_valid_hsds(tmp_path / "a")
    plan = import_into(other_app, tmp_path / "a")
    assert plan.rejected == [] and plan.warnings == []
    assert snapshot(other_app) == snapshot(app)
    export_dir(other_app, tmp_path / "b")
    assert read_dir(tmp_path / "a") == read_dir(tmp_path / "b")
    # Rows we do not model survive with their own ids and columns.
    original = (EXAMPLE / "funding.csv").read_text("utf-8").splitlines()[1]
    exported = (tmp_path / "a" / "funding.csv").read_text("utf-8").splitlines()[1]
    assert exported == original


def test_zip_export_is_deterministic_and_importable(
    app: Any, other_app: Any, tmp_path: Path
) -> None:
    build_directory(app)
    with app.db.read() as session:
        first = export_package(session, tmp_path / "one.zip")
        export_package(session, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert "datapackage.json" in zf.namelist()
    plan = import_into(other_app, tmp_path / "one.zip")
    assert plan.counts["service"]["new"] == first["service"]


def test_edited_fields_replace_kept_rows(app: Any, tmp_path: Path) -> None:
    """A phone number edited after import is exported as the new number, not the old row."""
    import_into(app, EXAMPLE)
    admin = DirectoryAdminService(app.db, app.clock)
    (svc,) = app.directory.list_services()
    admin.update_service(svc.id, phone="0113 496 0999")
    with app.db.read() as session:
        files, _ = package_files(session)
    phones = files["phones.csv"].decode("utf-8")
    assert "0113 496 0999" in phones and "1234 234567" not in phones
    # the schedule row that pointed at the phone's service_at_location is untouched
    assert "48102e86-bb50-41c4-8f1e-e269368c41d1" in files["schedules.csv"].decode("utf-8")


def test_export_to_a_file_path_that_is_not_zip_is_refused(app: Any, tmp_path: Path) -> None:
    target = tmp_path / "existing.txt"
    target.write_text("x", "utf-8")
    with pytest.raises(ExportError):
        export_dir(app, target)


@pytest.mark.parametrize("value", ["=CMD()", "+44", "-1", "@SUM(A1)", "'=x", "''=y", "plain", ""])
def test_legacy_cell_escape_is_undone(value: str) -> None:
    """What older exports wrote ("'" + value before = + - @, and before already-escaped values)
    reads back as the value."""
    from referral_desk.hsds.package_reader import unescape_cell

    escaped = "'" + value if value and value.lstrip("'")[:1] in ("=", "+", "-", "@") else value
    assert unescape_cell(escaped) == value


def test_only_our_older_packages_count_as_escaped() -> None:
    from referral_desk.hsds.package_reader import legacy_escaped

    assert legacy_escaped({"name": "referral-desk-directory"})
    assert not legacy_escaped(
        {"name": "referral-desk-directory", "referral_desk": {"cells": "verbatim"}}
    )
    assert not legacy_escaped({"name": "someone-else"})


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((folder / name).read_text("utf-8"), newline="")))


def test_standard_columns_we_hold_are_filled(app: Any, tmp_path: Path) -> None:
    ids = build_directory(app)
    export_dir(app, tmp_path / "out")
    out = tmp_path / "out"
    (svc,) = [r for r in _rows(out, "services.csv") if r["id"] == ids["full"]]
    assert svc["application_process"] == "By email: referrals@newleaf.example"
    assert svc["wait_time"] == "About 2 weeks"
    assert svc["eligibility_description"] == (
        "Men only. Aged 18 to 65. Cohorts: IOM. Risk levels accepted: low, medium. "
        "Offences not accepted: arson."
    )
    phones = {r["number"]: r["type"] for r in _rows(out, "phones.csv")}
    assert phones["+44 113 496 0000"] == "voice"
    languages = {(r["name"], r["code"]) for r in _rows(out, "languages.csv")}
    assert languages == {("English", "en"), ("Polish", "pl")}
    schedules = [r for r in _rows(out, "schedules.csv") if r["service_id"] == ids["full"]]
    assert [
        (r["description"], r["byday"], r["opens_at"], r["closes_at"], r["freq"], r["wkst"])
        for r in schedules
    ] == [
        ("Mon 9-5", "MO", "09:00:00", "17:00:00", "WEEKLY", "MO"),
        ("+Tue 10-4", "", "", "", "", ""),  # not a form we read: free text only
    ]


def test_a_line_of_several_day_groups_round_trips(app: Any, other_app: Any, tmp_path: Path) -> None:
    admin = DirectoryAdminService(app.db, app.clock)
    org = admin.create_organisation(name="Times")
    text = "Mon–Thu 9–5, Fri 9–4:30\nMon–Thu 9–5, Fri 9–4:30\n\nTue & Thu 10am-2pm"
    admin.create_service(org.id, "Hours", opening_times=text, phone="07700 900123")
    export_dir(app, tmp_path / "a")
    rows = _rows(tmp_path / "a", "schedules.csv")
    assert [r["byday"] for r in rows] == ["MO,TU,WE,TH", "FR", "MO,TU,WE,TH", "FR", "", "TU,TH"]
    assert _rows(tmp_path / "a", "phones.csv")[0]["type"] == "cell"
    import_into(other_app, tmp_path / "a")
    (svc,) = other_app.directory.list_services()
    assert svc.opening_times == text
    export_dir(other_app, tmp_path / "b")
    assert read_dir(tmp_path / "a") == read_dir(tmp_path / "b")


def test_schedule_rows_without_text_are_read_back(app: Any, tmp_path: Path) -> None:
    pkg = tmp_path / "theirs"
    shutil.copytree(EXAMPLE, pkg)
    path = pkg / "schedules.csv"
    rows = _rows(pkg, "schedules.csv")
    rows[0]["description"] = ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8")
    import_into(app, pkg)
    (svc,) = app.directory.list_services()
    assert svc.opening_times == "Thu, Fri 10:00–18:00"
    assert "Urdu" in svc.languages


def test_a_publishers_own_words_are_exported_as_they_were(app: Any, tmp_path: Path) -> None:
    import_into(app, EXAMPLE)
    export_dir(app, tmp_path / "out")
    (theirs,) = _rows(EXAMPLE, "services.csv")
    (ours,) = _rows(tmp_path / "out", "services.csv")
    for column in ("application_process", "wait_time", "eligibility_description"):
        assert ours[column] == theirs[column]
