"""How HSDS rows and our directory fields map onto each other, in both directions.

Our model is flatter than HSDS: a service has one phone number, one contact name, a list of
languages and a line of opening times, where HSDS has `phone`, `contact`, `language` and
`schedule` rows. Each such child table therefore has a *projection* (HSDS rows -> our fields,
used by the importer) and a *synthesis* (our fields -> HSDS rows, used by the exporter), kept
side by side here so they cannot drift apart.

Nothing is thrown away. On import, when a record's child rows are not exactly what we would
synthesise from the projected fields (foreign ids, extra columns, a second phone number), the
rows are kept verbatim in the record's `extra["hsds_rows"]`; on export they are written back
as long as the projection still matches the fields (nobody has edited the phone number since),
otherwise fresh rows are synthesised from the fields. Columns of the record's own row that we
do not map are kept in `extra["hsds_columns"]`. A package written by our own exporter
therefore re-imports with empty `extra`, and any package re-exports byte for byte.

Standard columns we can say in words are filled from our fields: `phones.type`,
`languages.code` (ISO 639, `domain.languages`), weekly `schedules` rows (`byday`, `opens_at`,
`closes_at`, `freq`, `wkst`) for opening times in a form `domain.opening_times` reads (the line
stays the row's description, so the text round-trips exactly), and the service's
`application_process`, `wait_time` and `eligibility_description` (`derived_service_columns`).
A publisher's own text in those service columns is kept and written back instead.

HSDS requires some descriptive values we may not have (an organisation description, an
address's city). The exporter writes `FILLER` there, and the importer reads `FILLER` back as
blank, so exports validate and round trips stay exact.

The child tables' two directions are `children`; cell values and shared names are `cells`;
this module maps the records' own rows, our local fields and need categories as attributes.
"""

from __future__ import annotations

from typing import Any

from referral_desk.hsds.cells import (
    EXTRA_AREAS,
    EXTRA_COLUMNS,
    EXTRA_ROWS,
    HSDS_EXTRA_KEYS,
    LOCATION,
    ORGANIZATION,
    SERVICE,
    TAXONOMY_KEY,
    TERM_KEY,
    Row,
    blank_row,
    canonical,
    fill,
    fmt_number,
    leftover,
    looks_like_email,
    new_row,
    parse_day,
    parse_float,
    parse_whole,
    unfill,
)
from referral_desk.hsds.children import accessibility_text, fold_children, unfold_children
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.taxonomy import (
    LOCAL_TERMS,
    CategoryMatcher,
    LocalTerm,
    encode_values,
    need_term_id,
    stable_id,
)

# The one vocabulary the importer, folding and exporter use (`mapping as m`): this module's
# record rows and attributes, with the cell helpers (`cells`) and child tables (`children`).
__all__ = [
    "AREA_MAPPED",
    "DERIVED_SERVICE_COLUMNS",
    "EXTRA_AREAS",
    "EXTRA_COLUMNS",
    "EXTRA_ROWS",
    "HSDS_EXTRA_KEYS",
    "LOCAL_DEFAULTS",
    "LOCATION",
    "LOCATION_DEFAULTS",
    "LOCATION_MAPPED",
    "ORGANISATION_MAPPED",
    "ORGANIZATION",
    "SERVICE",
    "SERVICE_MAPPED",
    "SERVICE_STATUSES",
    "TAXONOMY_KEY",
    "TERM_KEY",
    "Row",
    "accessibility_text",
    "area_row",
    "attribute_categories",
    "canonical",
    "category_rows",
    "derived_service_columns",
    "export_status",
    "fold_children",
    "leftover",
    "local_attribute_rows",
    "location_row",
    "looks_like_email",
    "organisation_row",
    "parse_day",
    "parse_float",
    "parse_whole",
    "service_row",
    "strip_term_keys",
    "unfill",
    "unfold_children",
]

# --- need categories as attributes ---------------------------------------------------------


def category_rows(owner: str, codes: set[str] | frozenset[str]) -> list[Row]:
    return [
        new_row(
            "attribute",
            id=stable_id(owner, "need_category", code),
            link_id=owner,
            taxonomy_term_id=need_term_id(code),
            link_entity=SERVICE,
        )
        for code in sorted(codes)
    ]


def attribute_categories(rows: list[Row], matcher: CategoryMatcher) -> set[str]:
    codes = set()
    for row in rows:
        for term in row.get(TERM_KEY, [])[:1]:  # type: ignore[union-attr]
            code = matcher.match(term)
            if code:
                codes.add(code)
    return codes


def strip_term_keys(row: Row) -> Row:
    return {k: v for k, v in row.items() if k not in (TERM_KEY, TAXONOMY_KEY)}


# --- our local fields as attributes --------------------------------------------------------

LOCAL_DEFAULTS: dict[str, Any] = {
    "isp_agreed": False,
    "reports_attendance": False,
    "reports_progress": False,
    "precheck_date": None,
    "precheck_by": "",
    "offence_exclusions": [],
    "prisons": [],
    "capacity": "accepting",
    "capacity_as_of": None,
    "gender": "any",
    "risk_levels": [],
    "cohorts": [],
    "community": True,
    "through_the_gate": False,
    "referral_method": "phone",
    "referral_contact": "",
    "response_days": None,
    "waiting_weeks": None,
    "confidential_address": False,
    "assurer": "",
    "accessibility": "",
    "faith_based": False,
    "uses_volunteers": False,
    "lived_experience": False,
}


