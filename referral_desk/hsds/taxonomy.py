"""The taxonomies Referral Desk publishes inside every HSDS export.

HSDS has no columns for what probation needs to know about a service — pre-check status,
offence-type exclusions, prisons served, capacity — so those travel as HSDS `attribute` rows
under a local taxonomy, "referral-desk", whose terms are listed here and written to every
export (`taxonomies.csv`, `taxonomy_terms.csv`). Other HSDS tools ignore what they do not
know; our importer reads the values back. Need categories travel the same way under a second
taxonomy, "referral-desk-need-categories", one term per category.

Ids are UUIDv5 under a fixed namespace, so every export of every site names the same term with
the same id, and re-exports are byte-identical.

Matching a foreign taxonomy term to a need category uses the term *name* (codes differ between
taxonomies, and are often truncated or absent), compared after folding case, dashes, "&" and
punctuation.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from referral_desk.domain.vocabularies import CAPACITIES, GENDERS, in_vocabulary

NAMESPACE = uuid.UUID("0d6f3c3e-8b51-4d0c-9a4e-6c2f1f7e3a90")

LOCAL_TAXONOMY_NAME = "referral-desk"
NEED_TAXONOMY_NAME = "referral-desk-need-categories"
TAXONOMY_VERSION = "1"


_NAMESPACE_BYTES = NAMESPACE.bytes


def stable_id(*parts: str) -> str:
    """A UUID that is the same on every site for the same parts (ids of generated rows).

    Exactly `str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))`, computed without building a
    UUID object: imports compute hundreds of thousands of these.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "\x1f".join(parts).encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass(frozen=True)
class TaxonomyDef:
    key: str
    name: str
    description: str

    @cached_property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)

    def row(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "uri": "",
            "version": TAXONOMY_VERSION,
        }


LOCAL_TAXONOMY = TaxonomyDef(
    LOCAL_TAXONOMY_NAME,
    LOCAL_TAXONOMY_NAME,
    "Service attributes used by probation and prison offender managers (Referral Desk): "
    "pre-check status, eligibility by offence type and risk, prisons served, capacity.",
)
NEED_TAXONOMY = TaxonomyDef(
    NEED_TAXONOMY_NAME,
    NEED_TAXONOMY_NAME,
    "Need categories of people on probation (OASys headings and resettlement needs), "
    "as used by Referral Desk.",
)

BOOL = "bool"
DATE = "date"
TEXT = "text"
INT = "int"
LIST = "list"


@dataclass(frozen=True)
class LocalTerm:
    """One published term: which record (`entity`) and column (`field`) its value belongs to."""

    code: str
    name: str
    description: str
    entity: str  # "service" | "organization"
    field: str
    kind: str
    allowed: tuple[str, ...] = ()

    @cached_property
    def id(self) -> str:
        return stable_id("term", LOCAL_TAXONOMY_NAME, self.code)

    def row(self) -> dict[str, str]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "parent_id": "",
            "taxonomy": LOCAL_TAXONOMY_NAME,
            "language": "en",
            "taxonomy_id": LOCAL_TAXONOMY.id,
            "term_uri": "",
        }


