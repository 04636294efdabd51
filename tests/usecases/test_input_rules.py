"""Issue 11, points 3 and 10: reference lists at input, clean text and field limits everywhere.

Every use case cleans its text with domain.text (one line or free text per domain.fields) and
refuses values over the field's limit with one message naming the field, changing nothing.
Prisons and areas (report dimensions) are accepted only from their reference lists.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import max_length
from referral_desk.domain.text import has_controls
from referral_desk.store.models import CaseNote, Person, ReferenceItem
from referral_desk.usecases.directory_admin import DirectoryAdminService

TYPED = "HMP Xylo cell of Yolanda"
NASTY = "Ann\x00\x1b[31m\u202e Smith\r\n"


def people_count(app: Any) -> int:
    with app.db.read() as session:
        return session.scalar(select(func.count()).select_from(Person))


def add(app: Any, **fields: Any) -> Any:
    base = {"given_name": "Ann", "family_name": "Ash", "date_of_birth": "1990-01-01"}
    return app.people.add(**{**base, **fields})


# --- prisons and areas come from the reference lists -----------------------------------------


def test_an_unknown_prison_is_refused_with_near_names_and_nothing_is_written(app) -> None:
    before = people_count(app)
    with pytest.raises(ValidationError) as err:
        add(app, setting="custody", prison=TYPED)
    message = str(err.value)
    assert message.startswith("Unknown prison. Did you mean: HMP ")
    assert "Xylo" not in message and "Yolanda" not in message  # never echoes the typed text
    with pytest.raises(ValidationError, match=r"Did you mean: HMP Styal\?"):
        add(app, setting="custody", prison="Styal")
    with pytest.raises(ValidationError, match="Unknown area"):
        add(app, area="Leeds")
    assert people_count(app) == before


@pytest.mark.parametrize("typed", ["hmp_leeds", "HMP LEEDS", " hmp  leeds ", "HMP_Leeds"])
def test_a_prison_is_stored_as_its_label_from_code_or_label_in_any_case(app, typed) -> None:
    assert add(app, setting="custody", prison=typed).prison == "HMP Leeds"


def test_area_and_ethnicity_are_canonical_too(app) -> None:
    person = add(app, area="WEST_YORKSHIRE", ethnicity="White: Irish")
    assert person.area == "West Yorkshire"
    assert person.ethnicity == "white_irish"  # ethnicity keeps the ONS code
    with pytest.raises(ValidationError, match="Unknown ethnicity"):
        add(app, ethnicity="Martian")


def test_transfer_and_edit_obey_the_list_but_keep_an_old_value(app) -> None:
    person = add(app, setting="custody", prison="HMP Leeds")
    with pytest.raises(ValidationError, match="Unknown prison"):
        app.cases.change_setting(person.id, setting="custody", prison=TYPED)
    with pytest.raises(ValidationError, match="Unknown area"):
        app.people.update(person.id, area=TYPED)
    with app.db.write() as session:  # typed freely in an older version
        session.get(Person, person.id).prison = "HMP Old Typed"
    # Saving the person again (e.g. from the dialog) keeps what they already have ...
    assert app.people.update(person.id, prison="HMP Old Typed").prison == "HMP Old Typed"
    moved = app.cases.change_setting(
        person.id, setting="custody", prison="HMP Old Typed", area="wales"
    ).person
    assert (moved.prison, moved.area) == ("HMP Old Typed", "Wales")
    # ... but a new value must come from the list.
    assert app.people.update(person.id, prison="hmp_styal").prison == "HMP Styal"


def test_reference_lists_are_data_a_team_extends_and_retires(app) -> None:
    added = app.reference.add_item("prison", "HMP Xylo")
    assert (added.code, added.label) == ("hmp_xylo", "HMP Xylo")
    assert add(app, setting="custody", prison="hmp xylo").prison == "HMP Xylo"
    with pytest.raises(ValidationError, match="already in the list"):
        app.reference.add_item("prison", "hmp xylo")
    retired = app.reference.deprecate("prison", "hmp_xylo")
    assert retired.deprecated_at is not None
    with pytest.raises(ValidationError, match="Unknown prison"):
        add(app, given_name="Bo", setting="custody", prison="HMP Xylo")
    assert "HMP Xylo" in [i.label for i in app.reference.list("prison", include_deprecated=True)]
    assert app.reference.add_item("prison", "HMP Xylo").deprecated_at is None  # back again
    with pytest.raises(ValidationError, match="Unknown reference list"):
        app.reference.add_item("referral_method", "Pigeon")
    with app.db.read() as session:  # the id is derived from (list, code), as for the defaults
        row = session.scalar(select(ReferenceItem).where(ReferenceItem.code == "hmp_xylo"))
        assert row is not None and row.id == added.id


def test_a_listed_team_is_stored_in_its_listed_spelling(app) -> None:
    app.reference.add_item("team", "Leeds North")
    assert app.profile.set(team="leeds  north").team == "Leeds North"
    assert app.profile.set(team="Night shift").team == "Night shift"  # kept; reports say Other


# --- control characters and limits -----------------------------------------------------------


def test_names_and_every_person_text_field_are_cleaned(app) -> None:
    person = add(
        app,
        given_name=NASTY,
        family_name="Ash\tby",
        office="Leeds\x07 North",
        gender="Female\x1b",
        religion="\x85None",
        consent_scope="all\nreferrals",
    )
    assert person.given_name == "Ann [31m Smith"
    assert person.family_name == "Ash by"
    assert (person.office, person.gender, person.religion) == ("Leeds North", "Female", "None")
    assert person.consent_scope == "all referrals"  # one-line field
    with pytest.raises(ValidationError, match="Given name is required"):
        add(app, given_name="\x00\x1b")


def test_lengths_are_refused_with_the_field_named_and_nothing_written(app) -> None:
    before = people_count(app)
    limit = max_length("person", "family_name")
    assert add(app, family_name="x" * limit).family_name == "x" * limit
    with pytest.raises(ValidationError, match=rf"^Family name is too long \(at most {limit} "):
        add(app, family_name="y" * (limit + 1))
    with pytest.raises(ValidationError, match="Office is too long"):
        add(app, office="z" * 101)
    assert people_count(app) == before + 1


def test_needs_referrals_follow_ups_and_notes_are_cleaned(app) -> None:
    person = add(app, consent_given_on="2026-01-01")
    need = app.needs.log(
        person.id, "accommodation", "Line one\r\nLine\x00 two\x1b[2J", subtype="Hostel\nbed"
    )
    assert need.description == "Line one\nLine two[2J"  # free text keeps its line break
    assert need.subtype == "Hostel bed"
    with pytest.raises(ValidationError, match="Description is too long"):
        app.needs.log(person.id, "accommodation", "d" * 4001)
    with pytest.raises(ValidationError, match="Describe a need logged as Other"):
        app.needs.log(person.id, "other", "\x00\x01")
    updated = app.needs.update(need.id, description="\u202eevil", subtype="\x07")
    assert (updated.description, updated.subtype) == ("evil", "")

    service = DirectoryAdminService(app.db, app.clock)
    org = service.create_organisation(name="Org")
    svc = service.create_service(org.id, "Help\x00 desk\x1b[0m", description="Para\r\n\x00two")
    assert svc.name == "Help desk [0m" and svc.description == "Para\ntwo"
    ref = app.referrals.make(
        need.id,
        svc.id,
        consent=True,
        share_risk=True,
        risk_note="Risk\x1b[31m\r\nsecond",
        accessibility_needs="Ramp\x00",
        interpreter_language="Polish\n",
        availability="Mon\tTue",
        appointment_place="Room\r\n2",
    )
    detail = app.referrals.get(ref.id)
    assert detail.risk_note == "Risk[31m\nsecond"
    assert (detail.accessibility_needs, detail.interpreter_language) == ("Ramp", "Polish")
    assert (detail.availability, detail.appointment_place) == ("Mon Tue", "Room 2")
    with pytest.raises(ValidationError, match="Risk information is too long"):
        app.referrals.make(need.id, svc.id, consent=True, share_risk=True, risk_note="r" * 2001)
    moved = app.referrals.record_status(ref.reference, "acknowledged", note="Rang\x00 them\x1b")
    assert moved.history[-1].note == "Rang them"

    follow = app.follow_ups.add(person.id, "2026-04-01", "Ring\x00 back\r\nsoon")
    assert follow.note == "Ring back\nsoon"
    done = app.follow_ups.complete(follow.id, "Done\x1b[2J")
    assert done.result_note == "Done[2J"
    app.people.add_note(person.id, "\x00Case\x1b note")
    with pytest.raises(ValidationError, match="note cannot be empty"):
        app.people.add_note(person.id, "\x00\x1b")
    with app.db.read() as session:
        assert session.scalar(select(CaseNote.text)) == "Case note"


def test_profile_reference_and_directory_fields_are_cleaned(app) -> None:
    profile = app.profile.set(name="Alex\x00 Morgan", office="Leeds\x1b", office_phone="0113\x00")
    assert (profile.name, profile.office, profile.office_phone) == ("Alex Morgan", "Leeds", "0113")
    with pytest.raises(ValidationError, match="Office phone is too long"):
        app.profile.set(office_phone="1" * 41)
    item = app.reference.add_item("area", "North\x1b[31m Wales")
    assert item.label == "North [31m Wales" and not has_controls(item.label)

    service = DirectoryAdminService(app.db, app.clock)
    org = service.create_organisation(name="\x00Org\x1b", description="A\x00\r\nB")
    assert (org.name, org.description) == ("Org", "A\nB")
    svc = service.create_service(org.id, "Svc", opening_times="Mon\x00\nTue", areas=["Le\x00eds"])
    assert svc.opening_times == "Mon\nTue"
    correction = service.report_correction(svc.id, "Phone\x1b[2J is wrong\r\nnow")
    assert correction.text == "Phone[2J is wrong\nnow"
    resolved = service.resolve_correction(correction.id, True, "Fixed\x00")
    assert resolved.resolution_note == "Fixed"


def test_every_text_of_a_stored_person_is_free_of_controls(app) -> None:
    add(app, given_name=NASTY, family_name=NASTY, office=NASTY, contact_preferences=NASTY)
    with app.db.read() as session:
        for person in session.scalars(select(Person)):
            for column in Person.__table__.columns:
                value = getattr(person, column.key)
                if isinstance(value, str):
                    assert not has_controls(value), column.key


def test_a_printer_name_on_the_timeline_is_cleaned(app) -> None:
    person = add(app, consent_given_on="2026-01-01")
    need = app.needs.log(person.id, "accommodation", "flat")
    service = DirectoryAdminService(app.db, app.clock)
    svc = service.create_service(service.create_organisation(name="Org").id, "Svc")
    ref = app.referrals.make(need.id, svc.id, consent=True)
    app.printing.record_printed(ref.id, "Referral slip", "printed on \x1b[31mOffice\x00 printer")
    with app.db.read() as session:
        texts = list(session.scalars(select(CaseNote.text)))
    assert texts == [f"Referral slip for referral {ref.reference} printed on [31mOffice printer"]
