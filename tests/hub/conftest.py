"""A real PostgreSQL for the hub tests: a fresh database per test on the server named by
$REFERRAL_DESK_HUB_TEST_URL (`scripts/hub-test-server.sh` starts a throwaway one; `.ci/run`
uses it). Without the variable the hub tests skip on a developer's machine, and fail under CI
(CI=true), so a missing server can never pass as green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENV_URL = "REFERRAL_DESK_HUB_TEST_URL"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get(ENV_URL, "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but ${ENV_URL} is not set: the hub tests need PostgreSQL")
        pytest.skip(f"no PostgreSQL for the hub tests (set ${ENV_URL}, see README)")
    return url


def _admin(server_url: str):
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


@pytest.fixture
def hub_url(server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name = "hub_" + uuid.uuid4().hex[:12]
    with _admin(server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        with _admin(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ready_hub(hub_url: str, tmp_path: Path) -> str:
    """A hub database with the hub schema."""
    from referral_desk.hub.connection import HubDatabase

    hub = HubDatabase(hub_url)
    hub.upgrade()
    hub.close()
    return hub_url


@pytest.fixture(scope="session")
def make_team(tmp_path_factory: pytest.TempPathFactory):
    """make_team(folder, team, people=, seed=, clock=): a team database with a demo caseload.

    Each distinct team is generated once per session and copied for each test (demo data takes
    seconds); copies get their own signing and pseudonym keys, made on first use.
    """
    import shutil

    from hub_helpers import make_team as generate
    from unlocking import open_test_services as open_services

    from referral_desk.store.database import DB_FILENAME

    templates: dict[tuple, Path] = {}

    def make(folder: Path, team: str, *, people: int, seed: int, clock):
        key = (team, people, seed, clock.today())
        if key not in templates:
            where = tmp_path_factory.mktemp("team-template")
            generate(where / "data", team, people=people, seed=seed, clock=clock).close()
            templates[key] = where / "data" / DB_FILENAME
        folder.mkdir(parents=True, mode=0o700)
        shutil.copy2(templates[key], folder / DB_FILENAME)
        return open_services(folder, clock)

    return make
