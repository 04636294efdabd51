"""The referral view: header and history, only legal next steps, reasons and outcomes where the
lifecycle needs them, follow-ups as DESIGN.md §5 says, and confirmation before deleting.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox
from qt_helpers import answer, when_modal
from settling import settle

from referral_desk.domain.errors import NotFound
from referral_desk.domain.lifecycle import REASON_LISTS, allowed_next
from referral_desk.domain.states import ReferralState
from referral_desk.store.models import Organisation, Service, ServiceCategory

S = ReferralState
# How to reach each state from sent, with the details each step needs.
PATHS: dict[ReferralState, list[tuple[str, dict[str, Any]]]] = {
    S.DRAFT: [],
    S.SENT: [],
    S.ACKNOWLEDGED: [("acknowledged", {})],
    S.WAITING_LIST: [("waiting_list", {})],
    S.ACCEPTED: [("accepted", {})],
    S.STARTED: [("accepted", {}), ("started", {})],
    S.DECLINED: [("declined", {"reason": "no_capacity"})],
    S.COMPLETED: [("accepted", {}), ("started", {}), ("completed", {"outcome": "achieved"})],
    S.ENDED_EARLY: [("accepted", {}), ("ended_early", {"reason": "disengaged"})],
    S.WITHDRAWN: [("withdrawn", {"reason": "duplicate"})],
}


@pytest.fixture
def service_id(app: Any) -> str:
    with app.db.write() as session:
        org = Organisation(name="Lighthouse Trust")
        session.add(org)
        session.flush()
        service = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=3)
        session.add(service)
        session.flush()
        session.add(ServiceCategory(service_id=service.id, category_code="accommodation"))
    return service.id


@pytest.fixture
def need(app: Any) -> Any:
    person = app.people.add(
        given_name="Dafydd",
        family_name="ap Rhys",
        date_of_birth="1985-05-05",
        consent_given_on="2026-01-01",
    )
    return app.needs.log(person.id, "accommodation", "Needs a flat")


def referral_in(app: Any, need: Any, service_id: str, state: ReferralState) -> Any:
    ref = app.referrals.make(
        need.id,
        service_id,
        consent=True,
        draft=state == S.DRAFT,
        shared_info=["name", "needs"],
        availability="Mornings",
    )
    for step, details in PATHS[state]:
        ref = app.referrals.record_status(ref.id, step, channel="phone", **details)
    assert ref.status == state.value
    return ref


def open_dialog(qtbot: Any, host: Any, app: Any, ref_or_id: str) -> Any:
    from referral_desk.ui.referral_dialog import ReferralDialog

    dialog = ReferralDialog(app, ref_or_id, host)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    qtbot.addWidget(dialog, before_close_func=lambda d: setattr(d, "confirm_discard", False))
    with qtbot.waitExposed(dialog):
        dialog.show()
    with qtbot.waitActive(dialog):  # shortcuts and mnemonics need the active window
        dialog.activateWindow()
    return dialog


def offered(dialog: Any) -> list[ReferralState]:
    return [s for s, b in dialog._state_buttons.items() if b.isVisibleTo(dialog)]


def click_state(qtbot: Any, dialog: Any, state: ReferralState) -> None:
    qtbot.mouseClick(dialog._state_buttons[state], Qt.MouseButton.LeftButton)


# --- showing -----------------------------------------------------------------------------------


@pytest.mark.gui
def test_header_details_and_history_are_shown(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.ACKNOWLEDGED)
    dialog = open_dialog(qtbot, host, app, ref.reference)  # by short reference as well as id
    assert dialog.reference_label.text() == ref.reference
    assert dialog.reference_label.font().pointSizeF() > dialog.font().pointSizeF() * 2
    assert dialog.status_label.text() == "Acknowledged"
    assert "Lighthouse Housing Advice" in dialog.service_label.text()
    assert "Dafydd ap Rhys" in dialog.person_label.text()
    assert "Accommodation – Needs a flat" in dialog.person_label.text()
    assert dialog.windowTitle() == f"Referral {ref.reference}"
    model = dialog.history_model
    changes = [model.index(r, 1).data() for r in range(model.rowCount())]
    assert changes == ["Draft", "Draft → Sent", "Sent → Acknowledged"]
    assert model.index(2, 2).data() == "Alex Morgan"  # who
    assert model.index(2, 3).data() == "Phone"  # channel
    details = {
        dialog.details_form.itemAt(r, dialog.details_form.ItemRole.LabelRole)
        .widget()
        .text(): dialog.details_form.itemAt(r, dialog.details_form.ItemRole.FieldRole)
        .widget()
        .text()
        for r in range(dialog.details_form.rowCount())
    }
    assert details["Shared:"] == "Name, Needs being referred"
    assert details["Availability:"] == "Mornings"
    assert details["Consent:"] == "Confirmed"


@pytest.mark.gui
@pytest.mark.parametrize("state", list(ReferralState), ids=lambda s: s.value)
def test_only_legal_next_steps_are_offered(qtbot, host, app, need, service_id, state) -> None:
    ref = referral_in(app, need, service_id, state)
    dialog = open_dialog(qtbot, host, app, ref.id)
    assert offered(dialog) == allowed_next(state)
    closed = not allowed_next(state)
    assert dialog.closed_label.isVisibleTo(dialog) == closed
    assert dialog.record_button.isVisibleTo(dialog) == (not closed)


# --- recording steps --------------------------------------------------------------------------


@pytest.mark.gui
def test_decline_needs_a_reason_from_the_decline_list(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    assert not dialog.reason_combo.isVisibleTo(dialog)
    click_state(qtbot, dialog, S.DECLINED)
    assert dialog.reason_combo.isVisibleTo(dialog)
    reasons = [dialog.reason_combo.itemData(i) for i in range(1, dialog.reason_combo.count())]
    assert reasons == [i.code for i in app.reference.list(REASON_LISTS[S.DECLINED])]
    assert not dialog.record_button.isEnabled()
    assert dialog.hint_label.text() == "Choose a reason for declined."
    assert dialog.record() is False  # refused in code too
    dialog.reason_combo.setCurrentIndex(dialog.reason_combo.findData("no_capacity"))
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("provider_feedback"))
    qtbot.keyClicks(dialog.note_edit, "Full until April")
    assert dialog.record_button.isEnabled()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)

    stored = app.referrals.get(ref.id)
    assert stored.status == "declined"
    last = stored.history[-1]
    assert (last.reason_code, last.channel, last.note) == (
        "no_capacity",
        "provider_feedback",
        "Full until April",
    )
    assert dialog.status_label.text() == "Declined"
    assert offered(dialog) == [] and dialog.closed_label.isVisibleTo(dialog)
    assert dialog.history_model.index(2, 4).data() == "No capacity"
    assert dialog.changed
    # Declining answers the "check acceptance" follow-up.
    assert app.follow_ups.list() == []


@pytest.mark.gui
def test_accept_with_appointment_schedules_the_attendance_check(
    qtbot, host, app, need, service_id
) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    click_state(qtbot, dialog, S.ACCEPTED)
    assert dialog.appointment_widget.isVisibleTo(dialog)
    assert not dialog.appointment_edit.isEnabled()
    qtbot.mouseClick(dialog.appointment_check, Qt.MouseButton.LeftButton)
    dialog.appointment_edit.setDateTime(QDateTime(datetime(2026, 3, 6, 11, 0)))  # a Friday
    dialog.place_edit.setText("Bridge Street office")
    qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, host)

    stored = app.referrals.get(ref.id)
    assert stored.status == "accepted"
    assert stored.appointment_at == datetime(2026, 3, 6, 11, 0)
    assert stored.appointment_place == "Bridge Street office"
    kinds = {(f.kind, f.due_on) for f in app.follow_ups.list()}
    assert kinds == {("check_attendance", date(2026, 3, 9))}  # the working day after
    assert offered(dialog) == allowed_next(S.ACCEPTED)


@pytest.mark.gui
def test_complete_needs_an_outcome_and_meets_the_need(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.STARTED)
    dialog = open_dialog(qtbot, host, app, ref.id)
    click_state(qtbot, dialog, S.COMPLETED)
    assert dialog.outcome_widget.isVisibleTo(dialog)
    assert not dialog.record_button.isEnabled()
    assert dialog.hint_label.text() == "Choose the outcome."
    dialog.outcome_combo.setCurrentIndex(dialog.outcome_combo.findData("achieved"))
    qtbot.keyClicks(dialog.outcome_note_edit, "Tenancy signed")
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)

    stored = app.referrals.get(ref.id)
    assert (stored.status, stored.outcome, stored.outcome_note) == (
        "completed",
        "achieved",
        "Tenancy signed",
    )
    assert app.needs.get(need.id).status == "met"
    assert dialog.status_label.text() == "Completed"
    assert offered(dialog) == []


@pytest.mark.gui
def test_whole_lifecycle_by_keyboard(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.DRAFT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    for state in (S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.STARTED):
        button = dialog._state_buttons[state]
        button.setFocus()
        qtbot.keyClick(button, Qt.Key.Key_Space)
        assert dialog.selected_state() == state
        qtbot.keyClick(button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        settle(qtbot, host)
        assert app.referrals.get(ref.id).status == state.value
    stored = app.referrals.get(ref.id)
    assert [h.to_status for h in stored.history] == [
        "draft",
        "sent",
        "acknowledged",
        "accepted",
        "started",
    ]
    assert {f.kind for f in app.follow_ups.list()} == {"review_progress"}


@pytest.mark.gui
def test_withdraw_from_draft_uses_the_withdraw_reasons(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.DRAFT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    click_state(qtbot, dialog, S.WITHDRAWN)
    reasons = [dialog.reason_combo.itemData(i) for i in range(1, dialog.reason_combo.count())]
    assert "made_by_mistake" in reasons and "no_capacity" not in reasons
    dialog.reason_combo.setCurrentIndex(dialog.reason_combo.findData("made_by_mistake"))
    assert dialog.record()
    settle(qtbot, host)
    assert app.referrals.get(ref.id).status == "withdrawn"


# --- deleting and discarding --------------------------------------------------------------------


@pytest.mark.gui
def test_delete_asks_first_and_cancel_keeps_the_referral(
    qtbot, host, app, need, service_id
) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    seen = when_modal(QMessageBox, answer("Cancel"))
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    assert seen and dialog.isVisible()
    assert app.referrals.get(ref.id).status == "sent"

    seen = when_modal(QMessageBox, answer("Delete referral"))
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, host)
    assert seen and not dialog.isVisible() and dialog.deleted
    assert dialog.result() == dialog.DialogCode.Accepted
    with pytest.raises(NotFound):
        app.referrals.get(ref.id)
    assert app.follow_ups.list() == []


@pytest.mark.gui
def test_closing_with_an_unrecorded_step_asks_first(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    click_state(qtbot, dialog, S.ACKNOWLEDGED)
    seen = when_modal(QMessageBox, answer("Cancel"))
    qtbot.keyClick(dialog.note_edit, Qt.Key.Key_Escape)
    assert seen and dialog.isVisible()
    seen = when_modal(QMessageBox, answer("Discard"))
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert seen and not dialog.isVisible()
    assert app.referrals.get(ref.id).status == "sent"


@pytest.mark.gui
def test_close_without_changes_does_not_ask_and_reports_changes(
    qtbot, host, app, need, service_id
) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected
    assert not dialog.changed


@pytest.mark.gui
def test_print_slip_opens_the_preview(qtbot, host, app, need, service_id) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    titles: list[str] = []

    def close(preview: Any) -> None:
        titles.append(preview.windowTitle())
        preview.reject()

    seen = when_modal(QDialog, close)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert seen and ref.reference in titles[0]
    assert dialog.isVisible()


@pytest.mark.gui
def test_every_control_has_an_accessible_name(qtbot, host, app, need, service_id) -> None:
    from PySide6.QtWidgets import QAbstractButton, QWidget

    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)
    click_state(qtbot, dialog, S.ACCEPTED)
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
def test_a_correction_to_the_service_is_reported_from_the_referral(
    qtbot, host, app, need, service_id
) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    dialog = open_dialog(qtbot, host, app, ref.id)

    from referral_desk.ui.correction_dialog import ReportCorrectionDialog

    def report(correction: Any) -> None:
        qtbot.waitUntil(lambda: bool(correction.heading.text()), timeout=5000)
        assert "Lighthouse Housing Advice" in correction.heading.text()
        qtbot.keyClicks(correction.text, "Phone number is now 0113 496 0999")
        qtbot.mouseClick(correction.send_button, Qt.MouseButton.LeftButton)

    seen = when_modal(ReportCorrectionDialog, report)
    qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # animates the click
    qtbot.waitUntil(
        lambda: dialog.correction_button.text() != "Report a &correction…", timeout=5000
    )
    assert seen and seen[0].windowTitle() == "Report a correction"
    assert dialog.correction_button.text() == "&Correction reported"
    stored = app.directory_admin.corrections("open")
    assert [(c.service_id, c.text) for c in stored] == [
        (service_id, "Phone number is now 0113 496 0999")
    ]
    assert app.referrals.get(ref.id).status == "sent"  # the referral itself is untouched


@pytest.mark.gui
def test_shared_risk_information_is_shown_with_its_words(
    qtbot, host, app, need, service_id
) -> None:
    ref = app.referrals.make(
        need.id, service_id, consent=True, share_risk=True, risk_note="No lone home visits"
    )
    dialog = open_dialog(qtbot, host, app, ref.id)
    form = dialog.details_form
    details = {
        form.itemAt(r, form.ItemRole.LabelRole).widget().text(): form.itemAt(
            r, form.ItemRole.FieldRole
        )
        .widget()
        .text()
        for r in range(form.rowCount())
    }
    assert "RISK INFORMATION" in details["Shared:"]
    assert details["Risk shared:"] == "No lone home visits"


@pytest.mark.gui
def test_details_wrap_whole_instead_of_being_cut(qtbot, host, app, need, service_id) -> None:
    """'Shared: Name, Needs being' and an appointment without its place were cut off."""
    from screen_checks import label_problems

    shared = ["name", "needs", "date_of_birth", "contact_details", "release_date"]
    ref = app.referrals.make(
        need.id,
        service_id,
        consent=True,
        shared_info=shared,
        availability="Any weekday morning except Tuesdays, when he reports to probation",
        appointment_at=datetime(2026, 12, 7, 10, 0),
        appointment_place="Lighthouse drop-in centre, 14 Harbour Street (side door, ring the bell)",
    )
    dialog = open_dialog(qtbot, host, app, ref.id)
    assert label_problems(dialog) == []
    values = [label.text() for label in dialog.details_scroll.findChildren(QLabel)]
    assert any("Needs being referred" in v for v in values)
    assert any("ring the bell" in v for v in values)


@pytest.mark.gui
def test_the_suggested_appointment_is_the_next_working_day_not_a_saturday(
    qtbot, host, app, need, service_id
) -> None:
    ref = referral_in(app, need, service_id, S.SENT)
    app.clock.fixed_today = date(2026, 3, 6)  # a Friday
    dialog = open_dialog(qtbot, host, app, ref.id)
    assert dialog.appointment_edit.dateTime().toPython() == datetime(2026, 3, 9, 10, 0)


@pytest.mark.gui
def test_the_details_arrive_with_the_referral_and_show_without_scrolling(
    qtbot, host, app, need, service_id
) -> None:
    from referral_desk.ui.referral_dialog import ReferralDialog

    ref = referral_in(app, need, service_id, S.SENT)
    dialog = ReferralDialog(app, ref.id, host)  # shown at once, as the window does,
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)  # then filled from the worker
    scroll = dialog.details_scroll
    made_on = dialog.details_form.itemAt(0, dialog.details_form.ItemRole.FieldRole).widget()
    # Rows added to a shown form are shown, and laid out, at a later turn of the event loop.
    qtbot.waitUntil(
        lambda: made_on.isVisible() and scroll.verticalScrollBar().maximum() == 0, timeout=5000
    )
    assert (
        scroll.viewport()
        .rect()
        .contains(made_on.mapTo(scroll.viewport(), made_on.rect().bottomRight()))
    )
    last_row = dialog.details_form.rowCount() - 1
    last = dialog.details_form.itemAt(last_row, dialog.details_form.ItemRole.FieldRole).widget()
    assert (
        scroll.viewport().rect().contains(last.mapTo(scroll.viewport(), last.rect().bottomLeft()))
    )
