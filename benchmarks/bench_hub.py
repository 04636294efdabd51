"""Benchmark: the regional hub with 200 teams (1 M referrals): load, size, regional reports.

    bash scripts/hub-test-server.sh .venv/bin/python benchmarks/bench_hub.py
    python benchmarks/bench_hub.py --url postgresql://me@/postgres?host=/run/postgresql

Needs a PostgreSQL login that may create databases (`--url`, else $REFERRAL_DESK_HUB_URL or
$REFERRAL_DESK_HUB_TEST_URL); a throwaway database is created and dropped at the end (unless
`--keep`).

1. One real team client: a demo caseload of 5 000 referrals (generated once into
   benchmarks/.data/hub-team), whose own four reports are timed as the single-team figure.
2. Its commissioning return, made as the client makes it (keyed pseudonyms, signed).
3. 200 simulated teams: that return under 200 team names, each signed by its own key, loaded
   through the hub's loader (signature, shape checks, key pinning, COPY) one transaction each:
   200 x 5 000 = 1 M referrals. One carried file is also sealed and opened (scrypt + AES-GCM).
4. The hub's size on disk, then each regional report (warm-up, then the median of `--rounds`)
   next to the same report run by the single team's client: regional budget 5 s each.
"""

from __future__ import annotations

import statistics
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import DATA_ROOT, bench_unlock, machine, parser, timed, verdict
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from referral_desk.hub.connection import HubDatabase
from referral_desk.hub.loader import load
from referral_desk.hub.regional import REGIONAL, run
from referral_desk.hub.returnfile import open_return, seal_return, sign_return
from referral_desk.store.database import DB_FILENAME
from referral_desk.sync.keys import KeyCache
from referral_desk.usecases.app_services import AppServices, open_services
from referral_desk.usecases.base import Clock
from referral_desk.usecases.reports import default_period

BUDGET_S = 5.0
TEAM_DATA = DATA_ROOT / "hub-team"


def team_client(folder: Path, referrals: int) -> AppServices:
    fresh = not (folder / DB_FILENAME).exists()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = open_services(folder, Clock(), unlock=bench_unlock)
    if fresh:
        from referral_desk.demo import generate_demo

        print(f"generating the team's caseload ({referrals} referrals)…", flush=True)
        app.profile.set(name="Bench Officer", team="Bench team")
        generate_demo(app, people=referrals // 2, services=2_000, referrals=referrals, seed=7)
    return app


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def main() -> None:
    import os

    p = parser(__doc__.splitlines()[0], default_data=TEAM_DATA)
    p.add_argument(
        "--url",
        default=os.environ.get("REFERRAL_DESK_HUB_URL")
        or os.environ.get("REFERRAL_DESK_HUB_TEST_URL"),
    )
    p.add_argument("--teams", type=int, default=200)
    p.add_argument("--referrals-per-team", type=int, default=5_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = p.parse_args()
    if not args.url:
        raise SystemExit("give --url (a PostgreSQL login that may create databases)")
    import psycopg

    print(machine())
    app = team_client(args.data_dir, args.referrals_per_team)
    start, end = default_period(app.clock.today())
    with timed() as made:
        signed = app.hub.make_return()
    facts = signed.facts()
    print(
        f"team return: {len(facts['needs'])} needs, {len(facts['referrals'])} referrals, "
        f"{len(signed.payload) / 1e6:.1f} MB JSON, made in {made.wall:.2f} s"
    )

    name = "bench_hub_" + uuid.uuid4().hex[:8]
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(args.url, name)
    hub = HubDatabase(url)
    try:
        hub.upgrade()
        with timed() as carried:
            data = seal_return(signed, "benchmark region passphrase", KeyCache())
            open_return(data, "benchmark region passphrase", KeyCache())
        print(
            f"one carried file sealed and opened: {carried.wall:.2f} s ({len(data) / 1e6:.1f} MB)"
        )
        with timed() as loading:
            for i in range(args.teams):
                team = sign_return(
                    facts,
                    team=f"Team {i + 1:03d}",
                    created=f"2026-01-01T00:00:{i % 60:02d}",
                    key=Ed25519PrivateKey.generate(),
                )
                load(hub, team)
        total = args.teams * len(facts["referrals"])
        per = loading.wall / args.teams
        print(
            f"loaded {args.teams} returns ({total:,} referrals) in {loading.wall:.1f} s "
            f"({per:.2f} s per return; CPU {loading.cpu:.1f} s)"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"hub size: {size / 1e6:.0f} MB")
        for report in REGIONAL:
            region = _median(lambda r=report: _regional(hub, r, start, end), args.rounds)
            team = _median(lambda r=report: app.reports.run(r, start, end), args.rounds)
            verdict(f"regional {report} ({args.teams} teams)", region, BUDGET_S, "s")
            print(f"    same report by one team's client: {team:.2f} s")
    finally:
        hub.close()
        app.close()
        if not args.keep:
            with psycopg.connect(args.url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _regional(hub: HubDatabase, name: str, start, end) -> None:
    from datetime import date

    with hub.connect() as conn:
        run(conn, name, start, end, date.today())


def _median(run, rounds: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        with timed() as t:
            run()
        times.append(t.wall)
    return statistics.median(times)


if __name__ == "__main__":
    main()
