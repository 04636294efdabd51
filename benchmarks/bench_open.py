"""Benchmark: start-up on the large data set (DESIGN.md §9): ≤ 1.5 s and ≤ 300 MB resident.

    python benchmarks/bench_open.py [--data-dir DIR]

Run `bench_generate.py` first. Times what the app does before its main window is usable:
importing the application, opening the database (`open_services`: `Database.open`, migration
check, reference data) and the first queries of the main window (the profile, follow-ups due
by today, the people list, the "my day" summary). Qt itself is not started: the budget is for
our code, and widget start-up does not depend on the data set.
"""

from __future__ import annotations

import importlib
from datetime import date

from common import bench_unlock, machine, parser, peak_rss_mb, timed, verdict

BUDGET_S = 1.5
BUDGET_MB = 300.0


def main() -> int:
    args = parser("Time opening the large data set as the app starts.").parse_args()
    database = args.data_dir / "referral-desk.sqlite3"
    if not database.exists():
        print(f"bench_open: no database in {args.data_dir}; run benchmarks/bench_generate.py")
        return 0
    print(f"machine: {machine()}", flush=True)
    steps: list[tuple[str, float]] = []
    with timed() as total:
        with timed() as t:
            app_services = importlib.import_module("referral_desk.usecases.app_services")
        steps.append(("import the application", t.wall))
        with timed() as t:
            app = app_services.open_services(args.data_dir, unlock=bench_unlock)
        steps.append(("open the database (open_services)", t.wall))
        try:
            today: date = app.clock.today()
            with timed() as t:
                officer = app.profile.get()
                due = app.follow_ups.list(due_by=today)
            steps.append((f"follow-ups due by today ({len(due)})", t.wall))
            with timed() as t:
                people = app.people.list()
            steps.append((f"people list ({len(people)})", t.wall))
            my_day = getattr(app, "my_day", None)
            if my_day is not None:
                with timed() as t:
                    my_day.summary(officer.id if officer else None)
                steps.append(("my day summary", t.wall))
        finally:
            app.close()
    for what, seconds in steps:
        print(f"  {what}: {seconds:.3f} s")
    print(f"CPU time: {total.cpu:.2f} s")
    verdict("start to usable main window (large data set)", total.wall, BUDGET_S, "s")
    rss = peak_rss_mb()
    if rss is None:
        print("peak resident memory: not measurable on this platform")
    else:
        verdict("peak resident memory (large data set)", rss, BUDGET_MB, "MB", digits=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
