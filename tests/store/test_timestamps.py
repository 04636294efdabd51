"""One canonical text for every stored date and time (issue 11, point 13)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from logged import logged
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite as sqlite_dialect
from unlocking import connect as connect_db
from unlocking import keyed_engine, open_test_database

from referral_desk.store import changelog
from referral_desk.store.bulk import fast_encode
from referral_desk.store.database import DB_FILENAME, alembic_config
from referral_desk.store.timestamps import (
    SQLALCHEMY_FORMAT,
    canonical_text,
    is_canonical,
    timestamp_text,
)

ON_THE_MINUTE = datetime(2026, 3, 2, 16, 21)


def test_the_canonical_form_is_what_the_column_type_writes() -> None:
    assert sqlite_dialect.DATETIME()._storage_format == SQLALCHEMY_FORMAT
    bind = (
        DateTime().dialect_impl(sqlite_dialect.dialect()).bind_processor(sqlite_dialect.dialect())
    )
    assert bind(ON_THE_MINUTE) == timestamp_text(ON_THE_MINUTE) == "2026-03-02 16:21:00.000000"


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_every_datetime_has_one_text_that_sorts_and_reads_back(value: datetime) -> None:
    bind = (
        DateTime().dialect_impl(sqlite_dialect.dialect()).bind_processor(sqlite_dialect.dialect())
    )
    text = timestamp_text(value)
    assert bind(value) == text and is_canonical(text)
    assert datetime.fromisoformat(text) == value
    assert canonical_text(value.isoformat()) == text
    later = value + timedelta(microseconds=1) if value < datetime(9999, 12, 31) else value
    assert (timestamp_text(later) > text) == (later > value)


def test_change_log_values_hold_the_same_text_as_the_column() -> None:
    assert changelog.encode_value(ON_THE_MINUTE) == '"2026-03-02 16:21:00.000000"'
    assert fast_encode(ON_THE_MINUTE) == changelog.encode_value(ON_THE_MINUTE)
    assert changelog.encode_value(date(2026, 3, 2)) == '"2026-03-02"'  # dates stay dates
    aware = datetime(2026, 3, 2, 16, 21, tzinfo=timezone(timedelta(hours=1)))
    assert changelog.encode_value(aware) == '"2026-03-02 16:21:00.000000"'  # as the column


def test_migration_rewrites_stored_values_into_the_canonical_form(tmp_path: Path) -> None:
    engine = keyed_engine(tmp_path / DB_FILENAME)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    engine.dispose()
    site = "0b5a3c1e-0000-4000-8000-000000000001"
    person = "0b5a3c1e-0000-4000-8000-0000000000aa"
    con = connect_db(tmp_path / DB_FILENAME)
    con.execute(
        "INSERT INTO person (id, created_at, updated_at, site_id, deleted_at, given_name, "
        "family_name, date_of_birth, gender, ethnicity, disability, religion, setting, prison, "
        "area, office, cohort_iom, cohort_ppo, cohort_womens, cohort_young_adult, "
        "contact_preferences, consent_scope) VALUES (?, '2026-03-02 16:21:00', "
        "'2026-03-02T16:21:00.5', ?, NULL, '2026-03-02T16:21:00', 'B', '1980-05-06', '', '', "
        "'', '', 'community', '', '', '', 0, 0, 0, 0, '', '')",
        (person, site),
    )
    rows = [
        (1, "person", "created_at", '"2026-03-02T16:21:00"'),
        (2, "person", "deleted_at", "null"),
        (3, "person", "given_name", '"2026-03-02T16:21:00"'),  # text, not a timestamp
        (4, "person", "date_of_birth", '"1980-05-06"'),  # a date column
        (5, "audit_entry", "at", '"not a date"'),
        (6, "need_status_change", "at", '"2026-03-02T16:21:00.000123"'),
    ]
    con.executemany(
        "INSERT INTO change_entry (site_id, seq, table_name, record_id, field, value, hlc, "
        "tombstone) VALUES (?, ?, ?, ?, ?, ?, 1, 0)",
        [(site, seq, t, person, f, v) for seq, t, f, v in rows],
    )
    con.execute(
        "INSERT INTO audit_entry (at, site_id, action, table_name, record_id, fields, reason) "
        "VALUES ('2026-03-02', ?, 'create', 'person', ?, '', '')",
        (site, person),
    )
    con.commit()
    con.close()
    open_test_database(tmp_path).close()  # backs up, then upgrades to head
    con = connect_db(tmp_path / DB_FILENAME)
    assert con.execute(
        "SELECT created_at, updated_at, given_name, date_of_birth FROM person"
    ).fetchone() == (
        "2026-03-02 16:21:00.000000",
        "2026-03-02 16:21:00.500000",
        "2026-03-02T16:21:00",
        "1980-05-06",
    )
    db = open_test_database(tmp_path)
    try:
        with db.read() as session:  # as they travel: read from the rows where the log keeps none
            values = {e.seq: e.value for e in logged(session)}
    finally:
        db.close()
    assert values == {
        1: json.dumps("2026-03-02 16:21:00.000000"),
        2: "null",
        3: '"2026-03-02T16:21:00"',
        4: '"1980-05-06"',
        5: '"not a date"',
        6: json.dumps("2026-03-02 16:21:00.000123"),
    }
    assert con.execute("SELECT at FROM audit_entry").fetchone() == ("2026-03-02 00:00:00.000000",)
    con.close()
