"""Signed directory changes (issue 12): what signing and verifying cost in a directory sync.

    .venv/bin/python benchmarks/bench_signed_directory.py [--services 5000]

A keeper's PC (the team's first manager) writes N services with their categories; its export
signs them (signature runs of 5 000 changes) and a colleague imports them, checking every
signature and digest. Printed beside it, the floor: the same import with the checks skipped
(the gate told to pass everything), so the overhead is the difference.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from unittest import mock

from referral_desk.store.database import Database
from referral_desk.store.models import Organisation, Service, ServiceCategory
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KdfParams, KeyCache
from referral_desk.sync.trust import Gate
from referral_desk.usecases.reference import ReferenceService

PASSPHRASE = "benchmark team passphrase"
KDF = KdfParams(n=2**14)


def _site(folder: Path) -> Database:
    db = Database.open(folder)
    ReferenceService(db).seed_defaults()
    return db


def _directory(db: Database, services: int) -> None:
    with db.write(reason="bench directory") as s:
        org = Organisation(name="Bench Trust")
        s.add(org)
        for i in range(services):
            svc = Service(organisation_id=org.id, name=f"Service {i}", response_days=5)
            s.add(svc)
            s.add(ServiceCategory(service_id=svc.id, category_code="accommodation"))


def _count(db: Database, sql: str) -> int:
    conn = sqlite3.connect(db.path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-signed-"))
    keys = KeyCache()
    src = _site(root / "keeper")
    store = root / "store"
    store.mkdir()
    SyncEngine(src, keys, kdf=KDF).sync(store, PASSPHRASE)  # creates the team's store
    names = ("checked", "unchecked (floor)")
    for i, _name in enumerate(names):  # colleagues join the team (pin the manager's key)
        dst = _site(root / f"colleague-{i}")
        SyncEngine(dst, keys, kdf=KDF).sync(store, PASSPHRASE)
        dst.close()
    _directory(src, args.services)
    t0 = time.perf_counter()
    SyncEngine(src, keys, kdf=KDF).sync(store, PASSPHRASE)  # signs, then exports
    export = time.perf_counter() - t0
    changes = _count(
        src,
        "SELECT COUNT(*) FROM change_entry WHERE table_name IN "
        "('organisation','service','service_category')",
    )
    figures = {}
    for i, name in enumerate(names):
        dst = Database.open(root / f"colleague-{i}")
        engine = SyncEngine(dst, keys, kdf=KDF)
        skip = lambda self, s, items: ([v for _r, v in items], [])  # noqa: E731
        with mock.patch.object(Gate, "check_changes", skip) if i else _nothing():
            t0 = time.perf_counter()
            engine.sync(store, PASSPHRASE)
            figures[name] = time.perf_counter() - t0
        applied = _count(dst, "SELECT COUNT(*) FROM service")
        kept = _count(dst, "SELECT COUNT(*) FROM sync_quarantine")
        print(f"import {name}: {figures[name]:.2f} s, {applied} services, {kept} kept aside")
        dst.close()
    with src.read() as session:
        from referral_desk.store.trust import sign_own_entries
    t0 = time.perf_counter()
    _directory(src, args.services // 10)
    with src.write(reason="bench") as session:
        session.info["applying_sync"] = True
        t1 = time.perf_counter()
        signed = sign_own_entries(session)
        sign_secs = time.perf_counter() - t1
    print(
        f"signing alone: {signed} changes in {sign_secs:.2f} s "
        f"({sign_secs / max(signed, 1) * 1e6:.1f} µs per change)"
    )
    print(f"directory changes: {changes}; keeper's sync (sign + export): {export:.2f} s")
    overhead = figures["checked"] - figures["unchecked (floor)"]
    print(
        f"verification overhead: {overhead:.2f} s ({overhead / max(changes, 1) * 1e6:.1f} µs "
        "per change)"
    )
    return 0


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
