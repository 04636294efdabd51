"""The same timestamp is the same bytes at every site, in every DateTime column and in the change
log; `updated_at` alone is local ("last changed on this PC") (issue 11, point 13)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from changelog_edit import set_logged_value
from logged import logged
from sqlalchemy import DateTime
from unlocking import connect as connect_db

from referral_desk.store.models import SYNCED_MODELS
from referral_desk.sync.exchange import SyncEngine

LOCAL = {"updated_at"}


def _datetime_columns() -> dict[str, list[str]]:
    return {
        name: [
            c.name
            for c in model.__table__.columns
            if isinstance(c.type, DateTime) and c.name not in LOCAL
        ]
        for name, model in SYNCED_MODELS.items()
    }


def _column_texts(path: Path) -> dict[tuple[str, str, str], str]:
    """(table, id, column) -> the text SQLite holds, for every non-null DateTime value."""
    conn = connect_db(path)
    out = {}
    try:
        for table, cols in _datetime_columns().items():
            for col in cols:
                rows = conn.execute(
                    f"SELECT id, {col}, typeof({col}) FROM {table} WHERE {col} IS NOT NULL"
                )
                for rid, text, kind in rows:
                    assert kind == "text"
                    out[(table, rid, col)] = text
    finally:
        conn.close()
    return out


def _log_texts(db: Any) -> dict[tuple[str, int], tuple[str, str, str, str]]:
    """(site, seq) -> (table, record, field, value) for every DateTime field's entry, its
    value as it travels (read from the row where the log keeps none)."""
    fields = {(t, c) for t, cols in _datetime_columns().items() for c in cols}
    with db.read() as session:
        rows = logged(session)
    return {
        (e.site_id, e.seq): (e.table_name, e.record_id, e.field, e.value)
        for e in rows
        if (e.table_name, e.field) in fields
    }


def _make_work(site: Any, h: Any) -> None:
    pid = site.people.add(given_name="Ann", family_name="Bee", date_of_birth="1980-05-06").id
    need = site.needs.log(pid, "finance", "rent")
    # On the minute: isoformat() would have left the fraction out.
    ref = site.referrals.make(
        need.id, h.SERVICE_IDS[0], consent=True, appointment_at="2026-03-10T14:00"
    )
    site.referrals.record_status(ref.id, "acknowledged")
    site.people.add_note(pid, "rang")
    other = site.people.add(given_name="Cy", family_name="Dee", date_of_birth="1981-01-01").id
    site.people.delete(other)


def test_a_record_synced_has_byte_identical_datetime_text_at_both_sites(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    _make_work(a, h)
    bundle = tmp_path / "carry.rdsync"
    a.sync.export_file(bundle, passphrase)
    b.sync.import_file(bundle, passphrase)
    at_a, at_b = _column_texts(a.db.path), _column_texts(b.db.path)
    assert at_a == at_b
    assert ("referral", next(k[1] for k in at_a if k[0] == "referral"), "appointment_at") in at_a
    assert "2026-03-10 14:00:00.000000" in at_a.values()
    log_a, log_b = _log_texts(a.db), _log_texts(b.db)
    assert log_a == log_b
    # ... and the change log holds each value as the very text of its column.
    for table, rid, field, value in log_a.values():
        if value != "null" and (table, rid, field) in at_a:
            latest = max(
                (k for k, e in log_a.items() if e[:3] == (table, rid, field)), key=lambda k: k[1]
            )
            if log_a[latest][3] == value:
                assert json.loads(value) == at_a[(table, rid, field)]


def test_an_older_versions_timestamp_text_is_stored_and_relayed_canonical(
    make_site, tmp_path, h, passphrase
):
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    _make_work(a, h)
    conn = connect_db(a.db.path)  # what an older version wrote in its change log
    for site, seq, _t, _r, _f, value in [(k[0], k[1], *v) for k, v in _log_texts(a.db).items()]:
        if value != "null":
            old = json.dumps(datetime.fromisoformat(json.loads(value)).isoformat())
            set_logged_value(conn, site, seq, old)
    conn.commit()
    conn.close()
    assert any("T" in e[3] for e in _log_texts(a.db).values())
    bundle = tmp_path / "old.rdsync"
    a.sync.export_file(bundle, passphrase)
    b.sync.import_file(bundle, passphrase)
    relayed = tmp_path / "relayed.rdsync"
    b.sync.export_file(relayed, passphrase)
    c.sync.import_file(relayed, passphrase)
    for site in (b, c):
        texts = [e[3] for e in _log_texts(site.db).values() if e[3] != "null"]
        assert texts and all(len(json.loads(t)) == 26 and " " in t for t in texts)
    assert _column_texts(b.db.path) == _column_texts(c.db.path) == _column_texts(a.db.path)


def test_updated_at_is_when_this_pc_last_changed_the_record(make_site, tmp_path, h, passphrase):
    """Decided: `updated_at` is local bookkeeping; applying a colleague's change is a change on
    this PC (a calendar export relies on it growing). Everything else is the writer's."""
    a, b = make_site("a"), make_site("b")
    pid = a.people.add(given_name="Ann", family_name="Bee", date_of_birth="1980-05-06").id
    bundle = tmp_path / "carry.rdsync"
    a.sync.export_file(bundle, passphrase)
    applied = datetime(2030, 1, 2, 3, 4, 5)
    engine = SyncEngine(b.db, h.KEYS, now=lambda: applied, kdf=h.FAST_KDF)
    engine.import_file(bundle, passphrase)
    row = "SELECT created_at, updated_at FROM person WHERE id = ?"
    created_a, updated_a = connect_db(a.db.path).execute(row, (pid,)).fetchone()
    created_b, updated_b = connect_db(b.db.path).execute(row, (pid,)).fetchone()
    assert created_b == created_a
    assert updated_b == "2030-01-02 03:04:05.000000" != updated_a
    log = (
        connect_db(a.db.path)
        .execute("SELECT count(*) FROM change_entry WHERE field = 'updated_at'")
        .fetchone()[0]
    )
    assert log == 0  # never travels
