"""Use cases for people on the caseload."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.identifiers import normalise_crn, normalise_nomis, normalise_pnc
from referral_desk.domain.people import (
    PersonKey,
    probable_duplicates,
    validate_date_of_birth,
)
from referral_desk.domain.text import clean_line
from referral_desk.store import people_queries
from referral_desk.store.models import CaseNote, Person
from referral_desk.usecases.access_log import AccessLog
from referral_desk.usecases.base import ServiceBase, Session, officer_of
from referral_desk.usecases.common import erase, get_live, live_referral_of, parse_date
from referral_desk.usecases.dto import PersonDetail, PersonView
from referral_desk.usecases.reference import resolve_item

EDITABLE = (
    "given_name",
    "family_name",
    "date_of_birth",
    "crn",
    "nomis",
    "pnc",
    "gender",
    "ethnicity",
    "disability",
    "religion",
    "foreign_national",
    "setting",
    "prison",
    "area",
    "office",
    "expected_release_date",
    "cohort_iom",
    "cohort_ppo",
    "cohort_womens",
    "cohort_young_adult",
    "contact_preferences",
    "consent_given_on",
    "consent_scope",
    "consent_withdrawn_on",
)
SETTINGS = ("custody", "community")
TEXT_FIELDS = (
    "gender",
    "ethnicity",
    "disability",
    "religion",
    "prison",
    "area",
    "office",
    "contact_preferences",
    "consent_scope",
)
REFERENCE_FIELDS: dict[str, tuple[str, str]] = {
    "prison": ("prison", "label"),
    "area": ("area", "label"),
    "ethnicity": ("ethnicity", "code"),
}
"""Person fields that must come from a reference list: (list, what is stored).

Prisons and areas become rows of commissioners' reports, so a typed value must never reach
them: only names from the list are stored, in one spelling (the label, which the directory's
prison lists and the slips use). Ethnicity stores the code (the ONS category).
"""


class DuplicatePerson(ValidationError):
    """Raised in strict mode when the new person probably exists already."""


def clean_person_fields(fields: dict[str, Any], today: Any) -> dict[str, Any]:
    """Validate and normalise user input; messages name fields, never values."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError("Unknown person field: " + ", ".join(sorted(unknown)))
    out = dict(fields)
    for name in ("given_name", "family_name"):
        if name in out:
            out[name] = field("person", name).clean(out[name], required=True)
    for name in (
        "date_of_birth",
        "expected_release_date",
        "consent_given_on",
        "consent_withdrawn_on",
    ):
        if name in out:
            out[name] = parse_date(out[name], name.replace("_", " ").capitalize())
    if out.get("date_of_birth") is not None:
        validate_date_of_birth(out["date_of_birth"], today)
    for name, norm in (("crn", normalise_crn), ("nomis", normalise_nomis), ("pnc", normalise_pnc)):
        if name in out:
            value = clean_line(out[name])
            out[name] = norm(value) if value else None
    if "setting" in out:
        out["setting"] = (out["setting"] or "community").strip().lower()
        if out["setting"] not in SETTINGS:
            raise ValidationError("Setting must be custody or community")
    for name in TEXT_FIELDS:
        if name in out:
            out[name] = field("person", name).clean(out[name])
    return out


def resolve_reference_fields(
    session: Session, fields: dict[str, Any], current: Person | None = None
) -> dict[str, Any]:
    """Prison, area and ethnicity as their list entries; an unknown name is refused.

    A value the person already has is kept as it is, even if it is not (or no longer) in the
    list: a record from an older version or a retired prison must stay editable. Only what
    the officer changes is checked.
    """
    out = dict(fields)
    for name, (list_name, stored) in REFERENCE_FIELDS.items():
        value = out.get(name)
        if not value or (current is not None and value == getattr(current, name)):
            continue
        item = resolve_item(session, list_name, value, name)
        out[name] = item.label if stored == "label" else item.code
    return out


def _key(p: Person) -> PersonKey:
    return PersonKey(p.id, p.given_name, p.family_name, p.date_of_birth, p.crn, p.nomis)


