"""People and needs use cases: validation, duplicates, unmet needs, deletion."""

from __future__ import annotations

import pytest
from logged import logged, logged_values
from sqlalchemy import select

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.models import ChangeEntry, Person
from referral_desk.usecases.people import DuplicatePerson


def add_person(app, **extra):
    fields = {"given_name": "Siân", "family_name": "Llŷr-Jones", "date_of_birth": "1990-02-03"}
    fields.update(extra)
    return app.people.add(**fields)


def test_add_person_normalises_ids_and_records_owner(app) -> None:
    person = add_person(app, crn="x123456", nomis="a1234bc")
    assert person.crn == "X123456"
    assert person.nomis == "A1234BC"
    assert person.owner_officer_id == app.profile.get().id
    assert app.people.get(person.id).given_name == "Siân"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("crn", "987654", "CRN"),
        ("nomis", "A12345B", "Prison number"),
        ("date_of_birth", "31/02/1990", "not a real date"),
        ("date_of_birth", "2030-01-01", "future"),
        ("given_name", "   ", "required"),
    ],
)
def test_bad_person_input_is_refused_without_echoing_it(app, field, value, message) -> None:
    with pytest.raises(ValidationError, match=message) as err:
        add_person(app, **{field: value})
    assert value.strip() == "" or value not in str(err.value)
    assert app.people.list() == []


def test_probable_duplicate_warns_or_refuses_when_strict(app) -> None:
    first = add_person(app, crn="X123456")
    second = add_person(app, given_name="Sian", crn=None)
    assert second.warnings and first.id in second.warnings[0]
    with pytest.raises(DuplicatePerson):
        app.people.add(
            strict=True,
            given_name="Bob",
            family_name="Other",
            date_of_birth="1980-01-01",
            crn="X123456",
        )
    assert len(app.people.list()) == 2


def test_unmet_need_is_as_quick_as_an_open_one(app) -> None:
    person = add_person(app)
    open_need = app.needs.log(person.id, "accommodation", "Needs somewhere to live")
    unmet = app.needs.log(person.id, "bereavement", "Lost brother", unmet="no-service")
    assert open_need.status == "open"
    assert unmet.status == "unmet_no_service"
    assert [n.priority for n in app.needs.list(person.id)] == [1, 2]


def test_need_needs_known_category_and_other_needs_a_description(app) -> None:
    person = add_person(app)
    with pytest.raises(ValidationError, match="need category"):
        app.needs.log(person.id, "hovercraft", "x")
    with pytest.raises(ValidationError, match="Other"):
        app.needs.log(person.id, "other", "")
    with pytest.raises(ValidationError, match="unmet reason"):
        app.needs.log(person.id, "accommodation", "x", unmet="bored")
    with pytest.raises(NotFound):
        app.needs.log("not-an-id", "accommodation", "x")
    assert app.needs.list() == []


def test_reorder_needs(app) -> None:
    person = add_person(app)
    a = app.needs.log(person.id, "accommodation", "a")
    b = app.needs.log(person.id, "finance", "b")
    reordered = app.needs.reorder(person.id, [b.id, a.id])
    assert [n.id for n in reordered] == [b.id, a.id]
    with pytest.raises(ValidationError):
        app.needs.reorder(person.id, [a.id])


def test_delete_person_blanks_personal_fields_and_logs_tombstone(app) -> None:
    person = add_person(app, crn="X123456")
    app.needs.log(person.id, "accommodation", "private detail")
    app.people.delete(person.id)
    assert app.people.list() == []
    with pytest.raises(NotFound):
        app.people.get(person.id)
    with app.db.read() as s:
        row = s.get(Person, person.id)
        assert row.given_name == "" and row.crn is None and row.date_of_birth is None
        tomb = logged(s, ChangeEntry.record_id == person.id, ChangeEntry.field == "deleted_at")
        assert any(t.tombstone for t in tomb)
        old_values = logged_values(
            s, ChangeEntry.record_id == person.id, ChangeEntry.field == "crn"
        )
        assert old_values and all("X123456" not in v for v in old_values)  # scrubbed too


def test_every_write_is_logged_in_the_same_transaction(app) -> None:
    person = add_person(app)
    with app.db.read() as s:
        fields = set(s.scalars(select(ChangeEntry.field).where(ChangeEntry.record_id == person.id)))
    assert {"given_name", "family_name", "date_of_birth"} <= fields
    assert "id" not in fields and "updated_at" not in fields
    app.people.update(person.id, area="West Yorkshire")
    with app.db.read() as s:
        last = max(logged(s, ChangeEntry.record_id == person.id), key=lambda e: e.seq)
        assert (last.field, last.value) == ("area", '"West Yorkshire"')


def test_person_detail_has_needs_referrals_and_timeline(app) -> None:
    person = add_person(app)
    app.needs.log(person.id, "accommodation", "flat")
    app.people.add_note(person.id, "Phoned about housing")
    detail = app.people.detail(person.id)
    assert len(detail.needs) == 1
    kinds = [e.kind for e in detail.timeline]
    assert "note" in kinds and "need_status" in kinds
    assert all(e.by_name == "Alex Morgan" for e in detail.timeline)
