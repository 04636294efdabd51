"""Benchmark: generate the large demo data set (DESIGN.md §9; budgets of issue 14).

    python benchmarks/bench_generate.py [--data-dir DIR] [--people N] [--services N]
                                        [--referrals N] [--seed S]

Recreates the data folder (default benchmarks/.data/large), opens it as the app does, then
times `generate_demo` for 5 000 people, 20 000 services and 50 000 referrals: every row and its
change-log entries written in one transaction. `bench_open.py` then measures start-up on it.

Budgets (issue 14): generation <= 20 s, the database <= 400 MB, peak memory <= 500 MB. The change
log's share is printed beside the size (rows, and the bytes of their values), since the log is
what the compact design (docs/change-log.md) shrinks.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from common import (
    LARGE_PEOPLE,
    LARGE_REFERRALS,
    LARGE_SERVICES,
    bench_connect,
    bench_unlock,
    folder_size_mb,
    machine,
    parser,
    peak_rss_mb,
    timed,
    verdict,
)

from referral_desk.demo import generate_demo
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.keys import KEY_FILENAME
from referral_desk.usecases.app_services import open_services

BUDGET_S = 20.0
BUDGET_MB = 400.0
BUDGET_RSS_MB = 500.0
# What a data folder may hold; anything else means it is not ours to delete.
OURS = {DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm", KEY_FILENAME, "backups"}


def recreate(folder: Path) -> None:
    if folder.exists():
        strangers = sorted(p.name for p in folder.iterdir() if p.name not in OURS)
        if strangers:
            sys.exit(
                f"bench_generate: {folder} holds other files ({', '.join(strangers)}); "
                "choose another --data-dir"
            )
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)


def main() -> int:
    p = parser("Time generating the large demo data set.")
    p.add_argument("--people", type=int, default=LARGE_PEOPLE)
    p.add_argument("--services", type=int, default=LARGE_SERVICES)
    p.add_argument("--referrals", type=int, default=LARGE_REFERRALS)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    recreate(args.data_dir)
    print(f"machine: {machine()}", flush=True)
    with timed() as opening:
        app = open_services(args.data_dir, unlock=bench_unlock)
    print(f"create and migrate the database: {opening.wall:.2f} s")
    try:
        with timed() as gen:
            summary = generate_demo(
                app,
                people=args.people,
                services=args.services,
                referrals=args.referrals,
                seed=args.seed,
            )
    finally:
        app.close()
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in vars(summary).items())
    print(f"generated: {counts}")
    print(f"database folder: {args.data_dir}")
    print(f"change log: {log_figures(args.data_dir)}")
    rss = peak_rss_mb()
    print(f"CPU time: {gen.cpu:.1f} s; machine after: {machine()}")
    label = "generate large data set" if args.people == LARGE_PEOPLE else "generate data set"
    verdict(label, gen.wall, BUDGET_S, "s", digits=1)
    verdict("database size", folder_size_mb(args.data_dir), BUDGET_MB, "MB", digits=0)
    if rss is not None:
        verdict("peak memory while generating", rss, BUDGET_RSS_MB, "MB", digits=0)
    return 0  # it builds the data set the other benchmarks use: over budget is printed only


def log_figures(folder: Path) -> str:
    """Entries of the change log, the rows that hold them (one per record write) and the
    bytes of values the log keeps itself (most are read from the records' rows)."""
    conn = bench_connect(folder / DB_FILENAME)
    try:
        rows, entries, values = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(h.width), 0), COALESCE(SUM(LENGTH(w.vals)), 0) "
            "FROM change_write AS w JOIN sync_shape AS h ON h.ord = w.shape"
        ).fetchone()
    finally:
        conn.close()
    return f"{entries} entries in {rows} rows, {values / 1e6:.1f} MB of values kept in the log"


if __name__ == "__main__":
    raise SystemExit(main())
