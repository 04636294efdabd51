"""Accountability costs (issue 12): what the access log adds to opening a person, what the
audit chain adds to a write transaction, and how long `audit verify` takes.

    .venv/bin/python benchmarks/bench_accountability.py [--people 200] [--entries 100000]

- open a person (DESIGN.md §9: ≤ 100 ms): `people.detail` without noting the access (the
  floor), with a first open (one small write), and a repeated open inside the de-duplication
  window (one indexed read), median of each;
- chaining: the cost per audit entry at commit (hashing and the update), on a batch of
  `--entries` entries inserted in one transaction (a large sync import writes one per record);
- `audit verify` over the whole trail.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from referral_desk.demo import generate_demo
from referral_desk.store.audit_chain import chain_new_entries
from referral_desk.store.models import AuditEntry
from referral_desk.usecases.app_services import open_services
from referral_desk.usecases.base import Clock

OPEN_BUDGET_MS = 100.0


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock_now = [datetime(2026, 3, 2, 9, 0)]
        clock = Clock(_now=lambda: clock_now[0])
        app = open_services(Path(tmp) / "data", clock)
        generate_demo(app, people=args.people, services=100, seed=1)
        people = [p.id for p in app.people.list()][:40]
        floor = _ms(lambda: [app.people.detail(p, access=None) for p in people], 3) / len(people)

        def first_opens() -> None:
            clock_now[0] += timedelta(minutes=10)  # outside the window: every open is noted
            for p in people:
                app.people.detail(p)

        first = _ms(first_opens, 3) / len(people)
        repeat = _ms(lambda: [app.people.detail(p) for p in people], 3) / len(people)
        print(f"open a person, no access noted (floor): {floor:7.2f} ms")
        print(
            f"open a person, access noted:            {first:7.2f} ms  "
            f"(+{first - floor:.2f} ms; budget {OPEN_BUDGET_MS:.0f} ms)"
        )
        print(
            f"open a person again within 5 minutes:   {repeat:7.2f} ms  (+{repeat - floor:.2f} ms)"
        )

        row = {
            "at": datetime(2026, 3, 2),
            "site_id": "bench-site",
            "officer_id": None,
            "action": "sync",
            "table_name": "person",
            "record_id": "x" * 36,
            "fields": "created_at,family_name,given_name",
            "reason": "sync import",
        }
        with app.db.engine.begin() as conn:  # outside the app's sessions: not chained yet
            conn.execute(AuditEntry.__table__.insert(), [row] * args.entries)
        with app.db.engine.begin() as conn:
            start = time.perf_counter()
            chained = chain_new_entries(conn)
            chain_s = time.perf_counter() - start
        print(
            f"chain {chained} audit entries at commit: {chain_s:6.2f} s "
            f"({chain_s / max(chained, 1) * 1e6:.1f} µs per entry)"
        )
        start = time.perf_counter()
        report = app.audit.verify()
        verify_s = time.perf_counter() - start
        print(
            f"audit verify, {report.entries} entries: {verify_s:6.2f} s "
            f"({'intact' if report.intact else 'BROKEN'})"
        )
        app.close()
        return 0 if first <= OPEN_BUDGET_MS and report.intact else 1


if __name__ == "__main__":
    sys.exit(main())
