"""Small HSDS packages written by hand for tests (independent of our exporter)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from referral_desk.hsds.schema import TABLES

ORG = "11111111-1111-4111-8111-111111111111"
ORG2 = "22222222-2222-4222-8222-222222222222"
SVC = "33333333-3333-4333-8333-333333333333"
SVC2 = "44444444-4444-4444-8444-444444444444"
LOC = "55555555-5555-4555-8555-555555555555"
MISSING = "99999999-9999-4999-8999-999999999999"


def uid(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


def write_package(
    folder: Path,
    tables: dict[str, list[dict[str, str]]],
    *,
    bom: bool = False,
    newline: str = "\r\n",
    columns: dict[str, list[str]] | None = None,
    listed: list[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write datapackage.json listing `listed` (default: every table) and the given CSVs."""
    folder.mkdir(parents=True, exist_ok=True)
    names = listed if listed is not None else list(TABLES)
    resources = [{"name": n, "path": TABLES[n].path} for n in names]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}), "utf-8")
    for name, rows in tables.items():
        cols = (columns or {}).get(name) or list(TABLES[name].columns)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, cols, lineterminator=newline, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in cols})
        data = buffer.getvalue().encode(encoding)
        (folder / TABLES[name].path).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return folder


def small_tables() -> dict[str, list[dict[str, str]]]:
    return {
        "organization": [
            {"id": ORG, "name": "New Leaf Trust", "description": "Housing charity"},
            {"id": ORG2, "name": "Open Door", "description": "Mentoring"},
        ],
        "service": [
            {"id": SVC, "organization_id": ORG, "name": "Housing advice", "status": "active"},
            {"id": SVC2, "organization_id": ORG2, "name": "Peer mentors", "status": "active"},
        ],
        "location": [
            {"id": LOC, "location_type": "physical", "organization_id": ORG, "name": "Leeds office"}
        ],
        "service_at_location": [{"id": uid(1), "service_id": SVC, "location_id": LOC}],
        "phone": [{"id": uid(2), "service_id": SVC, "number": "0113 496 0001"}],
        "service_area": [{"id": uid(3), "service_id": SVC, "name": "Leeds"}],
    }
