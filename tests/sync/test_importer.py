"""Imports are staged then applied in batches: the Merger never holds a whole import, a large
import commits in steps (an officer's save gets through meanwhile), and an import killed at
any step is undone (still reading) or finished (applying) on the next open."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from person_entries import person_entries
from unlocking import connect as connect_db
from unlocking import open_test_services as open_services

from referral_desk.store.database import DB_FILENAME
from referral_desk.sync import bundle as b
from referral_desk.sync import import_apply, import_steps, merge
from referral_desk.sync import importer as imp
from referral_desk.sync.import_lock import ImportBusy, import_lock

PEOPLE_FIELDS = 29


def _people_bundle(h: Any, path: Path, people: int, *, damaged: bool = False) -> int:
    """`people` new people from an unknown site (29 entries each); returns the entry count."""
    site = str(uuid.uuid4())
    entries = list(person_entries(people, site))
    seq = len(entries)
    data, _ = b.seal(
        entries,
        [[site, 0, {site: 0}]],
        site_id=site,
        vector={site: seq},
        passphrase=h.PASSPHRASE,
        keys=h.KEYS,
        salt=b"\x02" * 16,
        kdf=h.FAST_KDF,
        segment=4096,
        level=1,
    )
    if damaged:
        data = data[:-2000] + bytes([data[-2000] ^ 1]) + data[-1999:]
    path.write_bytes(data)
    return len(entries)


def _projection(folder: Path) -> tuple[Any, ...]:
    """What an import changes, without local timestamps that differ between runs."""
    conn = connect_db(folder / DB_FILENAME)
    try:
        return (
            conn.execute("SELECT count(*), coalesce(sum(seq), 0) FROM change_entry").fetchone(),
            conn.execute("SELECT id, given_name FROM person ORDER BY id").fetchall(),
            conn.execute("SELECT bundle_id, new_count FROM sync_bundle_seen").fetchall(),
            conn.execute("SELECT count(*) FROM audit_entry WHERE action = 'sync'").fetchone(),
            conn.execute("SELECT count(*) FROM sync_import_staged").fetchone(),
            conn.execute("SELECT count(*) FROM sync_import_journal").fetchone(),
        )
    finally:
        conn.close()


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a few thousand entries a "large" import of many batches and steps."""
    monkeypatch.setattr(imp, "SMALL", 500)
    monkeypatch.setattr(import_apply, "BATCH_ENTRIES", 200)
    monkeypatch.setattr(import_steps, "HOLD", 0.0)
    monkeypatch.setattr(import_steps, "GAP", 0.0)


def test_the_merger_never_holds_a_whole_import(make_site, tmp_path, h, small_steps, monkeypatch):
    reference, site = make_site("reference"), make_site("batched")
    bundle = tmp_path / "people.rdsync"
    total = _people_bundle(h, bundle, 120)
    sizes: list[int] = []
    real = merge.Merger.apply

    def spy(self: Any, entries: Any, **kw: Any) -> Any:
        sizes.append(len(entries))
        return real(self, entries, **kw)

    monkeypatch.setattr(merge.Merger, "apply", spy)
    summary = site.sync.import_file(bundle, h.PASSPHRASE)
    assert summary.people == 120 and summary.entries_new == total
    assert max(sizes) <= 200 + PEOPLE_FIELDS, "a batch is about BATCH_ENTRIES, records whole"
    assert sum(sizes) == total
    monkeypatch.setattr(imp, "SMALL", 10**9)  # the reference: one transaction, default batches
    monkeypatch.setattr(import_apply, "BATCH_ENTRIES", 10**9)
    assert reference.sync.import_file(bundle, h.PASSPHRASE).people == 120
    assert h.digest(site.db) == h.digest(reference.db)
    assert _projection(site.path)[4:] == ((0,), (0,)), "nothing left staged"


def test_a_large_file_that_turns_out_damaged_leaves_nothing(make_site, tmp_path, h, small_steps):
    site = make_site("me")
    bundle = tmp_path / "damaged.rdsync"
    _people_bundle(h, bundle, 120, damaged=True)
    before = h.full_state(site.db)
    with pytest.raises(b.BundleError, match="damaged"):
        site.sync.import_file(bundle, h.PASSPHRASE)
    assert h.full_state(site.db) == before


def test_one_import_at_a_time(make_site, tmp_path, h):
    colleague, site = make_site("colleague"), make_site("me")
    colleague.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01")
    bundle = tmp_path / "carry.rdsync"
    colleague.sync.export_file(bundle, h.PASSPHRASE)
    with import_lock(site.db.path), pytest.raises(ImportBusy, match="Another sync import"):
        site.sync.import_file(bundle, h.PASSPHRASE)
    assert site.sync.import_file(bundle, h.PASSPHRASE).people == 1


KILLED_CHILD = r"""
import os, signal, sys
from pathlib import Path
from referral_desk.store.database import Database
from referral_desk.store.keys import DataKey
from referral_desk.sync import import_apply as apply, import_steps as steps, importer as imp
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KdfParams
imp.SMALL, apply.BATCH_ENTRIES, steps.HOLD, steps.GAP = 500, 200, 0.0, 0.0
kill_at = int(sys.argv[4])
commits = []
real = steps.Steps.commit
def commit(self):
    real(self)
    commits.append(1)
    if len(commits) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)  # as a power cut: no clean-up runs
steps.Steps.commit = commit
db = Database.open(Path(sys.argv[1]), key=DataKey(bytes(range(32))))  # tests' key
SyncEngine(db, kdf=KdfParams(n=2**14)).import_file(Path(sys.argv[2]), sys.argv[3])
print("finished", len(commits), flush=True)
"""


