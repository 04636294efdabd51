"""The person dialog's work on the worker: its lists, field checks, duplicates and the save.

Plain functions of the use cases, called through `ui.ops.op` so the dialog never touches the
database on the GUI thread. The form's values are read on the GUI thread first and passed in
(`SaveRequest`); what comes back says what to show (`SaveOutcome`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from referral_desk.domain.errors import DomainError, ValidationError
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import PersonView, ReferenceItemView

SETTING_FIELDS = ("setting", "prison", "area", "office")
DUPLICATE_FIELDS = ("given_name", "family_name", "date_of_birth", "crn", "nomis")
LISTED_FIELDS = ("prison", "area")
"""Fields whose value must be a list entry: they become rows of commissioners' reports."""


@dataclass(frozen=True)
class PersonLists:
    ethnicities: list[ReferenceItemView]
    prisons: list[str]
    areas: list[str]


def load_lists(services: AppServices) -> PersonLists:
    """The reference lists the form offers."""
    return PersonLists(
        ethnicities=services.reference.list("ethnicity"),
        prisons=[i.label for i in services.reference.list("prison")],
        areas=[i.label for i in services.reference.list("area")],
    )


@dataclass(frozen=True)
class Duplicate:
    """A probable duplicate: who (None if deleted meanwhile) and why."""

    person_id: str
    reason: str
    person: PersonView | None


def find_duplicates(
    services: AppServices, person_id: str | None, fields: dict[str, Any]
) -> list[Duplicate]:
    """Probable duplicates of the form's identity, with the first three people to show."""
    try:
        found = services.people.check_duplicates(person_id, **fields)
    except ValidationError:  # a half-typed form: nothing to compare yet
        return []
    out = []
    for n, (pid, reason) in enumerate(found):
        other: PersonView | None = None
        if n < 3:
            try:
                other = services.people.get(pid)
            except DomainError:
                other = None
        out.append(Duplicate(pid, reason, other))
    return out


@dataclass(frozen=True)
class SaveRequest:
    """The form as read on the GUI thread."""

    person: PersonView | None
    fields: dict[str, Any]
    listed: dict[str, str]
    """Listed fields to check (field -> typed text): only those that changed."""
    check_duplicates: bool
    consent: bool
    tell_providers: bool


@dataclass
class SaveOutcome:
    """What happened: refused fields, duplicates to confirm, or the saved person."""

    labels: dict[str, str] = field(default_factory=dict)
    """The listed spelling of each listed field checked."""
    errors: dict[str, str] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)
    saved: PersonView | None = None
    notes: list[str] = field(default_factory=list)


def resolve_listed(services: AppServices, listed: dict[str, str]) -> SaveOutcome:
    """Each listed field in its listed spelling, or the refusal saving would give."""
    outcome = SaveOutcome()
    for key, text in listed.items():
        try:
            outcome.labels[key] = services.reference.resolve(key, text).label
        except ValidationError as err:
            outcome.errors[key] = str(err)
    return outcome


def save_person(services: AppServices, request: SaveRequest) -> SaveOutcome:
    """Check listed fields, then duplicates (unless confirmed), then store."""
    outcome = resolve_listed(services, request.listed)
    if outcome.errors:
        return outcome
    fields = {**request.fields, **outcome.labels}
    if request.check_duplicates:
        person_id = request.person.id if request.person else None
        found = find_duplicates(services, person_id, {k: fields[k] for k in DUPLICATE_FIELDS})
        if found:
            outcome.duplicates = found
            return outcome
    outcome.saved = _store(services, request, fields, outcome.notes)
    return outcome


def _store(
    services: AppServices, request: SaveRequest, fields: dict[str, Any], notes: list[str]
) -> PersonView:
    """Each step below is its own transaction and safe to repeat (each compares with what
    is stored), so Try again after a busy failure half-way finishes the rest only."""
    p = request.person
    if p is None:
        return services.people.add(**fields)
    fields = dict(fields)
    setting = {k: fields.pop(k) for k in SETTING_FIELDS}
    release = fields.pop("expected_release_date")
    consent = request.consent
    consent_on = fields.pop("consent_given_on")
    scope = fields.pop("consent_scope")
    services.people.update(p.id, expected_release_date=release, consent_scope=scope, **fields)
    if (setting["setting"], setting["prison"], setting["area"], setting["office"]) != (
        p.setting,
        p.prison,
        p.area,
        p.office,
    ):
        count = services.cases.change_setting(
            p.id, tell_providers=request.tell_providers, **setting
        ).follow_ups
        if count:
            notes.append(f"{count} follow-up{'s' if count != 1 else ''} created to tell providers.")
    if consent and not p.has_consent:
        services.cases.give_consent(p.id, on=consent_on, scope=scope)
    elif not consent and p.has_consent:
        count = services.cases.withdraw_consent(p.id)
        plural = "s" if count != 1 else ""
        notes.append(f"Consent withdrawn; {count} follow-up{plural} to tell providers.")
    elif consent and consent_on != p.consent_given_on:
        services.people.update(p.id, consent_given_on=consent_on)
    return services.people.get(p.id)
