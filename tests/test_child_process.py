"""tests/child_process.py: a kill point drawn from a seed replays exactly, on any machine."""

from __future__ import annotations

import signal

import pytest
from child_process import kill_points, replayable, run_python, seed_from_env, statements, was_killed

CHILD = r"""
import sys
from sqlalchemy import create_engine, text
engine = create_engine("sqlite:///" + sys.argv[1])
for i in range(5):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (i INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (:i)"), {"i": i})
"""


def test_the_seed_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("REFERRAL_DESK_TEST_SEED", "1234")
    assert seed_from_env() == 1234
    with replayable(seed_from_env()) as a, replayable(1234) as b:
        assert kill_points(a, 100, 5) == kill_points(b, 100, 5)


def test_a_failure_says_how_to_replay_it() -> None:
    with pytest.raises(AssertionError) as caught, replayable(77):
        raise AssertionError("boom")
    assert "REFERRAL_DESK_TEST_SEED=77" in " ".join(caught.value.__notes__)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_child_is_killed_before_its_nth_statement(tmp_path) -> None:
    import sqlite3

    total = statements(run_python(CHILD, tmp_path / "count.db", count=True))
    assert total == 5 * 3  # two statements and a commit per transaction
    for n in (0, 4, 7):
        db = tmp_path / f"kill{n}.db"
        done = run_python(CHILD, db, kill_after=n)
        assert was_killed(done)
        rows = sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone()[0] if n else 0
        assert rows == n // 3  # only what was committed before the kill
    assert not was_killed(run_python(CHILD, tmp_path / "all.db", kill_after=total))
