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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from referral_desk.domain.languages import language_code, language_name
from referral_desk.domain.opening_times import describe, parse_line
from referral_desk.hsds.schema import TABLES
from referral_desk.hsds.taxonomy import (
    LOCAL_TERMS,
    CategoryMatcher,
    LocalTerm,
    encode_values,
    need_term_id,
    stable_id,
)

FILLER = "Not recorded"
EXTRA_COLUMNS = "hsds_columns"
EXTRA_ROWS = "hsds_rows"
EXTRA_AREAS = "hsds_area_columns"
HSDS_EXTRA_KEYS = (EXTRA_COLUMNS, EXTRA_ROWS, EXTRA_AREAS)
# Keys of a stored attribute row that carry its term and taxonomy, not columns.
TERM_KEY = "_terms"
TAXONOMY_KEY = "_taxonomies"

Row = dict[str, str]

# --- values --------------------------------------------------------------------------------


def blank_row(table: str) -> Row:
    return dict.fromkeys(TABLES[table].columns, "")


_COLUMN_SETS = {name: frozenset(t.columns) for name, t in TABLES.items()}


def canonical(table: str, cells: dict[str, str]) -> Row:
    """A row as stored and compared: every standard column, then non-blank extra columns.

    Rows read from a file with exactly the standard header are already canonical and are
    returned as they are (the common case, and the importer's hot path).
    """
    if cells.keys() == _COLUMN_SETS[table]:
        return cells
    row = {c: cells.get(c, "") for c in TABLES[table].columns}
    for key, value in cells.items():
        if key not in row and value != "":
            row[key] = value
    return row


def fill(text: str) -> str:
    return text if text.strip() else FILLER


def unfill(text: str) -> str:
    text = (text or "").strip()
    return "" if text == FILLER else text


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def parse_float(text: str) -> float | None:
    """A number cell; ValueError when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def parse_whole(text: str) -> int | None:
    value = parse_float(text)
    if value is None:
        return None
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def parse_day(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    return date.fromisoformat(text[:10])


def clean_phone(text: str) -> str:
    """Some publishers wrap numbers in quotes to stop spreadsheets eating the '+'."""
    value = (text or "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def looks_like_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text or ""))


def leftover(cells: dict[str, str], mapped: frozenset[str], defaults: Row | None = None) -> Row:
    """Columns of a record's own row that we do not map: kept in `extra["hsds_columns"]`."""
    defaults = defaults or {}
    return {k: v for k, v in cells.items() if k not in mapped and v != "" and defaults.get(k) != v}


# --- child tables: projection and synthesis ------------------------------------------------


@dataclass(frozen=True)
class ChildSpec:
    """How the rows of one child table fold into (and unfold from) fields of their owner."""

    table: str
    fields: tuple[str, ...]
    project: Callable[[list[Row]], dict[str, Any]]
    synth: Callable[[dict[str, Any], str], list[Row]]


def _row(table: str, **values: str) -> Row:
    row = blank_row(table)
    row.update(values)
    return row


def _passive(table: str) -> ChildSpec:
    """A table with no field of ours: its rows are always kept as they are."""
    return ChildSpec(table, (), lambda rows: {}, lambda fields, owner: [])


