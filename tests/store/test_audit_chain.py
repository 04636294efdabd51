"""The audit trail is tamper-evident (issue 12, "Accountable"; "a tampered audit chain" under
bad input): each entry carries the hash of the one before it, per site, and `audit verify`
reports an edited, removed or reordered entry, naming the site and the entry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from unlocking import connect, open_test_database, open_test_services

from referral_desk.app import run
from referral_desk.store.audit_chain import entry_hash
from referral_desk.store.database import DB_FILENAME, migrations_path


def _entries(app, n: int = 4) -> None:
    for i in range(n):
        app.people.add(given_name=f"P{i}", family_name="Chain", date_of_birth="1980-01-02")


def _sql(app, statement: str, *params) -> None:
    conn = connect(app.db.path)
    conn.execute(statement, params)
    conn.commit()
    conn.close()


def _rows(app) -> list[tuple]:
    conn = connect(app.db.path)
    try:
        return conn.execute("SELECT id, site_id, chain_seq FROM audit_entry ORDER BY id").fetchall()
    finally:
        conn.close()


def test_every_write_is_chained_and_the_chain_is_intact(app) -> None:
    _entries(app)
    report = app.audit.verify()
    assert report.intact
    rows = _rows(app)
    assert report.entries == len(rows) > 4
    site = app.db.site_id
    own = [r[2] for r in rows if r[1] == site]
    assert own == list(range(1, len(own) + 1))


def test_an_entry_edited_with_sql_is_reported_as_altered(app) -> None:
    _entries(app)
    rows = _rows(app)
    victim = rows[len(rows) // 2]
    _sql(app, "UPDATE audit_entry SET reason = 'nothing to see' WHERE id = ?", victim[0])
    report = app.audit.verify()
    assert not report.intact
    assert [(b.site_id, b.entry, b.kind) for b in report.breaks] == [
        (victim[1], victim[2], "altered")
    ]


def test_a_deleted_entry_is_reported_as_removed(app) -> None:
    _entries(app)
    rows = _rows(app)
    victim = rows[len(rows) // 2]
    _sql(app, "DELETE FROM audit_entry WHERE id = ?", victim[0])
    report = app.audit.verify()
    assert [(b.site_id, b.entry, b.kind) for b in report.breaks] == [
        (victim[1], victim[2], "removed")
    ]


def test_deleting_the_newest_entries_is_reported_too(app) -> None:
    _entries(app)
    rows = _rows(app)
    _sql(app, "DELETE FROM audit_entry WHERE id >= ?", rows[-2][0])
    report = app.audit.verify()
    assert [(b.entry, b.kind) for b in report.breaks] == [(rows[-2][2], "removed")]


def test_two_entries_swapped_are_reported_as_reordered(app) -> None:
    _entries(app)
    rows = _rows(app)
    a, b = rows[2], rows[3]
    _sql(app, "UPDATE audit_entry SET id = -1 WHERE id = ?", a[0])
    _sql(app, "UPDATE audit_entry SET id = ? WHERE id = ?", a[0], b[0])
    _sql(app, "UPDATE audit_entry SET id = ? WHERE id = -1", b[0])
    report = app.audit.verify()
    assert [(x.entry, x.kind) for x in report.breaks] == [(a[2], "reordered")]


def test_a_row_added_outside_the_app_is_reported(app) -> None:
    _entries(app, 1)
    _sql(
        app,
        "INSERT INTO audit_entry (at, site_id, action, table_name, record_id, fields, "
        "reason) VALUES ('2026-03-02 00:00:00.000000', ?, 'update', 'person', 'x', '', "
        "'')",
        app.db.site_id,
    )
    assert [b.kind for b in app.audit.verify().breaks] == ["inserted"]


def test_erasure_leaves_the_chain_intact(app) -> None:
    _entries(app, 2)
    person = app.people.list()[0]
    app.needs.log(person.id, "finance", "Owes money")
    before = len(_rows(app))
    app.people.delete(person.id)
    report = app.audit.verify()
    assert report.intact
    assert report.entries > before  # nothing was removed: the delete added entries


def test_the_cli_says_intact_or_names_the_break(app, capsys) -> None:
    _entries(app, 2)
    data = str(Path(app.db.path).parent)
    app.close()
    assert run(["--data-dir", data, "audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Audit trail intact, ") and "entries" in out
    conn = connect(Path(data) / DB_FILENAME)
    site, seq = conn.execute("SELECT site_id, chain_seq FROM audit_entry LIMIT 1").fetchone()
    conn.execute("UPDATE audit_entry SET fields = 'x' WHERE chain_seq = 1")
    conn.commit()
    conn.close()
    assert run(["--data-dir", data, "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and f"site {site}: entry {seq} altered" in out


def _migration():
    path = migrations_path() / "versions" / "0010_access_log_and_audit_chain.py"
    spec = importlib.util.spec_from_file_location("m0010", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


text = st.one_of(st.none(), st.text(max_size=30))


@given(st.lists(text, min_size=8, max_size=8), st.integers(1, 10**9), st.text(max_size=64))
def test_the_migration_hashes_exactly_as_the_app_does(row, seq, prev) -> None:
    assert _migration()._hash(tuple(row), seq, prev) == entry_hash(row, seq, prev)


def test_a_database_from_before_the_chain_is_chained_on_upgrade(tmp_path: Path, clock) -> None:
    from alembic import command

    from referral_desk.store.database import alembic_config
    from referral_desk.store.engine import for_writing

    data = tmp_path / "old"
    services = open_test_services(data, clock)
    services.profile.set(name="Old Officer")
    _entries(services, 3)
    services.close()
    db = open_test_database(data)
    cfg = alembic_config(db.engine)
    with for_writing(db.engine).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    db.close()
    services = open_test_services(data, clock)  # upgrades (0010 chains what is there)
    try:
        report = services.audit.verify()
        assert report.intact and report.entries > 3
        _entries(services, 1)  # new entries continue the migrated chain
        assert services.audit.verify().intact
    finally:
        services.close()
