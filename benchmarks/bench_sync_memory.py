"""Peak memory of sync imports (DESIGN.md §9: ≤ 300 MB resident importing any file of any size).

    .venv/bin/python benchmarks/bench_sync_memory.py [--insider 1000000] [--normal 100000]
                                                     [--keep DIR]

Each import runs in a child process whose peak resident size (VmHWM) is printed next to the
budget, beside the floor: the same child opening the database and importing nothing.

- a 500 MB file with a valid header, format 2 and format 1 (refused: the first segment does
  not authenticate; a format-1 file that big is refused before it is read);
- a bundle of 1 000 000 entries written by an insider with the team passphrase (34 483 new
  people of 29 fields each): imported, or refused cleanly;
- the normal bundle of ~100 000 entries (the caseload of benchmarks/bench_sync.py).

Exits 1 when a figure is over its budget.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench_sync import PASSPHRASE, add_caseload, add_directory, load, seeded

# The child-process set-up shared with the atomicity tests (tests/child_process.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from child_process import run_python
from common import CHILD_OPEN
from person_entries import person_entries

from referral_desk.files import atomic_output
from referral_desk.sync.bundle import BundleWriter
from referral_desk.sync.container import SEGMENT, BundleHeader
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import DEFAULT_KDF, KeyCache

BUDGET_MB = 300
HUGE = 500 << 20

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from referral_desk.domain.errors import DomainError
from referral_desk.store.database import Database
from referral_desk.sync.exchange import SyncEngine
db = open_database(Path(sys.argv[1]))
started = time.perf_counter()
if sys.argv[2] == "-":
    outcome = "nothing imported (floor)"
else:
    try:
        summary = SyncEngine(db).import_file(Path(sys.argv[2]), sys.argv[3])
        outcome = f"imported {summary.entries_new} new entries, {summary.people} people"
    except DomainError as err:
        outcome = f"refused: {err}"
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss on Linux also counts the parent's memory
    # copied into the child before it exec'd Python, e.g. a big test runner's)
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
peak = peak_mb()
print(json.dumps({"outcome": outcome, "peak_mb": peak,
                  "seconds": round(time.perf_counter() - started, 1)}))
"""


def measure(db_dir: Path, bundle: Path | None) -> dict[str, object]:
    done = run_python(CHILD_OPEN + CHILD, db_dir, bundle or "-", PASSPHRASE, timeout=3600)
    if done.returncode != 0:
        return {"outcome": "CRASHED: " + done.stderr.strip().splitlines()[-1], "peak_mb": -1}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(name: str, result: dict[str, object], floor: int) -> bool:
    peak = int(result["peak_mb"])  # type: ignore[call-overload]
    ok = 0 <= peak <= BUDGET_MB
    seconds = f", {result['seconds']} s" if "seconds" in result else ""
    verdict = "ok" if ok else "<-- OVER BUDGET"
    print(
        f"{name:34} peak {peak:5d} MB  (budget {BUDGET_MB} MB, floor {floor} MB) {verdict}  "
        f"{result['outcome']}{seconds}",
        flush=True,
    )
    return ok


def huge_file(path: Path, fmt: int) -> None:
    """A valid header followed by 500 MB (sparse: no disk space is used)."""
    header = BundleHeader(
        format=fmt,
        schema=2,
        app="0.1.0",
        bundle_id=str(uuid.uuid4()),
        site_id=str(uuid.uuid4()),
        created="2026-03-02T10:00:00",
        salt=os.urandom(16),
        kdf=DEFAULT_KDF,
        nonce=os.urandom(12 if fmt == 1 else 7),
        segment=SEGMENT if fmt == 2 else 0,
    )
    with open(path, "wb") as fh:
        fh.write(header.prefix())
        fh.seek(HUGE)
        fh.write(b"\x01")


def insider_entries(people: int, site: str) -> Iterator[list[object]]:
    return person_entries(people, site, family_name="Insider")


def insider_bundle(path: Path, entries: int) -> int:
    site = str(uuid.uuid4())
    people = max(1, -(-entries // 29))
    with atomic_output(path) as fh:
        writer = BundleWriter(
            fh, site_id=site, passphrase=PASSPHRASE, keys=KeyCache(), salt=os.urandom(16)
        )
        batch: list[list[object]] = []
        for e in insider_entries(people, site):
            batch.append(e)
            if len(batch) == 10_000:
                writer.entries(batch)
                batch = []
        writer.entries(batch)
        manifest = writer.finish([[site, 0, {site: 0}]], vector={site: people * 29})
    return manifest.entry_count


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--insider", type=int, default=1_000_000, help="entries of the big bundle")
    ap.add_argument("--normal", type=int, default=100_000, help="entries of the normal bundle")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-sync-mem-"))
    root.mkdir(parents=True, exist_ok=True)
    print(load())
    ok = True
    try:
        t0 = time.perf_counter()
        template = root / "template"
        seeded(template).close()

        def fresh(name: str) -> Path:
            folder = root / name
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(template, folder)
            return folder

        floor = int(measure(fresh("floor"), None)["peak_mb"])  # type: ignore[call-overload]
        for fmt in (2, 1):
            path = root / f"huge-format{fmt}.rdsync"
            huge_file(path, fmt)
            ok &= report(f"500 MB file, format {fmt} header", measure(fresh("huge"), path), floor)
            path.unlink()

        source = seeded(root / "source")
        add_caseload(source, add_directory(source), max(1, args.normal // 137))
        normal = root / "normal.rdsync"
        made = SyncEngine(source).export_file(normal, PASSPHRASE)
        source.close()
        insider = root / "insider.rdsync"
        count = insider_bundle(insider, args.insider)
        print(
            f"setup: normal bundle {made.entries} entries ({normal.stat().st_size >> 20} MB), "
            f"insider bundle {count} entries ({insider.stat().st_size >> 20} MB) "
            f"({time.perf_counter() - t0:.0f} s, not timed)",
            flush=True,
        )
        ok &= report(
            f"normal bundle, {made.entries} entries", measure(fresh("normal"), normal), floor
        )
        ok &= report(f"insider bundle, {count} entries", measure(fresh("insider"), insider), floor)
        print(load())
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