def phone_type(number: str) -> str:
    """HSDS phone type: "cell" for a UK mobile (07…, +44 7…), else "voice"."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return "cell" if digits.startswith(("07", "447", "4407")) else "voice"


def _phone(link: str) -> ChildSpec:
    def project(rows: list[Row]) -> dict[str, Any]:
        return {"phone": clean_phone(rows[0]["number"]) if rows else ""}

    def synth(fields: dict[str, Any], owner: str) -> list[Row]:
        if not fields["phone"]:
            return []
        values = {link: owner, "number": fields["phone"], "type": phone_type(fields["phone"])}
        return [_row("phone", id=stable_id(owner, "phone"), **values)]

    return ChildSpec("phone", ("phone",), project, synth)


def _contact_project(rows: list[Row]) -> dict[str, Any]:
    names = [r["name"].strip() for r in rows if r["name"].strip()]
    return {"contact_name": names[0] if names else ""}


def _contact_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    if not fields["contact_name"]:
        return []
    return [
        _row(
            "contact", id=stable_id(owner, "contact"), service_id=owner, name=fields["contact_name"]
        )
    ]


def _language_project(rows: list[Row]) -> dict[str, Any]:
    names = [(r["name"] or language_name(r["code"]) or r["code"]).strip() for r in rows]
    return {"languages": [n for n in names if n]}


def _language_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    return [
        _row(
            "language",
            id=stable_id(owner, "language", str(i)),
            service_id=owner,
            name=name,
            code=language_code(name),
        )
        for i, name in enumerate(fields["languages"] or [])
    ]


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def _schedule_project(rows: list[Row]) -> dict[str, Any]:
    """One line of opening times per schedule row, except that consecutive rows with the same
    description and different structured times are one line read into several rows
    ("Mon–Thu 9–5, Fri 9–4:30"). A row with only structured times is described in words."""
    lines: list[str] = []
    previous = ""
    group: set[tuple[str, str, str]] = set()
    for row in rows:
        text = row["description"]
        times = (row["byday"], row["opens_at"], row["closes_at"])
        if text and text == previous and any(times) and times not in group:
            group.add(times)
            continue
        lines.append(text or describe(*times))
        previous, group = text, {times}
    return {"opening_times": "\n".join(lines)}


def _schedule_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    """A row per line of opening times, with the weekly times when the line is in a form we
    read (`domain.opening_times`): then a row per day group, each with the line as its text."""
    rows = []
    for i, line in enumerate(_lines(fields["opening_times"])):
        openings = parse_line(line) or ()
        if not openings:
            rows.append(
                _row(
                    "schedule",
                    id=stable_id(owner, "schedule", str(i)),
                    service_id=owner,
                    description=line,
                )
            )
        for j, opening in enumerate(openings):
            parts = (owner, "schedule", str(i)) + ((str(j),) if j else ())
            rows.append(
                _row(
                    "schedule",
                    id=stable_id(*parts),
                    service_id=owner,
                    description=line,
                    freq="WEEKLY",
                    wkst="MO",
                    byday=opening.byday,
                    opens_at=f"{opening.opens}:00",
                    closes_at=f"{opening.closes}:00",
                )
            )
    return rows


def _cost_project(rows: list[Row]) -> dict[str, Any]:
    amounts: list[float | None] = []
    for row in rows:
        try:
            amounts.append(parse_float(row["amount"]))
        except ValueError:
            amounts.append(None)
    charged = [a for a in amounts if a is None or a > 0]
    if not charged:
        return {"free": True, "unit_cost": None}
    return {"free": False, "unit_cost": next((a for a in charged if a is not None), None)}


def _cost_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    if fields["free"]:
        return []
    return [
        _row(
            "cost_option",
            id=stable_id(owner, "cost_option"),
            service_id=owner,
            option="Spot purchase",
            currency="GBP",
            amount=fmt_number(fields["unit_cost"]),
        )
    ]


def _document_project(rows: list[Row]) -> dict[str, Any]:
    return {"what_to_bring": "\n".join(r["document"] for r in rows)}


def _document_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    return [
        _row(
            "required_document",
            id=stable_id(owner, "required_document", str(i)),
            service_id=owner,
            document=line,
        )
        for i, line in enumerate(_lines(fields["what_to_bring"]))
    ]


def _sal_project(rows: list[Row]) -> dict[str, Any]:
    return {"location": rows[0]["location_id"] if rows else None}


def _sal_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    location = fields["location"]
    if not location:
        return []
    return [
        _row(
            "service_at_location",
            id=stable_id(owner, "service_at_location", location),
            service_id=owner,
            location_id=location,
        )
    ]


_CHARITY_SCHEMES = ("gb-chc", "gb-sc", "gb-nic")


def _identifier_kind(row: Row) -> str:
    scheme = row["identifier_scheme"].strip().casefold()
    kind = row["identifier_type"].strip().casefold()
    if scheme in _CHARITY_SCHEMES or "charity" in kind:
        return "charity_number"
    if scheme == "gb-coh" or "company" in kind:
        return "company_number"
    return ""


def _identifier_project(rows: list[Row]) -> dict[str, Any]:
    found = {"charity_number": "", "company_number": ""}
    for row in rows:
        kind = _identifier_kind(row)
        if kind and not found[kind]:
            found[kind] = row["identifier"].strip()
    return found


def _identifier_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    rows = []
    if fields["charity_number"]:
        rows.append(
            _row(
                "organization_identifier",
                id=stable_id(owner, "charity_number"),
                organization_id=owner,
                identifier_scheme="GB-CHC",
                identifier_type="Charity number",
                identifier=fields["charity_number"],
            )
        )
    if fields["company_number"]:
        rows.append(
            _row(
                "organization_identifier",
                id=stable_id(owner, "company_number"),
                organization_id=owner,
                identifier_scheme="GB-COH",
                identifier_type="Company number",
                identifier=fields["company_number"],
            )
        )
    return rows


ADDRESS_FIELDS = ("address_1", "address_2", "city", "region", "postcode")


def _address_project(rows: list[Row]) -> dict[str, Any]:
    if not rows:
        return dict.fromkeys(ADDRESS_FIELDS, "")
    pick = next((r for r in rows if r["address_type"].strip() == "physical"), rows[0])
    return {
        "address_1": unfill(pick["address_1"]),
        "address_2": pick["address_2"].strip(),
        "city": unfill(pick["city"]),
        "region": pick["region"].strip() or unfill(pick["state_province"]),
        "postcode": unfill(pick["postal_code"]),
    }


def _address_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    if not any(fields[f] for f in ADDRESS_FIELDS):
        return []
    return [
        _row(
            "address",
            id=stable_id(owner, "address"),
            location_id=owner,
            address_1=fill(fields["address_1"]),
            address_2=fields["address_2"],
            city=fill(fields["city"]),
            region=fields["region"],
            state_province=fill(fields["region"]),
            postal_code=fill(fields["postcode"]),
            country="GB",
            address_type="physical",
        )
    ]


def _spec(table: str, fields: tuple[str, ...], project: Any, synth: Any) -> ChildSpec:
    return ChildSpec(table, fields, project, synth)


SERVICE = "service"
ORGANIZATION = "organization"
LOCATION = "location"

CHILD_SPECS: dict[str, dict[str, ChildSpec]] = {
    SERVICE: {
        "service_at_location": _spec(
            "service_at_location", ("location",), _sal_project, _sal_synth
        ),
        "phone": _phone("service_id"),
        "contact": _spec("contact", ("contact_name",), _contact_project, _contact_synth),
        "language": _spec("language", ("languages",), _language_project, _language_synth),
        "schedule": _spec("schedule", ("opening_times",), _schedule_project, _schedule_synth),
        "cost_option": _spec("cost_option", ("free", "unit_cost"), _cost_project, _cost_synth),
        "required_document": _spec(
            "required_document", ("what_to_bring",), _document_project, _document_synth
        ),
        "funding": _passive("funding"),
    },
    ORGANIZATION: {
        "phone": _phone("organization_id"),
        "organization_identifier": _spec(
            "organization_identifier",
            ("charity_number", "company_number"),
            _identifier_project,
            _identifier_synth,
        ),
        "program": _passive("program"),
        "contact": _passive("contact"),
        "funding": _passive("funding"),
    },
    LOCATION: {
        "address": _spec("address", ADDRESS_FIELDS, _address_project, _address_synth),
        "accessibility": _passive("accessibility"),
        "phone": _passive("phone"),
        "contact": _passive("contact"),
        "language": _passive("language"),
        "schedule": _passive("schedule"),
    },
}

PROJECTED_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(f for spec in specs.values() for f in spec.fields)
    for kind, specs in CHILD_SPECS.items()
}


def fold_children(
    kind: str, owner: str, rows_by_table: dict[str, list[Row]]
) -> tuple[dict[str, Any], dict[str, list[Row]]]:
    """Import: (our fields projected from the child rows, rows to keep verbatim)."""
    fields: dict[str, Any] = {}
    kept: dict[str, list[Row]] = {}
    specs = CHILD_SPECS[kind]
    for table, spec in specs.items():
        rows = rows_by_table.get(table, [])
        projected = spec.project(rows)
        fields.update(projected)
        if rows and rows != spec.synth(projected, owner):
            kept[table] = rows
    for table, rows in rows_by_table.items():
        if table not in specs and rows:
            kept[table] = rows
    return fields, kept


def unfold_children(
    kind: str, owner: str, fields: dict[str, Any], kept: dict[str, list[Row]]
) -> dict[str, list[Row]]:
    """Export: the child rows for a record: kept rows while they still say the same thing."""
    out: dict[str, list[Row]] = {}
    specs = CHILD_SPECS[kind]
    for table, spec in specs.items():
        current = {f: fields[f] for f in spec.fields}
        rows = kept.get(table)
        out[table] = rows if rows and spec.project(rows) == current else spec.synth(current, owner)
    for table, rows in kept.items():
        if table not in specs:
            out[table] = rows
    return out


def accessibility_text(rows: list[Row]) -> str:
    """A service's accessibility, as HSDS says it of the service's location."""
    parts = []
    for row in rows:
        text = " ".join(p for p in (row["description"].strip(), row["details"].strip()) if p)
        if text:
            parts.append(text)
    return "\n".join(parts)


# --- need categories as attributes ---------------------------------------------------------


def category_rows(owner: str, codes: set[str] | frozenset[str]) -> list[Row]:
    return [
        _row(
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
    return _row(
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
