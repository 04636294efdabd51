"""Fixtures for the directory use cases: a seeded database copied from a template."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from unlocking import open_test_database

from referral_desk.store.database import DB_FILENAME, Database
from referral_desk.store.seed import seed_reference_data


@pytest.fixture(scope="session")
def directory_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with reference data, copied for each test (migrating is slow)."""
    folder = tmp_path_factory.mktemp("directory-template")
    db = open_test_database(folder)
    with db.write() as session:
        seed_reference_data(session)
    db.close()
    return folder / DB_FILENAME


@pytest.fixture
def directory_db(tmp_path: Path, directory_template: Path) -> Iterator[Database]:
    data = tmp_path / "directory-data"
    data.mkdir(mode=0o700)
    shutil.copy2(directory_template, data / DB_FILENAME)
    db = open_test_database(data)
    yield db
    db.close()


# --- the directory keeper's use cases (tests/usecases/test_directory_*.py) --------------------


@pytest.fixture
def admin(app: Any) -> Any:
    """The directory keeper's use cases on the test database (its officer is the keeper)."""
    from referral_desk.usecases.directory_admin import DirectoryAdminService

    return DirectoryAdminService(app.db, app.clock)


@pytest.fixture
def org(admin: Any) -> Any:
    return admin.create_organisation(name="  New   Leaf Trust ", website="newleaf.example")


@pytest.fixture
def service(admin: Any, org: Any) -> Any:
    return admin.create_service(org.id, "Housing advice", categories=["accommodation"])
