"""Kill an upgrade at seeded points and check it is all or nothing (the migration tests).

A child process opens a copy of a previous-version database (which migrates it) and is killed
before a statement or commit drawn from a seed (`child_process`): the database must then be as
the previous version left it or fully upgraded, never between, and the next open must finish
the job. `REFERRAL_DESK_TEST_SEED=N` replays a failure."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from child_process import (
    kill_points,
    open_test_database_source,
    replayable,
    run_python,
    seed_from_env,
    statements,
    was_killed,
)
from unlocking import FIXED_KEY, open_test_database

OPEN_CHILD = open_test_database_source(FIXED_KEY) + (
    "import sys\nfrom pathlib import Path\nopen_database(Path(sys.argv[1])).close()\n"
)


def assert_upgrade_all_or_nothing(
    tmp_path: Path,
    base: Path,
    projection: Callable[[Path], Any],
    *,
    attempts: int = 4,
    check_before: Callable[[Path], None] | None = None,
) -> tuple[Any, Any]:
    """Kill the upgrade of copies of `base` at `attempts` seeded points. `projection` is what
    must be all or nothing; `check_before(folder)` runs on a copy left as it was. Returns the
    projections before and after an uninterrupted upgrade."""
    before = projection(base)
    reference = shutil.copytree(base, tmp_path / "reference")
    total = statements(run_python(OPEN_CHILD, reference, count=True))
    after = projection(reference)
    with replayable(seed_from_env()) as rng:
        for attempt, kill_after in enumerate(kill_points(rng, total, attempts=attempts)):
            folder = shutil.copytree(base, tmp_path / f"run{attempt}")
            done = run_python(OPEN_CHILD, folder, kill_after=kill_after)
            assert was_killed(done) or kill_after == total, done.stderr[-2000:]
            state = projection(folder)
            assert state in (before, after), f"killed after {kill_after} of {total} statements"
            if state == before and check_before is not None:
                check_before(folder)
            open_test_database(folder).close()  # the next open upgrades
            assert projection(folder) == after
    return before, after
