"""Record a referral: consent first, minimum information shared, duplicates confirmed, and
nothing typed is lost without asking. Each test drives the dialog and checks the stored referral.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, QPoint, Qt
from PySide6.QtWidgets import QMessageBox
from qt_helpers import answer, when_modal
from settling import settle

from referral_desk.store.models import Organisation, Service, ServiceCategory


def add_service(app: Any, name: str = "Lighthouse Housing Advice", **fields: Any) -> str:
    with app.db.write() as session:
        org = Organisation(name="Lighthouse Trust")
        session.add(org)
        session.flush()
        service = Service(name=name, organisation_id=org.id, **fields)
        session.add(service)
        session.flush()
        session.add(ServiceCategory(service_id=service.id, category_code="accommodation"))
    return service.id


@pytest.fixture
def service_id(app: Any) -> str:
    return add_service(
        app,
        response_days=3,
        referral_method="email",
        phone="0113 496 0101",
        languages=["Polish", "Welsh"],
    )


@pytest.fixture
def need(app: Any) -> Any:
    person = app.people.add(
        given_name="Dafydd",
        family_name="ap Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    return app.needs.log(person.id, "accommodation", "Needs a flat")


def open_dialog(qtbot: Any, host: Any, app: Any, need_id: str, service_id: str) -> Any:
    from referral_desk.ui.record_referral import RecordReferralDialog

    dialog = RecordReferralDialog(app, need_id, service_id, host)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    # Teardown closes widgets; a test that leaves typed data must not hang on the question.
    qtbot.addWidget(dialog, before_close_func=lambda d: setattr(d, "confirm_discard", False))
    with qtbot.waitExposed(dialog):
        dialog.show()
    with qtbot.waitActive(dialog):  # shortcuts and mnemonics need the active window
        dialog.activateWindow()
    settle(qtbot, host)  # the first field takes the focus at a later turn of the event loop
    return dialog


# --- consent -----------------------------------------------------------------------------------


@pytest.mark.gui
def test_send_is_refused_until_consent_is_ticked(qtbot, host, app, need, service_id) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert dialog.focusWidget() is dialog.consent_check
    assert not dialog.send_button.isEnabled() and not dialog.draft_button.isEnabled()
    assert dialog.hint_label.isVisible() and "consent" in dialog.hint_label.text()
    qtbot.keyClick(dialog.consent_check, Qt.Key.Key_Return)  # Enter with Send disabled
    settle(qtbot, host)
    assert dialog.isVisible() and app.referrals.list() == []
    assert dialog.save(draft=False) is False  # refused in code too, not only by the button
    assert app.referrals.list() == []
    qtbot.keyClick(dialog.consent_check, Qt.Key.Key_Space)
    assert dialog.send_button.isEnabled() and not dialog.hint_label.isVisible()


@pytest.mark.gui
def test_withdrawn_consent_is_explained_and_blocks_the_referral(
    qtbot, host, app, need, service_id
) -> None:
    app.people.update(need.person_id, consent_withdrawn_on="2026-02-01")
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert dialog.consent_withdrawn
    assert not dialog.consent_check.isEnabled()
    assert not dialog.send_button.isEnabled() and not dialog.draft_button.isEnabled()
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.hint_label)))
    assert "withdrawn on 1 Feb 2026" in texts
    assert "withdrawn consent" in dialog.hint_label.text()
    dialog.consent_check.setChecked(True)  # even if forced, saving is refused
    assert dialog.save(draft=False) is False
    assert app.referrals.list() == []


# --- what is stored ------------------------------------------------------------------------------


@pytest.mark.gui
def test_send_stores_everything_entered_and_schedules_the_follow_up(
    qtbot, host, app, need, service_id
) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert dialog.method_combo.currentData() == "email"  # the service's preferred route
    qtbot.keyClick(dialog.consent_check, Qt.Key.Key_Space)
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("phone"))
    qtbot.mouseClick(dialog.shared_checks["date_of_birth"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.shared_checks["needs"], Qt.MouseButton.LeftButton)  # untick
    qtbot.keyClicks(dialog.accessibility_edit, "Wheelchair user")
    qtbot.keyClicks(dialog.interpreter_edit, "Welsh")
    qtbot.keyClicks(dialog.availability_edit, "Mornings, not Tuesdays")
    qtbot.mouseClick(dialog.appointment_check, Qt.MouseButton.LeftButton)
    dialog.appointment_edit.setDateTime(QDateTime(datetime(2026, 3, 10, 14, 30)))
    dialog.place_edit.setText("12 Bridge Street")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)

    assert dialog.result() == dialog.DialogCode.Accepted
    ref = app.referrals.get(dialog.referral.id)
    assert ref.status == "sent" and ref.method == "phone" and ref.consent_confirmed
    assert set(ref.shared_info) == {"name", "date_of_birth"}
    assert not ref.share_risk
    assert ref.accessibility_needs == "Wheelchair user"
    assert ref.interpreter_language == "Welsh"
    assert ref.availability == "Mornings, not Tuesdays"
    assert ref.appointment_at == datetime(2026, 3, 10, 14, 30)
    assert ref.appointment_place == "12 Bridge Street"
    (follow_up,) = app.follow_ups.list()
    assert (follow_up.kind, follow_up.due_on) == ("check_acceptance", date(2026, 3, 5))
    assert app.needs.get(need.id).status == "referred"


@pytest.mark.gui
def test_a_send_as_soon_as_the_form_is_built_is_not_ignored(
    qtbot, host, app, need, service_id, monkeypatch
) -> None:
    """Ctrl+Return handled between the form arriving and the next turn of the event loop (when
    the first field takes the focus) sends: the form counted as loaded only once focused, so
    that Send was refused without a word (CI: tests/ui/test_busy_save.py clicked it then)."""
    from PySide6.QtWidgets import QDialog

    from referral_desk.ui.record_referral import RecordReferralDialog

    sent: list[bool] = []
    built = RecordReferralDialog._loaded

    def built_then_send(self: Any, form: Any) -> None:
        built(self, form)
        self.consent_check.setChecked(True)
        sent.append(self.save(draft=False))

    monkeypatch.setattr(RecordReferralDialog, "_loaded", built_then_send)
    dialog = RecordReferralDialog(app, need.id, service_id, host)
    qtbot.addWidget(dialog, before_close_func=lambda d: setattr(d, "confirm_discard", False))
    settle(qtbot, host)

    assert sent == [True] and dialog.result() == QDialog.DialogCode.Accepted
    [stored] = app.referrals.list()
    assert stored.status == "sent"


@pytest.mark.gui
def test_save_as_draft_keeps_a_draft_without_follow_up(qtbot, host, app, need, service_id) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    qtbot.mouseClick(dialog.consent_check, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.draft_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    (ref,) = app.referrals.list()
    assert ref.status == "draft" and ref.appointment_at is None
    assert app.follow_ups.list() == []


@pytest.mark.gui
def test_risk_information_is_separate_unticked_and_shared_only_by_choice(
    qtbot, host, app, need, service_id
) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert "risk" not in dialog.shared_checks
    assert not dialog.risk_check.isChecked()
    assert "not shared unless you tick" in dialog.risk_warning.text()
    qtbot.mouseClick(dialog.consent_check, Qt.MouseButton.LeftButton)
    # Click the box itself: the check box spans the dialog, its middle is empty space.
    qtbot.mouseClick(
        dialog.risk_check, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.risk_check.height() // 2)
    )
    assert dialog.risk_check.isChecked()
    # Ticking alone shares nothing: the officer writes what the provider needs to know.
    assert dialog.risk_edit.isVisible() and dialog.risk_edit.hasFocus()
    assert not dialog.send_button.isEnabled()
    assert "Write the risk information" in dialog.hint_label.text()
    qtbot.keyClicks(dialog.risk_edit, "No lone home visits, please.")
    assert dialog.send_button.isEnabled() and not dialog.hint_label.isVisible()
    qtbot.keyClick(dialog.consent_check, Qt.Key.Key_Return)  # Enter sends
    settle(qtbot, host)
    ref = app.referrals.get(dialog.referral.id)
    assert ref.share_risk and "risk" in ref.shared_info
    assert ref.risk_note == "No lone home visits, please."


@pytest.mark.gui
def test_unticking_risk_shares_none_of_what_was_written(qtbot, host, app, need, service_id) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    dialog.consent_check.setChecked(True)
    dialog.risk_check.setChecked(True)
    qtbot.keyClicks(dialog.risk_edit, "Written then thought better of")
    dialog.risk_check.setChecked(False)
    assert not dialog.risk_edit.isVisible()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    ref = app.referrals.get(dialog.referral.id)
    assert not ref.share_risk and ref.risk_note == "" and "risk" not in ref.shared_info


# --- duplicates --------------------------------------------------------------------------------


@pytest.mark.gui
def test_second_open_referral_needs_confirmation(qtbot, host, app, need, service_id) -> None:
    first = app.referrals.make(need.id, service_id, consent=True)
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert [r.reference for r in dialog.duplicates] == [first.reference]
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.hint_label)))
    assert f"already an open referral for this person to this service: {first.reference}" in texts
    qtbot.mouseClick(dialog.consent_check, Qt.MouseButton.LeftButton)

    questions: list[str] = []
    seen = when_modal(QMessageBox, answer("Cancel", questions))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    assert seen and "already an open referral" in questions[0]
    assert dialog.isVisible() and len(app.referrals.list()) == 1

    seen = when_modal(QMessageBox, answer("Make another referral"))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    assert seen and not dialog.isVisible()
    assert len(app.referrals.list()) == 2
    assert dialog.referral.warnings  # the service agrees it is a second one


@pytest.mark.gui
def test_closed_referral_to_the_same_service_is_no_duplicate(
    qtbot, host, app, need, service_id
) -> None:
    first = app.referrals.make(need.id, service_id, consent=True)
    app.referrals.record_status(first.id, "declined", reason="no_capacity")
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert dialog.duplicates == []


@pytest.mark.gui
def test_a_defunct_service_cannot_be_referred_to(qtbot, host, app, need) -> None:
    defunct = add_service(app, "Old Project", status="defunct")
    dialog = open_dialog(qtbot, host, app, need.id, defunct)
    dialog.consent_check.setChecked(True)
    assert not dialog.send_button.isEnabled()
    assert "not taking referrals" in dialog.hint_label.text()
    assert dialog.save(draft=False) is False and app.referrals.list() == []


# --- nothing lost without asking ------------------------------------------------------------------


@pytest.mark.gui
def test_closing_with_typed_content_asks_first(qtbot, host, app, need, service_id) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    qtbot.keyClicks(dialog.availability_edit, "Afternoons")

    questions: list[str] = []
    seen = when_modal(QMessageBox, answer("Cancel", questions))
    qtbot.keyClick(dialog.availability_edit, Qt.Key.Key_Escape)
    assert seen and "lost" in questions[0]
    assert dialog.isVisible() and dialog.availability_edit.text() == "Afternoons"

    seen = when_modal(QMessageBox, answer("Discard"))
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert seen and not dialog.isVisible()
    assert dialog.result() == dialog.DialogCode.Rejected
    assert app.referrals.list() == []


@pytest.mark.gui
def test_closing_an_untouched_form_does_not_ask(qtbot, host, app, need, service_id) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    qtbot.keyClick(dialog.consent_check, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


@pytest.mark.gui
def test_every_control_has_an_accessible_name(qtbot, host, app, need, service_id) -> None:
    from PySide6.QtWidgets import QAbstractButton, QWidget

    dialog = open_dialog(qtbot, host, app, need.id, service_id)
    assert mnemonic_clashes(dialog) == []
    for widget in dialog.findChildren(QWidget):
        focusable = widget.focusPolicy() != Qt.FocusPolicy.NoFocus
        if isinstance(widget, QAbstractButton) or (focusable and widget.isVisibleTo(dialog)):
            owner = widget.parentWidget()
            assert widget.accessibleName() or (owner and owner.accessibleName()), widget


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


@pytest.mark.gui
def test_the_suggested_appointment_is_ten_on_the_next_working_day(
    qtbot, host, app, need, service_id
) -> None:
    dialog = open_dialog(qtbot, host, app, need.id, service_id)  # today is Monday 2 March 2026
    assert dialog.appointment_edit.dateTime().toPython() == datetime(2026, 3, 3, 10, 0)