def _run_child(folder: Path, bundle: Path, h: Any, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILLED_CHILD, str(folder), str(bundle), h.PASSPHRASE, str(kill_at)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_an_import_killed_at_any_step_is_undone_or_finished_on_next_open(make_site, tmp_path, h):
    import shutil

    site = make_site("base")
    site.close()
    bundle = tmp_path / "people.rdsync"
    _people_bundle(h, bundle, 60)
    before = _projection(site.path)
    whole = _run_child(shutil.copytree(site.path, tmp_path / "whole"), bundle, h, 0)
    assert whole.returncode == 0, whole.stderr[-2000:]
    steps = int(whole.stdout.split()[-1])
    assert steps > 5, "the import must really go in steps for this test"
    after = _projection(tmp_path / "whole")
    assert after != before
    outcomes = set()
    for kill_at in sorted({1, 2, steps // 3, steps // 2, steps - 2, steps - 1}):
        folder = shutil.copytree(site.path, tmp_path / f"killed{kill_at}")
        child = _run_child(folder, bundle, h, kill_at)
        assert child.returncode == -signal.SIGKILL
        services = open_services(folder)  # the next open finishes or undoes it
        try:
            state = _projection(folder)
            assert state in (before, after), f"killed after step {kill_at}: neither"
            outcomes.add("after" if state == after else "before")
            services.sync.import_file(bundle, h.PASSPHRASE)  # and a later import completes
        finally:
            services.close()
        assert _projection(folder) == after
    assert outcomes == {"before", "after"}


SLOW_CHILD = r"""
import sys, time
from pathlib import Path
from referral_desk.store.database import Database
from referral_desk.store.keys import DataKey
from referral_desk.sync import import_apply as apply, import_steps as steps, importer as imp, merge
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KdfParams
imp.SMALL, apply.BATCH_ENTRIES, steps.HOLD = 500, 300, 0.5
real = merge.Merger.apply
def slow(self, entries, **kw):  # as on a slow PC: each batch holds the write lock a while
    time.sleep(0.15)
    return real(self, entries, **kw)
merge.Merger.apply = slow
db = Database.open(Path(sys.argv[1]), key=DataKey(bytes(range(32))))  # tests' key
print(SyncEngine(db, kdf=KdfParams(n=2**14)).import_file(Path(sys.argv[2]), sys.argv[3]).people,
      flush=True)
"""


def _journal_state(folder: Path) -> str | None:
    conn = connect_db(f"file:{folder / DB_FILENAME}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT state FROM sync_import_journal").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def test_an_officer_saves_while_a_large_import_runs(make_site, tmp_path, h):
    site = make_site("me")
    bundle = tmp_path / "people.rdsync"
    _people_bundle(h, bundle, 200)  # 6 000 entries: about 20 batches of 0.15 s and more
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_CHILD, str(site.path), str(bundle), h.PASSPHRASE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while _journal_state(site.path) != "applying":
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the import never started applying"
            time.sleep(0.02)
        started = time.monotonic()
        saved = site.people.add(
            given_name="Officer", family_name="Save", date_of_birth="1975-05-05"
        )
        waited = time.monotonic() - started
        still_importing = _journal_state(site.path) == "applying"
        out, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err[-2000:]
    assert out.split()[-1] == "200"
    assert still_importing, "the save went through between two steps, not after the import"
    print(f"the save waited {waited:.3f} s")
    assert waited < 2.0, f"the save waited {waited:.2f} s"
    names = {p.given_name for p in site.people.list()}
    assert "Officer" in names and len(names) == 201
    assert site.people.get(saved.id).family_name == "Save"


@pytest.mark.parametrize("where", ["inner", "outer"])
def test_text_that_cannot_be_stored_is_kept_aside_not_a_crash(make_site, tmp_path, h, where):
    """A lone surrogate (no UTF-8 form) in a value — escaped inside the value's JSON, or in the
    entry itself — is quarantined; the rest of the file applies and nothing is left half-done."""
    site = make_site("me")
    bundle = tmp_path / "odd.rdsync"
    _people_bundle(h, bundle, 3)
    reader = b.unlock(bundle.read_bytes(), h.PASSPHRASE, h.KEYS)
    parsed = reader.parse()
    entries = [list(e) for e in parsed.entries]
    for e in entries:
        if e[4] == "area" and e[3] == entries[0][3]:
            e[5] = json.dumps("\ud800") if where == "inner" else "\ud800"
    data, _ = b.seal(
        entries,
        parsed.knowledge,
        site_id=parsed.header.site_id,
        vector=parsed.manifest.vector,
        passphrase=h.PASSPHRASE,
        keys=h.KEYS,
        salt=parsed.header.salt,
        kdf=parsed.header.kdf,
    )
    bundle.write_bytes(data)
    summary = site.sync.import_file(bundle, h.PASSPHRASE)
    assert summary.quarantined == 1 and summary.people == 3
    (kept,) = site.sync.list_quarantine()
    assert kept.field == "area"
    assert _projection(site.path)[4:] == ((0,), (0,))


def test_an_import_runs_with_the_cyclic_collector_paused_and_restores_it(
    make_site, tmp_path, h, monkeypatch
):
    """100 000 entries are many small acyclic objects: full collections over them cost a fifth
    of an import's CPU time, so the collector is paused for the import, then restored."""
    site = make_site("gc")
    bundle = tmp_path / "people.rdsync"
    _people_bundle(h, bundle, 3)
    seen: list[bool] = []
    real = merge.Merger.apply

    def spy(self: Any, entries: Any, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return real(self, entries, **kw)

    monkeypatch.setattr(merge.Merger, "apply", spy)
    was = gc.isenabled()
    gc.enable()  # other tests (the GUI's collector) may have left it off
    try:
        assert site.sync.import_file(bundle, h.PASSPHRASE).people == 3
        assert seen and not any(seen)
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
