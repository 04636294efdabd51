"""A record's child tables (`hsds.children`): what we export folds back into the same fields
with nothing kept aside, and rows we cannot say in our fields are kept and written back."""

from __future__ import annotations

from typing import Any

from referral_desk.hsds.cells import SERVICE
from referral_desk.hsds.children import (
    PROJECTED_FIELDS,
    accessibility_text,
    fold_children,
    phone_type,
    unfold_children,
)

OWNER = "33333333-3333-4333-8333-333333333333"


def service_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict.fromkeys(PROJECTED_FIELDS[SERVICE], "")
    fields.update(
        location=None,
        languages=[],
        free=None,
        unit_cost=None,
    )
    fields.update(overrides)
    return fields


def test_our_own_child_rows_fold_back_with_nothing_kept() -> None:
    fields = service_fields(
        phone="07700 900123",
        contact_name="Duty worker",
        languages=["English", "Welsh"],
        opening_times="Mon–Fri 9am–5pm\nBy appointment at weekends",
        what_to_bring="Photo ID",
    )
    rows = unfold_children(SERVICE, OWNER, fields, {})
    assert rows["phone"][0]["type"] == "cell"
    folded, kept = fold_children(SERVICE, OWNER, rows)
    for name in ("phone", "contact_name", "languages", "opening_times", "what_to_bring"):
        assert folded[name] == fields[name], name
    assert kept == {}


def test_a_second_phone_is_kept_and_written_back_while_the_first_is_unchanged() -> None:
    rows = unfold_children(SERVICE, OWNER, service_fields(phone="0113 496 0000"), {})
    second = {**rows["phone"][0], "id": "another", "number": "0113 496 0001"}
    phones = [*rows["phone"], second]
    folded, kept = fold_children(SERVICE, OWNER, {**rows, "phone": phones})
    assert folded["phone"] == "0113 496 0000" and kept["phone"] == phones
    again = unfold_children(SERVICE, OWNER, service_fields(phone="0113 496 0000"), kept)
    assert again["phone"] == phones
    # Once the officer edits the number, fresh rows say what the field says.
    edited = unfold_children(SERVICE, OWNER, service_fields(phone="0113 496 0002"), kept)
    assert [r["number"] for r in edited["phone"]] == ["0113 496 0002"]


def test_phone_type_is_cell_only_for_uk_mobiles() -> None:
    assert phone_type("07700 900123") == "cell"
    assert phone_type("+44 7700 900123") == "cell"
    assert phone_type("0113 496 0000") == "voice"
    assert phone_type("+44 113 496 0000") == "voice"


def test_accessibility_joins_description_and_details() -> None:
    rows = [
        {"description": "Step-free", "details": "ramp at the side"},
        {"description": " ", "details": ""},
    ]
    assert accessibility_text(rows) == "Step-free ramp at the side"
