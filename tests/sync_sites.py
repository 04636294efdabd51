"""Sync test sites: real SQLite databases in temporary folders, one per site, and the
fixtures that make them (`template_dir`, `make_site`, `passphrase`, `h`).

Opening and seeding a database takes a while, so one template (migrated, seeded, with a small
directory of services) is built per test session and copied for each site; every copy gets its
own site id, as a fresh install would. Lives here rather than in tests/sync/conftest.py because
the tests of `cli/sync_cmd.py` (tests/cli/) use the same sites: each folder's conftest imports
the fixtures it needs from this module.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from unlocking import connect as connect_db
from unlocking import open_test_database

from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.models import SYNCED_MODELS, Organisation, Service
from referral_desk.sync.exchange import SyncEngine
from referral_desk.sync.keys import KdfParams, KeyCache
from referral_desk.usecases.followups import FollowUpService
from referral_desk.usecases.needs import NeedService
from referral_desk.usecases.people import PeopleService
from referral_desk.usecases.profile import ProfileService
from referral_desk.usecases.reference import ReferenceService
from referral_desk.usecases.referrals import ReferralService
from referral_desk.usecases.sync import SyncService

PASSPHRASE = "correct horse battery staple"
FAST_KDF = KdfParams(n=2**14)  # tests only; the app uses the default (2**15)
KEYS = KeyCache()  # one cache for the test session, as one app process has one
SERVICE_IDS = ("5a0c3a3e-0000-4000-8000-000000000001", "5a0c3a3e-0000-4000-8000-000000000002")


@dataclass
class Site:
    """One installation: its database and the use cases a test drives."""

    path: Path
    db: Database
    people: PeopleService
    needs: NeedService
    referrals: ReferralService
    follow_ups: FollowUpService
    profile: ProfileService
    sync: SyncService

    @property
    def site_id(self) -> str:
        return self.db.site_id

    def close(self) -> None:
        self.db.close()


def _build_template(folder: Path) -> Path:
    db = open_test_database(folder)
    ReferenceService(db).seed_defaults()
    with db.write(reason="test directory") as session:
        org = Organisation(id="5a0c3a3e-0000-4000-8000-0000000000aa", name="Test Trust")
        session.add(org)
        for i, sid in enumerate(SERVICE_IDS):
            session.add(
                Service(id=sid, organisation_id=org.id, name=f"Service {i}", response_days=5)
            )
    SyncEngine(db)._site_salt()  # copies share it, so tests pay the KDF once per session
    db.close()
    return folder


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_template(tmp_path_factory.mktemp("template"))


def copy_site(template: Path, folder: Path, keys: KeyCache | None = None) -> Site:
    """A new installation from the template (same seeded data, its own site id)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template / DB_FILENAME, folder / DB_FILENAME)
    conn = connect_db(folder / DB_FILENAME)
    conn.execute("UPDATE site_state SET site_id = ?, next_seq = 1", (str(uuid.uuid4()),))
    conn.commit()
    conn.close()
    return open_site(folder, keys)


def open_site(folder: Path, keys: KeyCache | None = None) -> Site:
    db = open_test_database(folder)
    return Site(
        path=folder,
        db=db,
        people=PeopleService(db),
        needs=NeedService(db),
        referrals=ReferralService(db),
        follow_ups=FollowUpService(db),
        profile=ProfileService(db),
        sync=SyncService(db, keys=keys or KEYS, kdf=FAST_KDF),
    )


@pytest.fixture
def make_site(template_dir: Path, tmp_path: Path):
    """Factory: make_site("a") -> a Site in tmp_path/a, closed at the end of the test."""
    sites: list[Site] = []

    def make(name: str) -> Site:
        site = copy_site(template_dir, tmp_path / name)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


def digest(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every synced row (all columns but the local `updated_at`), comparable across sites."""
    conn = connect_db(db.path)
    try:
        out = {}
        for name, model in SYNCED_MODELS.items():
            cols = ", ".join(
                f'"{c.name}"' for c in model.__table__.columns if c.name != "updated_at"
            )
            out[name] = conn.execute(f'SELECT {cols} FROM "{name}" ORDER BY id').fetchall()
        return out
    finally:
        conn.close()


def full_state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (for "nothing at all was written" checks)."""
    conn = connect_db(db.path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type = 'table' AND name NOT LIKE 'service_fts%'"
            )
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def held_by_log(db: Database) -> tuple[dict[str, list[list[int]]], dict[str, list[list[int]]]]:
    """(what `sync_site` says is held, the runs of (site, seq) in the log and the quarantine).
    While the log keeps every entry (step 1 of docs/change-log.md) the two are equal."""
    conn = connect_db(db.path)
    try:
        said: dict[str, list[list[int]]] = {}
        for site, top, runs in conn.execute("SELECT site_id, top, runs FROM sync_site"):
            got = ([[1, top]] if top else []) + (json.loads(runs) if runs else [])
            if got:
                said[site] = got
        keys = conn.execute(
            "SELECT site_id, seq FROM change_entry UNION SELECT site_id, seq FROM sync_quarantine "
            "ORDER BY 1, 2"
        ).fetchall()
    finally:
        conn.close()
    found: dict[str, list[list[int]]] = {}
    for site, seq in keys:
        runs = found.setdefault(site, [])
        if runs and runs[-1][1] + 1 == seq:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return said, found


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture(scope="session")
def h() -> Any:
    """The helpers above, for test modules (conftest cannot be imported under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        digest=digest,
        held_by_log=held_by_log,
        full_state=full_state,
        copy_site=copy_site,
        open_site=open_site,
        PASSPHRASE=PASSPHRASE,
        SERVICE_IDS=SERVICE_IDS,
        KEYS=KEYS,
        FAST_KDF=FAST_KDF,
    )
