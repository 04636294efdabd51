"""Helpers for the hub tests (tests/ is on the import path; conftest modules are not)."""

from __future__ import annotations

from pathlib import Path

from unlocking import open_test_services as open_services

from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.base import Clock


def make_team(folder: Path, team: str, *, people: int, seed: int, clock: Clock) -> AppServices:
    """A team's database with a profile and demo caseload (names, DOBs, CRNs, notes)."""
    from referral_desk.demo import generate_demo

    folder.mkdir(parents=True, mode=0o700)
    app = open_services(folder, clock)
    app.profile.set(name=f"Officer of {team}", team=team)
    generate_demo(app, people=people, services=40, seed=seed)
    return app


def as_user(url: str, user: str) -> str:
    """The same server and database, logging in as `user`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.split("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))
