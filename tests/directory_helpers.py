"""Directory set-up shared by the directory keeper's tests."""

from __future__ import annotations

from typing import Any


def refer(app: Any, service_id: str, *, given: str = "Dafydd") -> Any:
    """A new person with one need, referred to `service_id` (consent given)."""
    person = app.people.add(
        given_name=given,
        family_name="Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    return app.referrals.make(need.id, service_id, consent=True)
