"""Shared fixtures. Qt must run offscreen, set before anything imports PySide6."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from unlocking import TEST_PASSPHRASE

from referral_desk.store.database import DB_FILENAME
from referral_desk.usecases.base import Clock  # no Qt: the platform below is not chosen yet

# The offscreen screen is an office laptop's: 1366 × 768 less a 40-pixel task bar. GUI tests
# then see the room an officer has (the plugin's default screen is 800 × 600), and
# tests/ui/test_screen_fit.py checks every window and dialog fits it.
LAPTOP_SCREEN = Path(__file__).parent / "data" / "laptop-screen.json"
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={LAPTOP_SCREEN}"

# Every command line a test runs (in process or as a child) unlocks with the tests' passphrase;
# tests of the refusals remove it (tests/unlocking.py: the key every test database shares).
os.environ["REFERRAL_DESK_UNLOCK"] = TEST_PASSPHRASE

TODAY = date(2026, 3, 2)  # a Monday, clear of bank holidays


@pytest.fixture(autouse=True)
def no_use_case_on_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A GUI test fails if UI code ran a use case or opened the database on the GUI thread
    (tests/gui_thread_guard.py): that work belongs on the worker, through `ui.ops.op`."""
    if not {"qapp", "qtbot"} & set(request.fixturenames):
        yield
        return
    import gui_thread_guard

    gui_thread_guard.install()
    gui_thread_guard.take()
    yield
    found = gui_thread_guard.take()
    if found:
        pytest.fail(
            "use cases ran on the GUI thread (run them through referral_desk.ui.ops.op):\n"
            + "\n".join(found),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def collect_on_the_test_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """Once a test has used Qt, cyclic garbage is collected only here, on the test's own (GUI)
    thread, as the app does (`referral_desk.ui.collector`): an automatic collection in a worker
    thread may finalise a widget left over from an earlier test and crash the whole run."""
    if {"qapp", "qtbot"} & set(request.fixturenames):
        gc.disable()
    yield
    if not gc.isenabled():
        from referral_desk.ui.collector import collect_due_generations

        collect_due_generations()


@pytest.fixture
def clock() -> Clock:
    return Clock(fixed_today=TODAY)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, seeded database with a profile, copied for each test (fast set-up).

    Copies share a site id; tests of sync between sites build their own databases.
    """
    from unlocking import open_test_services as open_services

    folder = tmp_path_factory.mktemp("template")
    services = open_services(folder, Clock(fixed_today=TODAY))
    services.profile.set(
        name="Alex Morgan",
        team="Leeds North",
        office="Leeds",
        office_phone="0113 496 0000",
        email="alex@probation.example",
    )
    services.close()
    return folder / DB_FILENAME


@pytest.fixture
def app(tmp_path: Path, clock: Clock, template_db: Path) -> Iterator[object]:
    """A fresh database with reference data and an officer profile."""
    from unlocking import open_test_services as open_services

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copy2(template_db, data / DB_FILENAME)
    services = open_services(data, clock)
    yield services
    services.close()
