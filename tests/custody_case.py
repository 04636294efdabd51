"""One person in custody with a mentoring need referred to a service: the case the use-case
tests of case actions and of the timeline both start from."""

from __future__ import annotations

from typing import Any

from referral_desk.store.models import Organisation, Service


def custody_referral(app: Any) -> tuple[Any, Any]:
    """(person, referral): Zoë Ward at HMP Leeds, referred with consent to Hope Mentoring."""
    with app.db.write() as s:
        org = Organisation(name="Hope Trust")
        svc = Service(name="Hope Mentoring", organisation_id=org.id, response_days=2)
        s.add_all([org, svc])
    person = app.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="1999-09-09",
        setting="custody",
        prison="HMP Leeds",
        expected_release_date="2026-04-20",
    )
    need = app.needs.log(person.id, "mentoring", "Wants a mentor")
    ref = app.referrals.make(need.id, svc.id, consent=True)
    return person, ref
