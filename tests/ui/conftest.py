"""GUI test fixtures: private QSettings, a main window on the `app` database, and helpers to
answer modal dialogs and wait for the background worker."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from settling import settle

from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import Officer, Organisation, Service, ServiceCategory

TODAY = date(2026, 3, 2)  # the root conftest's pinned Monday


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, qapp: QApplication) -> Iterator[None]:
    """Every QSettings() in a test writes an ini file under tmp_path, never the user's."""
    QCoreApplication.setOrganizationName("Referral Desk Tests")
    QCoreApplication.setApplicationName("Referral Desk Tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "ini"))
    yield


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(app: Any, qtbot: Any, settings: QSettings) -> Iterator[Any]:
    from referral_desk.ui.main_window import MainWindow

    win = MainWindow(app, settings)
    win.resize(1366, 768)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    settle(qtbot, win)
    yield win
    win.close()
    win.deleteLater()


class Gui:
    """Helpers for driving real widgets (a fixture, since test modules cannot import conftest)."""

    def __init__(self, qtbot: Any, app: Any) -> None:
        self.qtbot = qtbot
        self.app = app
        self.live = True  # polls stop when the test ends, so they never catch the next test's

    def close(self) -> None:
        self.live = False

    def wait_idle(self, win: Any, timeout: int = 10_000) -> None:
        """Wait until every background load has been delivered to the UI thread, and what
        those deliveries deferred to the event loop has run (`settling.settle`)."""
        settle(self.qtbot, win, timeout=timeout)

    def wait_ops(self, widget: Any, timeout: int = 10_000) -> None:
        """Wait until the ops of the window `widget` belongs to have all been delivered (and
        what they deferred has run)."""
        from referral_desk.ui.ops import find_worker

        settle(self.qtbot, find_worker(widget), timeout=timeout)

    def on_next_dialog(self, callback: Callable[[Any], None], *, timeout_ms: int = 5000) -> list:
        """Run `callback(dialog)` once the next modal dialog is open (it blocks in exec()).

        If the callback fails, the dialog is closed so exec() returns and the test fails
        cleanly instead of hanging. Returns a list that receives the dialog.
        """
        seen: list[QWidget] = []
        waited = [0]

        def poll() -> None:
            if not self.live:
                return
            dialog = QApplication.activeModalWidget()
            # Wait until the dialog is the active window: focus changes (and so the checks
            # run when leaving a field) and shortcuts only happen in the active window. And
            # until it shows what it reads on the worker (`loaded`), as a person would.
            if dialog is None or dialog in seen or not dialog.isActiveWindow() or loading(dialog):
                waited[0] += 10
                if dialog is not None and waited[0] % 500 == 0:
                    dialog.activateWindow()
                if waited[0] < timeout_ms:
                    QTimer.singleShot(10, poll)
                return
            seen.append(dialog)
            try:
                callback(dialog)
            except BaseException:
                dialog.close()
                raise
            guard = QTimer(dialog)  # dies with the dialog
            guard.setSingleShot(True)
            guard.timeout.connect(lambda: left_open(dialog))
            guard.start(3000)

        def left_open(dialog: QWidget) -> None:
            if dialog.isVisible() and QApplication.activeModalWidget() is dialog:
                dialog.close()
                raise AssertionError(f"{type(dialog).__name__} was left open by the test")

        QTimer.singleShot(0, poll)
        return seen

    def activate(self, win: QWidget) -> None:
        """Make `win` the active window again (window shortcuts need it) after a dialog."""
        if not win.isActiveWindow():
            win.activateWindow()
            self.qtbot.waitUntil(win.isActiveWindow, timeout=2000)

    def key(self, win: QWidget, sequence: str) -> None:
        """Press a shortcut such as "Ctrl+N" on the window's focus widget, as a user would."""
        from PySide6.QtGui import QKeySequence

        self.activate(win)
        combo = QKeySequence(sequence)[0]
        target = QApplication.focusWidget() or win
        self.qtbot.keyClick(target, combo.key(), combo.keyboardModifiers())

    @staticmethod
    def button(root: QWidget, name: str) -> Any:
        """The button whose accessible name or text (without &) is `name`."""
        for button in root.findChildren(QAbstractButton):
            if button.accessibleName() == name or button.text().replace("&", "") == name:
                return button
        names = [b.accessibleName() or b.text() for b in root.findChildren(QAbstractButton)]
        raise LookupError(f"{name} not among {names} of {type(root).__name__}")

    def add_service(self, name: str = "Hope Mentoring", response_days: int = 2) -> str:
        return _add_service(self.app, name, response_days)

    def add_officer(self, name: str = "Sam Patel") -> str:
        with self.app.db.write() as session:
            officer = Officer(name=name, team="Leeds South")
            session.add(officer)
        return officer.id


@pytest.fixture
def gui(qtbot: Any, app: Any) -> Iterator[Gui]:
    helper = Gui(qtbot, app)
    yield helper
    helper.close()


def loading(dialog: QWidget) -> bool:
    """A dialog that fills in from the worker (a `loaded` flag) and has not yet: under load the
    answer was typed into the empty form, then overwritten by the stored values."""
    return getattr(dialog, "loaded", True) is False


def _add_service(services: Any, name: str, response_days: int) -> str:
    with services.db.write() as session:
        org = Organisation(name=f"{name} Trust")
        svc = Service(name=name, organisation_id=org.id, response_days=response_days)
        cats = [
            ServiceCategory(service_id=svc.id, category_code=c)
            for c in ("mentoring", "accommodation")
        ]
        session.add_all([org, svc, *cats])
    return svc.id


@pytest.fixture(scope="session")
def referred_template(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> tuple[Path, dict[str, str]]:
    """The `referred` case built once: five writes per test were a third of the GUI tests' time."""
    from unlocking import open_test_services as open_services

    from referral_desk.usecases.base import Clock

    folder = tmp_path_factory.mktemp("referred")
    shutil.copy2(template_db, folder / DB_FILENAME)
    services = open_services(folder, Clock(fixed_today=TODAY))
    person = services.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="1999-09-09",
        crn="X123456",
        nomis="A1234BC",
        setting="custody",
        prison="HMP Leeds",
        expected_release_date="2026-04-20",
        consent_given_on="2026-02-01",
    )
    service_id = _add_service(services, "Hope Mentoring", 2)
    need = services.needs.log(person.id, "mentoring", "Wants a mentor")
    second = services.needs.log(person.id, "accommodation", "Needs a flat on release")
    ref = services.referrals.make(need.id, service_id, consent=True)
    services.close()
    ids = {
        "person": person.id,
        "need": need.id,
        "second": second.id,
        "referral": ref.id,
        "service_id": service_id,
    }
    return folder / DB_FILENAME, ids


@pytest.fixture
def referred(app: Any, referred_template: tuple[Path, dict[str, str]]) -> dict[str, Any]:
    """A person in custody with two needs, one sent referral and its follow-up.

    Copied into the `app` database file: every pooled connection is closed first, so the next
    query opens the copy (nothing is in flight; windows load from the worker only when asked).
    """
    path, ids = referred_template
    app.db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{app.db.path}{suffix}").unlink(missing_ok=True)
    shutil.copy2(path, app.db.path)
    return {
        "person": app.people.get(ids["person"]),
        "need": app.needs.get(ids["need"]),
        "second": app.needs.get(ids["second"]),
        "referral": app.referrals.get(ids["referral"]),
        "service_id": ids["service_id"],
    }


def days(n: int) -> date:
    """The pinned test day (Monday 2 March 2026) plus n days."""
    return date.fromordinal(TODAY.toordinal() + n)


@pytest.fixture
def day() -> Callable[[int], date]:
    return days


# -- demo data for the screen-fit and key-map tests -----------------------------------------
@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Path:
    """A demo caseload and directory, built once for the session."""
    from unlocking import open_test_services as open_services

    from referral_desk.demo import generate_demo
    from referral_desk.usecases.base import Clock

    folder = tmp_path_factory.mktemp("demo")
    shutil.copy2(template_db, folder / DB_FILENAME)
    services = open_services(folder, Clock(fixed_today=date(2026, 3, 2)))  # conftest TODAY
    generate_demo(services, people=60, services=120, referrals=180, seed=5)
    services.close()
    return folder / DB_FILENAME


@pytest.fixture
def demo(app: Any, demo_template: Path) -> Any:
    app.db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{app.db.path}{suffix}").unlink(missing_ok=True)
    shutil.copy2(demo_template, app.db.path)
    return app


@pytest.fixture
def ctx(demo: Any, qtbot: Any, settings: QSettings, tmp_path: Path) -> Iterator[Any]:
    """The main window on the demo caseload, and what its dialogs are opened on."""
    from client_windows import Ctx, busiest

    from referral_desk.ui.main_window import MainWindow

    person, need, referral = busiest(demo)
    follow_up = next(f for f in demo.follow_ups.list() if f.referral_id)
    service = demo.directory.get_service(referral.service_id)
    window = MainWindow(demo, settings)  # first start: the size it picks for the screen
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    settle(qtbot, window)
    yield Ctx(demo, window, person, need, referral, follow_up, service, tmp_path)
    window.close()
    window.deleteLater()


# The longest text each field may hold (names 200 characters, descriptions and notes 4 000),
# unbroken: no space where a line could wrap.
LONG_NAME = "Maximiliana" + "x" * 189
LONG_TEXT = "Needs" + "y" * 3995


def longest(table: str, column: str) -> str:
    """The longest text the services accept in this field (domain.fields), unbroken."""
    from referral_desk.domain.fields import max_length

    limit = max_length(table, column)
    return (LONG_NAME + "z" * limit)[:limit]


@pytest.fixture
def long_ctx(ctx: Any, qtbot: Any) -> Any:
    """`ctx` on a person, need, referral, follow-up and service whose texts are the longest
    allowed: every view must cope with them (elide with a tooltip, or wrap anywhere)."""
    from dataclasses import replace
    from datetime import datetime

    from referral_desk.store.models import ServiceArea

    services = ctx.services
    with services.db.write() as session:
        org = Organisation(name=LONG_NAME)
        svc = Service(
            name=LONG_NAME,
            organisation_id=org.id,
            description=LONG_TEXT,
            response_days=3,
            what_to_bring=LONG_TEXT,
            accessibility=LONG_TEXT,
            referral_contact=LONG_NAME,
            contact_name=LONG_NAME,
        )
        session.add_all([org, svc])
        session.add(ServiceCategory(service_id=svc.id, category_code="accommodation"))
        session.add(ServiceArea(service_id=svc.id, name="West Yorkshire"))
    person = services.people.add(
        given_name=longest("person", "given_name"),
        family_name=longest("person", "family_name"),
        date_of_birth="1980-12-31",
        setting="community",
        area="West Yorkshire",
        office=longest("person", "office"),
        consent_given_on="2026-01-01",
        consent_scope=longest("person", "consent_scope"),
    )
    need = services.needs.log(person.id, "accommodation", LONG_TEXT)
    services.needs.log(person.id, "finance", " ".join([LONG_NAME[:30]] * 128))
    referral = services.referrals.make(
        need.id,
        svc.id,
        consent=True,
        availability=longest("referral", "availability"),
        accessibility_needs=longest("referral", "accessibility_needs"),
        interpreter_language=longest("referral", "interpreter_language"),
        share_risk=True,
        risk_note=longest("referral", "risk_note"),
        appointment_at=datetime(2026, 3, 9, 10, 0),
        appointment_place=longest("referral", "appointment_place"),
    )
    services.referrals.record_status(
        referral.id, "acknowledged", channel="phone", note=longest("referral_status_change", "note")
    )
    services.people.add_note(person.id, LONG_TEXT)
    follow_up = services.follow_ups.add(person.id, "2026-03-03", LONG_TEXT)
    done = services.follow_ups.add(person.id, "2026-03-02", "Call back")
    services.follow_ups.complete(done.id, LONG_TEXT)
    window = ctx.window
    window.refresh()
    settle(qtbot, window)
    return replace(
        ctx,
        person=services.people.get(person.id),
        need=services.needs.get(need.id),
        referral=services.referrals.get(referral.id),
        follow_up=services.follow_ups.get(follow_up.id),
        service=services.directory.get_service(svc.id),
    )


@pytest.fixture
def host(qtbot: Any) -> Iterator[QWidget]:
    """A hidden window owning a `Worker`, for a dialog tested on its own: its ops find the
    worker through the parent, as they find the main window's in the app. `host.worker` is
    there so `gui.wait_idle(host)` waits for the dialog's loads and saves."""
    from referral_desk.ui.worker import Worker

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.worker = Worker(widget)  # type: ignore[attr-defined]
    yield widget
    for child in widget.findChildren(QWidget):  # close dialogs first: leaving a field may
        if child.isWindow() and child.isVisible():  # still send a check to the worker
            if hasattr(child, "confirm_discard"):
                child.confirm_discard = False
            child.close()
    widget.worker.stop()  # type: ignore[attr-defined]
    # A busy op still queued when the worker stopped never finishes, so its wait cursor is
    # never restored: do not let it leak into the next test.
    while QApplication.overrideCursor() is not None:
        QApplication.restoreOverrideCursor()
