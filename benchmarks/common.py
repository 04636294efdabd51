"""Shared helpers for the benchmark scripts (DESIGN.md §9): arguments, timing, verdicts.

Every benchmark prints its figures as "what: figure (budget B)" and marks a miss with a clear
OVER BUDGET, but exits 0 either way: a benchmark informs, the test suite decides. Figures are
wall-clock; CPU time and the machine's load are printed beside them, because on a shared
2-core machine another busy process can double the wall time without the code changing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATA_ROOT = BENCH_DIR / ".data"
LARGE_DATA = DATA_ROOT / "large"

# The large data set of DESIGN.md §9.
LARGE_PEOPLE = 5_000
LARGE_SERVICES = 20_000
LARGE_REFERRALS = 50_000


def parser(description: str, *, default_data: Path = LARGE_DATA) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=default_data,
        help=f"folder holding the benchmark database (default: {default_data})",
    )
    return p


@dataclass
class Timing:
    """Wall-clock and CPU seconds of one measured block (filled in when the block ends)."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timing
    finally:
        timing.wall = time.perf_counter() - wall
        timing.cpu = time.process_time() - cpu


def verdict(what: str, figure: float, budget: float, unit: str, *, digits: int = 2) -> bool:
    """Print "what: figure unit (budget B unit)" and OVER BUDGET when missed; True if within."""
    within = figure <= budget
    line = f"{what}: {figure:.{digits}f} {unit} (budget {budget:g} {unit})"
    if not within:
        line += "  <-- OVER BUDGET"
    print(line, flush=True)
    return within


def machine() -> str:
    """CPU count and load, so a slow figure on a busy machine can be read as such."""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # Windows has no load average
        load = "n/a"
    return f"{os.cpu_count()} CPUs, load average {load}"


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MB (None where the platform cannot tell)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def folder_size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / (1024 * 1024)


# --- the encrypted data folder (issue 12) ------------------------------------------------------
# Benchmark folders are set up with the production key-derivation cost (what an officer's PC
# pays to unlock); the passphrase is this, or $REFERRAL_DESK_UNLOCK when set.
BENCH_PASSPHRASE = os.environ.get("REFERRAL_DESK_UNLOCK") or "benchmark unlock passphrase"
# For benchmark child processes (`python -c CODE FOLDER …`): open FOLDER's database.
CHILD_OPEN = (
    "from referral_desk.usecases.security import Unlock, obtain_key\n"
    "def open_database(folder):\n"
    "    import os\n"
    "    from referral_desk.store.database import Database\n"
    "    secret = os.environ.get('REFERRAL_DESK_UNLOCK') or 'benchmark unlock passphrase'\n"
    "    ask = lambda new: Unlock.new(secret) if new else Unlock.passphrase(secret)\n"
    "    return Database.open(folder, key=obtain_key(folder, ask).key)\n"
)


def bench_unlock(setting_up: bool) -> object:
    """`open_services(..., unlock=bench_unlock)`: set a new folder up, or unlock it."""
    from referral_desk.usecases.security import Unlock

    return Unlock.new(BENCH_PASSPHRASE) if setting_up else Unlock.passphrase(BENCH_PASSPHRASE)


def open_bench_database(folder: Path) -> object:
    """`Database.open` on a benchmark folder (its key set up on first use)."""
    from referral_desk.store.database import Database
    from referral_desk.usecases.security import obtain_key

    return Database.open(folder, key=obtain_key(folder, bench_unlock).key)  # type: ignore[arg-type]


def bench_connect(path: Path, **kwargs: object) -> object:
    """A raw keyed connection to a benchmark database (what sqlite3.connect was)."""
    from referral_desk.store.engine import connect_keyed
    from referral_desk.usecases.security import obtain_key

    folder = Path(str(path).removeprefix("file:").split("?")[0]).parent
    return connect_keyed(Path(path), obtain_key(folder, bench_unlock).key, **kwargs)
