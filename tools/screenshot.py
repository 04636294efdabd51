"""Save a PNG of every screen and dialog at laptop and desktop sizes, to look at layouts.

    python tools/screenshot.py [--out screenshots] [--data-dir DIR] [--people 300]
                               [--sizes 1366x768,1920x1080] [--long]

`--long` adds a person, need, referral and service holding the longest text allowed
(200-character names, 4 000-character unbroken descriptions) and shoots their screens too.

Runs on any Qt platform: offscreen by default (QT_QPA_PLATFORM=offscreen), or a real X server
such as Xvfb (`Xvfb :99 & DISPLAY=:99 QT_QPA_PLATFORM=xcb python tools/screenshot.py`), which
also exercises real window-manager geometry and font rendering. Uses the demo generator when
it is installed (`referral_desk.demo.generate_demo`), else a small built-in caseload.
Window settings go to a temporary ini file, never to the user's settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from referral_desk.ui.ops import find_worker
from referral_desk.usecases.app_services import AppServices, open_services
from referral_desk.usecases.security import Unlock


def seed(services: AppServices, people: int) -> None:
    """Demo data: the shared generator if present, else a few people through the services."""
    if services.profile.get() is None:
        services.profile.set(
            name="Alex Morgan",
            team="Leeds North",
            office="Leeds",
            office_phone="0113 496 0000",
            email="alex@probation.example",
        )
    if services.people.list():
        return
    try:
        from referral_desk.demo import generate_demo
    except ImportError:
        _fallback_seed(services, people)
        return
    generate_demo(services, people=people, services=max(people // 2, 60), referrals=people * 3)


def _fallback_seed(services: AppServices, count: int) -> None:
    import random
    from datetime import timedelta

    from referral_desk.store.models import Organisation, Service, ServiceCategory

    rng = random.Random(7)
    today = services.clock.today()
    with services.db.write() as session:
        svc_ids = []
        for i, (org, name, cat) in enumerate(
            [
                ("Hope Trust", "Hope Mentoring", "mentoring"),
                ("Shelter North", "Housing Advice Line", "accommodation"),
                ("StepChange Leeds", "Debt Clinic", "finance"),
                ("Forward Leeds", "Alcohol Recovery Group", "alcohol"),
                ("Mind Leeds", "Wellbeing Café", "emotional_wellbeing"),
            ]
        ):
            o = Organisation(name=org)
            s = Service(name=name, organisation_id=o.id, response_days=3 + i)
            session.add_all([o, s, ServiceCategory(service_id=s.id, category_code=cat)])
            svc_ids.append((s.id, cat))
    given = [
        "Zoë",
        "Aaron",
        "Bethany",
        "Callum",
        "Deborah",
        "Ewan",
        "Farah",
        "Grace",
        "Hamza",
        "Imogen",
        "Jack",
        "Kayleigh",
        "Liam",
        "Mohammed",
        "Niamh",
        "Owen",
        "Priya",
    ]
    family = [
        "Ward",
        "Ahmed",
        "Brown",
        "Clarke",
        "Davies",
        "Evans",
        "Featherstonehaugh-Smith",
        "Green",
        "Hughes",
        "Iqbal",
        "Jones",
        "Khan",
        "Lewis",
        "Morgan",
        "Nowak",
    ]
    prisons = ["HMP Leeds", "HMP Manchester", "HMP Cardiff"]
    cats = [c.code for c in services.reference.categories()]
    for i in range(count):
        custody = rng.random() < 0.5
        person = services.people.add(
            given_name=rng.choice(given),
            family_name=rng.choice(family),
            date_of_birth=today - timedelta(days=rng.randint(18 * 365, 60 * 365)),
            crn=f"X{100000 + i}",
            nomis=f"A{1000 + i % 9000}BC" if custody else "",
            setting="custody" if custody else "community",
            prison=rng.choice(prisons) if custody else "",
            area="" if custody else "West Yorkshire",
            expected_release_date=today + timedelta(days=rng.randint(5, 200)) if custody else None,
            cohort_iom=rng.random() < 0.2,
            consent_given_on=today - timedelta(days=30),
        )
        for _ in range(rng.randint(1, 5)):
            need = services.needs.log(
                person.id,
                rng.choice(cats),
                "Needs support with this area",
                unmet=rng.choice([None, None, "no-service", "full"]),
            )
            if need.status == "open" and rng.random() < 0.7:
                sid = rng.choice(svc_ids)[0]
                services.referrals.make(need.id, sid, consent=True)
        services.people.add_note(person.id, "Discussed the plan at supervision.")


LONG_NAME = "Maximiliana" + "x" * 189
LONG_TEXT = "Needs" + "y" * 3995


def seed_long(services: AppServices) -> dict[str, str]:
    """Records holding the longest text each field allows, unbroken (see tests/ui/conftest)."""
    from datetime import datetime

    from referral_desk.store.models import Organisation, Service, ServiceArea, ServiceCategory

    with services.db.write() as session:
        org = Organisation(name=LONG_NAME)
        svc = Service(
            name=LONG_NAME,
            organisation_id=org.id,
            description=LONG_TEXT,
            response_days=3,
            what_to_bring=LONG_TEXT,
            referral_contact=LONG_NAME,
            contact_name=LONG_NAME,
        )
        session.add_all([org, svc])
        session.add(ServiceCategory(service_id=svc.id, category_code="accommodation"))
        session.add(ServiceArea(service_id=svc.id, name="West Yorkshire"))
    person = services.people.add(
        given_name=LONG_NAME,
        family_name=LONG_NAME,
        date_of_birth="1980-12-31",
        setting="community",
        area="West Yorkshire",
        consent_given_on="2026-01-01",
    )
    need = services.needs.log(person.id, "accommodation", LONG_TEXT)
    ref = services.referrals.make(
        need.id,
        svc.id,
        consent=True,
        availability=LONG_TEXT,
        appointment_place=LONG_NAME,
        appointment_at=datetime.combine(services.clock.today(), datetime.min.time()),
    )
    services.people.add_note(person.id, LONG_TEXT)
    return {"person": person.id, "need": need.id, "referral": ref.id, "service": svc.id}


def wait_idle(app: QApplication, window: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not window.is_settled() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    for _ in range(5):
        app.processEvents()


def grab(app: QApplication, widget: QWidget, path: Path) -> None:
    for _ in range(5):
        app.processEvents()
    widget.grab().save(str(path))
    print(path)


def typed(dialog: Any, field: str, text: str) -> Any:
    """`dialog` with `text` typed into its `field` and the field left (so it is checked)."""
    edit = getattr(dialog, field)
    edit.setText(text)
    edit.editingFinished.emit()
    return dialog


def busiest_person(services: AppServices) -> str:
    counts = Counter(n.person_id for n in services.needs.list())
    return counts.most_common(1)[0][0]


def shoot(
    app: QApplication,
    services: AppServices,
    out: Path,
    size: tuple[int, int],
    settings: QSettings,
    long: dict[str, str] | None = None,
) -> None:
    from referral_desk.ui.follow_up_dialogs import FollowUpDoneDialog, RescheduleDialog
    from referral_desk.ui.hand_over_dialog import HandOverDialog
    from referral_desk.ui.main_window import MainWindow
    from referral_desk.ui.need_dialog import NeedDialog, NeedStatusDialog
    from referral_desk.ui.passphrase_dialog import PassphraseDialog
    from referral_desk.ui.person_dialog import PersonDialog
    from referral_desk.ui.preferences import PreferencesDialog
    from referral_desk.ui.setting_dialog import SettingDialog
    from referral_desk.ui.shortcuts_dialog import ShortcutsDialog
    from referral_desk.ui.sync_settings import SyncSettingsDialog

    tag = f"{size[0]}x{size[1]}"
    window = MainWindow(services, settings)
    window.resize(*size)
    window.show()
    window.setGeometry(0, 0, *size)
    wait_idle(app, window)
    grab(app, window, out / f"{tag}-1-my-day.png")
    window.go("caseload")
    wait_idle(app, window)
    grab(app, window, out / f"{tag}-2-caseload.png")
    person_id = busiest_person(services)
    window.open_person(person_id)
    wait_idle(app, window)
    grab(app, window, out / f"{tag}-3-person.png")
    for page_name in ("directory", "reports"):
        window.go(page_name)
        wait_idle(app, window)
        grab(app, window, out / f"{tag}-3-{page_name}.png")
    directory = window.directory_page
    directory.filter.setText("xyz")
    directory.status_filter.setCurrentText("active")
    window.go("directory")
    grab(app, window, out / f"{tag}-3-directory-nothing-matches.png")
    directory.clear_filters()
    reports = window.reports_page
    reports.chooser.setCurrentIndex(reports.chooser.findData("outcomes"))
    reports.run_report()
    window.go("reports")
    wait_idle(app, window)
    view = reports.current_table_view()
    if view is not None:
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    grab(app, window, out / f"{tag}-3-reports-outcomes-scrolled.png")
    if long:
        window.open_person(long["person"])
        wait_idle(app, window)
        window.person_page.timeline_view.selectRow(0)
        grab(app, window, out / f"{tag}-3-person-longest-text.png")
    window.open_person(person_id)
    wait_idle(app, window)

    page = window.person_page
    person = page.person
    follow_up = next(iter(services.follow_ups.list()), None)
    dialogs: list[tuple[str, Callable[[], QDialog]]] = [
        ("4-new-person", lambda: PersonDialog(services, window)),
        ("5-edit-person", lambda: PersonDialog(services, window, person=person)),
        (
            "6-log-need",
            lambda: NeedDialog(
                services, person.id, window, need_count=3, person_name=person.display_name
            ),
        ),
        ("7-need-status", lambda: NeedStatusDialog(services, page.detail.needs[0], window)),
        ("8-transfer", lambda: SettingDialog(services, person, 2, window)),
        ("9-preferences", lambda: PreferencesDialog(services, window)),
        ("10-first-run", lambda: PreferencesDialog(services, window, first_run=True)),
        ("11-hand-over", lambda: HandOverDialog(person, services.profile.officers(), window)),
        ("16-shortcuts", lambda: ShortcutsDialog(list(window.actions_by_name.values()), window)),
        (
            "17-passphrase-set",
            lambda: typed(PassphraseDialog(window, confirm=True), "passphrase_edit", "horse"),
        ),
        (
            "18-sync-settings",
            lambda: typed(SyncSettingsDialog(services, window), "passphrase_edit", "short"),
        ),
        (
            "4b-new-person-dob-error",
            lambda: typed(PersonDialog(services, window), "date_of_birth", "31/02/1990"),
        ),
        (
            "4c-new-person-dob-shown-back",
            lambda: typed(PersonDialog(services, window), "date_of_birth", "03112003"),
        ),
    ]
    need = next((n for n in page.detail.needs if n.status in ("open", "referred")), None)
    if need is not None:
        from referral_desk.ui.find_service import FindServiceDialog

        dialogs.append(("14-find-service", lambda: FindServiceDialog(services, need.id, window)))
    if page.detail.referrals:
        from referral_desk.ui.record_referral import RecordReferralDialog
        from referral_desk.ui.referral_dialog import ReferralDialog

        referral_id = page.detail.referrals[0].id
        service_id = page.detail.referrals[0].service_id
        dialogs.append(("15-referral", lambda: ReferralDialog(services, referral_id, window)))
        if need is not None:
            dialogs.append(
                (
                    "19-record-referral",
                    lambda: RecordReferralDialog(services, need.id, service_id, window),
                )
            )
    if long:
        from referral_desk.ui.find_service import FindServiceDialog
        from referral_desk.ui.referral_dialog import ReferralDialog

        dialogs += [
            ("20-longest-referral", lambda: ReferralDialog(services, long["referral"], window)),
            ("21-longest-find-service", lambda: FindServiceDialog(services, long["need"], window)),
        ]
    if follow_up is not None:
        dialogs += [
            ("12-follow-up-done", lambda: FollowUpDoneDialog(services, follow_up, window)),
            ("13-reschedule", lambda: RescheduleDialog(services, follow_up, window)),
        ]
    for name, make in dialogs:
        dialog = make()
        dialog.show()
        worker = find_worker(window)
        end = time.monotonic() + 20
        while time.monotonic() < end and not worker.is_idle():  # the dialog loads through ops
            app.processEvents()
            time.sleep(0.01)
        for _ in range(5):
            app.processEvents()
        grab(app, dialog, out / f"{tag}-{name}.png")
        if hasattr(dialog, "confirm_discard"):
            dialog.confirm_discard = False
        dialog.done(0)
        dialog.deleteLater()
    window.close()
    window.deleteLater()
    app.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--sizes", default="1366x768,1920x1080")
    parser.add_argument("--long", action="store_true", help="add and shoot the longest texts")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        # The screenshots' own throwaway folder: set up with (or unlocked by) a fixed passphrase,
        # or $REFERRAL_DESK_UNLOCK for a folder given with --data-dir.
        secret = os.environ.get("REFERRAL_DESK_UNLOCK", "screenshots only, never real data")
        services = open_services(
            data, unlock=lambda new: Unlock.new(secret) if new else Unlock.passphrase(secret)
        )
        try:
            seed(services, args.people)
            long = seed_long(services) if args.long else None
            app = QApplication.instance() or QApplication(sys.argv[:1])
            app.setApplicationName("Referral Desk")
            app.setOrganizationName("Referral Desk")
            settings = QSettings(str(Path(tmp) / "window.ini"), QSettings.Format.IniFormat)
            for size in args.sizes.split(","):
                width, height = (int(x) for x in size.lower().split("x"))
                shoot(app, services, out, (width, height), settings, long)
                settings.clear()
        finally:
            services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
