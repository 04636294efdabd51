"""Benchmark: parallel writers through the real command line (issue 11, point 4).

    python benchmarks/bench_writers.py [--writers 3] [--writes 40]

Runs `--writers` loops side by side on one new data folder; each loop runs
`referral-desk person add …` `--writes` times, one process per write, as officers' windows and
scripted commands do. Prints how many writes were refused (budget 0), the longest any single
write waited for the write lock (budget: the busy timeout), and the slowest whole command.

Each command is the real entry point (`referral_desk.__main__.main`) in a child process that
also times its `BEGIN…` statements with an engine event listener: that is the wait for the
lock (`BEGIN IMMEDIATE` waits for another writer; a deferred `BEGIN` never waits).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import machine, verdict


def child(result_file: str, argv: list[str]) -> int:
    """One command, as `python -m referral_desk …` runs it, plus the lock-wait timing."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    waits: list[float] = []
    started: dict[int, float] = {}

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            started[id(conn)] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN") and id(conn) in started:
            waits.append(time.perf_counter() - started.pop(id(conn)))

    from referral_desk.__main__ import main

    t0 = time.perf_counter()
    code = main(argv)
    total = time.perf_counter() - t0
    with open(result_file, "a", encoding="utf-8") as out:
        out.write(json.dumps({"code": code, "wait": max(waits, default=0.0), "total": total}))
        out.write("\n")
    return code


def loop(folder: Path, n: int, writes: int, result_file: Path) -> None:
    for i in range(writes):
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(result_file),
                "--",
                "--data-dir",
                str(folder),
                "person",
                "add",
                "--given",
                f"Writer{n}",
                "--family",
                f"Number{i}",
                "--dob",
                "1980-01-01",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[4:])
    import argparse

    p = argparse.ArgumentParser(description="Parallel CLI writers on one database.")
    p.add_argument("--writers", type=int, default=3)
    p.add_argument("--writes", type=int, default=40)
    args = p.parse_args()
    print(f"machine: {machine()}", flush=True)
    from referral_desk.store import engine

    # Versions before BUSY_TIMEOUT_MS waited 5 s (so this also measures the old code).
    timeout_s = getattr(engine, "BUSY_TIMEOUT_MS", 5000) / 1000

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "-m", "referral_desk", "--data-dir", str(folder), "init"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        results = [Path(tmp) / f"loop{n}.jsonl" for n in range(args.writers)]
        threads = [
            threading.Thread(target=loop, args=(folder, n, args.writes, results[n]))
            for n in range(args.writers)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        rows = [json.loads(line) for r in results for line in r.read_text().splitlines()]
        people = subprocess.run(
            [
                sys.executable,
                "-m",
                "referral_desk",
                "--data-dir",
                str(folder),
                "list",
                "people",
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    total = args.writers * args.writes
    refused = sum(1 for r in rows if r["code"] != 0)
    print(
        f"{args.writers} writers x {args.writes} writes: {len(rows)} commands in "
        f"{elapsed:.1f} s, {len(json.loads(people))} people stored"
    )
    verdict(f"writes refused (of {total})", refused, 0, "writes", digits=0)
    verdict(
        "slowest wait for the write lock", max(r["wait"] for r in rows), timeout_s, "s", digits=3
    )
    print(f"slowest whole command (start-up included): {max(r['total'] for r in rows):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
