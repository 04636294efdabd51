"""Sync benchmarks (DESIGN.md §9): export and import of ~100 000 change entries, re-import of a
seen bundle, and a typical daily sync (200 changes from each of 10 colleagues).

    .venv/bin/python benchmarks/bench_sync.py [--entries 100000] [--keep DIR]

Each timing uses a fresh key cache, as a new `referral-desk sync …` process would, so the KDF
(scrypt at the shipped cost) is included. Budgets are wall-clock (issue 14); CPU time and the
machine's load are printed beside them, and so is the **floor** measured in the same run: for
export, reading the same entries from the open database and packing them (JSON, zlib), without
the file or its KDF; for import, opening the bundle and reading every entry (KDF, decryption,
decompression, parsing) without applying anything; for re-import, opening and authenticating
it. Exits 1 when a figure is over its budget.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path

from common import bench_connect, open_bench_database

from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.keys import KEY_FILENAME
from referral_desk.store.models import (
    CaseNote,
    FollowUp,
    Need,
    NeedStatusChange,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
)
from referral_desk.store.trust import establish_team, pinned_team_key
from referral_desk.sync.bundle import open_bundle
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KeyCache
from referral_desk.sync.state import open_store, seal_manager_key, write_store_file
from referral_desk.usecases.reference import ReferenceService

PASSPHRASE = "benchmark team passphrase"
# Issue 14: 100 k changes exported <= 1 s, imported <= 1.5 s, re-imported <= 0.2 s.
BUDGETS = {"export": 1.0, "import": 1.5, "reimport": 0.2, "daily": 1.0}


def _entries(db: Database) -> int:
    conn = bench_connect(db.path)
    try:
        return conn.execute(
            "SELECT COALESCE(SUM(h.width), 0) FROM change_write AS w "
            "JOIN sync_shape AS h ON h.ord = w.shape"
        ).fetchone()[0]
    finally:
        conn.close()


def seeded(folder: Path) -> Database:
    db = open_bench_database(folder)
    ReferenceService(db).seed_defaults()
    return db


def add_directory(db: Database, services: int = 20) -> list[str]:
    ids = []
    with db.write(reason="bench directory") as s:
        org = Organisation(name="Bench Trust")
        s.add(org)
        for i in range(services):
            svc = Service(organisation_id=org.id, name=f"Service {i}", response_days=5)
            s.add(svc)
            ids.append(svc.id)
    return ids


def add_caseload(db: Database, services: list[str], people: int, tag: str = "") -> None:
    """People with needs, status history, referrals, follow-ups and notes, through the normal
    write path (so the change log is what the app really writes)."""
    now = datetime(2026, 3, 2, 10, 0)
    batch = 50
    for start in range(0, people, batch):
        with db.write(reason="bench caseload") as s:
            for i in range(start, min(start + batch, people)):
                p = Person(
                    given_name=f"Given{tag}{i}",
                    family_name=f"Family{i % 97}",
                    date_of_birth=date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
                    crn=f"X{i:06d}",
                    setting="community",
                    area="wales",
                )
                s.add(p)
                needs = []
                for k in range(2):
                    n = Need(
                        person_id=p.id,
                        category_code="accommodation",
                        priority=k + 1,
                        description=f"need {k}",
                        identified_on=now.date(),
                        status="open",
                    )
                    s.add(n)
                    s.add(
                        NeedStatusChange(need_id=n.id, from_status=None, to_status="open", at=now)
                    )
                    needs.append(n)
                ref = Referral(
                    reference=uuid.uuid4().hex[:7].upper(),
                    person_id=p.id,
                    need_id=needs[0].id,
                    service_id=services[i % len(services)],
                    made_on=now.date(),
                    consent_confirmed=True,
                    shared_info=["name", "needs"],
                    status="sent",
                )
                s.add(ref)
                for frm, to in ((None, "draft"), ("draft", "sent")):
                    s.add(
                        ReferralStatusChange(
                            referral_id=ref.id,
                            from_status=frm,
                            to_status=to,
                            at=now,
                            channel="phone",
                        )
                    )
                s.add(
                    FollowUp(
                        referral_id=ref.id,
                        person_id=p.id,
                        kind="check_acceptance",
                        due_on=now.date() + timedelta(days=7),
                    )
                )
                s.add(CaseNote(person_id=p.id, at=now, text="called provider"))


def clone_site(template: Path, folder: Path) -> Database:
    """A copy of a seeded database with its own site id (a new colleague's PC)."""
    folder.mkdir(parents=True)
    shutil.copy2(template / DB_FILENAME, folder / DB_FILENAME)
    shutil.copy2(template / KEY_FILENAME, folder / KEY_FILENAME)  # the database is keyed
    conn = bench_connect(folder / DB_FILENAME)
    conn.execute("UPDATE site_state SET site_id = ?, next_seq = 1", (str(uuid.uuid4()),))
    conn.commit()
    conn.close()
    return open_bench_database(folder)


def timed(label: str, fn) -> tuple[tuple[float, float], object]:
    """(wall seconds, CPU seconds of this process) and the result. Wall time is the budget;
    CPU time shows the cost when the machine is shared with other busy processes."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def report(
    name: str, secs: tuple[float, float], detail: str, floor: tuple[float, float] | None = None
) -> bool:
    wall, cpu = secs
    budget = BUDGETS[name]
    ok = wall <= budget
    at_floor = "" if floor is None else f", floor {floor[0]:.3f} s wall/{floor[1]:.3f} s CPU"
    print(
        f"{name:9} {wall:7.3f} s wall, {cpu:6.3f} s CPU  (budget {budget:.1f} s{at_floor}) "
        f"{'ok' if ok else '<-- OVER BUDGET'}  {detail}",
        flush=True,
    )
    return ok


def export_floor(conn: object) -> int:
    """Read every stored change-log row and pack it as a bundle's lines are packed (no file,
    no encryption, no expanding into entries, the database already open): what any export of
    them costs at least. Returns the number of rows."""
    packer = zlib.compressobj()
    n = 0
    cursor = conn.execute(  # type: ignore[attr-defined]
        "SELECT site, seq, shape, hex(record), hlc, tomb, vals FROM change_write ORDER BY 1, 2"
    )
    while rows := cursor.fetchmany(2000):
        packer.compress(json.dumps(rows, separators=(",", ":")).encode())
        n += len(rows)
    packer.flush()
    return n


def verify_only(bundle: Path) -> None:
    """Open the bundle and authenticate it (what telling "already seen" needs at least)."""
    with open_bundle(bundle, PASSPHRASE, KeyCache()) as reader:
        reader.verify()


def import_floor(bundle: Path) -> int:
    """Open the bundle and read every entry (KDF, decryption, decompression, parsing), applying
    nothing: what any import of it costs at least."""
    n = 0
    with open_bundle(bundle, PASSPHRASE, KeyCache()) as reader:
        for item in reader.items():
            n += len(item.entries)
    return n


def load() -> str:
    """On a shared machine another busy process can double wall times: show the load."""
    try:
        return f"{os.cpu_count()} CPUs, load average " + ", ".join(
            f"{x:.1f}" for x in os.getloadavg()
        )
    except (AttributeError, OSError):  # Windows
        return f"{os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000, help="size of the big bundle")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-sync-"))
    root.mkdir(parents=True, exist_ok=True)
    ok = True
    print(load())
    try:
        # --- a site holding ~N entries ------------------------------------------------
        t0 = time.perf_counter()
        src = seeded(root / "source")
        with src.write(reason="bench team") as s:  # the team's first manager (signed roles):
            establish_team(s)  # its directory changes are accepted where its key is pinned
        services = add_directory(src)
        per_person = 137  # entries one person of add_caseload writes (measured below)
        base = _entries(src)
        add_caseload(src, services, max(1, (args.entries - base) // per_person))
        total = _entries(src)
        print(
            f"setup: source site with {total} change entries "
            f"({time.perf_counter() - t0:.1f} s, not timed)"
        )

        bundle = root / "all.rdsync"
        conn = bench_connect(src.path)
        try:
            floor, _n = timed("export floor", lambda: export_floor(conn))
        finally:
            conn.close()  # type: ignore[attr-defined]
        secs, res = timed("export", lambda: SyncEngine(src).export_file(bundle, PASSPHRASE))
        detail = f"{res.entries} entries, {bundle.stat().st_size} bytes"
        ok &= report("export", secs, detail, floor)

        dst = seeded(root / "dest")
        floor, _n = timed("import floor", lambda: import_floor(bundle))
        secs, res = timed("import", lambda: SyncEngine(dst).import_file(bundle, PASSPHRASE))
        detail = f"{res.entries_new} new of {res.entries_total} entries"
        ok &= report("import", secs, detail, floor)

        floor, _n = timed("reimport floor", lambda: verify_only(bundle))
        secs, res = timed("reimport", lambda: SyncEngine(dst).import_file(bundle, PASSPHRASE))
        assert res.already_seen == 1
        ok &= report("reimport", secs, "already seen, nothing changed", floor)

        # --- daily sync: 10 colleagues x ~200 changes through a shared store -------------
        t0 = time.perf_counter()
        store = root / "store"
        store.mkdir()
        template = root / "template"
        tdb = seeded(template)
        directory = add_directory(tdb, 2)
        tdb.close()
        colleagues = [clone_site(template, root / f"colleague{i}") for i in range(10)]
        engines = [SyncEngine(c) for c in colleagues]
        # The team's store, made by the source PC (its first manager: signed roles).
        keys = KeyCache()
        info = open_store(store, PASSPHRASE, keys, create=True)
        with src.read() as s:
            manager = pinned_team_key(s)[0]
        write_store_file(store, seal_manager_key(info, PASSPHRASE, keys, manager))
        for e in engines:  # each colleague's baseline is in the store already
            e.sync(store, PASSPHRASE)
        SyncEngine(dst).sync(store, PASSPHRASE)  # and so is ours: yesterday's sync
        for i, (c, e) in enumerate(zip(colleagues, engines, strict=True)):
            before = _entries(c)
            add_caseload(c, directory, 1, tag=f"c{i}")
            with c.write(reason="bench edits") as s:
                person = s.query(Person).filter(Person.given_name == f"Givenc{i}0").one()
                for k in range(63):
                    person.area = f"area {k}"
                    s.flush()
            made = _entries(c) - before
            # Export only (as if they synced before this site's big first export arrived).
            info = open_store(store, PASSPHRASE, e.keys, create=False)
            e._export_to_store(store, info, PASSPHRASE, False)
        add_caseload(dst, services, 1, tag="own")
        print(
            f"setup: 10 colleagues made {made} changes each "
            f"({time.perf_counter() - t0:.1f} s, not timed)"
        )
        secs, res = timed("daily", lambda: SyncEngine(dst).sync(store, PASSPHRASE))
        imp = res.imported
        ok &= report(
            "daily",
            secs,
            f"imported {imp.bundles} bundles, {imp.entries_new} changes; "
            f"exported {res.exported.entries}",
        )
        print(load())
        for c in colleagues:
            c.close()
        src.close()
        dst.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
