"""Benchmark: commissioners' reports on the large data set (DESIGN.md §9 sizes), ≤ 2 s each.

    python benchmarks/bench_reports.py [--data-dir DIR] [--rounds N] [--exports] [--out DIR]

Uses the large data set that `bench_generate.py` writes (benchmarks/.data/large: 5 000 people,
20 000 services, 50 000 referrals); when the folder has no database yet, it is generated here
with `demo.generate_demo` first. Then, for the last twelve months (the Reports
screen's default period), it times `ReportService.run` for each report: one warm-up run (SQLite's
page cache, SQLAlchemy's statement cache), then the median of `--rounds` runs, printed against
the 2 s budget with the CPU time beside it (wall time on a busy shared machine can double).

With `--exports` it also times writing each report as CSV, XLSX and PDF (for information: the
budget is for building a report; an export adds suppression and file writing), keeping the files
in `--out` when given.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from common import (
    LARGE_PEOPLE,
    LARGE_REFERRALS,
    LARGE_SERVICES,
    bench_unlock,
    machine,
    parser,
    peak_rss_mb,
    timed,
    verdict,
)
from sqlalchemy import func, select

from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import FollowUp, Need, Person, Referral, Service
from referral_desk.usecases.app_services import AppServices, open_services
from referral_desk.usecases.reports import REPORTS, ReportService, default_period

BUDGET_S = 2.0


def open_large(data_dir: Path) -> AppServices:
    """The large data set, generated first if the folder holds no database."""
    fresh = not (data_dir / DB_FILENAME).exists()
    app = open_services(data_dir, unlock=bench_unlock)
    if fresh:
        from referral_desk.demo import generate_demo

        print(f"no database in {data_dir}: generating the large data set…", flush=True)
        with timed() as gen:
            generate_demo(
                app, people=LARGE_PEOPLE, services=LARGE_SERVICES, referrals=LARGE_REFERRALS, seed=0
            )
        print(f"generated in {gen.wall:.0f} s")
    return app


def counts(app: AppServices) -> str:
    with app.db.read() as session:
        return ", ".join(
            f"{session.scalar(select(func.count()).select_from(model)) or 0} {model.__tablename__}"
            for model in (Person, Need, Referral, FollowUp, Service)
        )


def main() -> int:
    p = parser("Time every commissioners' report on the large data set.")
    p.add_argument("--rounds", type=int, default=3, help="timed runs per report (default 3)")
    p.add_argument("--exports", action="store_true", help="also time CSV, XLSX and PDF exports")
    p.add_argument("--out", type=Path, help="keep the exported files in this folder")
    args = p.parse_args()

    print(f"machine: {machine()}", flush=True)
    app = open_large(args.data_dir)
    try:
        service = ReportService(app.db, app.clock)
        date_from, date_to = default_period(app.clock.today())
        print(f"data: {counts(app)}")
        print(f"period {date_from} to {date_to}; median of {args.rounds} after a warm-up run")
        for name in REPORTS:
            service.run(name, date_from, date_to)
            walls, cpus = [], []
            for _ in range(max(1, args.rounds)):
                with timed() as t:
                    service.run(name, date_from, date_to)
                walls.append(t.wall)
                cpus.append(t.cpu)
            print(f"  {name}: CPU {statistics.median(cpus):.2f} s")
            verdict(f"report {name}", statistics.median(walls), BUDGET_S, "s")
        if args.exports:
            out = args.out or Path(tempfile.mkdtemp(prefix="referral-desk-reports-"))
            out.mkdir(parents=True, exist_ok=True)
            print(f"exports (information only), files in {out}:")
            for name in REPORTS:
                for fmt in ("csv", "xlsx", "pdf"):
                    path = out / f"{name}.{fmt}"
                    with timed() as t:
                        service.export(name, date_from, date_to, fmt, path)
                    size = path.stat().st_size / 1024
                    print(f"  {name} {fmt}: {t.wall:.2f} s, {size:.0f} KiB")
        rss = peak_rss_mb()
        if rss is not None:
            print(f"peak resident memory: {rss:.0f} MB")
        print(f"machine after: {machine()}")
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