def find_duplicates(session: Session, candidate: PersonKey) -> list[tuple[str, str]]:
    """(person id, reason) of probable duplicates; only plausible rows are loaded."""
    rows = people_queries.possible_duplicates(
        session,
        crn=candidate.crn or "",
        nomis=candidate.nomis or "",
        date_of_birth=candidate.date_of_birth,
        family_name=candidate.family_name or "",
    )
    return [(m.person_id, m.reason) for m in probable_duplicates(candidate, map(_key, rows))]


class PeopleService(ServiceBase):
    @cached_property
    def access_log(self) -> AccessLog:
        return AccessLog(self.db, self.clock)

    def add(self, strict: bool = False, **fields: Any) -> PersonView:
        """Add a person. Probable duplicates are warnings, or a refusal when `strict`."""
        for required in ("given_name", "family_name"):
            fields.setdefault(required, "")
        fields = clean_person_fields(fields, self.clock.today())
        with self._write(reason="add person") as session:
            fields = resolve_reference_fields(session, fields)
            candidate = PersonKey(
                "",
                fields["given_name"],
                fields["family_name"],
                fields.get("date_of_birth"),
                fields.get("crn"),
                fields.get("nomis"),
            )
            dups = find_duplicates(session, candidate)
            if dups and strict:
                raise DuplicatePerson(
                    "Probable duplicate of an existing person (" + dups[0][1] + "); not added."
                )
            person = Person(owner_officer_id=officer_of(session), **fields)
            session.add(person)
            session.flush()
            warnings = tuple(
                f"Probable duplicate ({reason}) of person {pid}" for pid, reason in dups
            )
            return PersonView.from_row(person, warnings=warnings)

    def check_duplicates(
        self, person_id: str | None = None, **fields: Any
    ) -> list[tuple[str, str]]:
        """Warnings for a form before saving: (person id, reason)."""
        fields = clean_person_fields(
            {k: v for k, v in fields.items() if k in EDITABLE}, self.clock.today()
        )
        with self._read() as session:
            return find_duplicates(
                session,
                PersonKey(
                    person_id or "",
                    fields.get("given_name", ""),
                    fields.get("family_name", ""),
                    fields.get("date_of_birth"),
                    fields.get("crn"),
                    fields.get("nomis"),
                ),
            )

    def update(self, person_id: str, **fields: Any) -> PersonView:
        fields = clean_person_fields(fields, self.clock.today())
        with self._write(reason="edit person") as session:
            person = get_live(session, Person, person_id, "person")
            fields = resolve_reference_fields(session, fields, person)
            for key, value in fields.items():
                setattr(person, key, value)
            session.flush()
            return PersonView.from_row(person)

    def get(self, person_id: str) -> PersonView:
        with self._read() as session:
            return PersonView.from_row(get_live(session, Person, person_id, "person"))

    def list(self, owner_officer_id: str | None = None) -> list[PersonView]:
        with self._read() as session:
            rows = people_queries.people(session, owner_officer_id)
            return [PersonView.from_row(p) for p in rows]

    def delete(self, person_id: str) -> None:
        """Delete a person and everything about them; tombstones blank the personal fields."""
        with self._write(reason="delete person") as session:
            person = get_live(session, Person, person_id, "person")
            erase(session, [person], self.clock.now())
        self.db.checkpoint()  # the old pages leave the WAL now, not at close

    def detail(self, person_id: str, *, access: str | None = "open") -> PersonDetail:
        """Everything about one person for the person view. Notes the access in the access
        log (`usecases.access_log`; "open" in the client, "show" at the command line) unless
        `access` is None (a caller that is not showing the record to anyone)."""
        from referral_desk.usecases.person_detail import load_person_detail

        with self._read() as session:
            detail = load_person_detail(session, person_id)
        if access is not None:
            self.access_log.note(detail.person.id, access)
        return detail

    def add_note(self, person_id: str, text: str, referral_id: str | None = None) -> None:
        text = field("case_note", "text").clean(text)
        if not text:
            raise ValidationError("A note cannot be empty.")
        with self._write(reason="case note") as session:
            person = get_live(session, Person, person_id, "person")
            referral_id = live_referral_of(session, person.id, referral_id)
            session.add(
                CaseNote(
                    person_id=person.id,
                    referral_id=referral_id,
                    at=self.clock.now(),
                    by_officer_id=officer_of(session),
                    text=text,
                )
            )
