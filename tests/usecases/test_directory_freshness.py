"""The keeper's stale and problem lists."""

from __future__ import annotations

from datetime import date
from typing import Any

from directory_helpers import refer

from referral_desk.store.models import Service
from referral_desk.usecases.directory_admin import DirectoryAdminService


def test_stale_services(app: Any, admin: DirectoryAdminService, org: Any) -> None:
    never = admin.create_service(org.id, "Never verified")
    old = admin.create_service(org.id, "Old")
    recent = admin.create_service(org.id, "Recent")
    gone = admin.create_service(org.id, "Gone")
    with app.db.write() as session:
        session.get(Service, old.id).assured_date = date(2025, 3, 2)  # exactly 12 months
        session.get(Service, recent.id).assured_date = date(2025, 4, 1)
        session.get(Service, gone.id).status = "defunct"
    stale = admin.stale_services()
    assert [s.id for s in stale] == [never.id, old.id]
    assert stale[0].months_since is None and stale[1].months_since == 12
    assert [s.id for s in admin.stale_services(months=6)] == [never.id, old.id, recent.id]
    assert admin.verify_today(never.id)
    assert never.id not in {s.id for s in admin.stale_services()}


def test_problem_services_count_capacity_and_contact_declines(
    app: Any, admin: DirectoryAdminService, org: Any
) -> None:
    busy = admin.create_service(org.id, "Busy")
    fine = admin.create_service(org.id, "Fine")
    for i, reason in enumerate(("no_capacity", "no_capacity", "could_not_contact")):
        ref = refer(app, busy.id, given=f"P{i}")
        app.referrals.record_status(ref.reference, "declined", reason=reason)
    ref = refer(app, fine.id, given="Q")
    app.referrals.record_status(ref.reference, "declined", reason="no_capacity")
    ref = refer(app, fine.id, given="R")
    app.referrals.record_status(ref.reference, "declined", reason="not_eligible")
    (problem,) = admin.problem_services(min_count=2)
    assert (problem.id, problem.no_capacity, problem.could_not_contact) == (busy.id, 2, 1)
    assert problem.total == 3 and problem.last_declined_on == app.clock.today()
    assert {p.id for p in admin.problem_services(min_count=1)} == {busy.id, fine.id}
