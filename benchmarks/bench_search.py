"""Benchmark: provider search as you type over a large directory (DESIGN.md §9).

    python benchmarks/bench_search.py [--services 20000] [--data-dir DIR] [--rebuild] [--verbose]

Builds (or reuses) a database of N fictional but realistic services, then times
`DirectoryService.search` for every prefix of ~30 queries an officer might type ("h", "ho",
"hou", …), including typos and filter combinations, and prints the median and 95th percentile
next to the budget: ≤ 15 ms median, ≤ 30 ms p95. Exits non-zero when the budget is missed.

The data is generated with a fixed seed and bulk-inserted with SQLAlchemy Core. The FTS
triggers are dropped for the load and the index rebuilt once (`store.fts`), all in one
transaction; the change log is not written because sync plays no part in this benchmark.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from common import open_bench_database
from sqlalchemy import func, insert, select

from referral_desk.domain.search_query import SearchQuery
from referral_desk.store import fts
from referral_desk.store.database import Database
from referral_desk.store.models import (
    LocalSetting,
    Location,
    Organisation,
    Person,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.store.seed import seed_reference_data
from referral_desk.usecases.directory import DirectoryService

BUDGET_MEDIAN_MS = 15.0
BUDGET_P95_MS = 30.0

PLACES = [
    "Leeds",
    "Bradford",
    "Wakefield",
    "Huddersfield",
    "Halifax",
    "Dewsbury",
    "Keighley",
    "Manchester",
    "Salford",
    "Bolton",
    "Wigan",
    "Rochdale",
    "Oldham",
    "Stockport",
    "Bury",
    "Tameside",
    "Trafford",
    "Cardiff",
    "Swansea",
    "Newport",
    "Wrexham",
    "Bridgend",
    "Merthyr",
    "Rhyl",
    "Bangor",
    "Llanelli",
    "Pontypridd",
    "Barry",
    "Caerphilly",
    "Aberystwyth",
]
AREAS = [
    "Greater Manchester",
    "West Yorkshire",
    "Wales",
    "Cheshire",
    "Merseyside",
    "South Yorkshire",
    "North Yorkshire",
    "Lancashire",
    "Cumbria",
    "Humberside",
    "Leeds",
    "Bradford",
    "Kirklees",
    "Calderdale",
    "Cardiff",
    "Swansea",
    "Salford",
    "Wigan",
]
PRISONS = [
    "HMP Leeds",
    "HMP Manchester",
    "HMP Styal",
    "HMP Cardiff",
    "HMP Swansea",
    "HMP Wakefield",
    "HMP Risley",
    "HMP Forest Bank",
    "HMP Hindley",
    "HMP New Hall",
    "HMP Askham Grange",
    "HMP Parc",
    "HMP Prescoed",
    "HMP Usk",
    "HMP Berwyn",
    "HMP Doncaster",
    "HMP Lindholme",
    "HMP Wealstun",
    "HMP Altcourse",
    "HMP Liverpool",
]
ORG_WORDS = [
    "Lighthouse",
    "New Leaf",
    "Bridge",
    "Open Door",
    "Harbour",
    "Compass",
    "Phoenix",
    "Second Chance",
    "St Martin's",
    "St Giles",
    "Fresh Start",
    "Pathways",
    "Beacon",
    "Anchor",
    "Horizon",
    "Turning Point",
    "Stepping Stones",
    "Oasis",
    "Haven",
    "Springboard",
    "Northern Star",
    "Red Kite",
    "Willow",
    "Oak Tree",
    "Riverside",
    "Hillside",
    "Cornerstone",
    "Clean Slate",
    "Way Forward",
    "Kinship",
    "Threshold",
    "Nacro",
    "Shelter Cymru",
    "Crossroads",
    "Ladder",
    "Lantern",
    "Safe Haven",
    "Hope",
    "Emmaus",
    "Keystone",
    "Milestone",
    "Rainbow",
]
ORG_SUFFIXES = [
    "Trust",
    "Project",
    "Housing Association",
    "CIC",
    "Foundation",
    "Charity",
    "Network",
    "Partnership",
    "Centre",
    "Society",
    "Group",
    "Alliance",
    "Community Interest Company",
]
CATEGORY_SERVICES: dict[str, list[str]] = {
    "accommodation": [
        "Housing advice",
        "Supported housing",
        "Hostel placements",
        "Tenancy sustainment",
        "Rough sleeper outreach",
        "Move-on accommodation",
        "Housing First",
        "Landlord liaison",
        "Emergency beds",
        "Approved premises move-on",
    ],
    "ete": [
        "Job club",
        "Employment support",
        "CV writing workshop",
        "Construction skills (CSCS)",
        "Maths and English",
        "Volunteering placements",
        "Digital skills",
        "Forklift training",
    ],
    "finance": [
        "Debt advice",
        "Benefits advice",
        "Universal Credit support",
        "Money mentors",
        "Bank account opening",
        "Budgeting course",
        "Food bank",
        "Crisis grants",
    ],
    "relationships": ["Healthy relationships", "Couples support", "Respect programme"],
    "lifestyle": ["Boxing club", "Football for change", "Gym referral", "Allotment project"],
    "drugs": [
        "Drug recovery",
        "Harm reduction",
        "Opiate substitution support",
        "Recovery cafe",
        "Needle exchange",
        "Crack and cocaine group",
        "Cannabis support",
    ],
    "alcohol": ["Alcohol detox", "Alcohol recovery group", "AA liaison", "Dry house"],
    "wellbeing": [
        "Counselling",
        "Talking therapy",
        "Anxiety and depression group",
        "Wellbeing hub",
        "Trauma informed support",
    ],
    "thinking": ["Anger management", "Thinking skills", "Impulse control coaching"],
    "attitudes": ["Motivational coaching", "Restorative justice"],
    "health": [
        "Mental health support",
        "GP registration help",
        "Dental access",
        "Sexual health clinic",
        "Hepatitis C testing",
        "Learning disability advocacy",
    ],
    "resettlement": [
        "Through the gate",
        "Meet at the gate",
        "ID documents",
        "Travel warrants",
        "Release day support",
        "Resettlement hub",
    ],
    "family": [
        "Family visits",
        "Parenting course",
        "Childcare support",
        "Prisoners' families helpline",
        "Storybook dads",
    ],
    "bereavement": ["Bereavement support", "Grief counselling", "Pre-bereavement support"],
    "mentoring": [
        "Peer mentoring",
        "Befriending",
        "Lived experience mentors",
        "Circles of support",
    ],
    "women": [
        "Women's centre",
        "Domestic abuse support",
        "Sex work outreach",
        "Refuge",
        "Women's recovery group",
    ],
    "other": ["Gambling support", "Veterans support", "Immigration advice", "Legal advice"],
}
SENTENCES: dict[str, list[str]] = {
    "accommodation": [
        "We help people leaving prison to find and keep a tenancy.",
        "Emergency bed spaces and hostel rooms for people who would otherwise sleep rough.",
        "Advice on homelessness applications, landlords and housing benefit.",
    ],
    "ete": [
        "One-to-one help with CVs, job applications and disclosure of convictions.",
        "Accredited training, qualifications and work placements with local employers.",
    ],
    "finance": [
        "Free, confidential debt advice and help with benefit claims.",
        "Help to open a bank account and manage money until the first payment arrives.",
    ],
    "relationships": ["Group work on healthy relationships and communication."],
    "lifestyle": ["Sport and leisure sessions that build new, positive peer groups."],
    "drugs": [
        "Recovery support for people using heroin, crack, cannabis or other substances.",
        "Harm reduction, naloxone training and recovery groups run by people in recovery.",
    ],
    "alcohol": ["Community alcohol detox and aftercare groups."],
    "wellbeing": ["Counselling and talking therapies for anxiety, depression and trauma."],
    "thinking": ["Structured sessions on anger, impulsivity and problem solving."],
    "attitudes": ["Coaching that builds motivation to change."],
    "health": ["Help to register with a GP or dentist and to attend appointments."],
    "resettlement": [
        "We meet people at the prison gate on release day and go with them to probation.",
        "Practical help with ID, travel and the Job Centre in the first weeks after release.",
    ],
    "family": ["Support for prisoners' families, children and parenting after release."],
    "bereavement": ["Support after the death of someone close, including pre-bereavement."],
    "mentoring": ["Volunteer mentors with lived experience meet people weekly."],
    "women": ["A safe space for women, including support after domestic abuse or sex work."],
    "other": ["Specialist advice for needs that fall between the usual pathways."],
}
GENERIC = [
    "Referrals by phone or email; self-referral welcome.",
    "Drop-in sessions on weekday mornings.",
    "Staff and volunteers have lived experience of the justice system.",
    "Interpreters can be arranged.",
    "Wheelchair accessible building.",
    "We report attendance to the referring officer with consent.",
    "Waiting list at busy times; call first.",
]
SYLLABLES = [
    "bar",
    "ton",
    "ley",
    "wick",
    "ham",
    "ford",
    "mere",
    "dale",
    "thorpe",
    "by",
    "wood",
    "field",
    "gate",
    "holme",
    "stow",
    "brook",
    "cliffe",
    "worth",
    "den",
    "kirk",
]
STREET_KINDS = ["Road", "Street", "Lane", "Avenue", "Terrace", "Way", "Close", "Walk"]

# ~30 things officers type, each timed at every prefix as it is typed.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("housing", {}),
    ("lighthouse", {}),
    ("st martin's", {}),
    ("drug recovery", {}),
    ("debt advice", {}),
    ("women", {}),
    ("mentoring", {}),
    ("job club", {}),
    ("family visits", {}),
    ("alcohol detox", {}),
    ("mental health", {}),
    ("benefits", {}),
    ("hostel", {}),
    ("counselling", {}),
    ("through the gate", {}),
    ("bereavement", {}),
    ("employment support", {}),
    ("id documents", {}),
    ("anger management", {}),
    ("peer mentor", {}),
    ("food bank", {}),
    ("gambling", {}),
    ("domestic abuse", {"gender": "female"}),
    ("childcare", {}),
    ("cv writing", {}),
    ("tenancy", {"area": "West Yorkshire"}),
    ("universal credit", {"free": True}),
    ("housing", {"category": "accommodation", "setting": "custody", "prison": "HMP Leeds"}),
    ("recovery", {"age": 22, "accepting": True, "prechecked": True}),
    ("lihgthouse", {}),
    ("councelling", {}),
    ("new leaf", {"include_inactive": True}),
]


def _street(rng: random.Random) -> str:
    word = "".join(rng.sample(SYLLABLES, 2)).capitalize()
    return f"{rng.randint(1, 300)} {word} {rng.choice(STREET_KINDS)}"


def build(db: Database, n_services: int, seed: int = 20_240_601) -> None:
    """Fill an empty directory with `n_services` services (bulk Core inserts, one rebuild)."""
    rng = random.Random(seed)
    now = datetime(2025, 1, 6, 9, 0)
    site = db.site_id
    base = {"created_at": now, "updated_at": now, "site_id": site}
    n_orgs = max(1, n_services // 6)
    orgs, locations, services, categories, areas = [], [], [], [], []
    for i in range(n_orgs):
        place = rng.choice(PLACES)
        name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_SUFFIXES)}"
        if rng.random() < 0.5:
            name = f"{place} {name}"
        orgs.append(
            {
                **base,
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "name": name,
                "description": f"A charity working in {place}.",
                "place": place,
                "n": i,
            }
        )
    for org in orgs:
        loc_id = str(uuid.UUID(int=rng.getrandbits(128)))
        locations.append(
            {
                **base,
                "id": loc_id,
                "organisation_id": org["id"],
                "name": org["name"],
                "address_1": _street(rng),
                "city": org["place"],
                "postcode": f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}AB",
            }
        )
        org["location_id"] = loc_id
    codes = list(CATEGORY_SERVICES)
    for _ in range(n_services):
        org = rng.choice(orgs)
        cats = rng.sample(codes, rng.choice((1, 1, 2, 2, 3)))
        template = rng.choice(CATEGORY_SERVICES[cats[0]])
        style = rng.random()
        if style < 0.4:
            name = f"{template} – {org['place']}"
        elif style < 0.7:
            name = f"{org['name'].split()[0]} {template}"
        else:
            name = template
        text = [rng.choice(SENTENCES[c]) for c in cats]
        text += rng.sample(GENERIC, 2)
        text.append(f"Based at {_street(rng)}, {org['place']}.")
        sid = str(uuid.UUID(int=rng.getrandbits(128)))
        in_prison = rng.random() < 0.3
        gender = rng.choices(["any", "male", "female"], weights=(8, 1, 1))[0]
        if "women" in cats:
            gender = "female"
        services.append(
            {
                **base,
                "id": sid,
                "organisation_id": org["id"],
                "name": name,
                "description": " ".join(text),
                "status": rng.choices(
                    ["active", "inactive", "defunct", "temporarily closed"], weights=(90, 4, 3, 3)
                )[0],
                "gender": gender,
                "min_age": rng.choice((None, None, 18, 18, 21)),
                "max_age": rng.choice((None, None, None, 25, 65)),
                "prisons": rng.sample(PRISONS, rng.randint(1, 3)) if in_prison else [],
                "community": (not in_prison) or rng.random() < 0.5,
                "through_the_gate": "resettlement" in cats or rng.random() < 0.1,
                "free": rng.random() < 0.85,
                "capacity": rng.choices(["accepting", "waiting list", "full"], weights=(7, 2, 1))[
                    0
                ],
                "isp_agreed": rng.random() < 0.4,
                "reports_attendance": rng.random() < 0.5,
                "phone": f"0113 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "location_id": org["location_id"] if rng.random() < 0.8 else None,
                "capacity_as_of": date(2025, 1, rng.randint(1, 28)),
            }
        )
        for code in cats:
            categories.append(
                {
                    **base,
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "service_id": sid,
                    "category_code": code,
                }
            )
        for area in rng.sample(AREAS, rng.randint(1, 3)):
            areas.append(
                {
                    **base,
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "service_id": sid,
                    "name": area,
                }
            )
    for org in orgs:
        del org["place"], org["n"], org["location_id"]
    with db.engine.begin() as conn:
        fts.drop_triggers(conn)
        conn.execute(insert(Organisation), orgs)
        conn.execute(insert(Location), locations)
        conn.execute(insert(Service), services)
        conn.execute(insert(ServiceCategory), categories)
        conn.execute(insert(ServiceArea), areas)
        fts.rebuild(conn)
        fts.create_triggers(conn)


MARKER = "bench_search"  # local setting naming a database this script built (and may delete)


def open_database(data_dir: Path, n_services: int, rebuild: bool) -> Database:
    """The benchmark database in `data_dir`, built if missing or of the wrong size.

    Only a database this script built (it carries a marker) is ever deleted and rebuilt; any
    other database with data in it is refused, so a mistyped --data-dir cannot destroy an
    officer's data.
    """
    db = open_bench_database(data_dir)
    with db.read() as session:
        existing = session.scalar(select(func.count()).select_from(Service)) or 0
        people = session.scalar(select(func.count()).select_from(Person)) or 0
        marker = session.get(LocalSetting, MARKER)
    if (existing or people) and marker is None:
        db.close()
        raise SystemExit(f"{data_dir} holds a database this benchmark did not build; not using it")
    if existing and (rebuild or existing != n_services):
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(db.path) + suffix).unlink(missing_ok=True)
        db = open_bench_database(data_dir)
        existing = 0
    if not existing:
        started = time.perf_counter()
        with db.write() as session:
            seed_reference_data(session)
            session.add(LocalSetting(key=MARKER, value={"services": n_services}))
        build(db, n_services)
        print(f"built {n_services} services in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {existing} services in {db.path}")
    return db


def typed_prefixes(text: str) -> list[str]:
    return [text[:i] for i in range(1, len(text) + 1)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run(db: Database, rounds: int, verbose: bool) -> tuple[float, float]:
    directory = DirectoryService(db)
    # The first searches of a session build the engine's cached views of the index (the
    # name-ordered list and the typo vocabulary); the app pays that once when the search screen
    # opens and again after the directory changes, not per keystroke. Report it separately.
    for label, query in (("browse list", SearchQuery()), ("typo", SearchQuery(text="lihgt"))):
        started = time.perf_counter()
        directory.search(query)
        print(
            f"first {label} (builds cached views): {(time.perf_counter() - started) * 1000:.0f} ms"
        )
    # Warm-up: load pages into SQLite's cache as a session of use would.
    for query_text, filters in QUERIES:
        directory.search(SearchQuery(text=query_text, **filters))
    timings: list[float] = []
    cpu_timings: list[float] = []
    worst: list[tuple[float, float, str, int]] = []
    for _ in range(rounds):
        for query_text, filters in QUERIES:
            for typed in typed_prefixes(query_text):
                query = SearchQuery(text=typed, **filters)
                started, cpu_started = time.perf_counter(), time.process_time()
                results = directory.search(query)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu_started) * 1000
                timings.append(elapsed)
                cpu_timings.append(cpu)
                label = repr(typed) + (f" {filters}" if filters else "")
                worst.append((elapsed, cpu, label, len(results)))
    median, p95 = statistics.median(timings), percentile(timings, 0.95)
    if verbose:
        print("slowest searches (wall, cpu):")
        for elapsed, cpu, label, count in sorted(worst, reverse=True)[:25]:
            print(f"  {elapsed:7.2f} ms {cpu:7.2f} ms  {count:3d} results  {label}")
    print(
        f"searches timed: {len(timings)} ({rounds} rounds of every prefix of "
        f"{len(QUERIES)} queries)"
    )
    # CPU time is printed too because a shared machine inflates wall time: when the two differ
    # much, other processes were competing for the cores during the run.
    cpu_median, cpu_p95 = statistics.median(cpu_timings), percentile(cpu_timings, 0.95)
    print(
        f"median {median:6.2f} ms wall  {cpu_median:6.2f} ms cpu   (budget ≤ "
        f"{BUDGET_MEDIAN_MS:.0f} ms)"
    )
    print(f"p95    {p95:6.2f} ms wall  {cpu_p95:6.2f} ms cpu   (budget ≤ {BUDGET_P95_MS:.0f} ms)")
    print(f"max    {max(timings):6.2f} ms wall  {max(cpu_timings):6.2f} ms cpu")
    if hasattr(os, "getloadavg"):
        print("load average during run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return median, p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the database here and reuse it on the next run",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if present")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="list the slowest searches")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        db = open_database(data_dir, args.services, args.rebuild)
        try:
            median, p95 = run(db, args.rounds, args.verbose)
        finally:
            db.close()
    ok = median <= BUDGET_MEDIAN_MS and p95 <= BUDGET_P95_MS
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
