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
