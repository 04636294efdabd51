"""Fixtures for store tests: a fresh, seeded database and a small directory builder."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from unlocking import open_test_database

from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.models import Organisation, Service, ServiceArea, ServiceCategory
from referral_desk.store.seed import seed_reference_data


class DirectoryBuilder:
    """Adds organisations and services through the ORM, as the app's write paths do."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._orgs: dict[str, str] = {}

    def organisation(self, name: str) -> str:
        if name not in self._orgs:
            with self.db.write() as session:
                org = Organisation(name=name)
                session.add(org)
                session.flush()
                self._orgs[name] = org.id
        return self._orgs[name]

    def service(
        self,
        name: str,
        *,
        organisation: str = "Test Organisation",
        categories: Iterable[str] = (),
        areas: Iterable[str] = (),
        **fields: Any,
    ) -> str:
        org_id = self.organisation(organisation)
        with self.db.write() as session:
            svc = Service(name=name, organisation_id=org_id, **fields)
            session.add(svc)
            session.flush()
            session.add_all(ServiceCategory(service_id=svc.id, category_code=c) for c in categories)
            session.add_all(ServiceArea(service_id=svc.id, name=a) for a in areas)
            return svc.id

    def update(self, service_id: str, **fields: Any) -> None:
        with self.db.write() as session:
            svc = session.get(Service, service_id)
            assert svc is not None
            for key, value in fields.items():
                setattr(svc, key, value)

    def delete(self, service_id: str) -> None:
        self.update(service_id, deleted_at=datetime.now(UTC).replace(tzinfo=None))

    def delete_category(self, service_id: str, code: str) -> None:
        with self.db.write() as session:
            row = session.scalars(
                select(ServiceCategory).where(
                    ServiceCategory.service_id == service_id,
                    ServiceCategory.category_code == code,
                )
            ).one()
            row.deleted_at = datetime.now(UTC).replace(tzinfo=None)


def open_seeded(folder: Path) -> Database:
    db = open_test_database(folder)
    with db.write() as session:
        seed_reference_data(session)
    return db


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded database file, copied for each test: migrating is the slow part."""
    folder = tmp_path_factory.mktemp("search-template")
    open_seeded(folder).close()
    return folder / DB_FILENAME


@pytest.fixture
def search_db(tmp_path: Path, seeded_template: Path) -> Iterator[Database]:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copy2(seeded_template, data / DB_FILENAME)
    database = open_test_database(data)
    yield database
    database.close()


@pytest.fixture
def directory(search_db: Database) -> DirectoryBuilder:
    return DirectoryBuilder(search_db)


@pytest.fixture(scope="module")
def shared_search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Any]]:
    """One small directory and one long-lived engine, for property tests (many examples)."""
    from referral_desk.store.search import ServiceSearch

    db = open_seeded(tmp_path_factory.mktemp("search"))
    builder = DirectoryBuilder(db)
    builder.service("St Martin's Housing", categories=["accommodation"], areas=["Leeds"])
    builder.service("Lighthouse Mentoring", categories=["mentoring"], prisons=["HMP Leeds"])
    builder.service("Ynys Môn advice", description="Cyngor ar dai – help with housing")
    yield db, ServiceSearch()
    db.close()
