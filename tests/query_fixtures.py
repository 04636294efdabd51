"""A small caseload for the tests of the store's query functions: one person with a need, a
referral to a service, and ways to delete any of them (as a tombstone, like a sync would)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from referral_desk.store.models import Organisation, Service, SyncedBase

WHEN = datetime(2026, 2, 1, 12, 0)


@dataclass
class Caseload:
    app: Any
    person_id: str
    need_id: str
    referral_id: str
    reference: str
    service_id: str
    organisation_id: str

    def tombstone(self, model: type[SyncedBase], record_id: str) -> None:
        with self.app.db.write() as session:
            row = session.get(model, record_id)
            assert row is not None
            row.deleted_at = WHEN


def caseload(app: Any) -> Caseload:
    with app.db.write() as session:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing", organisation_id=org.id, response_days=3)
        session.add_all([org, svc])
    person = app.people.add(
        given_name="Dafydd",
        family_name="ap Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    ref = app.referrals.make(need.id, svc.id, consent=True)
    return Caseload(app, person.id, need.id, ref.id, ref.reference, svc.id, org.id)
