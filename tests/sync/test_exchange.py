"""Sync behaviour between real databases: store sync, files, relays, deletes, conflicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from unlocking import connect as connect_db

from referral_desk.store.models import Person, ReferenceItem, Referral
from referral_desk.sync import bundle as bfmt
from referral_desk.sync.bundle import BundleError, is_bundle_name
from referral_desk.sync.exchange import ClonedSite
from referral_desk.sync.state import STORE_FILE, StoreError


def _person(site: Any, given: str = "Zebedee", crn: str = "X123456") -> str:
    return site.people.add(
        given_name=given,
        family_name="Quux",
        date_of_birth="1980-05-06",
        crn=crn,
        consent_given_on="2025-01-01",
    ).id


def _caseload(site: Any, h: Any) -> dict[str, str]:
    pid = _person(site)
    need = site.needs.log(pid, "accommodation", "needs a flat")
    ref = site.referrals.make(need.id, h.SERVICE_IDS[0], consent=True)
    return {"person": pid, "need": need.id, "referral": ref.id}


def test_sync_on_empty_store_then_colleague_gets_everything(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    ids = _caseload(a, h)
    store = tmp_path / "store"
    store.mkdir()
    first = a.sync.sync_now(store, passphrase)
    assert (store / STORE_FILE).exists()
    files = sorted(p.name for p in (store / "outbox" / a.site_id).iterdir())
    bundles = [name for name in files if is_bundle_name(name)]
    assert len(bundles) == 1 and files == sorted([*bundles, "receipt.rdreceipt"])
    assert first.exported.entries > 0

    got = b.sync.sync_now(store, passphrase)
    imp = got.imported
    assert (imp.bundles, imp.people, imp.needs, imp.referrals, imp.follow_ups) == (1, 1, 1, 1, 1)
    assert b.referrals.get(ids["referral"]).status == "sent"
    assert b.needs.get(ids["need"]).status == "referred"
    a.sync.sync_now(store, passphrase)
    assert h.digest(a.db) == h.digest(b.db)


def test_a_shared_risk_note_reaches_the_colleague_and_its_deletion_erases_it(
    make_site, tmp_path, h, passphrase
):
    a, b = make_site("a"), make_site("b")
    need = a.needs.log(_person(a), "accommodation", "needs a flat")
    ref = a.referrals.make(
        need.id, h.SERVICE_IDS[0], consent=True, share_risk=True, risk_note="No lone home visits"
    )
    store = tmp_path / "store"
    store.mkdir()
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    got = b.referrals.get(ref.id)
    assert got.share_risk and got.risk_note == "No lone home visits"
    a.referrals.delete(ref.id)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    with b.db.read() as session:
        assert session.get(Referral, ref.id).risk_note == ""


def test_reimport_changes_nothing_and_says_so(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    _caseload(a, h)
    bundle = tmp_path / "carry.rdsync"
    a.sync.export_file(bundle, passphrase)
    b.sync.import_file(bundle, passphrase)
    before = h.full_state(b.db)
    again = b.sync.import_file(bundle, passphrase)
    assert again.already_seen == 1 and again.bundles == 0 and again.entries_new == 0
    assert h.full_state(b.db) == before
    # The same content in a new bundle is harmless: nothing new.
    second = tmp_path / "carry2.rdsync"
    a.sync.export_file(second, passphrase)
    more = b.sync.import_file(second, passphrase)
    assert more.bundles == 1 and more.entries_new == 0
    assert h.digest(b.db) == h.digest(a.db)


def test_preview_counts_and_writes_nothing(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    _caseload(a, h)
    bundle = tmp_path / "carry.rdsync"
    a.sync.export_file(bundle, passphrase)
    before = h.full_state(b.db)
    preview = b.sync.preview_file(bundle, passphrase)
    assert preview.dry_run
    assert (preview.people, preview.needs, preview.referrals, preview.follow_ups) == (1, 1, 1, 1)
    assert h.full_state(b.db) == before
    applied = b.sync.import_file(bundle, passphrase)
    assert (applied.people, applied.needs, applied.referrals) == (1, 1, 1)


def test_delete_erases_personal_data_everywhere(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    ids = _caseload(a, h)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.people.delete(ids["person"])
    a.sync.sync_now(store, passphrase)
    summary = b.sync.sync_now(store, passphrase).imported
    assert summary.deleted >= 3  # person, need, referral
    for site in (a, b):
        with site.db.read() as session:
            person = session.get(Person, ids["person"])
            assert person.deleted_at is not None
            assert (person.given_name, person.crn, person.date_of_birth) == ("", None, None)
        raw = (
            connect_db(site.db.path)
            .execute(
                "SELECT count(*) FROM change_entry WHERE value LIKE '%Zebedee%' "
                "OR value LIKE '%X123456%' OR value LIKE '%needs a flat%'"
            )
            .fetchone()[0]
        )
        assert raw == 0, "old personal values must be scrubbed from the change log"
    assert h.digest(a.db) == h.digest(b.db)


def test_late_edit_does_not_resurrect_a_deleted_person(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.people.delete(pid)
    b.people.update(pid, given_name="Zebedeo", crn="Y654321")  # concurrently, not yet told
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)
    for site in (a, b):
        with site.db.read() as session:
            person = session.get(Person, pid)
            assert person.deleted_at is not None
            assert (person.given_name, person.crn) == ("", None)
    assert h.digest(a.db) == h.digest(b.db)


def test_concurrent_edits_make_a_conflict_with_one_winner(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.people.update(pid, given_name="Anne")
    b.people.update(pid, given_name="Annie")
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)
    assert a.people.get(pid).given_name == b.people.get(pid).given_name
    ca, cb = a.sync.list_conflicts(), b.sync.list_conflicts()
    assert len(ca) == len(cb) == 1
    assert {ca[0].local_value, ca[0].remote_value} == {"Anne", "Annie"}
    assert ca[0].field == "given_name" and ca[0].kind == "concurrent"
    winner = a.people.get(pid).given_name
    loser = "Anne" if winner == "Annie" else "Annie"
    keep = "local" if cb[0].local_value == loser else "remote"
    resolved = b.sync.resolve_conflict(cb[0].id, keep)
    assert resolved.kept == keep and resolved.resolved_at is not None
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)
    assert a.people.get(pid).given_name == b.people.get(pid).given_name == loser
    assert a.sync.list_conflicts() == [], "a colleague's resolution settles it here too"
    assert h.digest(a.db) == h.digest(b.db)


def test_edits_made_after_seeing_each_other_are_not_conflicts(make_site, tmp_path, passphrase):
    a, b, p = make_site("a"), make_site("b"), make_site("prison")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    b.people.update(pid, given_name="Bea")
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)
    a.people.update(pid, given_name="Cea")
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    # The prison PC only sees B's USB file, edits, and its file comes back through B.
    usb = tmp_path / "usb.rdsync"
    b.sync.export_file(usb, passphrase)
    p.sync.import_file(usb, passphrase)
    p.people.update(pid, given_name="Dea")
    back = tmp_path / "back.rdsync"
    p.sync.export_file(back, passphrase)
    b.sync.import_file(back, passphrase)
    b.sync.sync_now(store, passphrase)
    a.sync.sync_now(store, passphrase)
    assert a.people.get(pid).given_name == "Dea"
    assert a.sync.list_conflicts() == [] and b.sync.list_conflicts() == []


def test_prison_relay_converges(make_site, tmp_path, h, passphrase):
    a, b, p = make_site("a"), make_site("b"), make_site("prison")
    store = tmp_path / "store"
    store.mkdir()
    _caseload(a, h)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    usb = tmp_path / "usb.rdsync"
    b.sync.export_file(usb, passphrase)
    p.sync.import_file(usb, passphrase)
    _caseload(p, h)
    back = tmp_path / "back.rdsync"
    p.sync.export_file(back, passphrase)
    b.sync.import_file(back, passphrase)
    b.sync.sync_now(store, passphrase)  # relays the prison's work to the store
    a.sync.sync_now(store, passphrase)
    assert len(a.people.list()) == 2
    assert h.digest(a.db) == h.digest(b.db) == h.digest(p.db)


def test_child_arriving_before_parent_waits_then_applies(make_site, tmp_path, h, passphrase):
    a, c = make_site("a"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    need = a.needs.log(pid, "accommodation", "x")
    first = a.sync.sync_now(store, passphrase).exported.path
    a.needs.set_status(need.id, "unmet-no-service")
    second = a.sync.sync_now(store, passphrase).exported.path
    early = c.sync.import_file(store / second, passphrase)
    assert early.pending >= 1  # the status change waits for its need
    assert dict(early.pending_reasons).get("need", 0) >= 1
    assert dict(c.sync.status().pending_reasons) == dict(early.pending_reasons)
    late = c.sync.import_file(store / first, passphrase)
    assert late.pending == 0
    assert c.needs.get(need.id).status == "unmet_no_service"
    assert h.digest(a.db) == h.digest(c.db)


def test_change_from_a_clock_far_ahead_is_listed_for_review(make_site, tmp_path, passphrase):
    a, f = make_site("a"), make_site("fast")
    pid = _person(a)
    usb = tmp_path / "a.rdsync"
    a.sync.export_file(usb, passphrase)
    f.sync.import_file(usb, passphrase)
    # The fast PC's clock is two days ahead: its stamps come from there.
    with connect_db(f.db.path) as conn:
        ahead = (conn.execute("SELECT hlc FROM site_state").fetchone()[0] >> 16) + 2 * 86_400_000
        conn.execute("UPDATE site_state SET hlc = ?", (ahead << 16,))
    f.people.update(pid, family_name="Ahead")
    back = tmp_path / "f.rdsync"
    f.sync.export_file(back, passphrase)
    summary = a.sync.import_file(back, passphrase)
    assert summary.future_stamped >= 1 and summary.clock_reviews == 1
    (review,) = a.sync.list_conflicts()
    assert review.kind == "clock" and review.field == "family_name"
    assert review.remote_value == "Ahead" and review.winner == "remote"
    # This PC's clock moved past it, so a local correction wins everywhere.
    a.sync.resolve_conflict(review.id, "local")
    assert a.people.get(pid).family_name == "Quux"
    again = tmp_path / "a2.rdsync"
    a.sync.export_file(again, passphrase)
    f.sync.import_file(again, passphrase)
    assert f.people.get(pid).family_name == "Quux"


def test_refusals_write_nothing(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    _caseload(a, h)
    good = tmp_path / "good.rdsync"
    a.sync.export_file(good, passphrase)
    data = good.read_bytes()
    cases = {
        "empty": b"",
        "text": b"Dear provider, please see attached",
        "truncated": data[: len(data) // 2],
        "flipped": data[:-40] + bytes([data[-40] ^ 0x10]) + data[-39:],
    }
    unlocked = bfmt.unlock(data, passphrase, h.KEYS)
    parsed = unlocked.parse()

    def reseal(**kw: Any) -> bytes:
        return bfmt.seal(
            parsed.entries,
            parsed.knowledge,
            site_id=parsed.header.site_id,
            vector=parsed.manifest.vector,
            passphrase=passphrase,
            keys=h.KEYS,
            salt=parsed.header.salt,
            kdf=parsed.header.kdf,
            **kw,
        )[0]

    cases["newer"] = reseal(schema=bfmt.SYNC_SCHEMA + 1)
    cases["lying"] = reseal(manifest_changes={"counts": {"person": 1}})
    before = h.full_state(b.db)
    for name, blob in cases.items():
        path = tmp_path / f"{name}.rdsync"
        path.write_bytes(blob)
        with pytest.raises(BundleError):
            b.sync.import_file(path, passphrase)
    with pytest.raises(BundleError, match="Wrong passphrase"):
        b.sync.import_file(good, "not the team passphrase")
    with pytest.raises(BundleError):
        b.sync.import_file(tmp_path / "missing.rdsync", passphrase)
    assert h.full_state(b.db) == before
    # Even "already seen" is decided only after the whole file is authenticated.
    b.sync.import_file(good, passphrase)
    with pytest.raises(BundleError, match="Wrong passphrase"):
        b.sync.import_file(tmp_path / "flipped.rdsync", passphrase)


def test_store_dry_run_writes_nothing(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    _caseload(a, h)
    a.sync.sync_now(store, passphrase)
    _person(b, "Bee", "Y777777")
    before = h.full_state(b.db)
    preview = b.sync.sync_now(store, passphrase, dry_run=True)
    assert preview.exported.dry_run and preview.exported.entries > 0
    assert preview.imported.dry_run and preview.imported.people == 1
    assert h.full_state(b.db) == before
    assert not (store / "outbox" / b.site_id).exists()


def test_store_with_wrong_passphrase_is_refused_before_writing(make_site, tmp_path, h, passphrase):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    _person(a)
    a.sync.sync_now(store, passphrase)
    _person(b, "Other", "Y111111")
    before = h.full_state(b.db)
    with pytest.raises(StoreError, match="Wrong passphrase"):
        b.sync.sync_now(store, "the wrong passphrase")
    assert not (store / "outbox" / b.site_id).exists()
    assert h.full_state(b.db) == before


def test_one_damaged_file_in_the_store_does_not_block_the_rest(make_site, tmp_path, passphrase):
    a, b, c = make_site("a"), make_site("b"), make_site("c")
    store = tmp_path / "store"
    store.mkdir()
    _person(a)
    a.sync.sync_now(store, passphrase)
    _person(c, "Cee", "Z222222")
    path = store / c.sync.sync_now(store, passphrase).exported.path
    path.write_bytes(path.read_bytes()[:-10])
    summary = b.sync.sync_now(store, passphrase).imported
    assert summary.bundles == 1 and summary.people == 1
    assert len(summary.refused) == 1 and c.site_id in summary.refused[0].name


def test_seen_store_files_are_not_read_again(make_site, tmp_path, passphrase, monkeypatch):
    a, b = make_site("a"), make_site("b")
    store = tmp_path / "store"
    store.mkdir()
    _person(a)
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    reads = []
    real = b.sync.engine.unlock_file
    monkeypatch.setattr(b.sync.engine, "unlock_file", lambda *a: reads.append(a) or real(*a))
    again = b.sync.sync_now(store, passphrase).imported
    assert reads == [] and again.bundles == 0


def test_a_copied_data_folder_is_detected(make_site, tmp_path, h, passphrase):
    import shutil

    a = make_site("a")
    _person(a)
    a.db.close()
    shutil.copytree(a.path, tmp_path / "clone")
    a2 = h.open_site(tmp_path / "clone")
    a = h.open_site(a.path)
    try:
        _person(a, "Later", "Y333333")
        usb = tmp_path / "a.rdsync"
        a.sync.export_file(usb, passphrase)
        with pytest.raises(ClonedSite):
            a2.sync.import_file(usb, passphrase)
    finally:
        a.close()
        a2.close()


def test_two_sites_choosing_the_same_code_do_not_break_import(make_site, tmp_path, passphrase):
    a, b = make_site("a"), make_site("b")
    for site in (a, b):
        with site.db.write() as session:
            session.add(ReferenceItem(list_name="need_category", code="pets", label="Pets"))
    usb = tmp_path / "a.rdsync"
    a.sync.export_file(usb, passphrase)
    summary = b.sync.import_file(usb, passphrase)
    assert summary.pending == 1  # held back and reported, the rest applied


def test_sync_conflicts_show_values_who_and_when(make_site, tmp_path, passphrase):
    a, b = make_site("a"), make_site("b")
    a.profile.set(name="Officer A")
    b.profile.set(name="Officer B")
    store = tmp_path / "store"
    store.mkdir()
    pid = _person(a)
    for site in (a, b, a):
        site.sync.sync_now(store, passphrase)
    a.people.update(pid, family_name="Ay")
    b.people.update(pid, family_name="Bee")
    a.sync.sync_now(store, passphrase)
    b.sync.sync_now(store, passphrase)
    (c,) = b.sync.list_conflicts()
    assert (c.local_by, c.remote_by) == ("Officer B", "Officer A")
    assert c.local_at is not None and c.remote_at is not None
    data = c.to_dict()
    json.dumps(data)  # JSON-ready for the CLI
    assert Path(b.db.path).exists()
