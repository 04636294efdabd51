"""Deleting on this PC: everything that belongs to the record goes with it (the ownership graph
read from the foreign keys), and nothing of it stays on disk — not in the WAL, not in freed
pages (issue 11, points 1 and 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from logged import logged_values
from sqlalchemy import select
from unlocking import connect as connect_db
from unlocking import decrypted_bytes, keyed_engine, open_test_database

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.store.engine import BUSY_TIMEOUT_MS
from referral_desk.store.models import (
    CaseNote,
    ChangeEntry,
    FollowUp,
    Need,
    NeedStatusChange,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
)
from referral_desk.store.ownership import OwnerLink, owner_links

NAME = "Quillonfax"
SECRET = "Zarquonian debts"


@pytest.fixture
def service_id(app) -> str:
    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=3)
        s.add_all([org, svc])
    return svc.id


def _case(app, service_id: str, long: bool = False) -> dict[str, str]:
    """A person with a need, its status note, a referral with history, follow-ups and notes,
    all carrying the distinctive text."""
    person = app.people.add(
        given_name=NAME, family_name="Vex", date_of_birth="1980-01-02", crn="X765432"
    )
    text = (SECRET + " ") * (150 if long else 1)  # long: overflow pages, freed on delete
    need = app.needs.log(person.id, "finance", text.strip())
    app.needs.set_status(need.id, "unmet-no-service", note=f"{SECRET} need note")
    ref = app.referrals.make(need.id, service_id, consent=True, availability=f"{SECRET} avail")
    app.referrals.record_status(ref.id, "acknowledged", note=f"{SECRET} status note")
    fu = app.follow_ups.add(person.id, "2026-03-20", f"{SECRET} ring", referral_id=ref.id)
    app.people.add_note(person.id, f"{SECRET} person note")
    app.people.add_note(person.id, f"{SECRET} referral note", referral_id=ref.id)
    return {"person": person.id, "need": need.id, "referral": ref.id, "follow_up": fu.id}


def _on_disk(app) -> bytes:
    # Decrypted with the key: erased text must be gone even for someone holding it.
    return decrypted_bytes(Path(app.db.path))


def _live(app, model) -> list:
    with app.db.read() as s:
        return list(s.scalars(select(model).where(model.deleted_at.is_(None))))


def test_the_ownership_graph_comes_from_the_foreign_keys() -> None:
    links = set(owner_links())
    assert links == {
        OwnerLink("need", "person_id", "person"),
        OwnerLink("need_status_change", "need_id", "need"),
        OwnerLink("referral", "person_id", "person"),  # not need_id: it outlives its need
        OwnerLink("referral_status_change", "referral_id", "referral"),
        OwnerLink("follow_up", "person_id", "person"),
        OwnerLink("follow_up", "referral_id", "referral"),
        OwnerLink("case_note", "person_id", "person"),
        OwnerLink("case_note", "referral_id", "referral"),
        OwnerLink("record_access", "person_id", "person"),  # the access log (issue 12)
    }


def test_deleting_a_person_erases_everything_that_belongs_to_them(app, service_id) -> None:
    ids = _case(app, service_id)
    app.people.delete(ids["person"])
    for model in (
        Person,
        Need,
        NeedStatusChange,
        Referral,
        ReferralStatusChange,
        FollowUp,
        CaseNote,
    ):
        assert _live(app, model) == [], model.__tablename__
    with app.db.read() as s:
        notes = [n.note for n in s.scalars(select(NeedStatusChange))]
        notes += [n.note for n in s.scalars(select(ReferralStatusChange))]
        assert all(SECRET not in n for n in notes)
        assert all(c.text == "" for c in s.scalars(select(CaseNote)))
        values = logged_values(s)  # as they travel, read from the rows or kept in the log
        assert not [v for v in values if SECRET in v or NAME in v]


def test_deleting_a_referral_takes_its_history_follow_ups_and_notes_not_the_person(
    app, service_id
) -> None:
    ids = _case(app, service_id)
    app.referrals.delete(ids["referral"])
    assert [n.id for n in _live(app, Need)] == [ids["need"]]
    assert _live(app, ReferralStatusChange) == [] and _live(app, FollowUp) == []
    assert [c.text for c in _live(app, CaseNote)] == [f"{SECRET} person note"]


def test_deleting_a_need_takes_its_history_and_leaves_its_referrals(app, service_id) -> None:
    ids = _case(app, service_id)
    app.needs.delete(ids["need"])
    assert _live(app, NeedStatusChange) == []
    assert [r.id for r in _live(app, Referral)] == [ids["referral"]]
    assert _live(app, ReferralStatusChange) != []


def test_nothing_can_be_attached_to_a_deleted_or_another_persons_referral(app, service_id) -> None:
    ids = _case(app, service_id)
    other = app.people.add(given_name="Other", family_name="Person", date_of_birth="1990-01-01")
    with pytest.raises(ValidationError):
        app.follow_ups.add(other.id, "2026-03-20", "ring", referral_id=ids["referral"])
    with pytest.raises(ValidationError):
        app.people.add_note(other.id, "note", referral_id=ids["referral"])
    app.referrals.delete(ids["referral"])
    with pytest.raises(NotFound):
        app.follow_ups.add(ids["person"], "2026-03-20", "ring", referral_id=ids["referral"])
    with pytest.raises(NotFound):
        app.people.add_note(ids["person"], "note", referral_id=ids["referral"])
    assert _live(app, FollowUp) == []


def test_every_connection_zeroes_what_it_frees(app) -> None:
    with app.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


@pytest.mark.parametrize("what", ["person", "need", "referral"])
def test_after_a_delete_neither_the_file_nor_its_wal_holds_the_text(
    app, service_id, what: str
) -> None:
    ids = _case(app, service_id, long=True)
    assert SECRET.encode() in _on_disk(app)
    other = connect_db(app.db.path)  # another window has the database open
    try:
        other.execute("SELECT count(*) FROM person").fetchone()
        if what == "person":
            app.people.delete(ids["person"])
            gone = [SECRET, NAME, "X765432"]
        elif what == "need":
            app.needs.delete(ids["need"])
            gone = [SECRET + " " + SECRET, f"{SECRET} need note"]
        else:
            app.referrals.delete(ids["referral"])
            gone = [
                f"{SECRET} avail",
                f"{SECRET} status note",
                f"{SECRET} ring",
                f"{SECRET} referral note",
            ]
        raw = _on_disk(app)
        assert [t for t in gone if t.encode() in raw] == []
    finally:
        other.close()


def test_records_older_versions_left_live_for_a_deleted_person_are_erased_once_on_upgrade(
    tmp_path: Path, clock
) -> None:
    from alembic import command
    from unlocking import open_test_services as open_services

    from referral_desk.store.database import alembic_config

    data = tmp_path / "data"
    app = open_services(data, clock)
    person = app.people.add(given_name=NAME, family_name="Vex", date_of_birth="1980-01-02")
    need = app.needs.log(person.id, "finance", f"{SECRET} legacy")
    db_path = Path(app.db.path)
    app.close()
    # What an older version left behind: the person deleted, their need (made concurrently at
    # another site) still live. Then back to the schema of that version.
    con = connect_db(db_path)
    con.execute(
        "UPDATE person SET deleted_at = '2026-03-01 10:00:00.000000', given_name = '' WHERE id = ?",
        (person.id,),
    )
    con.commit()
    con.close()
    engine = keyed_engine(db_path)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    engine.dispose()

    db = open_test_database(data)  # upgrades, then repairs
    try:
        with db.read() as s:
            row = s.get(Need, need.id)
            assert row.deleted_at is not None and row.description == ""
            assert all(h.deleted_at is not None for h in s.scalars(select(NeedStatusChange)))
            tombstone = select(ChangeEntry).where(
                ChangeEntry.record_id == need.id, ChangeEntry.tombstone.is_(True)
            )
            mine = s.scalars(tombstone).all()
            assert len(mine) == 1 and mine[0].site_id == db.site_id  # it will travel
            assert not [v for v in logged_values(s) if SECRET in v]
        entries = connect_db(db_path).execute("SELECT count(*) FROM change_entry").fetchone()
    finally:
        db.close()
    open_test_database(data).close()  # once only
    assert connect_db(db_path).execute("SELECT count(*) FROM change_entry").fetchone() == entries


def test_a_checkpoint_does_not_wait_long_for_another_windows_read(app) -> None:
    app.people.add(given_name="Ann", family_name="Bee", date_of_birth="1980-01-02")
    reader = connect_db(app.db.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM person").fetchone()  # holds this snapshot
        app.people.add(given_name="Cy", family_name="Dee", date_of_birth="1980-01-02")
        assert app.db.checkpoint() is False  # gave up: the log is still in use
        reader.execute("COMMIT")
        assert app.db.checkpoint() is True
    finally:
        reader.close()
    with app.db.engine.connect() as conn:  # pooled connections keep their normal patience
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