def local_attribute_rows(
    entity: str, owner: str, values: dict[str, Any], *, always: frozenset[str] = frozenset()
) -> list[Row]:
    """Attribute rows for our local fields that differ from the default (or are in `always`)."""
    rows = []
    for term in LOCAL_TERMS:
        if term.entity != entity or term.field not in values:
            continue
        value = values[term.field]
        if value == LOCAL_DEFAULTS[term.field] and term.field not in always:
            continue
        cells = encode_values(term, value)
        if not cells and term.field in always:
            cells = [""]
        rows.extend(_local_row(entity, owner, term, i, v) for i, v in enumerate(cells))
    return rows


def _local_row(entity: str, owner: str, term: LocalTerm, index: int, value: str) -> Row:
    return new_row(
        "attribute",
        id=stable_id(owner, "attribute", term.code, str(index)),
        link_id=owner,
        taxonomy_term_id=term.id,
        link_entity=entity,
        value=value,
    )


# --- the records' own rows -----------------------------------------------------------------

ORGANISATION_MAPPED = frozenset({"id", "name", "description", "email", "website"})
SERVICE_MAPPED = frozenset(
    {
        "id",
        "organization_id",
        "name",
        "description",
        "email",
        "status",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
    }
)
LOCATION_MAPPED = frozenset({"id", "organization_id", "name", "latitude", "longitude"})
LOCATION_DEFAULTS: Row = {"location_type": "physical"}
AREA_MAPPED = frozenset({"id", "service_id", "name"})
SERVICE_STATUSES = TABLES["service"].field("status").enum  # type: ignore[union-attr]


def organisation_row(key: str, org: dict[str, Any], columns: Row) -> Row:
    row = blank_row("organization")
    row.update(columns)
    row.update(
        id=key,
        name=org["name"],
        description=fill(org["description"]),
        email=org["email"],
        website=org["website"],
    )
    return row


def export_status(status: str | None) -> str:
    """Our status in HSDS spelling ("temporarily_closed" -> "temporarily closed")."""
    return " ".join((status or "active").replace("_", " ").replace("-", " ").split()).lower()


# How to refer, in words, for `services.application_process` (codes of the `referral_method`
# reference list, and drop-in).
_HOW_TO_REFER = {
    "phone": "By phone",
    "email": "By email",
    "form": "Online referral form",
    "letter": "By letter",
    "in_person": "In person",
    "drop_in": "Drop in",
    "slip": "With a slip",
}
DERIVED_SERVICE_COLUMNS = ("application_process", "wait_time", "eligibility_description")


def _application_process(method: str, contact: str) -> str:
    how = _HOW_TO_REFER.get(method) or method.replace("_", " ").capitalize()
    if contact:
        return f"{how}: {contact}" if how else contact
    return f"{how}." if how and method != LOCAL_DEFAULTS["referral_method"] else ""


def _wait_time(weeks: int | None) -> str:
    if weeks is None:
        return ""
    if weeks == 0:
        return "No waiting time"
    return f"About {weeks} week{'s' if weeks != 1 else ''}"


def _eligibility(svc: dict[str, Any]) -> str:
    parts = []
    gender = {"female": "Women only", "male": "Men only"}.get(svc.get("gender") or "any")
    if gender:
        parts.append(gender)
    lo, hi = svc.get("min_age"), svc.get("max_age")
    if lo is not None and hi is not None:
        parts.append(f"Aged {lo} to {hi}")
    elif lo is not None:
        parts.append(f"Aged {lo} and over")
    elif hi is not None:
        parts.append(f"Aged up to {hi}")
    for label, name in (
        ("Cohorts", "cohorts"),
        ("Risk levels accepted", "risk_levels"),
        ("Offences not accepted", "offence_exclusions"),
    ):
        values = [str(v) for v in svc.get(name) or []]
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return ". ".join(parts) + "." if parts else ""


def derived_service_columns(svc: dict[str, Any]) -> Row:
    """Standard HSDS service columns written from our fields (how to refer, waiting time,
    eligibility). A publisher's own text, kept from an import, is written instead; on import,
    a value equal to what we would write is not kept (our own exports round-trip clean)."""
    return {
        "application_process": _application_process(
            svc.get("referral_method") or "", svc.get("referral_contact") or ""
        ),
        "wait_time": _wait_time(svc.get("waiting_weeks")),
        "eligibility_description": _eligibility(svc),
    }


def service_row(key: str, org_key: str, svc: dict[str, Any], columns: Row) -> Row:
    row = blank_row("service")
    row.update({k: v for k, v in derived_service_columns(svc).items() if k not in columns})
    row.update(columns)
    assurer = svc["assurer"] or ""
    row.update(
        id=key,
        organization_id=org_key,
        name=svc["name"],
        description=svc["description"],
        email=svc["email"],
        status=export_status(svc["status"]),
        minimum_age=fmt_number(svc["min_age"]),
        maximum_age=fmt_number(svc["max_age"]),
        assured_date=svc["assured_date"].isoformat() if svc["assured_date"] else "",
        assurer_email=assurer if looks_like_email(assurer) else "",
    )
    return row


def location_row(key: str, org_key: str, loc: dict[str, Any], columns: Row) -> Row:
    row = blank_row("location")
    row.update(LOCATION_DEFAULTS)
    row.update(columns)
    row.update(
        id=key,
        organization_id=org_key,
        name=loc["name"],
        latitude=fmt_number(loc["latitude"]),
        longitude=fmt_number(loc["longitude"]),
    )
    return row


def area_row(key: str, service_key: str, name: str, columns: Row) -> Row:
    row = blank_row("service_area")
    row.update(columns)
    row.update(id=key, service_id=service_key, name=name)
    return row
