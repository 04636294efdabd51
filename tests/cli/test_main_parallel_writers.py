"""Parallel command-line writers on one database all succeed (issue 11, point 4).

Three processes run `person add` forty times each through the command line's entry point
(argument parsing, opening the database, the write, closing), all at once. Each write used to
begin a deferred transaction, and SQLite refuses the upgrade to a write at once, without
waiting, when another process committed since the transaction's first read: 3-5 of 120 writes
were refused with "database is busy". (`benchmarks/bench_writers.py` does the same with one
process per command.)
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from unlocking import connect as connect_db
from unlocking import write_key_file

from referral_desk.app import run
from referral_desk.store.database import DB_FILENAME

WRITERS = 3
WRITES_EACH = 40

# Waits for "go" on stdin so that the three processes write at the same time, not one after
# another as their start-up happens to finish; then prints one exit code per write.
CHILD = """
import sys
from referral_desk.app import run

folder, n, writes = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
codes = []
for i in range(writes):
    codes.append(run(["--data-dir", folder, "person", "add", "--given", f"Writer{n}",
                      "--family", f"Number{i}", "--dob", "1980-01-01", "--json"]))
print("codes", *codes, flush=True)
"""


def test_three_command_line_writers_lose_nothing(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "data"
    write_key_file(folder)  # the tests' key: `another_program_writing` opens it too
    assert run(["--data-dir", str(folder), "init"]) == 0
    capsys.readouterr()
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(n), str(WRITES_EACH)], text=True, **pipes
        )
        for n in range(WRITERS)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=300) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    codes: list[str] = []
    for (out, err), child in zip(outputs, children, strict=True):
        assert child.returncode == 0, err
        codes += next(line for line in out.splitlines() if line.startswith("codes")).split()[1:]
        assert "busy" not in err
    assert codes == ["0"] * (WRITERS * WRITES_EACH)
    assert run(["--data-dir", str(folder), "list", "people", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert len(people) == WRITERS * WRITES_EACH
    assert len({(p["given_name"], p["family_name"]) for p in people}) == WRITERS * WRITES_EACH


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands give up waiting for the write lock after 0.2 s instead of 15 s."""
    from referral_desk.store import database
    from referral_desk.store.engine import create_sqlite_engine

    monkeypatch.setattr(
        database,
        "create_sqlite_engine",
        functools.partial(create_sqlite_engine, busy_timeout_ms=200),
    )


@contextmanager
def another_program_writing(folder: Path) -> Iterator[None]:
    holder = connect_db(folder / DB_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE site_state SET hlc = hlc + 1 WHERE key = 1")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_write_kept_waiting_too_long_says_busy_and_saves_nothing(
    tmp_path, capsys, short_wait
) -> None:
    folder = tmp_path / "data"
    write_key_file(folder)  # the tests' key: `another_program_writing` opens it too
    assert run(["--data-dir", str(folder), "init"]) == 0
    with another_program_writing(folder):
        code = run(
            [
                "--data-dir",
                str(folder),
                "person",
                "add",
                "--given",
                "Dee",
                "--family",
                "Jones",
                "--dob",
                "1980-01-01",
            ]
        )
    _out, err = capsys.readouterr()
    assert code != 0
    assert err.count("\n") == 1 and "busy" in err and "Nothing was saved" in err
    assert "Traceback" not in err and "Jones" not in err
    assert run(["--data-dir", str(folder), "list", "people", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_commands_that_only_read_never_wait_for_a_writer(tmp_path, capsys, short_wait) -> None:
    """Starting (site id, reference data) looks before it writes, so reads run alongside."""
    folder = tmp_path / "data"
    write_key_file(folder)  # the tests' key: `another_program_writing` opens it too
    assert run(["--data-dir", str(folder), "init"]) == 0
    capsys.readouterr()
    with another_program_writing(folder):
        assert run(["--data-dir", str(folder), "list", "people", "--json"]) == 0
        assert run(["--data-dir", str(folder), "list", "categories", "--json"]) == 0
    assert "busy" not in capsys.readouterr().err
