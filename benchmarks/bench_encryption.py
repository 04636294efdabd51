"""Benchmark: encryption at rest (issue 12, DESIGN.md §9 last row): every budget with SQLCipher
on, beside the same figure on the same data unencrypted, in the same run.

    python benchmarks/bench_encryption.py [--people N] [--services M] [--referrals R]
                                          [--entries E] [--keep DIR]

Builds one encrypted data folder (demo caseload and directory), and a plaintext copy of it
made with `sqlcipher_export` (the same rows and pages, no key). Then, for each: start-up to
the unlock prompt (a fresh interpreter), unlock to My day (the Argon2id unlock at production
cost, opening, the first screen's queries), search as you type, opening the busiest person,
and a sync import. Prints encrypted, plain and the overhead. The plaintext side is opened
through the engine the app used before issue 12 (the `sqlite3` driver, no key), which the app
itself can no longer do.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_search import QUERIES, typed_prefixes
from common import BENCH_PASSPHRASE, bench_connect, bench_unlock

from referral_desk.domain.search_query import SearchQuery
from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.engine import KeyHolder
from referral_desk.usecases.app_services import AppServices, open_services
from referral_desk.usecases.base import Clock
from referral_desk.usecases.security import Unlock

BUDGETS = {
    "start to the unlock prompt (imports, folder checks)": 1.5,
    "unlock to My day (Argon2id, open, first queries)": 1.5,
    "search as you type, median (ms)": 15.0,
    "search as you type, p95 (ms)": 30.0,
    "open the busiest person (ms)": 100.0,
    "sync import": 1.5,
}
SYNC_PASSPHRASE = "benchmark team passphrase"


def plain_copy(encrypted: Path, plain: Path) -> None:
    """The encrypted database exported to a plaintext SQLite file (what the app wrote before)."""
    plain.mkdir(parents=True)
    conn = bench_connect(encrypted / DB_FILENAME, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain / DB_FILENAME),))
    conn.execute("SELECT sqlcipher_export('plain')").fetchall()
    conn.execute("DETACH DATABASE plain")
    conn.close()


def open_plain(folder: Path) -> AppServices:
    """The pre-issue-12 engine over a plaintext file: sqlite3, the same pragmas, no key."""
    from sqlalchemy import create_engine, event

    from referral_desk.store import engine as engine_module
    from referral_desk.store.keys import DataKey

    path = folder / DB_FILENAME
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 15}
    )
    event.listen(engine, "connect", engine_module._on_connect)
    event.listen(engine, "begin", engine_module._on_begin)
    db = Database(path, engine, KeyHolder(DataKey(bytes(32))))
    return AppServices(db, Clock())


def open_encrypted(folder: Path) -> AppServices:
    return open_services(folder, unlock=Unlock.passphrase(BENCH_PASSPHRASE))


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


PROMPT_CHILD = r"""
import sys, time
started = time.perf_counter()
import referral_desk.app
from referral_desk.usecases.security import folder_state, os_login_configured, unlock_delay
from pathlib import Path
folder = Path(sys.argv[1])
if sys.argv[2] == "encrypted":
    folder_state(folder); os_login_configured(folder); unlock_delay(folder)
