"""Atomicity: an import killed at any moment leaves the database as before or as after, and a
later import completes. The import runs in a child process killed with SIGKILL (no clean-up
handlers run, as with a power cut) before a statement or commit drawn at random from a seed
(`tests/child_process.py`; `REFERRAL_DESK_TEST_SEED=N` replays a failure)."""

from __future__ import annotations

import shutil
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from child_process import (
    kill_points,
    open_test_database_source,
    replayable,
    run_python,
    seed_from_env,
    statements,
    was_killed,
)
from person_entries import person_entries
from unlocking import FIXED_KEY
from unlocking import connect as connect_db

from referral_desk.store.database import DB_FILENAME
from referral_desk.sync import bundle as b

CHILD = (
    open_test_database_source(FIXED_KEY)
    + r"""
import sys
from pathlib import Path
from referral_desk.sync.exchange import SyncEngine
engine = SyncEngine(open_database(Path(sys.argv[1])))
engine.import_file(Path(sys.argv[2]), sys.argv[3])
"""
)


def _big_bundle(h: Any, path: Path, people: int = 300) -> None:
    """A bundle of `people` new people from an unknown site (about 30 entries each)."""
    site = str(uuid.uuid4())
    entries = list(person_entries(people, site))
    seq = len(entries)
    data, _ = b.seal(
        entries,
        [],
        site_id=site,
        vector={site: seq},
        passphrase=h.PASSPHRASE,
        keys=h.KEYS,
        salt=b"\x02" * 16,
        kdf=h.FAST_KDF,
    )
    path.write_bytes(data)


def _projection(folder: Path) -> tuple[Any, ...]:
    """What an import changes, without local timestamps that differ between runs."""
    conn = connect_db(folder / DB_FILENAME)
    try:
        return (
            conn.execute("SELECT count(*), coalesce(sum(seq), 0) FROM change_entry").fetchone(),
            conn.execute("SELECT id, given_name FROM person ORDER BY id").fetchall(),
            conn.execute("SELECT bundle_id FROM sync_bundle_seen").fetchall(),
            conn.execute("SELECT count(*) FROM audit_entry WHERE action = 'sync'").fetchone(),
        )
    finally:
        conn.close()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_killed_import_leaves_before_or_after(make_site, tmp_path, h):
    site = make_site("base")
    site.close()
    bundle = tmp_path / "big.rdsync"
    _big_bundle(h, bundle)
    before = _projection(site.path)

    reference = _copy(site.path, tmp_path / "reference")
    total = statements(run_python(CHILD, reference, bundle, h.PASSPHRASE, count=True))
    after = _projection(reference)
    assert after != before

    seed = seed_from_env()
    with replayable(seed) as rng:
        outcomes = []
        for attempt, kill_after in enumerate(kill_points(rng, total, attempts=3)):
            folder = _copy(site.path, tmp_path / f"run{attempt}")
            done = run_python(CHILD, folder, bundle, h.PASSPHRASE, kill_after=kill_after)
            assert was_killed(done) or kill_after == total, done.stderr[-2000:]
            state = _projection(folder)
            assert state in (before, after), (
                f"a killed import must leave before or after (killed after {kill_after} of "
                f"{total} statements)"
            )
            outcomes.append("after" if state == after else "before")
            again = h.open_site(folder)  # a later import completes
            try:
                again.sync.import_file(bundle, h.PASSPHRASE)
            finally:
                again.close()
            assert _projection(folder) == after
        assert len(outcomes) == 3
