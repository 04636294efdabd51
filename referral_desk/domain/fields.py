"""Every text field people type, in one place: one line or free text, and how long it may be.

Why one table: the same field is written by the desktop client, the command line, HSDS packages
and sync. Each of them must clean it the same way (`domain.text`: a name is one line, a note may
hold paragraphs) and refuse the same lengths, or two sites would store different text and a
value accepted in one place would be refused in another. The client reads the limits from here
for its line edits, the services enforce them, and sync picks the cleaner from here.

Why these limits (characters, not bytes):
- names of people and officers, 100: the longest names in UK registers are well under this; a
  longer value is a paste of something else;
- short answers (gender, disability: 30; religion, ethnicity, language: 80): the longest
  answer offered is about half that; places (prison, area, office, team), 100: reference
  labels are short, and a place is not a sentence;
- phone numbers, 40: an international number with an extension is about 25;
- email addresses, 200: longer than any real address (SMTP's limit is 254, but nobody has one
  near it) and what the columns hold;
- directory names and addresses, 300: charity names can be long ("… Community Interest Company
  trading as …"), and HSDS packages carry them whole;
- descriptions and notes, 4,000: a page of text, more than any referral needs; larger values are
  pastes of whole documents, which belong in the case management system, not here;
- risk information and status notes, 2,000: the minimum a provider needs (a few paragraphs),
  not the assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.text import clean_line, clean_text

__all__ = [
    "ANSWER",
    "CODE",
    "EMAIL",
    "FIELDS",
    "LONG_NOTE",
    "NAME",
    "NOTE",
    "ORG_NAME",
    "PHONE",
    "PLACE",
    "SHORT",
    "TextField",
    "field",
    "max_length",
]

NAME = 100
SHORT = 100
PLACE = 100
CODE = 80
PHONE = 40
EMAIL = 200
ANSWER = 30
ORG_NAME = 300
NOTE = 2000
LONG_NOTE = 4000


@dataclass(frozen=True)
class TextField:
    """One text field: the name messages use, its limit, and whether it keeps line breaks."""

    label: str
    limit: int
    multiline: bool = False

    def clean(self, value: Any, *, required: bool = False) -> str:
        """The value as stored: cleaned of control characters, checked for length.

        Messages name the field, never the value (they are shown and may be logged).
        """
        raw = "" if value is None else str(value)
        text = clean_text(raw) if self.multiline else clean_line(raw)
        if required and not text:
            raise ValidationError(f"{self.label} is required", field=self.label)
        if len(text) > self.limit:
            raise ValidationError(
                f"{self.label} is too long (at most {self.limit} characters)", field=self.label
            )
        return text


def _line(label: str, limit: int) -> TextField:
    return TextField(label, limit)


def _text(label: str, limit: int) -> TextField:
    return TextField(label, limit, multiline=True)


FIELDS: dict[str, dict[str, TextField]] = {
    "person": {
        "given_name": _line("Given name", NAME),
        "family_name": _line("Family name", NAME),
        "gender": _line("Gender", ANSWER),
        "ethnicity": _line("Ethnicity", CODE),
        "disability": _line("Disability", ANSWER),
        "religion": _line("Religion", CODE),
        "prison": _line("Prison", PLACE),
        "area": _line("Area", PLACE),
        "office": _line("Office", PLACE),
        "contact_preferences": _line("Contact preferences", ORG_NAME),
        "consent_scope": _line("Consent scope", ORG_NAME),
    },
    "need": {
        "description": _text("Description", LONG_NOTE),
        "subtype": _line("Sub-type", SHORT),
    },
    "need_status_change": {"note": _text("Note", NOTE)},
    "referral": {
        "risk_note": _text("Risk information", NOTE),
        "accessibility_needs": _text("Accessibility needs", NOTE),
        "interpreter_language": _line("Interpreter language", CODE),
        "availability": _text("Availability", NOTE),
        "appointment_place": _line("Appointment place", ORG_NAME),
        "provider_contact": _line("Provider contact", 200),
        "outcome_note": _text("Outcome note", NOTE),
    },
    "referral_status_change": {"note": _text("Note", NOTE)},
    "follow_up": {
        "note": _text("Follow-up note", LONG_NOTE),
        "result_note": _text("Result note", LONG_NOTE),
    },
    "case_note": {"text": _text("Note", LONG_NOTE)},
    "officer": {
        "name": _line("Name", NAME),
        "team": _line("Team", PLACE),
        "office": _line("Office", PLACE),
        "office_phone": _line("Office phone", PHONE),
        "email": _line("Email", EMAIL),
    },
    "reference_item": {
        "code": _line("Code", CODE),
        "label": _line("Label", 200),
        "synonyms": _text("Synonyms", LONG_NOTE),
    },
    "organisation": {
        "name": _line("Name", ORG_NAME),
        "charity_number": _line("Charity number", 40),
        "company_number": _line("Company number", 40),
        "description": _text("Description", LONG_NOTE),
        "website": _line("Website", ORG_NAME),
        "email": _line("Email", EMAIL),
        "phone": _line("Phone", PHONE),
    },
    "location": {
        "name": _line("Name", ORG_NAME),
        "address_1": _line("Address 1", ORG_NAME),
        "address_2": _line("Address 2", ORG_NAME),
        "city": _line("City", PLACE),
        "region": _line("Region", PLACE),
        "postcode": _line("Postcode", 12),
    },
    "service": {
        "name": _line("Name", ORG_NAME),
        "description": _text("Description", LONG_NOTE),
        "referral_contact": _line("Referral contact", ORG_NAME),
        "contact_name": _line("Contact name", 200),
        "phone": _line("Phone", PHONE),
        "email": _line("Email", EMAIL),
        "accessibility": _text("Accessibility", LONG_NOTE),
        "opening_times": _text("Opening times", LONG_NOTE),
        "what_to_bring": _text("What to bring", LONG_NOTE),
        "precheck_by": _line("Checked by", 200),
        "assurer": _line("Assurer", 200),
    },
    "service_area": {"name": _line("Service area", 200)},
    "directory_correction": {
        "text": _text("What is wrong", NOTE),
        "resolution_note": _text("Note", NOTE),
    },
}
"""table -> column -> rule, for every column people type into (names as in the database)."""


def field(table: str, name: str) -> TextField:
    """The rule for one column (KeyError for a column that is not typed text)."""
    return FIELDS[table][name]


def max_length(table: str, name: str) -> int:
    """The longest value accepted, for a client's line edit (`setMaxLength`)."""
    return FIELDS[table][name].limit
