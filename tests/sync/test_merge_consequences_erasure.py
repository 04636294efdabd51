"""Erasure reaches everything that belongs to a deleted record, at every site, including records
made concurrently elsewhere that arrive after the delete (issue 11, point 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unlocking import connect as connect_db
from unlocking import decrypted_bytes

from referral_desk.store.models import Need


def _person(site: Any, given: str = "Zebedee") -> str:
    return site.people.add(
        given_name=given, family_name="Quux", date_of_birth="1980-05-06", crn="X123456"
    ).id


def _db_text(site: Any) -> bytes:
    """Every byte of the database after a checkpoint (the file holds everything then)."""
    conn = connect_db(site.db.path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return decrypted_bytes(site.db.path)  # what someone holding the key could read


def settle(sites: list[Any], store: Path, passphrase: str) -> int:
    """Sync every site in turn until a whole round moves nothing; returns the rounds taken.
    (A site that erases what arrived for a deleted owner logs a tombstone, which then travels.)
    """
    for rounds in range(1, 6):
        moved = False
        for site in sites:
            got = site.sync.sync_now(store, passphrase)
            moved = moved or got.exported.entries > 0 or got.imported.entries_new > 0
        if not moved:
            return rounds
    raise AssertionError("sync did not settle")


def test_a_need_added_while_its_person_is_deleted_elsewhere_is_erased_everywhere(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.people.delete(pid)
    need = b.needs.log(pid, "finance", "Zebedee owes money to a dealer")  # concurrently
    settle([a, b], store, passphrase)
    for site in (a, b):
        with site.db.read() as session:
            row = session.get(Need, need.id)
            assert row.deleted_at is not None and row.description == ""
        assert b"owes money" not in _db_text(site)
    assert h.digest(a.db) == h.digest(b.db)


def _tombstones(site: Any, table: str, rid: str) -> list[str]:
    """Sites that logged a tombstone for this record."""
    rows = connect_db(site.db.path).execute(
        "SELECT site_id FROM change_entry WHERE table_name = ? AND record_id = ? "
        "AND field = 'deleted_at' AND tombstone != 0 ORDER BY site_id",
        (table, rid),
    )
    return [r[0] for r in rows]


def _store_files(store: Path, site: Any) -> list[Path]:
    return sorted(
        (store / "outbox" / site.site_id).glob("*.rdsync"), key=lambda p: p.stat().st_mtime_ns
    )


def test_both_sites_erasing_the_same_record_log_a_tombstone_each_and_converge(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    settle([a, b], store, passphrase)
    a.people.delete(pid)
    need = b.needs.log(pid, "finance", "owes money")
    settle([a, b], store, passphrase)
    assert _tombstones(a, "need", need.id) == sorted([a.site_id, b.site_id])
    assert _tombstones(b, "need", need.id) == sorted([a.site_id, b.site_id])
    assert h.digest(a.db) == h.digest(b.db)


def test_everything_made_for_a_deleted_person_elsewhere_is_erased(
    make_site, tmp_path, h, passphrase
):
    """Needs, their history, referrals, theirs, follow-ups and notes, made at B while A deletes
    the person, are erased at both sites once they have synced."""
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    settle([a, b], store, passphrase)
    a.people.delete(pid)
    need = b.needs.log(pid, "finance", "owes money secret-1")
    b.needs.set_status(need.id, "unmet-no-service", note="secret-2")
    ref = b.referrals.make(
        need.id,
        h.SERVICE_IDS[0],
        consent=True,
        availability="secret-3",
        share_risk=True,
        risk_note="secret-4",
    )
    b.referrals.record_status(ref.id, "acknowledged", note="secret-5")
    b.follow_ups.add(pid, "2026-04-01", "secret-6", referral_id=ref.id)
    b.people.add_note(pid, "secret-7", referral_id=ref.id)
    settle([a, b], store, passphrase)
    for site in (a, b):
        raw = _db_text(site)
        assert [i for i in range(1, 8) if f"secret-{i}".encode() in raw] == []
        for table in (
            "person",
            "need",
            "need_status_change",
            "referral",
            "referral_status_change",
            "follow_up",
            "case_note",
        ):
            live = (
                connect_db(site.db.path)
                .execute(
                    f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL AND id IN "
                    "(SELECT record_id FROM change_entry WHERE site_id = ?)",
                    (b.site_id,),
                )
                .fetchone()[0]
            )
            assert live == 0, table
    assert h.digest(a.db) == h.digest(b.db)


def test_a_need_deleted_on_its_own_takes_a_status_note_made_meanwhile(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    need = a.needs.log(_person(a), "finance", "rent")
    ref = a.referrals.make(need.id, h.SERVICE_IDS[0], consent=True)
    settle([a, b], store, passphrase)
    a.needs.delete(need.id)
    b.needs.set_status(need.id, "unmet-no-service", note="secret need note")
    b.referrals.record_status(ref.id, "acknowledged", note="kept: the referral stays")
    settle([a, b], store, passphrase)
    for site in (a, b):
        assert b"secret need note" not in _db_text(site)
        assert site.referrals.get(ref.id).status == "acknowledged"
    assert h.digest(a.db) == h.digest(b.db)


def test_a_referral_deleted_on_its_own_takes_follow_up_results_and_notes_made_meanwhile(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    need = a.needs.log(pid, "finance", "rent")
    ref = a.referrals.make(need.id, h.SERVICE_IDS[0], consent=True)
    settle([a, b], store, passphrase)
    a.referrals.delete(ref.id)
    fu = b.follow_ups.list(person_id=pid)[0]
    b.follow_ups.complete(fu.id, "secret result")
    b.people.add_note(pid, "secret about the referral", referral_id=ref.id)
    b.people.add_note(pid, "kept: about the person")
    settle([a, b], store, passphrase)
    for site in (a, b):
        raw = _db_text(site)
        assert b"secret result" not in raw and b"secret about the referral" not in raw
        assert b"kept: about the person" in raw
        assert site.needs.get(need.id).id == need.id  # the need is not the referral's
    assert h.digest(a.db) == h.digest(b.db)


def test_a_site_that_never_saw_the_persons_delete_still_erases_what_was_erased_for_it(
    make_site, tmp_path, passphrase
):
    """The tombstone a site logs for a record it erased on arrival travels on its own."""
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    for site in (a, b, c):
        site.sync.sync_now(store, passphrase)
    a.people.delete(pid)
    a.sync.sync_now(store, passphrase)  # a1: the person's tombstone
    need = b.needs.log(pid, "finance", "owes money")
    b.sync.sync_now(store, passphrase)  # b1: the need (then b imports a1)
    need_file = _store_files(store, b)[-1]
    a.sync.sync_now(store, passphrase)  # a imports b1: the need is erased on arrival
    a.sync.sync_now(store, passphrase)  # a2: a's tombstone for the need
    tomb_file = _store_files(store, a)[-1]
    c.sync.import_file(need_file, passphrase)
    assert c.needs.get(need.id).description == "owes money"
    c.sync.import_file(tomb_file, passphrase)
    assert c.people.get(pid).given_name == "Zebedee"  # c has not heard of the delete
    with c.db.read() as session:
        row = session.get(Need, need.id)
        assert row.deleted_at is not None and row.description == ""
    assert b"owes money" not in _db_text(c)


def _split_bundles(a: Any, b: Any, store: Path, passphrase: str, h: Any) -> tuple[str, Path]:
    """b logs a need (bundle 1), then a referral with a follow-up for it (bundle 2): a site that
    imports bundle 2 alone holds the referral waiting for its need."""
    pid = _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    need = b.needs.log(pid, "finance", "rent")
    b.sync.sync_now(store, passphrase)
    ref = b.referrals.make(need.id, h.SERVICE_IDS[0], consent=True, availability="secret avail")
    b.follow_ups.add(pid, "2026-04-01", "secret ring", referral_id=ref.id)
    b.sync.sync_now(store, passphrase)
    return pid, _store_files(store, b)[-1]


def test_records_waiting_for_a_parent_are_erased_when_their_person_was_deleted(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid, second = _split_bundles(a, b, store, passphrase, h)
    a.people.delete(pid)
    got = a.sync.import_file(second, passphrase)
    assert got.pending > 0  # the referral waits for its need, the follow-up for the referral
    raw = _db_text(a)
    assert b"secret avail" not in raw and b"secret ring" not in raw
    settle([a, b], store, passphrase)
    assert h.digest(a.db) == h.digest(b.db)
    for site in (a, b):
        raw = _db_text(site)
        assert b"secret avail" not in raw and b"secret ring" not in raw
        assert site.sync.status().pending_records == 0


def test_deleting_a_person_here_erases_their_records_still_waiting_for_a_parent(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid, second = _split_bundles(a, b, store, passphrase, h)
    assert a.sync.import_file(second, passphrase).pending > 0
    assert b"secret avail" in _db_text(a)
    a.people.delete(pid)
    raw = _db_text(a)
    assert b"secret avail" not in raw and b"secret ring" not in raw
    settle([a, b], store, passphrase)
    assert h.digest(a.db) == h.digest(b.db)


def test_a_conflict_about_a_record_erased_in_the_same_import_keeps_no_text(
    make_site, tmp_path, passphrase
):
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    b.sync.sync_now(store, passphrase)  # nothing yet
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)  # b knows the person, never the need
    need = a.needs.log(pid, "finance", "rent")
    a.sync.sync_now(store, passphrase)
    c.sync.sync_now(store, passphrase)  # c knows both
    a.needs.update(need.id, description="alpha secret")
    c.needs.update(need.id, description="gamma secret")  # concurrently
    b.people.delete(pid)
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)  # exports the edit before it hears of the delete
    c.sync.sync_now(store, passphrase)  # the edit and the delete in one import
    raw = _db_text(c)
    assert b"alpha secret" not in raw and b"gamma secret" not in raw
    assert c.sync.list_conflicts() == []


def test_importing_a_delete_leaves_no_text_in_the_file_or_its_wal(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    a.needs.log(pid, "finance", "owes money " * 300)  # overflow pages, freed on delete
    settle([a, b], store, passphrase)
    other = connect_db(b.db.path)  # another window keeps the database open
    try:
        other.execute("SELECT count(*) FROM need").fetchone()
        a.people.delete(pid)
        a.sync.sync_now(store, passphrase)
        b.sync.sync_now(store, passphrase)
        raw = decrypted_bytes(b.db.path)
        assert b"owes money" not in raw and b"Zebedee" not in raw
    finally:
        other.close()
