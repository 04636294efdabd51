"""The shared store's size over time (issue 14): it must plateau, not grow with the days.

    .venv/bin/python benchmarks/bench_store_size.py [--days 1000] [--snapshot-every 30]
                                                    [--writes 4] [--people 40] [--keep DIR]

Three sites work on a steady caseload (`--people` people each, made on day 0): every simulated
working day each site edits a few records (`--writes`), then syncs through one shared store
(export, import, snapshot when due, prune, receipt). The clock is simulated; the snapshot is
written when the newest is older than `--snapshot-every` days and older bundles wait, and
bundles covered by it go once every site holds them (or after the 90-day retention).

Printed every 100 days: the store's size and file count beside the **bound** — the newest
snapshot plus what `--snapshot-every` days of bundles from three sites take (measured in the
same run: the largest bundle seen × days × sites) — and the wall and CPU time per simulated day.
The bundles part is bounded by the lifecycle; the snapshot is a full export, so it carries
what the change log holds: while the log keeps every value a field ever had it grows with the
edits, and once the log keeps only winners (the compact log) it is the size of the data.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench_sync import PASSPHRASE, clone_site, seeded
from common import machine

from referral_desk.sync.bundle import is_bundle_name
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import DEFAULT_KDF, KeyCache
from referral_desk.usecases.people import PeopleService

START = datetime(2026, 1, 5, 9, 0)
NAMES = ["Ann", "Bo", "Cy", "Dee", "Eve", "Fin", "Gus", "Hal"]


class Clock:
    def __init__(self) -> None:
        self.day = 0

    def now(self) -> datetime:
        return START + timedelta(days=self.day)


def store_size(store: Path) -> tuple[int, int, int, int]:
    """(bytes, files, newest-snapshot-ish bytes = the largest file, largest other bundle)."""
    sizes = []
    for root, _dirs, files in os.walk(store):
        for name in files:
            sizes.append((name, os.path.getsize(os.path.join(root, name))))
    bundles = sorted(s for n, s in sizes if is_bundle_name(n))
    biggest = bundles[-1] if bundles else 0
    other = bundles[-2] if len(bundles) > 1 else 0
    return sum(s for _n, s in sizes), len(sizes), biggest, other


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=1000)
    p.add_argument("--snapshot-every", type=int, default=30)
    p.add_argument("--writes", type=int, default=4, help="edits per site per day")
    p.add_argument("--people", type=int, default=40, help="people per site (made on day 0)")
    p.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = p.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="rd-store-size-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"Store size over {args.days} simulated days, 3 sites ({machine()})", flush=True)
    try:
        template = seeded(root / "template")
        template.close()
        clock = Clock()
        keys = KeyCache()
        sites = []
        for i in range(3):
            db = clone_site(root / "template", root / f"site{i}")
            engine = SyncEngine(db, keys, now=clock.now, kdf=DEFAULT_KDF)
            engine.lifecycle.snapshot_days = args.snapshot_every
            people = PeopleService(db)
            ids = [
                people.add(
                    given_name=NAMES[n % len(NAMES)],
                    family_name=f"S{i}",
                    date_of_birth="1990-01-01",
                ).id
                for n in range(args.people)
            ]
            sites.append((db, engine, people, ids))
        store = root / "store"
        store.mkdir(exist_ok=True)
        largest_bundle = 0
        block_wall = block_cpu = 0.0
        print(
            f"{'day':>5} {'store KB':>9} {'files':>6} {'bound KB':>9} {'snapshot KB':>12} "
            f"{'ms/day wall':>12} {'ms/day CPU':>11}",
            flush=True,
        )
        for day in range(1, args.days + 1):
            clock.day = day * 7 // 5  # working days: five in a week of seven
            wall, cpu = time.perf_counter(), time.process_time()
            for n, (_db, engine, people, ids) in enumerate(sites):
                for w in range(args.writes):
                    pid = ids[(day * args.writes + w + n) % len(ids)]
                    people.update(pid, given_name=NAMES[(day + w) % len(NAMES)])
                summary = engine.sync(store, PASSPHRASE)
                if day > 1 and summary.exported.path:  # day 1 carries the whole caseload
                    size = (store / summary.exported.path).stat().st_size
                    largest_bundle = max(largest_bundle, size)
            block_wall += time.perf_counter() - wall
            block_cpu += time.process_time() - cpu
            if day % 100 == 0 or day == args.days:
                total, files, snapshot, _other = store_size(store)
                bound = snapshot + largest_bundle * 3 * (args.snapshot_every + 5) + (64 << 10)
                n = 100 if day % 100 == 0 else day % 100
                flag = "" if total <= bound else "  <-- OVER THE BOUND"
                print(
                    f"{day:>5} {total / 1024:>9.0f} {files:>6} {bound / 1024:>9.0f} "
                    f"{snapshot / 1024:>12.0f} {block_wall * 1000 / n:>12.0f} "
                    f"{block_cpu * 1000 / n:>11.0f}{flag}",
                    flush=True,
                )
                block_wall = block_cpu = 0.0
        for db, *_rest in sites:
            db.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