print(time.perf_counter() - started)
"""


def to_prompt(folder: Path, kind: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROMPT_CHILD, str(folder), kind],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def to_my_day(opener: Callable[[Path], AppServices], folder: Path) -> float:
    started = time.perf_counter()
    services = opener(folder)
    try:
        officer = services.profile.get()
        officer_id = officer.id if officer else None
        services.follow_ups.list(due_by=services.clock.today())
        services.people.list(officer_id)
        services.my_day.summary(officer_id)
        return time.perf_counter() - started
    finally:
        services.close()


def search_times(services: AppServices) -> tuple[float, float]:
    for text, filters in QUERIES:  # warm-up, as a session of use would
        services.directory.search(SearchQuery(text=text, **filters))
    times = []
    for text, filters in QUERIES:
        for typed in typed_prefixes(text):
            started = time.perf_counter()
            services.directory.search(SearchQuery(text=typed, **filters))
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def busiest_person(folder: Path) -> str:
    conn = bench_connect(folder / DB_FILENAME)
    try:
        return conn.execute(
            "SELECT person_id FROM referral GROUP BY person_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        conn.close()


def open_person(services: AppServices, person_id: str) -> float:
    services.people.detail(person_id)  # warm
    return median_of(5, lambda: _timed(lambda: services.people.detail(person_id)) * 1000)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--services", type=int, default=5000)
    ap.add_argument("--referrals", type=int, default=10_000)
    ap.add_argument("--entries", type=int, default=100_000, help="size of the sync bundle")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-crypt-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        return _run(root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, args: argparse.Namespace) -> int:
    from referral_desk.demo import generate_demo
    from referral_desk.sync.exchange import SyncEngine

    enc, plain = root / "encrypted", root / "plain"
    started = time.perf_counter()
    services = open_services(enc, unlock=bench_unlock)
    services.security.take_recovery_code()
    generate_demo(
        services, people=args.people, services=args.services, referrals=args.referrals, seed=7
    )
    services.close()
    # The sync bundle of DESIGN.md §9 (100 000 changes), written as bench_sync.py writes it.
    from bench_sync import add_caseload, add_directory, seeded

    source = seeded(root / "sync-source")
    directory = add_directory(source)
    add_caseload(source, directory, max(1, (args.entries - 2_000) // 137))
    bundle = root / "all.rdsync"
    export = SyncEngine(source).export_file(bundle, SYNC_PASSPHRASE)
    source.close()
    plain_copy(enc, plain)
    fresh_enc, fresh_plain = root / "fresh-encrypted", root / "fresh-plain"
    open_services(fresh_enc, unlock=bench_unlock).close()
    plain_copy(fresh_enc, fresh_plain)
    print(
        f"setup: {args.people} people, {args.services} services, {args.referrals} referrals; "
        f"a sync bundle of {export.entries} entries ({time.perf_counter() - started:.0f} s, "
        f"not timed)"
    )

    rows: list[tuple[str, float, float]] = []
    rows.append(
        (
            "start to the unlock prompt (imports, folder checks)",
            median_of(3, lambda: to_prompt(enc, "encrypted")),
            median_of(3, lambda: to_prompt(plain, "plain")),
        )
    )
    rows.append(
        (
            "unlock to My day (Argon2id, open, first queries)",
            median_of(3, lambda: to_my_day(open_encrypted, enc)),
            median_of(3, lambda: to_my_day(open_plain, plain)),
        )
    )
    person = busiest_person(enc)
    figures = {}
    for kind, opener, folder in (("enc", open_encrypted, enc), ("plain", open_plain, plain)):
        services = opener(folder)
        try:
            figures[kind] = (*search_times(services), open_person(services, person))
        finally:
            services.close()
    rows.append(("search as you type, median (ms)", figures["enc"][0], figures["plain"][0]))
    rows.append(("search as you type, p95 (ms)", figures["enc"][1], figures["plain"][1]))
    rows.append(("open the busiest person (ms)", figures["enc"][2], figures["plain"][2]))
    imports = {}
    for kind, opener, folder in (
        ("enc", open_encrypted, fresh_enc),
        ("plain", open_plain, fresh_plain),
    ):
        services = opener(folder)
        try:
            imports[kind] = _timed(
                lambda s=services: SyncEngine(s.db).import_file(bundle, SYNC_PASSPHRASE)
            )
        finally:
            services.close()
    rows.append(("sync import", imports["enc"], imports["plain"]))

    print(f"{'what':54} {'encrypted':>10} {'plain':>10} {'overhead':>9}  budget")
    for what, encrypted, unencrypted in rows:
        over = (encrypted / unencrypted - 1) * 100 if unencrypted else 0.0
        budget = BUDGETS[what]
        flag = "" if encrypted <= budget else "  OVER BUDGET"
        print(f"{what:54} {encrypted:10.3f} {unencrypted:10.3f} {over:8.0f}%  ≤ {budget}{flag}")
    print("(seconds unless marked ms; plain = the same data unencrypted, opened as before)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
