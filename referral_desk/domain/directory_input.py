"""What the directory keeper may type into the directory, checked before anything is written.

Every field of an organisation, location or service is cleaned here, by one rule per kind
(text, web address, email, phone, postcode, a choice from a controlled list, a whole number,
an amount, a coordinate, a list, yes/no), for the editors, the CLI and any script alike.
Messages name the field, never the value typed: they may reach a log, and a directory field
can hold a person's name (a contact) or a confidential address.

Plain Python: the checks that need the database (does that organisation exist? is that a
known need category?) are the use cases' (`usecases.directory_service_editor`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import EMAIL, LONG_NOTE, NOTE, ORG_NAME, PHONE, TextField
from referral_desk.domain.vocabularies import vocabulary_key

SERVICE_REFERRAL_METHODS_EXTRA = ("drop_in",)
MAX_AGE = 120
MAX_TEXT = LONG_NOTE
MAX_CORRECTION = NOTE

ORGANISATION_FIELDS = (
    "name",
    "charity_number",
    "company_number",
    "description",
    "website",
    "email",
    "phone",
    "faith_based",
    "uses_volunteers",
    "lived_experience",
)
LOCATION_FIELDS = (
    "organisation_id",
    "name",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "latitude",
    "longitude",
)
SERVICE_FIELDS = (
    "organisation_id",
    "location_id",
    "name",
    "description",
    "status",
    "gender",
    "min_age",
    "max_age",
    "offence_exclusions",
    "risk_levels",
    "cohorts",
    "prisons",
    "community",
    "through_the_gate",
    "free",
    "unit_cost",
    "referral_method",
    "referral_contact",
    "contact_name",
    "phone",
    "email",
    "response_days",
    "waiting_weeks",
    "capacity",
    "capacity_as_of",
    "languages",
    "accessibility",
    "opening_times",
    "what_to_bring",
    "confidential_address",
    "categories",
    "areas",
)


_URL = re.compile(r"https?://[^\s/?#.]+(\.[^\s/?#.]+)+(:\d+)?([/?#]\S*)?", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"\+?[0-9 ()\-]+(\s*(ext\.?|x)\s*[0-9]{1,5})?", re.IGNORECASE)
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def clean_text(value: Any, name: str, *, required: bool = False, limit: int = ORG_NAME) -> str:
    """Typed text through the one rule for control characters (domain.text), length-checked.

    Up to `ORG_NAME` characters it is one line (names, contacts); longer limits are free text
    that keeps its paragraphs (descriptions, opening times, corrections).
    """
    rule = TextField(_label(name), limit, multiline=limit > ORG_NAME)
    return rule.clean(value, required=required)


def clean_url(value: Any, name: str = "website") -> str:
    text = clean_text(value, name)
    if not text:
        return ""
    if _BARE_DOMAIN.fullmatch(text):
        text = "https://" + text
    if not _URL.fullmatch(text):
        raise ValidationError(
            f"{_label(name)} must be a web address like https://example.org", field=_label(name)
        )
    return text


def clean_email(value: Any, name: str = "email") -> str:
    text = clean_text(value, name, limit=EMAIL)
    if text and not _EMAIL.fullmatch(text):
        raise ValidationError(f"{_label(name)} is not a valid email address", field=_label(name))
    return text


def clean_phone(value: Any, name: str = "phone") -> str:
    text = clean_text(value, name, limit=PHONE)
    if not text:
        return ""
    digits = sum(ch.isdigit() for ch in text.split("x")[0].split("ext")[0])
    if not _PHONE.fullmatch(text) or not 7 <= digits <= 15:
        raise ValidationError(
            f"{_label(name)} must be a phone number, e.g. 0113 496 0000", field=_label(name)
        )
    return text


def clean_postcode(value: Any) -> str:
    text = "".join(str(value or "").split()).upper()
    if not text:
        return ""
    match = _POSTCODE.fullmatch(text)
    if match is None:
        raise ValidationError("Postcode is not a valid UK postcode, e.g. LS1 4AP", field="Postcode")
    return f"{match.group(1)} {match.group(2)}"


def clean_choice(value: Any, name: str, allowed: Iterable[str]) -> str:
    text = vocabulary_key(str(value or ""))
    options = list(allowed)
    lookup = {o.replace("_", " "): o for o in options}
    if text not in lookup:
        raise ValidationError(
            f"{_label(name)} must be one of: {', '.join(options)}", field=_label(name)
        )
    return lookup[text]


def clean_whole(value: Any, name: str, *, low: int = 0, high: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(
            f"{_label(name)} must be a whole number", field=_label(name)
        ) from None
    if isinstance(number, bool) or number < low or (high is not None and number > high):
        limit = f" between {low} and {high}" if high is not None else f" of at least {low}"
        raise ValidationError(f"{_label(name)} must be a whole number{limit}", field=_label(name))
    return number


def clean_amount(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip().lstrip("£"))
    except ValueError:
        raise ValidationError(
            f"{_label(name)} must be an amount of money", field=_label(name)
        ) from None
    if number < 0 or number != number or number > 1_000_000:
        raise ValidationError(f"{_label(name)} must be an amount of money", field=_label(name))
    return number


def clean_coordinate(value: Any, name: str, limit: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{_label(name)} must be a number", field=_label(name)) from None
    if not -limit <= number <= limit:
        raise ValidationError(
            f"{_label(name)} must be between -{limit:g} and {limit:g}", field=_label(name)
        )
    return number


def clean_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        text = clean_text(item, name, limit=200)
        if text and text not in out:
            out.append(text)
    return out


def clean_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in ("1", "true", "yes", "y"):
        return True
    if key in ("0", "false", "no", "n", ""):
        return False
    raise ValidationError(f"{_label(name)} must be yes or no", field=_label(name))


def not_future(day: date | None, name: str, today: date) -> date | None:
    """A date the keeper says something happened on (capacity, pre-check) cannot be ahead."""
    if day is not None and day > today:
        raise ValidationError(f"{_label(name)} cannot be in the future", field=_label(name))
    return day


_BOOL_FIELDS = {
    "faith_based",
    "uses_volunteers",
    "lived_experience",
    "community",
    "through_the_gate",
    "free",
    "confidential_address",
}
_LIST_FIELDS = {"offence_exclusions", "risk_levels", "cohorts", "prisons", "languages"}
_LONG_TEXT = {"description", "accessibility", "opening_times", "what_to_bring"}


def only_fields(fields: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    """Refuse a field name the record does not have (a typo in a script must not pass)."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown {what} field: " + ", ".join(unknown))


def clean_common(name: str, value: Any) -> Any:
    """A field any directory record may have, by the rule its name implies (plain text else)."""
    if name in _BOOL_FIELDS:
        return clean_bool(value, name)
    if name in _LIST_FIELDS:
        return clean_list(value, name)
    if name in _LONG_TEXT:
        return clean_text(value, name, limit=MAX_TEXT)
    if name in ("email",):
        return clean_email(value)
    if name in ("phone",):
        return clean_phone(value)
    if name == "website":
        return clean_url(value)
    if name == "postcode":
        return clean_postcode(value)
    if name == "name":
        return clean_text(value, name, required=True)
    if name in ("latitude", "longitude"):
        return clean_coordinate(value, name, 90.0 if name == "latitude" else 180.0)
    return clean_text(value, name, limit=300)
