"""Benchmark: commissioners' reports on the large data set (≤ 2 s each, DESIGN.md §9 sizes).

    python benchmarks/bench_reports.py [--people 5000] [--services 20000] [--referrals 50000]
                                       [--data-dir DIR] [--rebuild] [--exports] [--out DIR]

Builds (or reuses) a database with the large data set, then times `ReportService.run` for each
report (median of `--rounds`, after one warm-up run that fills SQLite's page cache) and prints
the time next to the 2 s budget. With `--exports` it also times the CSV, XLSX and PDF exports
(for information: the budget is for building the report) and, with `--out`, keeps the files.
Exits 1 when a report misses its budget.

Where the data comes from, first available wins:
1. `benchmarks/common.py` (shared helper for every benchmark) if it offers `large_app` or
   `large_dataset`;
2. `referral_desk.services.demo.generate_demo(app, people=…, services=…, referrals=…)`;
3. a bulk generator in this file: realistic shapes (needs with status histories, referrals
   moving through their lifecycle with replies, declines and outcomes, follow-ups done on time,
   late or not at all, services verified at different times), fixed seed, Core inserts, no
   change log (sync plays no part here).
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from referral_desk.services.app_services import AppServices, open_services
from referral_desk.services.base import Clock
from referral_desk.services.reports import REPORTS, ReportService
from referral_desk.store.models import (
    FollowUp,
    Need,
    NeedStatusChange,
    Officer,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceCategory,
)

BUDGET_S = 2.0
TODAY = date(2026, 3, 2)
PERIOD = (date(2025, 3, 1), date(2026, 2, 28))


# --- data ------------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(
        hours=rng.randint(8, 17), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
    )


CATEGORIES = ("accommodation", "ete", "finance", "relationships", "lifestyle", "drugs",
              "alcohol", "wellbeing", "thinking", "attitudes", "health", "resettlement",
              "family", "bereavement", "mentoring", "women", "other")  # fmt: skip
UNMET = ("unmet_no_service", "unmet_service_full", "unmet_not_eligible", "unmet_out_of_area")
ETHNICITIES = ("white_english_welsh_scottish_northern_irish_or_british", "white_other_white",
               "asian_asian_british_or_asian_welsh_pakistani",
               "asian_asian_british_or_asian_welsh_indian",
               "black_black_british_black_welsh_caribbean_or_african_caribbean",
               "black_black_british_black_welsh_caribbean_or_african_african",
               "mixed_or_multiple_white_and_black_caribbean", "other_ethnic_group_arab",
               "prefer_not_to_say", "")  # fmt: skip
PRISONS = ("HMP Leeds", "HMP Manchester", "HMP Styal", "HMP Cardiff")
AREAS = ("West Yorkshire", "Greater Manchester", "Wales")
DECLINES = ("not_eligible", "no_capacity", "out_of_area", "offence_exclusion",
            "could_not_contact")  # fmt: skip
WORDS = (
    "Lighthouse",
    "New Leaf",
    "Bridge",
    "Open Door",
    "Harbour",
    "Compass",
    "Phoenix",
    "Beacon",
    "Anchor",
    "Horizon",
    "Oasis",
    "Haven",
    "Willow",
    "Riverside",
    "Cornerstone",
)
SUFFIXES = ("Trust", "Project", "Foundation", "CIC", "Network", "Centre", "Society")


class _Rows:
    """Rows per model, with the bookkeeping columns every synced row needs."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.rows: dict[type, list[dict[str, Any]]] = {}

    def add(self, model: type, when: datetime, **values: Any) -> dict[str, Any]:
        row = {"created_at": when, "updated_at": when, "site_id": self.site, **values}
        self.rows.setdefault(model, []).append(row)
        return row


