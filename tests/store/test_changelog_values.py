"""Values the change log reads from the records' rows (`store.changelog_values`): every entry
reads back as the text that was logged, including after the row has changed since."""

from __future__ import annotations

from typing import Any

from logged import logged
from sqlalchemy import select

from referral_desk.demo import generate_demo
from referral_desk.store.changelog import encode_value
from referral_desk.store.changelog_models import ChangeEntry
from referral_desk.store.models import SYNCED_MODELS, Person


def test_every_winning_value_is_the_encoded_column_of_its_row(app: Any) -> None:
    """The newest entry of each field (all this site's own: the highest seq wins) reads back
    as `encode_value` of what the ORM reads from the row."""
    generate_demo(app, people=12, services=20, seed=5)
    compared = 0
    differ: list[tuple[str, str]] = []
    with app.db.read() as session:
        winners: dict[tuple[str, str, str], Any] = {}
        for e in logged(session):
            key = (e.table_name, e.record_id, e.field)
            if key not in winners or e.seq > winners[key].seq:
                winners[key] = e
        rows = {
            table: {o.id: o for o in session.query(model)} for table, model in SYNCED_MODELS.items()
        }
        for (table, rid, field), e in winners.items():
            if table in rows:
                compared += 1
                if encode_value(getattr(rows[table][rid], field)) != e.value:
                    differ.append((table, field))  # names only: values may be personal
    assert compared > 1000
    assert differ == []


def test_an_edited_field_keeps_the_value_each_write_logged(app: Any) -> None:
    person = app.people.add(given_name="Ann", family_name="Bee", date_of_birth="1980-05-06")
    app.people.update(person.id, area="Wales")
    app.people.update(person.id, area="West Yorkshire")
    app.people.update(person.id, given_name="Anne", area="Greater Manchester")
    with app.db.read() as session:
        areas = [
            e.value
            for e in logged(session, ChangeEntry.record_id == person.id)
            if e.field == "area"
        ]
        names = [
            e.value
            for e in logged(session, ChangeEntry.record_id == person.id)
            if e.field == "given_name"
        ]
        # Only the latest of each reads from the row; the others were kept as they changed.
        stored = session.execute(
            select(ChangeEntry.field, ChangeEntry.value).where(
                ChangeEntry.record_id == person.id, ChangeEntry.value.is_(None)
            )
        ).all()
        assert session.get(Person, person.id).area == "Greater Manchester"
    assert areas == ['""', '"Wales"', '"West Yorkshire"', '"Greater Manchester"']
    assert names == ['"Ann"', '"Anne"']
    assert ("area", None) in stored and ("given_name", None) in stored
    assert len([f for f, _v in stored if f == "area"]) == 1