_S, _O = "service", "organization"
LOCAL_TERMS: tuple[LocalTerm, ...] = (
    LocalTerm(
        "precheck-isp-agreed",
        "Pre-check: information-sharing protocol agreed",
        "The provider has agreed an information-sharing protocol (true/false).",
        _S,
        "isp_agreed",
        BOOL,
    ),
    LocalTerm(
        "precheck-reports-attendance",
        "Pre-check: reports attendance",
        "The provider reports attendance back to the referrer (true/false).",
        _S,
        "reports_attendance",
        BOOL,
    ),
    LocalTerm(
        "precheck-reports-progress",
        "Pre-check: reports progress",
        "The provider reports progress back to the referrer (true/false).",
        _S,
        "reports_progress",
        BOOL,
    ),
    LocalTerm(
        "precheck-date",
        "Pre-check: date",
        "When the pre-check was made (YYYY-MM-DD).",
        _S,
        "precheck_date",
        DATE,
    ),
    LocalTerm("precheck-by", "Pre-check: by", "Who made the pre-check.", _S, "precheck_by", TEXT),
    LocalTerm(
        "offence-exclusion",
        "Offence-type exclusion",
        "An offence type the service does not accept (one attribute per type).",
        _S,
        "offence_exclusions",
        LIST,
    ),
    LocalTerm(
        "prison-served",
        "Prison served",
        "A prison the service works in (one attribute per prison).",
        _S,
        "prisons",
        LIST,
    ),
    LocalTerm(
        "capacity", "Capacity", "accepting, waiting list or full.", _S, "capacity", TEXT, CAPACITIES
    ),
    LocalTerm(
        "capacity-as-of",
        "Capacity as of",
        "When the capacity was last confirmed.",
        _S,
        "capacity_as_of",
        DATE,
    ),
    LocalTerm(
        "eligibility-gender",
        "Eligibility: gender",
        "any, male or female.",
        _S,
        "gender",
        TEXT,
        GENDERS,
    ),
    LocalTerm(
        "risk-level",
        "Risk level accepted",
        "A risk level the service accepts (one attribute per level).",
        _S,
        "risk_levels",
        LIST,
    ),
    LocalTerm(
        "cohort",
        "Cohort",
        "A cohort the service is for (one attribute per cohort).",
        _S,
        "cohorts",
        LIST,
    ),
    LocalTerm(
        "setting-community",
        "Setting: community",
        "The service works with people in the community (true/false).",
        _S,
        "community",
        BOOL,
    ),
    LocalTerm(
        "setting-through-the-gate",
        "Setting: through the gate",
        "The service follows people from custody into the community (true/false).",
        _S,
        "through_the_gate",
        BOOL,
    ),
    LocalTerm(
        "referral-method",
        "How to refer: method",
        "phone, email, form, drop-in or another referral method code.",
        _S,
        "referral_method",
        TEXT,
    ),
    LocalTerm(
        "referral-contact",
        "How to refer: contact",
        "Where referrals go (form address, referral line).",
        _S,
        "referral_contact",
        TEXT,
    ),
    LocalTerm(
        "response-days",
        "Typical response time (working days)",
        "Working days the provider usually takes to respond to a referral.",
        _S,
        "response_days",
        INT,
    ),
    LocalTerm(
        "waiting-weeks",
        "Waiting time (weeks)",
        "Typical wait in weeks before the service starts.",
        _S,
        "waiting_weeks",
        INT,
    ),
    LocalTerm(
        "confidential-address",
        "Confidential address",
        "The service publishes a contact, never an address (true/false).",
        _S,
        "confidential_address",
        BOOL,
    ),
    LocalTerm(
        "assurer",
        "Assured by",
        "Who last verified this record (when not an email).",
        _S,
        "assurer",
        TEXT,
    ),
    LocalTerm(
        "accessibility",
        "Accessibility of the service",
        "Accessibility of this service where it differs from its location's.",
        _S,
        "accessibility",
        TEXT,
    ),
    LocalTerm("faith-based", "Faith-based organisation", "true/false.", _O, "faith_based", BOOL),
    LocalTerm("uses-volunteers", "Uses volunteers", "true/false.", _O, "uses_volunteers", BOOL),
    LocalTerm(
        "lived-experience",
        "Peer mentors with lived experience",
        "The organisation uses peer mentors with lived experience (true/false).",
        _O,
        "lived_experience",
        BOOL,
    ),
)

TERMS_BY_ID: dict[str, LocalTerm] = {t.id: t for t in LOCAL_TERMS}
TERMS_BY_CODE: dict[str, LocalTerm] = {t.code: t for t in LOCAL_TERMS}
TERMS_BY_NAME: dict[str, LocalTerm] = {t.name.casefold(): t for t in LOCAL_TERMS}
# Fields a foreign package never carries: set only by our attributes, never wiped by re-import.
LOCAL_FIELDS: dict[str, frozenset[str]] = {
    _S: frozenset(t.field for t in LOCAL_TERMS if t.entity == _S) - {"assurer", "accessibility"},
    _O: frozenset(t.field for t in LOCAL_TERMS if t.entity == _O),
}


