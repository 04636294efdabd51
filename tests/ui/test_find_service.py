"""Find a service: filters from the need and person, search as you type, refer from a result.

Every test drives the real dialog: keys into the search box, clicks on the table, the nested
record-referral dialog answered while it blocks in exec(), and then checks both what is shown
and what was stored.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QWidget
from qt_helpers import when_modal

from referral_desk.store.models import Organisation, Service, ServiceArea, ServiceCategory

# --- data and helpers ---------------------------------------------------------------------------


def add_service(
    app: Any,
    name: str,
    *,
    organisation: str = "Lighthouse Trust",
    categories: tuple[str, ...] = ("accommodation",),
    areas: tuple[str, ...] = ("West Yorkshire",),
    **fields: Any,
) -> str:
    with app.db.write() as session:
        org = Organisation(name=organisation)
        session.add(org)
        session.flush()
        service = Service(name=name, organisation_id=org.id, **fields)
        session.add(service)
        session.flush()
        for code in categories:
            session.add(ServiceCategory(service_id=service.id, category_code=code))
        for area in areas:
            session.add(ServiceArea(service_id=service.id, name=area))
    return service.id


@pytest.fixture
def directory(app: Any) -> dict[str, str]:
    return {
        "advice": add_service(
            app,
            "Lighthouse Housing Advice",
            prisons=["HMP Leeds"],
            isp_agreed=True,
            reports_attendance=True,
            assured_date=date(2026, 1, 10),
            assurer="J. Patel",
            phone="0113 496 0101",
            contact_name="Sam Reed",
            email="refer@lighthouse.example",
            response_days=3,
            referral_method="email",
            opening_times="Mon–Fri 9–5",
        ),
        "tenancy": add_service(
            app,
            "Lighthouse Tenancy Support",
            free=False,
            unit_cost=120.0,
            assured_date=date(2025, 1, 2),
            response_days=5,
        ),
        "styal": add_service(
            app,
            "Styal Resettlement Housing",
            organisation="Safe Haven",
            gender="female",
            prisons=["HMP Styal"],
            community=False,
            areas=(),
            assured_date=date(2026, 2, 2),
        ),
        "young": add_service(app, "Young Adults Housing", min_age=18, max_age=25),
        "debt": add_service(
            app, "Debt Advice Leeds", organisation="Money Matters", categories=("finance",)
        ),
    }


@pytest.fixture
def community_need(app: Any) -> Any:
    person = app.people.add(
        given_name="Dafydd",
        family_name="ap Rhys",
        date_of_birth="1985-05-05",
        gender="male",
        setting="community",
        area="West Yorkshire",
        consent_given_on="2026-01-01",
    )
    return app.needs.log(person.id, "accommodation", "Needs a flat")


@pytest.fixture
def custody_need(app: Any) -> Any:
    person = app.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="2001-05-10",
        gender="F",
        setting="custody",
        prison="HMP Styal",
        consent_given_on="2026-01-01",
    )
    return app.needs.log(person.id, "accommodation", "Somewhere to live on release")


def open_dialog(qtbot: Any, host: Any, app: Any, need_id: str, **kwargs: Any) -> Any:
    from referral_desk.ui.find_service import FindServiceDialog

    dialog = FindServiceDialog(app, need_id, host, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    with qtbot.waitActive(dialog):  # shortcuts and mnemonics need the active window
        dialog.activateWindow()
    wait_results(qtbot, dialog)
    return dialog


def wait_results(qtbot: Any, dialog: Any) -> None:
    qtbot.waitUntil(lambda: not dialog.search_pending, timeout=5000)


def names(dialog: Any) -> list[str]:
    proxy = dialog.model
    return [proxy.index(row, 0).data() for row in range(proxy.rowCount())]


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.gui
def test_filters_start_from_the_need_and_a_person_in_custody(
    qtbot, host, app, directory, custody_need
) -> None:
    dialog = open_dialog(qtbot, host, app, custody_need.id)
    assert dialog.category_combo.currentData() == "accommodation"
    assert dialog.setting_combo.currentData() == "custody"
    assert dialog.prison_combo.currentText() == "HMP Styal"
    assert dialog.area_combo.currentText() == ""
    assert dialog.gender_combo.currentData() == "female"
    assert dialog.age_spin.value() == 24
    assert names(dialog) == ["Styal Resettlement Housing"]
    assert "Zoë Ward" in dialog.person_label.text() and "HMP Styal" in dialog.person_label.text()
    assert dialog.search_edit.hasFocus() or QApplication.focusWidget() is None


@pytest.mark.gui
def test_filters_start_from_a_person_in_the_community(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    assert dialog.setting_combo.currentData() == "community"
    assert dialog.area_combo.currentText() == "West Yorkshire"
    assert dialog.prison_combo.currentText() == ""
    assert dialog.gender_combo.currentData() == "male"
    assert dialog.age_spin.value() == 40
    # Not the 18–25 service, not the women's one in custody, not the debt service.
    assert sorted(names(dialog)) == ["Lighthouse Housing Advice", "Lighthouse Tenancy Support"]


@pytest.mark.gui
def test_clear_and_reset_filters(qtbot, host, app, directory, community_need) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    wait_results(qtbot, dialog)
    assert dialog.category_combo.currentData() is None and dialog.age_spin.value() == 0
    assert len(names(dialog)) == 5
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    wait_results(qtbot, dialog)
    assert len(names(dialog)) == 2


@pytest.mark.gui
def test_changing_a_filter_searches_again(qtbot, host, app, directory, community_need) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.mouseClick(dialog.free_check, Qt.MouseButton.LeftButton)
    wait_results(qtbot, dialog)
    assert names(dialog) == ["Lighthouse Housing Advice"]
    qtbot.mouseClick(dialog.prechecked_check, Qt.MouseButton.LeftButton)
    wait_results(qtbot, dialog)
    assert names(dialog) == ["Lighthouse Housing Advice"]


# --- searching and showing ---------------------------------------------------------------------


@pytest.mark.gui
def test_typing_searches_and_the_table_shows_what_matters(
    qtbot, host, app, directory, community_need
) -> None:
    from referral_desk.ui.service_models import STALE_COLOUR, ResultColumn

    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "tenan")
    wait_results(qtbot, dialog)
    # "tenancy" is also an Accommodation synonym, so both match; the name match ranks first.
    assert names(dialog)[0] == "Lighthouse Tenancy Support"
    row = {c: dialog.model.index(0, c).data() for c in ResultColumn}
    assert row[ResultColumn.ORGANISATION] == "Lighthouse Trust"
    assert row[ResultColumn.COST] == "£120 per place"
    assert row[ResultColumn.CAPACITY] == "Accepting"
    assert row[ResultColumn.PRECHECK] == "—"
    assert row[ResultColumn.VERIFIED] == "verified 14 months ago"
    colour = dialog.model.index(0, ResultColumn.VERIFIED).data(Qt.ItemDataRole.ForegroundRole)
    assert colour.color() == STALE_COLOUR
    assert dialog.status_label.text() == f"{len(names(dialog))} services found."

    dialog.search_edit.clear()
    qtbot.keyClicks(dialog.search_edit, "housing advice")
    wait_results(qtbot, dialog)
    assert names(dialog) == ["Lighthouse Housing Advice"]
    assert dialog.model.index(0, ResultColumn.PRECHECK).data() == "ISP · Attendance"
    assert dialog.model.index(0, ResultColumn.VERIFIED).data() == "verified 1 month ago"
    assert dialog.model.index(0, ResultColumn.VERIFIED).data(Qt.ItemDataRole.ForegroundRole) is None


@pytest.mark.gui
def test_the_dialog_searches_on_its_windows_worker(qtbot, host, app, community_need) -> None:
    """It creates no worker of its own (issue 13 §1): searches queue behind the window's."""
    from referral_desk.ui.worker import Worker

    dialog = open_dialog(qtbot, host, app, community_need.id)
    assert dialog.findChildren(Worker) == []
    assert host.worker.is_idle()


