"""A save refused because the database is busy keeps the dialog open with everything typed,
and offers "Try again", which saves (issue 11, point 4 in the client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from settling import settle

from referral_desk.domain.errors import DatabaseBusy
from referral_desk.domain.states import ReferralState
from referral_desk.store.database import BUSY_MESSAGE
from referral_desk.store.models import Organisation, Service, ServiceCategory

pytestmark = pytest.mark.gui


def busy_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    """Make `target.name` fail once as a busy database would (nothing stored), then work."""
    real = getattr(target, name)
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseBusy(BUSY_MESSAGE)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)
    return calls


def show(qtbot: Any, dialog: QWidget) -> Any:
    qtbot.addWidget(dialog, before_close_func=lambda d: setattr(d, "confirm_discard", False))
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    settle(qtbot, dialog)  # what the dialog loads arrives from the worker
    return dialog


def offers_try_again(qtbot: Any, bar: Any) -> Callable[[], None]:
    """The bar says busy and shows Try again; returns a click on it."""
    assert bar.kind == "error" and "busy" in bar.text()
    assert bar.action_button.isVisible()
    assert bar.action_button.text().replace("&", "") == "Try again"
    assert bar.action_button.accessibleName() == "Try again"

    def click() -> None:
        qtbot.mouseClick(bar.action_button, Qt.MouseButton.LeftButton)
        settle(qtbot, bar)

    return click


def test_new_person_form_survives_a_busy_database(qtbot, host, app, monkeypatch) -> None:
    from referral_desk.ui.person_dialog import PersonDialog

    calls = busy_once(monkeypatch, app.people, "add")
    dialog = show(qtbot, PersonDialog(app, host))
    qtbot.keyClicks(dialog.given_name, "Zoe")
    qtbot.keyClicks(dialog.family_name, "Ward")
    qtbot.keyClicks(dialog.date_of_birth, "09/09/1999")
    qtbot.keyClicks(dialog.crn, "X123456")
    dialog.cohort_iom.setChecked(True)
    typed = (
        dialog.given_name.text(),
        dialog.family_name.text(),
        dialog.date_of_birth.text(),
        dialog.crn.text(),
        dialog.cohort_iom.isChecked(),
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)

    assert calls == [1] and app.people.list() == []
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert (
        dialog.given_name.text(),
        dialog.family_name.text(),
        dialog.date_of_birth.text(),
        dialog.crn.text(),
        dialog.cohort_iom.isChecked(),
    ) == typed
    try_again = offers_try_again(qtbot, dialog.message_bar)
    try_again()

    assert dialog.result() == QDialog.DialogCode.Accepted
    [person] = app.people.list()
    assert person.id == dialog.saved.id and person.crn == "X123456"


def test_pressing_save_again_also_retries(qtbot, host, app, monkeypatch) -> None:
    from referral_desk.ui.person_dialog import PersonDialog

    busy_once(monkeypatch, app.people, "add")
    dialog = show(qtbot, PersonDialog(app, host))
    qtbot.keyClicks(dialog.given_name, "Dee")
    qtbot.keyClicks(dialog.family_name, "Jones")
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Return)  # Enter saves...
    settle(qtbot, dialog)
    assert dialog.isVisible() and "busy" in dialog.message_bar.text()
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Return)  # ...and Enter again saves again
    settle(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [p.family_name for p in app.people.list()] == ["Jones"]


@pytest.fixture
def person(app: Any) -> Any:
    return app.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="1999-09-09",
        consent_given_on="2026-01-01",
    )


def test_need_placed_first_is_logged_once_in_one_write_after_a_busy_database(
    qtbot, host, app, person, monkeypatch
) -> None:
    from referral_desk.ui.need_dialog import NeedDialog

    app.needs.log(person.id, "finance", "Rent arrears")
    busy_once(monkeypatch, app.needs, "log")
    # Placing it first is part of logging it (one transaction): no separate reorder.
    monkeypatch.setattr(app.needs, "reorder", lambda *a, **k: pytest.fail("reordered apart"))
    dialog = show(qtbot, NeedDialog(app, person.id, host, need_count=1))
    qtbot.keyClicks(dialog.category.lineEdit(), "hous")
    qtbot.keyClicks(dialog.description, "Needs a flat on release")
    dialog.priority.setValue(1)
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    settle(qtbot, dialog)

    assert dialog.isVisible() and dialog.description.text() == "Needs a flat on release"
    assert [n.category for n in app.needs.list(person.id)] == ["finance"]  # nothing half-done
    offers_try_again(qtbot, dialog.message_bar)()
    assert dialog.result() == QDialog.DialogCode.Accepted
    needs = app.needs.list(person.id)
    assert [(n.category, n.priority) for n in needs] == [("accommodation", 1), ("finance", 2)]


def test_need_form_survives_a_busy_database(qtbot, host, app, person, monkeypatch) -> None:
    from referral_desk.ui.need_dialog import NeedDialog

    busy_once(monkeypatch, app.needs, "log")
    dialog = show(qtbot, NeedDialog(app, person.id, host))
    qtbot.keyClicks(dialog.category.lineEdit(), "debt")
    qtbot.keyClicks(dialog.description, "Rent arrears")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    settle(qtbot, dialog)
    assert app.needs.list(person.id) == []
    assert (dialog.category.currentText(), dialog.description.text()) == ("debt", "Rent arrears")
    offers_try_again(qtbot, dialog.message_bar)()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [n.description for n in app.needs.list(person.id)] == ["Rent arrears"]


@pytest.fixture
def service_id(app: Any) -> str:
    with app.db.write() as session:
        org = Organisation(name="Lighthouse Trust")
        service = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=3)
        session.add_all(
            [org, service, ServiceCategory(service_id=service.id, category_code="accommodation")]
        )
    return service.id


def test_referral_form_survives_a_busy_database(
    qtbot, host, app, person, service_id, monkeypatch
) -> None:
    from referral_desk.ui.record_referral import RecordReferralDialog

    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    calls = busy_once(monkeypatch, app.referrals, "make")
    dialog = show(qtbot, RecordReferralDialog(app, need.id, service_id, host))
    dialog.consent_check.setChecked(True)
    qtbot.keyClicks(dialog.availability_edit, "Mornings only")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)

    assert calls == [1] and dialog.isVisible() and dialog.referral is None
    assert dialog.consent_check.isChecked()
    assert dialog.availability_edit.text() == "Mornings only"
    offers_try_again(qtbot, dialog.error_bar)()
    assert dialog.result() == QDialog.DialogCode.Accepted
    [ref] = app.referrals.list(person.id)
    assert (ref.status, ref.availability) == ("sent", "Mornings only")


def test_referral_update_survives_a_busy_database(
    qtbot, host, app, person, service_id, monkeypatch
) -> None:
    from referral_desk.ui.referral_dialog import ReferralDialog

    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    ref = app.referrals.make(need.id, service_id, consent=True)
    busy_once(monkeypatch, app.referrals, "record_status")
    dialog = show(qtbot, ReferralDialog(app, ref.id, host))
    dialog.choose(ReferralState.ACKNOWLEDGED)
    qtbot.keyClicks(dialog.note_edit, "Spoke to the duty worker")
    assert dialog.record()  # on its way to the worker, which finds the database busy
    settle(qtbot, dialog)

    assert app.referrals.get(ref.id).status == "sent"
    assert dialog.selected_state() == ReferralState.ACKNOWLEDGED
    assert dialog.note_edit.toPlainText() == "Spoke to the duty worker"
    offers_try_again(qtbot, dialog.error_bar)()
    stored = app.referrals.get(ref.id)
    assert (stored.status, stored.history[-1].note) == ("acknowledged", "Spoke to the duty worker")


def test_window_actions_refused_as_busy_offer_try_again(qtbot, host, app, window) -> None:
    from referral_desk.domain.errors import ValidationError
    from referral_desk.ui.messages import show_error

    ran: list[int] = []
    show_error(
        window.caseload,
        ValidationError("Choose the prison for someone in custody."),
        retry=lambda: ran.append(1),
    )
    assert not window.message_bar.action_button.isVisible()  # only busy is worth retrying
    show_error(window.caseload, DatabaseBusy(BUSY_MESSAGE), retry=lambda: ran.append(1))
    offers_try_again(qtbot, window.message_bar)()
    assert ran == [1]
