"""A record's child tables: projection (HSDS rows -> our fields) and synthesis (back).

Our model is flatter than HSDS: a service has one phone number, one contact name, a list of
languages and a line of opening times, where HSDS has `phone`, `contact`, `language` and
`schedule` rows. Each child table has a `ChildSpec` pairing the two directions, kept side by
side so they cannot drift apart; `fold_children` (import) keeps the rows verbatim whenever
synthesising from the projected fields would not give them back, `unfold_children` (export)
writes kept rows while they still say what the fields say. `mapping`'s docstring has the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from referral_desk.domain.languages import language_code, language_name
from referral_desk.domain.opening_times import describe, parse_line
from referral_desk.hsds.cells import (
    LOCATION,
    ORGANIZATION,
    SERVICE,
    Row,
    clean_phone,
    fill,
    fmt_number,
    new_row,
    parse_float,
    unfill,
)
from referral_desk.hsds.taxonomy import stable_id

# --- child tables: projection and synthesis ------------------------------------------------


@dataclass(frozen=True)
class ChildSpec:
    """How the rows of one child table fold into (and unfold from) fields of their owner."""

    table: str
    fields: tuple[str, ...]
    project: Callable[[list[Row]], dict[str, Any]]
    synth: Callable[[dict[str, Any], str], list[Row]]


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
        return [new_row("phone", id=stable_id(owner, "phone"), **values)]

    return ChildSpec("phone", ("phone",), project, synth)


def _contact_project(rows: list[Row]) -> dict[str, Any]:
    names = [r["name"].strip() for r in rows if r["name"].strip()]
    return {"contact_name": names[0] if names else ""}


def _contact_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    if not fields["contact_name"]:
        return []
    return [
        new_row(
            "contact", id=stable_id(owner, "contact"), service_id=owner, name=fields["contact_name"]
        )
    ]


def _language_project(rows: list[Row]) -> dict[str, Any]:
    names = [(r["name"] or language_name(r["code"]) or r["code"]).strip() for r in rows]
    return {"languages": [n for n in names if n]}


def _language_synth(fields: dict[str, Any], owner: str) -> list[Row]:
    return [
        new_row(
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
                new_row(
                    "schedule",
                    id=stable_id(owner, "schedule", str(i)),
                    service_id=owner,
                    description=line,
                )
            )
        for j, opening in enumerate(openings):
            parts = (owner, "schedule", str(i)) + ((str(j),) if j else ())
            rows.append(
                new_row(
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
        new_row(
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
        new_row(
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
        new_row(
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
            new_row(
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
            new_row(
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
        new_row(
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