@pytest.mark.gui
def test_search_runs_off_the_ui_thread(qtbot, host, app, directory, community_need) -> None:
    threads: list[threading.Thread] = []
    real = app.directory.search

    def spy(query):
        threads.append(threading.current_thread())
        return real(query)

    app.directory.search = spy
    try:
        dialog = open_dialog(qtbot, host, app, community_need.id)
        qtbot.keyClicks(dialog.search_edit, "li")
        wait_results(qtbot, dialog)
    finally:
        del app.directory.search
    assert threads and all(t is not threading.main_thread() for t in threads)
    # Keystrokes within the debounce interval coalesce: far fewer searches than keys.
    assert len(threads) <= 3


@pytest.mark.gui
def test_a_slow_search_says_so_and_typing_stays_responsive(
    qtbot, host, app, directory, community_need
) -> None:
    import time

    real = app.directory.search
    release = threading.Event()

    def slow(query):
        release.wait(5)
        return real(query)

    dialog = open_dialog(qtbot, host, app, community_need.id)
    app.directory.search = slow
    try:
        qtbot.keyClicks(dialog.search_edit, "tenancy")
        qtbot.waitUntil(lambda: dialog.status_label.text() == "Searching…", timeout=3000)
        started = time.perf_counter()
        qtbot.keyClicks(dialog.search_edit, " support")  # the UI thread is free meanwhile
        assert time.perf_counter() - started < 1.0
        assert dialog.search_edit.text() == "tenancy support"
        release.set()
        wait_results(qtbot, dialog)
    finally:
        release.set()
        del app.directory.search
    assert names(dialog)[0] == "Lighthouse Tenancy Support"
    assert dialog.status_label.text().endswith("found.")


