"""A child Python process that works on a database, for tests that kill it (atomicity) and for
benchmarks that measure it (memory): one set-up for all of them.

Plain Python (no pytest): `benchmarks/bench_sync_memory.py` imports it too.

Killing at a random *time* cannot be replayed: the same seed kills at a different point on a
faster machine. So a killed child counts the SQL statements and commits it sends, and kills
itself with SIGKILL (no clean-up handlers run, as with a power cut) just before the N-th one.
A run with `count=True` reports how many there were, so a test draws N from a seeded random
stream (`seed_from_env`, `replayable`): the same seed replays the same kill points, on any
machine.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

SEED_VARIABLE = "REFERRAL_DESK_TEST_SEED"
_KILL_VARIABLE = "REFERRAL_DESK_KILL_AFTER"
_COUNT_MARK = "statements:"

# Runs first in a child started by `run_python(..., kill_after=...)`.
_KILL_HOOK = r"""
def _install_kill_hook():
    import atexit, os, signal
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    left = int(os.environ["REFERRAL_DESK_KILL_AFTER"])
    seen = [0]

    def tick(*_args, **_kwargs):
        seen[0] += 1
        if 0 <= left < seen[0]:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", tick)
    event.listen(Engine, "commit", tick)
    if left < 0:
        atexit.register(lambda: print("statements:", seen[0], flush=True))


_install_kill_hook()
"""


def open_test_database_source(key: bytes) -> str:
    """Child source defining `open_database(folder)` with the tests' data key."""
    return (
        "def open_database(folder):\n"
        "    from referral_desk.store.database import Database\n"
        "    from referral_desk.store.keys import DataKey\n"
        f"    return Database.open(folder, key=DataKey({key!r}))\n"
    )


def run_python(
    source: str,
    *args: str | os.PathLike[str],
    kill_after: int | None = None,
    count: bool = False,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run `python -c source args` to the end (or until it kills itself); output captured.

    `kill_after=N`: SIGKILL just before the child's (N+1)-th SQL statement or commit.
    `count=True`: the child prints how many statements and commits it made (`statements`).
    """
    env = dict(os.environ)
    if kill_after is not None or count:
        source = _KILL_HOOK + source
        env[_KILL_VARIABLE] = str(-1 if kill_after is None else kill_after)
    return subprocess.run(
        [sys.executable, "-c", source, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def statements(done: subprocess.CompletedProcess[str]) -> int:
    """How many statements and commits a `count=True` child made (it must have finished)."""
    if done.returncode != 0:
        raise AssertionError(f"the child failed: {done.stderr.strip()[-2000:]}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_COUNT_MARK):
            return int(line.split()[1])
    raise AssertionError("the child did not report its statements")


def was_killed(done: subprocess.CompletedProcess[str]) -> bool:
    """The child died of the SIGKILL it sent itself (rather than finishing or failing)."""
    return done.returncode == -9


def seed_from_env() -> int:
    """`$REFERRAL_DESK_TEST_SEED` when set (to replay a failure), else a fresh one."""
    value = os.environ.get(SEED_VARIABLE, "").strip()
    return int(value) if value else random.SystemRandom().randrange(2**32)


@contextmanager
def replayable(seed: int) -> Iterator[random.Random]:
    """A random stream from `seed`; a failure inside says how to replay it (printed, and as a
    note on the exception, which pytest shows with the failure)."""
    try:
        yield random.Random(seed)
    except BaseException as err:
        hint = f"replay with {SEED_VARIABLE}={seed}"
        print(hint, file=sys.stderr)
        err.add_note(hint)
        raise


def kill_points(rng: random.Random, total: int, attempts: int) -> Sequence[int]:
    """`attempts` kill points in [0, total]: before anything, after everything, or between."""
    return [rng.randint(0, total) for _ in range(attempts)]
