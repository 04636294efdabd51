"""Document data: a stray log line or traceback holding one prints no personal data, and the
slip has no field an offence, a risk or a description could travel in."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from referral_desk.documents.model import NeedLine, ProviderFormData, SlipData

NAME = "Gwenllïan Rhydderch"
PERSONAL = (NAME, "1984-02-29", "07700 900123", "hostel room 4", "Pashto", "lives with a partner")


def test_repr_of_a_slip_shows_no_personal_data() -> None:
    slip = SlipData(
        reference="K7M-3QH",
        person_name=NAME,
        service_name="Housing Advice",
        organisation_name="Leeds Trust",
        address_lines=("hostel room 4",),
        appointment_at=datetime(2026, 3, 2, 10, 30),
        appointment_place="hostel room 4",
        officer_name="Alex Morgan",
    )
    text = repr(slip)
    assert "K7M-3QH" in text
    for value in (*PERSONAL, "Alex Morgan", "2026"):
        assert value not in text


def test_repr_of_a_provider_form_shows_no_personal_data() -> None:
    form = ProviderFormData(
        reference="K7M-3QH",
        made_on=date(2026, 3, 1),
        service_name="Housing Advice",
        organisation_name="Leeds Trust",
        person_name=NAME,
        date_of_birth=date(1984, 2, 29),
        contact_details="07700 900123",
        needs=(NeedLine("Housing", "lives with a partner"),),
        accessibility_needs="hostel room 4",
        interpreter_language="Pashto",
        risk_note="lives with a partner",
    )
    text = repr(form)
    assert "Housing" in text  # the category label is not personal
    for value in (*PERSONAL, "1984"):
        assert value not in text


def test_the_slip_has_no_field_for_offences_risk_or_descriptions() -> None:
    names = {f.name for f in dataclasses.fields(SlipData)}
    for word in ("offence", "risk", "description", "conviction", "date_of_birth"):
        assert not any(word in name for name in names), word


def test_document_data_is_frozen() -> None:
    slip = SlipData("K7M-3QH", NAME, "Housing Advice", "Leeds Trust")
    with pytest.raises(dataclasses.FrozenInstanceError):
        slip.person_name = "someone else"  # type: ignore[misc]