@pytest.mark.gui
def test_detail_pane_shows_how_to_refer_and_contact(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "advice")
    wait_results(qtbot, dialog)
    text = dialog.detail.toPlainText()
    assert "How to refer" in text
    assert "Email" in text and "refer@lighthouse.example" in text
    assert "0113 496 0101" in text and "Sam Reed" in text
    assert "usually within 3 working days" in text
    assert "Mon–Fri 9–5" in text
    assert "Information-sharing protocol agreed; reports attendance" in text
    assert "Verified 1 month ago" in text and "J. Patel" in text


@pytest.mark.gui
def test_no_results_suggests_recording_the_need_as_unmet(
    qtbot, host, app, directory, community_need
) -> None:
    from referral_desk.ui.find_service import FindServiceDialog

    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "zzzzqqq")
    wait_results(qtbot, dialog)
    assert names(dialog) == []
    assert "record the need as unmet" in dialog.status_label.text()
    assert dialog.detail.toPlainText() == ""
    menu = dialog.unmet_button.menu()
    action = next(a for a in menu.actions() if a.data() == "unmet_no_service")
    action.trigger()
    qtbot.waitUntil(lambda: dialog.result() == FindServiceDialog.UNMET_RECORDED, timeout=5000)
    assert dialog.unmet_status == "unmet_no_service"
    assert app.needs.get(community_need.id).status == "unmet_no_service"
    assert app.referrals.list() == []


# --- referring -------------------------------------------------------------------------------


@pytest.mark.gui
def test_keyboard_refers_to_the_highlighted_result_and_stores_it(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "lighthouse")
    wait_results(qtbot, dialog)
    found = names(dialog)
    assert sorted(found) == ["Lighthouse Housing Advice", "Lighthouse Tenancy Support"]
    assert dialog.current_service().name == found[0]  # the top hit is highlighted
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Down)  # focus stays in the search box
    assert dialog.current_service().name == found[1]
    assert found[1] in dialog.detail.toPlainText()
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Up)
    assert dialog.current_service().name == found[0]
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Down)
    chosen = {"Lighthouse Housing Advice": "advice", "Lighthouse Tenancy Support": "tenancy"}

    def record(rec: Any) -> None:
        qtbot.waitUntil(lambda: rec.loaded, timeout=5000)  # it loads from the worker
        assert rec.service.name == found[1]
        assert rec.focusWidget() is rec.consent_check
        qtbot.keyClick(rec.consent_check, Qt.Key.Key_Space)
        qtbot.keyClick(rec.consent_check, Qt.Key.Key_Return)

    seen = when_modal(QDialog, record)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    assert seen
    assert dialog.result() == QDialog.DialogCode.Accepted
    ref = dialog.last_referral
    assert (
        ref is not None and ref.service_id == directory[chosen[found[1]]] and ref.status == "sent"
    )
    stored = app.referrals.list(community_need.person_id)
    assert [r.reference for r in stored] == [ref.reference]
    (follow_up,) = app.follow_ups.list()
    assert follow_up.kind == "check_acceptance" and follow_up.referral_id == ref.id