def generate_bulk(app: AppServices, people: int, services: int, referrals: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = _Rows(app.db.site_id)
    start = TODAY - timedelta(days=730)

    def day_between(a: date, b: date) -> date:
        return a + timedelta(days=rng.randint(0, max(0, (b - a).days)))

    officers = []
    for i in range(40):
        oid = _uuid(rng)
        team = f"Team {('North', 'South', 'East', 'West', 'Custody', 'Women')[i % 6]}"
        rows.add(Officer, _at(start, rng), id=oid, name=f"Officer {i}", team=team)
        officers.append(oid)
    orgs = []
    for _ in range(max(1, services // 5)):
        oid = _uuid(rng)
        rows.add(
            Organisation,
            _at(start, rng),
            id=oid,
            name=f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)} {rng.randint(1, 999)}",
        )
        orgs.append(oid)
    silent_orgs = set(rng.sample(orgs, max(1, len(orgs) // 20)))
    service_ids, service_org = [], {}
    for _ in range(services):
        sid, org = _uuid(rng), rng.choice(orgs)
        assured = None if rng.random() < 0.15 else TODAY - timedelta(days=rng.randint(0, 1100))
        rows.add(
            Service, _at(start, rng), id=sid, organisation_id=org, name=f"Service {sid[:6]}",
            status=rng.choices(("active", "inactive", "defunct", "temporarily closed"),
                               (90, 4, 3, 3))[0],
            isp_agreed=rng.random() < 0.5, reports_attendance=rng.random() < 0.6,
            assured_date=assured,
        )  # fmt: skip
        for code in rng.sample(CATEGORIES, rng.choice((1, 1, 2, 3))):
            rows.add(ServiceCategory, _at(start, rng), id=_uuid(rng), service_id=sid,
                     category_code=code)  # fmt: skip
        service_ids.append(sid)
        service_org[sid] = org
    popular = service_ids[: max(1, min(len(service_ids), 4000))]

    person_ids = []
    for _ in range(people):
        pid = _uuid(rng)
        custody = rng.random() < 0.35
        female = rng.random() < 0.15
        dob = date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28))
        rows.add(
            Person, _at(start, rng), id=pid, given_name="Test", family_name=f"Person {pid[:4]}",
            date_of_birth=dob, gender="female" if female else "male",
            ethnicity=rng.choice(ETHNICITIES), disability=rng.choice(("yes", "no", "no", "")),
            foreign_national=rng.choice((True, False, False, False, None)),
            setting="custody" if custody else "community",
            prison=rng.choice(PRISONS) if custody else "",
            area="" if custody else rng.choice(AREAS),
            cohort_iom=rng.random() < 0.15, cohort_ppo=rng.random() < 0.05,
            cohort_womens=female and rng.random() < 0.5,
            cohort_young_adult=dob.year >= 2000, owner_officer_id=rng.choice(officers),
        )  # fmt: skip
        person_ids.append((pid, "custody" if custody else "community"))

    needs = []
    for pid, setting in person_ids:
        for _ in range(rng.randint(2, 6)):
            nid = _uuid(rng)
            logged = day_between(start, TODAY)
            history = [("open", logged)]
            roll = rng.random()
            when = logged
            if roll < 0.45:
                when = min(TODAY, when + timedelta(days=rng.choice((0, 0, 3, 10, 30))))
                history.append((rng.choice(UNMET), when))
                if rng.random() < 0.3:
                    history.append(("referred", min(TODAY, when + timedelta(days=20))))
            elif roll < 0.85:
                history.append(("referred", min(TODAY, when + timedelta(days=2))))
            cat = rng.choice(CATEGORIES)
            rows.add(
                Need, _at(logged, rng), id=nid, person_id=pid, category_code=cat,
                description="A need nobody has a category for" if cat == "other" else "",
                identified_on=logged, setting_at_time=setting, place_at_time="",
                status=history[-1][0],
            )  # fmt: skip
            previous = None
            for status, day in history:
                rows.add(NeedStatusChange, _at(day, rng), id=_uuid(rng), need_id=nid,
                         from_status=previous, to_status=status, at=_at(day, rng))  # fmt: skip
                previous = status
            needs.append((nid, pid))

    alphabet = "234679ACDEFGHJKLMNPQRTUVWXYZ"
    references: set[str] = set()
    for _ in range(referrals):
        rid = _uuid(rng)
        nid, pid = rng.choice(needs)
        sid = rng.choice(popular)
        made = day_between(start, TODAY)
        while True:
            code = "".join(rng.choice(alphabet) for _ in range(6))
            if code not in references:
                references.add(code)
                break
        t = _at(made, rng)
        states = [("draft", t), ("sent", t + timedelta(seconds=1))]
        outcome = ""

        def step(state: str, days: int) -> None:
            states.append((state, states[-1][1] + timedelta(days=days, hours=1)))

        if service_org[sid] not in silent_orgs and rng.random() < 0.85:
            reply = rng.random()
            if reply < 0.15:
                step("declined", rng.randint(1, 20))
            else:
                if rng.random() < 0.4:
                    step("acknowledged", rng.randint(1, 10))
                if rng.random() < 0.15:
                    step("waiting_list", rng.randint(1, 15))
                step("accepted", rng.randint(1, 15))
                if rng.random() < 0.7:
                    step("started", rng.randint(3, 40))
                    end = rng.random()
                    if end < 0.6:
                        step("completed", rng.randint(20, 120))
                        outcome = rng.choice(("achieved", "partly_achieved", "not_achieved"))
                    elif end < 0.8:
                        step("ended_early", rng.randint(5, 60))
        elif rng.random() < 0.1:
            step("withdrawn", rng.randint(1, 30))
        states = [(s, at) for s, at in states if at.date() <= TODAY]
        rows.add(
            Referral, t, id=rid, reference=f"{code[:3]}-{code[3:]}", person_id=pid, need_id=nid,
            service_id=sid, made_by_officer_id=rng.choice(officers), made_on=made,
            consent_confirmed=True, status=states[-1][0],
            outcome=outcome if states[-1][0] == "completed" else "",
        )  # fmt: skip
        previous = None
        for state, at in states:
            rows.add(
                ReferralStatusChange, at, id=_uuid(rng), referral_id=rid, from_status=previous,
                to_status=state, at=at,
                reason_code=rng.choice(DECLINES) if state == "declined" else "",
            )  # fmt: skip
            previous = state
        for _ in range(rng.choice((1, 1, 2))):
            due = made + timedelta(days=rng.randint(3, 40))
            done = None
            if due <= TODAY or rng.random() < 0.2:
                r = rng.random()
                if r < 0.6:
                    done = due - timedelta(days=rng.randint(0, 2))
                elif r < 0.85:
                    done = due + timedelta(days=rng.randint(1, 20))
            if done is not None and done > TODAY:
                done = None
            rows.add(FollowUp, t, id=_uuid(rng), referral_id=rid, person_id=pid,
                     kind=rng.choice(("check_acceptance", "check_attendance", "review_progress")),
                     due_on=due, officer_id=rng.choice(officers), done_on=done)  # fmt: skip

    order = (Officer, Organisation, Service, ServiceCategory, Person, Need, NeedStatusChange,
             Referral, ReferralStatusChange, FollowUp)  # fmt: skip
    with app.db.engine.begin() as conn:
        for model in order:
            batch = rows.rows.get(model, [])
            for i in range(0, len(batch), 5000):
                conn.execute(insert(model), batch[i : i + 5000])


def _common_builder() -> Callable[..., Any] | None:
    try:
        common = importlib.import_module("common")
    except ImportError:
        return None
    for name in ("large_app", "large_dataset"):
        helper = getattr(common, name, None)
        if callable(helper):
            return helper
    return None


def open_dataset(data_dir: Path, people: int, services: int, referrals: int,
                 rebuild: bool) -> tuple[AppServices, str]:  # fmt: skip
    clock = Clock(fixed_today=TODAY)
    if rebuild:
        for old in data_dir.glob("*.sqlite3*"):
            old.unlink()
    app = open_services(data_dir, clock)
    with app.db.read() as session:
        existing = session.scalar(select(func.count()).select_from(Referral)) or 0
    if existing:
        return app, f"reused {existing} referrals in {data_dir}"
    started = time.perf_counter()
    source = "bulk generator in bench_reports.py"
    helper = _common_builder()
    try:
        from referral_desk.services.demo import generate_demo
    except ImportError:
        generate_demo = None  # type: ignore[assignment]
    if helper is not None:
        app.close()
        app = helper(data_dir, people=people, services=services, referrals=referrals)
        source = f"benchmarks/common.py {helper.__name__}"
    elif generate_demo is not None:
        generate_demo(app, people=people, services=services, referrals=referrals, seed=1)
        source = "services.demo.generate_demo"
    else:
        generate_bulk(app, people, services, referrals, seed=1)
    return app, f"built with {source} in {time.perf_counter() - started:.1f} s"


# --- timing ----------------------------------------------------------------------------------


def counts(app: AppServices) -> str:
    with app.db.read() as session:
        parts = []
        for model in (Person, Need, Referral, ReferralStatusChange, FollowUp, Service):
            n = session.scalar(select(func.count()).select_from(model)) or 0
            parts.append(f"{n} {model.__tablename__}")
    return ", ".join(parts)


def time_reports(service: ReportService, rounds: int) -> dict[str, float]:
    results = {}
    for name in REPORTS:
        service.run(name, *PERIOD)  # warm-up: page cache, compiled statements
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            service.run(name, *PERIOD)
            samples.append(time.perf_counter() - started)
        results[name] = statistics.median(samples)
    return results


def time_exports(service: ReportService, out: Path) -> dict[tuple[str, str], float]:
    results = {}
    for name in REPORTS:
        for fmt in ("csv", "xlsx", "pdf"):
            started = time.perf_counter()
            service.export(name, *PERIOD, fmt, out / f"{name}.{fmt}")
            results[(name, fmt)] = time.perf_counter() - started
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--services", type=int, default=20000)
    parser.add_argument("--referrals", type=int, default=50000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exports", action="store_true", help="also time CSV, XLSX and PDF")
    parser.add_argument("--out", type=Path, help="keep exported files here")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or Path(tempfile.gettempdir()) / "referral-desk-bench-reports"
    data_dir.mkdir(parents=True, exist_ok=True)
    app, how = open_dataset(data_dir, args.people, args.services, args.referrals, args.rebuild)
    try:
        print(how)
        print("data:", counts(app))
        service = ReportService(app.db, app.clock)
        print(f"period {PERIOD[0]} to {PERIOD[1]}, median of {args.rounds} runs after a warm-up")
        failed = False
        for name, seconds in time_reports(service, args.rounds).items():
            ok = seconds <= BUDGET_S
            failed |= not ok
            print(f"  {name:<12} {seconds * 1000:8.0f} ms  (budget {BUDGET_S * 1000:.0f} ms)"
                  f"  {'ok' if ok else 'OVER BUDGET'}")  # fmt: skip
        if args.exports:
            out = args.out or Path(tempfile.mkdtemp(prefix="reports-"))
            out.mkdir(parents=True, exist_ok=True)
            print(f"exports (information only) to {out}:")
            for (name, fmt), seconds in time_exports(service, out).items():
                size = (out / f"{name}.{fmt}").stat().st_size
                print(f"  {name:<12} {fmt:<5} {seconds * 1000:8.0f} ms  {size / 1024:8.0f} KiB")
        return 1 if failed else 0
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