def local_term_for(term: dict[str, str]) -> LocalTerm | None:
    """Our term for a `taxonomy_term` row: by id, or by code/name within our taxonomy."""
    found = TERMS_BY_ID.get(term.get("id", ""))
    if found is not None:
        return found
    ours = term.get("taxonomy_id") == LOCAL_TAXONOMY.id or (
        (term.get("taxonomy") or "").strip().casefold() == LOCAL_TAXONOMY_NAME
    )
    if not ours:
        return None
    code = (term.get("code") or "").strip()
    return TERMS_BY_CODE.get(code) or TERMS_BY_NAME.get((term.get("name") or "").casefold())


def is_published(row: dict[str, str]) -> bool:
    """A taxonomy or term row that Referral Desk itself publishes in every export."""
    ours = {LOCAL_TAXONOMY.id, NEED_TAXONOMY.id}
    return row.get("id") in ours or row.get("taxonomy_id") in ours


# --- values ---------------------------------------------------------------------------------


def encode_values(term: LocalTerm, value: Any) -> list[str]:
    """The attribute `value` cells for a field value ([] when there is nothing to say)."""
    if term.kind == LIST:
        return [str(v) for v in (value or [])]
    if value is None:
        return []
    if term.kind == BOOL:
        return ["true" if value else "false"]
    if term.kind == DATE:
        return [value.isoformat()]
    if term.allowed:  # a value stored before the vocabulary was shared (`waiting_list`)
        return [in_vocabulary(str(value), term.allowed) or str(value)]
    return [str(value)]


def decode_values(term: LocalTerm, values: list[str]) -> Any:
    """The field value for the attribute cells of one term; ValueError when unusable."""
    if term.kind == LIST:
        return [v for v in values]
    text = values[-1].strip() if term.kind != TEXT else values[-1]
    if term.kind == BOOL:
        key = text.casefold()
        if key in ("true", "yes", "1", "y"):
            return True
        if key in ("false", "no", "0", "n", ""):
            return False
        raise ValueError("not true or false")
    if term.kind == DATE:
        return date.fromisoformat(text) if text else None
    if term.kind == INT:
        if not text:
            return None
        number = float(text)
        if number != int(number) or number < 0:
            raise ValueError("not a whole number")
        return int(number)
    if term.allowed:
        value = in_vocabulary(text, term.allowed)
        if value is None:
            raise ValueError("not one of the allowed values")
        return value
    return text


# --- need categories ------------------------------------------------------------------------


def need_term_id(code: str) -> str:
    return stable_id("term", NEED_TAXONOMY_NAME, code)


def need_term_row(code: str, label: str) -> dict[str, str]:
    return {
        "id": need_term_id(code),
        "code": code,
        "name": label,
        "description": f"Need category: {label}",
        "parent_id": "",
        "taxonomy": NEED_TAXONOMY_NAME,
        "language": "en",
        "taxonomy_id": NEED_TAXONOMY.id,
        "term_uri": "",
    }


_PUNCTUATION = re.compile(r"[^\w\s]+")


def normalise_term_name(text: str) -> str:
    """'Health - physical & mental' and 'Health – physical and mental' compare equal."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = folded.replace("&", " and ")
    folded = _PUNCTUATION.sub(" ", folded)
    return " ".join(folded.split())


class CategoryMatcher:
    """Maps taxonomy term names to need-category codes (never term codes: they vary)."""

    def __init__(self, categories: list[tuple[str, str]]) -> None:
        self._by_name: dict[str, str] = {}
        self._seen: dict[str, str | None] = {}  # raw term name -> code (names repeat a lot)
        for code, label in categories:
            self._by_name.setdefault(normalise_term_name(label), code)
        # A term may be named by the category code itself ("accommodation", "drugs").
        for code, _label in categories:
            self._by_name.setdefault(normalise_term_name(code), code)

    def match(self, term: dict[str, str]) -> str | None:
        name = term.get("name", "")
        if name not in self._seen:
            self._seen[name] = self._by_name.get(normalise_term_name(name))
        return self._seen[name]
