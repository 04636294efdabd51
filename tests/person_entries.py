"""Sync entries for new people from an unknown site: the raw material of large test bundles.

One person is 29 field entries, as the client writes them. Shared by the import tests
(atomicity, staged import) and `benchmarks/bench_sync_memory.py`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

FIRST_STAMP = 1_780_000_000_000 << 16  # a hybrid-clock value in 2026


def person_entries(people: int, site: str, family_name: str = "Family") -> Iterator[list[object]]:
    """Entries `[site, seq, "person", id, field, json value, hlc, 0]`, seq counting from 1."""
    seq = 0
    for i in range(people):
        rid = str(uuid.uuid4())
        fields = {
            "given_name": f"Given{i}",
            "family_name": family_name,
            "date_of_birth": "1980-01-01",
            "crn": None,
            "nomis": None,
            "pnc": None,
            "gender": "",
            "ethnicity": "",
            "disability": "",
            "religion": "",
            "foreign_national": None,
            "setting": "community",
            "prison": "",
            "area": "",
            "office": "",
            "expected_release_date": None,
            "cohort_iom": False,
            "cohort_ppo": False,
            "cohort_womens": False,
            "cohort_young_adult": False,
            "owner_officer_id": None,
            "contact_preferences": "",
            "consent_given_on": None,
            "consent_scope": "",
            "consent_withdrawn_on": None,
            "closed_on": None,
            "created_at": "2026-01-01T09:00:00",
            "site_id": site,
            "deleted_at": None,
        }
        for name, value in fields.items():
            seq += 1
            yield [site, seq, "person", rid, name, json.dumps(value), FIRST_STAMP + seq, 0]
