"""Small packages in the forms other publishers write: HSDS 1.1 and 2.0 CSVs, ORUK JSON.

Written by hand from the published specifications (not by our exporter): numeric ids, the
older file names, and the nested JSON of an ORUK `/services/{id}` response.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

V11_FILES: dict[str, list[dict[str, str]]] = {
    "organizations.csv": [
        {
            "id": "1",
            "name": "New Leaf Trust",
            "description": "Housing charity",
            "url": "https://newleaf.example.org",
            "email": "",
            "tax_status": "",
            "tax_id": "",
            "year_incorporated": "",
            "legal_status": "",
        },
        {
            "id": "2",
            "name": "Open Door",
            "description": "",
            "url": "",
            "email": "",
            "tax_status": "",
            "tax_id": "",
            "year_incorporated": "",
            "legal_status": "",
        },
    ],
    "services.csv": [
        {
            "id": "10",
            "organization_id": "1",
            "program_id": "",
            "name": "Housing advice",
            "alternate_name": "",
            "description": "Advice on tenancies",
            "url": "",
            "email": "",
            "status": "active",
            "interpretation_services": "",
            "application_process": "Phone the duty worker",
            "wait_time": "2 weeks",
            "fees": "Free",
            "accreditations": "",
            "licenses": "",
        },
        {
            "id": "11",
            "organization_id": "2",
            "program_id": "",
            "name": "Peer mentors",
            "alternate_name": "",
            "description": "",
            "url": "",
            "email": "",
            "status": "active",
            "interpretation_services": "",
            "application_process": "",
            "wait_time": "",
            "fees": "",
            "accreditations": "",
            "licenses": "",
        },
    ],
    "locations.csv": [
        {
            "id": "100",
            "organization_id": "1",
            "name": "Leeds office",
            "alternate_name": "",
            "description": "",
            "transportation": "",
            "latitude": "53.8",
            "longitude": "-1.55",
        },
    ],
    "service_at_location.csv": [
        {"id": "1000", "service_id": "10", "location_id": "100", "description": ""},
    ],
    "physical_addresses.csv": [
        {
            "id": "5",
            "location_id": "100",
            "attention": "",
            "address_1": "1 Park Row",
            "address_2": "",
            "address_3": "",
            "address_4": "",
            "city": "Leeds",
            "region": "",
            "state_province": "West Yorkshire",
            "postal_code": "LS1 5AB",
            "country": "GB",
        },
    ],
    "phones.csv": [
        {
            "id": "7",
            "location_id": "",
            "service_id": "10",
            "organization_id": "",
            "contact_id": "",
            "service_at_location_id": "",
            "number": "+44 113 496 0000",
            "extension": "",
            "type": "voice",
            "language": "",
            "description": "",
        },
    ],
    "regular_schedules.csv": [
        {
            "id": "8",
            "service_id": "10",
            "location_id": "",
            "service_at_location_id": "",
            "weekday": "1",
            "opens_at": "09:00",
            "closes_at": "17:00",
            "description": "",
        },
    ],
    "eligibility.csv": [
        {"id": "9", "service_id": "10", "eligibility": "Adults on licence"},
    ],
    "service_areas.csv": [
        {"id": "12", "service_id": "10", "service_area": "Leeds", "description": ""},
    ],
    "languages.csv": [{"id": "13", "service_id": "11", "location_id": "", "language": "Welsh"}],
    "taxonomy.csv": [
        {
            "id": "20",
            "name": "Housing",
            "parent_id": "",
            "parent_name": "",
            "vocabulary": "OpenEligibility",
        },
    ],
    "services_taxonomy.csv": [
        {"id": "21", "service_id": "10", "taxonomy_id": "20", "taxonomy_detail": ""},
    ],
    "payment_accepted.csv": [{"id": "22", "service_id": "10", "payment": "Cash"}],
}


def write_csvs(folder: Path, files: dict[str, list[dict[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / name).write_text(buffer.getvalue(), "utf-8")
    return folder


def write_v11(folder: Path, *, descriptor: bool = False) -> Path:
    """An HSDS 1.1 package (without datapackage.json unless asked)."""
    write_csvs(folder, V11_FILES)
    if descriptor:
        resources = [{"name": n.removesuffix(".csv"), "path": n} for n in V11_FILES]
        (folder / "datapackage.json").write_text(
            json.dumps({"name": "leeds-directory", "version": "1.1", "resources": resources}),
            "utf-8",
        )
    return folder


def write_v20(folder: Path) -> Path:
    """An HSDS 2.0 package: 1.1's tables with attributes and taxonomy terms, and a descriptor."""
    files = {
        k: v for k, v in V11_FILES.items() if k not in ("taxonomy.csv", "services_taxonomy.csv")
    }
    files["taxonomy_terms.csv"] = [
        {
            "id": "20",
            "term": "Housing",
            "description": "",
            "parent_id": "",
            "taxonomy": "OpenEligibility",
            "language": "",
        },
    ]
    files["attributes.csv"] = [
        {
            "id": "21",
            "link_id": "10",
            "taxonomy_term_id": "20",
            "link_type": "",
            "link_entity": "service",
            "value": "",
        },
    ]
    write_csvs(folder, files)
    resources = [{"name": n.removesuffix(".csv"), "path": n} for n in files]
    (folder / "datapackage.json").write_text(
        json.dumps({"name": "leeds-directory", "version": "2.0.1", "resources": resources}),
        "utf-8",
    )
    return folder


def oruk_service(n: int = 1) -> dict[str, Any]:
    """A service as an ORUK / HSDS 3.0 API returns it from `/services/{id}`."""
    return {
        "id": f"svc-{n}",
        "name": f"Housing advice {n}",
        "description": "Advice on tenancies",
        "status": "active",
        "url": "https://newleaf.example.org/advice",
        "application_process": "Phone the duty worker",
        "wait_time": "2 weeks",
        "organization": {
            "id": "org-1",
            "name": "New Leaf Trust",
            "description": "Charity",
            "website": "https://newleaf.example.org",
        },
        "phones": [{"id": f"ph-{n}", "number": "+44 113 496 0000", "type": "voice"}],
        "schedules": [
            {
                "id": f"sc-{n}",
                "freq": "WEEKLY",
                "byday": "MO",
                "wkst": "MO",
                "opens_at": "09:00",
                "closes_at": "17:00",
            }
        ],
        "service_areas": [{"id": f"sa-{n}", "name": "Leeds"}],
        "languages": [{"id": f"la-{n}", "name": "Welsh", "code": "cy"}],
        "eligibilitys": [{"id": f"el-{n}", "eligibility": "Adults on licence", "minimum_age": 18}],
        "service_at_locations": [
            {
                "id": f"sal-{n}",
                "location": {
                    "id": "loc-1",
                    "name": "Leeds office",
                    "location_type": "physical",
                    "latitude": 53.8,
                    "longitude": -1.55,
                    "addresses": [
                        {
                            "id": "ad-1",
                            "address_1": "1 Park Row",
                            "city": "Leeds",
                            "state_province": "West Yorkshire",
                            "postal_code": "LS1 5AB",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {
                "id": f"at-{n}",
                "taxonomy_term": {
                    "id": "term-housing",
                    "name": "Housing",
                    "taxonomy": "OpenEligibility",
                },
            }
        ],
        "reviews": [{"id": "r1", "score": 5}],
    }


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path