@pytest.mark.gui
def test_double_click_opens_the_record_dialog_and_cancel_returns_to_the_search(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    view = dialog.table
    rect = view.visualRect(dialog.model.index(1, 0))

    def cancel(rec: Any) -> None:
        qtbot.waitUntil(lambda: rec.loaded, timeout=5000)
        assert rec.service.name == names(dialog)[1]
        qtbot.mouseClick(rec.cancel_button, Qt.MouseButton.LeftButton)

    seen = when_modal(QDialog, cancel)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert seen
    assert dialog.isVisible() and dialog.last_referral is None
    assert app.referrals.list() == []


@pytest.mark.gui
def test_enter_straight_after_typing_refers_to_the_new_top_hit(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id, debounce_ms=10_000)
    assert names(dialog)[0] == "Lighthouse Housing Advice"
    qtbot.keyClicks(dialog.search_edit, "tenancy")
    assert dialog.search_pending  # typing has not settled; the old list is still shown
    opened: list[str] = []

    def record(rec: Any) -> None:
        qtbot.waitUntil(lambda: rec.loaded, timeout=5000)
        opened.append(rec.service.name)
        rec.reject()

    seen = when_modal(QDialog, record)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    assert opened == ["Lighthouse Tenancy Support"]


@pytest.mark.gui
def test_refer_without_a_result_explains(qtbot, host, app, directory, community_need) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "zzzzqqq")
    wait_results(qtbot, dialog)
    qtbot.mouseClick(dialog.refer_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Choose a service in the list first."
    assert dialog.isVisible()


# --- keyboard and accessibility -----------------------------------------------------------------


@pytest.mark.gui
def test_shortcuts_move_focus(qtbot, host, app, directory, community_need) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert dialog.category_combo.hasFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert dialog.area_combo.hasFocus() or dialog.area_combo.lineEdit().hasFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert dialog.search_edit.hasFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.free_check.isChecked, timeout=2000)  # buttons animate the click


def unnamed_controls(root: QWidget) -> list[str]:
    """Focusable controls and buttons without an accessible name."""
    missing = []
    for widget in root.findChildren(QWidget):
        interactive = isinstance(widget, QAbstractButton) or (
            widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.isVisibleTo(root)
        )
        if not interactive or widget.parent() is None:
            continue
        name = widget.accessibleName() or (
            widget.text().replace("&", "") if isinstance(widget, QAbstractButton) else ""
        )
        # Viewports, scroll bars and a combo's inner parts are named by their owner.
        owner = widget.parentWidget()
        if not name and not (owner is not None and owner.accessibleName()):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


@pytest.mark.gui
def test_every_control_has_an_accessible_name(qtbot, host, app, directory, community_need) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    assert mnemonic_clashes(dialog) == []
    assert unnamed_controls(dialog) == []
    for widget in (
        dialog.search_edit,
        dialog.table,
        dialog.detail,
        dialog.category_combo,
        dialog.prison_combo,
        dialog.area_combo,
        dialog.age_spin,
        dialog.refer_button,
        dialog.unmet_button,
    ):
        assert widget.accessibleName()


def mnemonic_clashes(root: Any) -> list[str]:
    """Alt+letter mnemonics used by more than one label or button in a dialog."""
    import re
    from collections import Counter

    from PySide6.QtWidgets import QAbstractButton, QLabel

    letters = []
    for widget in root.findChildren(QLabel) + root.findChildren(QAbstractButton):
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue
        match = re.search(r"&([^&\s])", widget.text())
        if match:
            letters.append(match.group(1).lower())
    return [letter for letter, n in Counter(letters).items() if n > 1]


# --- corrections ---------------------------------------------------------------------------------


@pytest.mark.gui
def test_wrong_details_are_reported_from_the_search(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "tenancy")
    wait_results(qtbot, dialog)
    assert names(dialog)[0] == "Lighthouse Tenancy Support"

    from referral_desk.ui.correction_dialog import ReportCorrectionDialog

    def report(correction: Any) -> None:
        qtbot.keyClicks(correction.text, "This service closed in January.")
        qtbot.mouseClick(correction.send_button, Qt.MouseButton.LeftButton)

    seen = when_modal(ReportCorrectionDialog, report)
    qtbot.keyClick(dialog, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)  # animates the click
    qtbot.waitUntil(lambda: "keeper will check" in dialog.status_label.text(), timeout=5000)
    assert seen and seen[0].windowTitle() == "Report a correction"
    assert "keeper will check Lighthouse Tenancy Support" in dialog.status_label.text()
    stored = app.directory_admin.corrections("open")
    assert [(c.service_id, c.text) for c in stored] == [
        (directory["tenancy"], "This service closed in January.")
    ]
    assert dialog.isVisible()  # the search goes on


@pytest.mark.gui
def test_reporting_wrong_details_without_a_result_explains(
    qtbot, host, app, directory, community_need
) -> None:
    dialog = open_dialog(qtbot, host, app, community_need.id)
    qtbot.keyClicks(dialog.search_edit, "zzzzqqq")
    wait_results(qtbot, dialog)
    qtbot.mouseClick(dialog.correction_button, Qt.MouseButton.LeftButton)
    assert dialog.status_label.text() == "Select a service first, then report what is wrong."
    assert app.directory_admin.corrections("all") == []
