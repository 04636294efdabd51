"""Benchmark: import packages written by others, next to merely parsing them, in one run.

    python benchmarks/bench_hsds_other_forms.py [--services 5000]

Writes a fictional directory twice — as an HSDS 1.1 tabular package without datapackage.json
(numeric ids, physical_addresses.csv, regular_schedules.csv, services_taxonomy.csv…) and as an
ORUK JSON page of full `/services/{id}` objects — then for each prints the time of a preview
(read, translate, check, plan) and of an import into an empty database through
`DirectoryAdminService.import_package`, beside the floor: reading every CSV with the csv module,
or the JSON with `json.loads`. The overhead above the floor is the translation into HSDS 3.0
rows plus the importer's own work (see `bench_hsds_import.py` for 3.0 packages).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import open_bench_database

from referral_desk.store.database import Database
from referral_desk.store.seed import seed_reference_data
from referral_desk.usecases.base import Clock
from referral_desk.usecases.directory_admin import DirectoryAdminService

DAYS = ["1", "2", "3", "4", "5"]


def v11_files(n: int) -> dict[str, list[dict[str, str]]]:
    orgs = max(1, n // 4)
    files: dict[str, list[dict[str, str]]] = {
        "organizations.csv": [
            {"id": str(o), "name": f"Organisation {o}", "description": "A charity", "url": ""}
            for o in range(orgs)
        ],
        "locations.csv": [
            {
                "id": str(o),
                "organization_id": str(o),
                "name": f"Office {o}",
                "latitude": "53.8",
                "longitude": "-1.5",
            }
            for o in range(orgs)
        ],
        "physical_addresses.csv": [
            {
                "id": str(o),
                "location_id": str(o),
                "address_1": f"{o} High Street",
                "city": "Leeds",
                "state_province": "West Yorkshire",
                "postal_code": "LS1 1AA",
                "country": "GB",
            }
            for o in range(orgs)
        ],
        "taxonomy.csv": [{"id": "t1", "name": "Housing", "parent_id": "", "vocabulary": "demo"}],
    }
    files["services.csv"] = [
        {
            "id": str(s),
            "organization_id": str(s % orgs),
            "name": f"Service {s}",
            "description": "Help with housing and benefits",
            "status": "active",
            "application_process": "Phone",
            "wait_time": "2 weeks",
        }
        for s in range(n)
    ]
    files["service_at_location.csv"] = [
        {"id": str(s), "service_id": str(s), "location_id": str(s % orgs)} for s in range(n)
    ]
    files["phones.csv"] = [
        {"id": str(s), "service_id": str(s), "number": "0113 496 0000"} for s in range(n)
    ]
    files["regular_schedules.csv"] = [
        {
            "id": f"{s}-{d}",
            "service_id": str(s),
            "weekday": d,
            "opens_at": "09:00",
            "closes_at": "17:00",
        }
        for s in range(n)
        for d in DAYS
    ]
    files["services_taxonomy.csv"] = [
        {"id": str(s), "service_id": str(s), "taxonomy_id": "t1"} for s in range(n)
    ]
    return files


def write_v11(folder: Path, n: int) -> Path:
    folder.mkdir()
    for name, rows in v11_files(n).items():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / name).write_text(buffer.getvalue(), "utf-8")
    return folder


def oruk_page(n: int) -> dict[str, Any]:
    orgs = max(1, n // 4)
    services = []
    for s in range(n):
        o = s % orgs
        services.append(
            {
                "id": f"svc-{s}",
                "name": f"Service {s}",
                "status": "active",
                "description": "Help with housing and benefits",
                "organization": {
                    "id": f"org-{o}",
                    "name": f"Organisation {o}",
                    "description": "A charity",
                },
                "phones": [{"id": f"ph-{s}", "number": "0113 496 0000"}],
                "schedules": [
                    {
                        "id": f"sc-{s}-{d}",
                        "freq": "WEEKLY",
                        "byday": d,
                        "wkst": "MO",
                        "opens_at": "09:00",
                        "closes_at": "17:00",
                    }
                    for d in ("MO", "TU", "WE", "TH", "FR")
                ],
                "service_at_locations": [
                    {
                        "id": f"sal-{s}",
                        "location": {
                            "id": f"loc-{o}",
                            "name": f"Office {o}",
                            "location_type": "physical",
                            "addresses": [
                                {
                                    "id": f"ad-{o}",
                                    "address_1": f"{o} High Street",
                                    "city": "Leeds",
                                    "state_province": "West Yorkshire",
                                    "postal_code": "LS1 1AA",
                                    "country": "GB",
                                }
                            ],
                        },
                    }
                ],
                "attributes": [{"id": f"at-{s}", "taxonomy_term": {"id": "t1", "name": "Housing"}}],
            }
        )
    return {"contents": services, "totalElements": n}


def parse_csvs(folder: Path) -> int:
    rows = 0
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows += sum(1 for _ in csv.reader(fh))
    return rows


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fresh_admin(root: Path, name: str) -> tuple[Database, DirectoryAdminService]:
    db: Database = open_bench_database(root / name)  # type: ignore[assignment]
    with db.write() as session:
        seed_reference_data(session)
    return db, DirectoryAdminService(db, Clock())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=5000)
    args = ap.parse_args(argv)
    n = args.services
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        v11 = write_v11(root / "leeds-v11", n)
        feed = root / "feed.json"
        feed.write_text(json.dumps(oruk_page(n)), "utf-8")
        print(f"services: {n}")
        for label, path, floor_name, floor in (
            ("HSDS 1.1 tabular (no datapackage.json)", v11, "csv module", lambda: parse_csvs(v11)),
            (
                "ORUK JSON page",
                feed,
                "json.loads",
                lambda: len(json.loads(feed.read_text("utf-8"))["contents"]),
            ),
        ):
            t_floor, _ = timed(floor)
            db, admin = fresh_admin(root, label.split()[0] + str(len(label)))
            t_dry, preview = timed(lambda p=path, a=admin: a.import_package(p, dry_run=True))
            t_import, report = timed(lambda p=path, a=admin: a.import_package(p))
            db.close()
            ok = report.counts["service"]["new"] == n
            print(f"{label}:")
            print(f"  detected:                   {preview.form}")
            print(f"  floor: parse ({floor_name}): {t_floor:6.2f} s")
            print(f"  preview (dry run):          {t_dry:6.2f} s")
            new = report.counts["service"]["new"]
            verdict = "" if ok else ": WRONG"
            print(f"  import into empty database: {t_import:6.2f} s  ({new} services new{verdict})")
            if not ok:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
