"""Person view: needs in priority order, referrals, follow-ups and the timeline, and every case
action (reorder, delete, transfer, consent, hand-over, close, delete person, notes)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(gui, window, referred):
    window.open_person(referred["person"].id)
    gui.wait_idle(window)
    return referred


def needs_shown(window) -> list[str]:
    model = window.person_page.needs_model
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def timeline_texts(window) -> list[str]:
    proxy = window.person_page.timeline_proxy
    return [proxy.index(r, 1).data() for r in range(proxy.rowCount())]


def test_person_shows_needs_referrals_follow_ups_and_timeline(window, opened) -> None:
    page = window.person_page
    assert page.name_label.text() == "Zoë Ward"
    details = page.details_label.text()
    for bit in (
        "X123456",
        "A1234BC",
        "Born 9 Sep 1999 (age 26)",
        "Custody – HMP Leeds",
        "Release 20 Apr 2026 (in 7 weeks)",
        "Officer: Alex Morgan",
    ):
        assert bit in details
    assert needs_shown(window) == ["Social networks and mentoring", "Accommodation"]
    assert page.needs_model.index(0, 3).data() == "Referred"
    ref = opened["referral"]
    assert page.referrals_proxy.index(0, 0).data() == ref.reference
    assert page.tabs.tabText(0) == "&Referrals (1)"
    assert page.tabs.tabText(1) == "Follow-&ups (1 to do)"
    assert page.follow_model.index(0, 1).data() == "Check acceptance"
    texts = timeline_texts(window)
    assert f"Referral {ref.reference} to Hope Mentoring: sent" in texts
    assert "Need logged: Accommodation" in texts
    assert page.timeline_proxy.index(0, 2).data() == "Alex Morgan"  # who
    assert page.timeline_proxy.index(0, 0).data().startswith("2 Mar 2026")  # when
    assert not page.banner.isVisible()
    assert window.windowTitle() == "Zoë Ward — Referral Desk"


def test_reorder_needs_with_the_keyboard_and_by_dragging(qtbot, app, gui, window, opened) -> None:
    page = window.person_page
    page.needs_view.setFocus()
    page.needs_view.selectRow(0)
    assert not window.actions_by_name["move_need_up"].isEnabled()
    gui.key(window, "Alt+Down")
    gui.wait_idle(window)
    assert needs_shown(window) == ["Accommodation", "Social networks and mentoring"]
    assert [n.category for n in app.needs.list(opened["person"].id)] == [
        "accommodation",
        "mentoring",
    ]
    assert page.selected_need().category == "mentoring"  # the selection follows the need
    assert window.actions_by_name["move_need_up"].isEnabled()
    # Drag the second row above the first: the model asks, the store decides, the view reloads.
    model = page.needs_model
    mime = model.mimeData([model.index(1, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    gui.wait_idle(window)
    stored = [n.category for n in app.needs.list(opened["person"].id)]
    assert stored == ["mentoring", "accommodation"]
    assert needs_shown(window)[0] == "Social networks and mentoring"


def test_delete_need_asks_first(qtbot, app, gui, window, opened) -> None:
    page = window.person_page
    page.needs_view.setFocus()
    page.needs_view.selectRow(1)
    gui.on_next_dialog(lambda box: gui.button(box, "Cancel").click())
    qtbot.keyClick(page.needs_view, Qt.Key.Key_Delete)
    assert len(app.needs.list(opened["person"].id)) == 2
    asked: list[str] = []

    def delete(box) -> None:
        asked.append(box.text())
        gui.button(box, "Delete need").click()

    gui.on_next_dialog(delete)
    gui.activate(window)
    page.needs_view.setFocus()
    qtbot.keyClick(page.needs_view, Qt.Key.Key_Delete)
    gui.wait_idle(window)
    assert "Accommodation" in asked[0]
    assert [n.category for n in app.needs.list(opened["person"].id)] == ["mentoring"]
    assert needs_shown(window) == ["Social networks and mentoring"]
    assert window.message_bar.text() == "Need deleted."


def test_log_a_need_from_the_person_view(qtbot, app, gui, window, opened) -> None:
    def log(dialog) -> None:
        qtbot.keyClicks(dialog.category.lineEdit(), "debt")
        qtbot.keyClick(dialog.category.lineEdit(), Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.description, "Rent arrears")
        qtbot.keyClick(
            dialog.description,
            Qt.Key.Key_L,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        qtbot.keyClick(dialog.description, Qt.Key.Key_Return)

    gui.on_next_dialog(log)
    gui.key(window, "Ctrl+Shift+I")
    gui.wait_idle(window)
    assert needs_shown(window)[-1] == "Financial management and income"
    assert window.person_page.selected_need().status == "unmet_no_service"
    assert "Need unmet" in window.message_bar.text()


def test_find_a_service_for_the_selected_need(qtbot, app, gui, window, opened) -> None:
    page = window.person_page
    page.needs_view.selectRow(1)
    seen = gui.on_next_dialog(lambda dialog: dialog.reject())
    gui.key(window, "Ctrl+F")
    gui.wait_idle(window)
    assert type(seen[0]).__name__ == "FindServiceDialog"
    assert seen[0]._need_id == opened["second"].id


def test_open_referral_from_the_referrals_tab(qtbot, gui, window, opened) -> None:
    page = window.person_page
    page.referrals_view.setFocus()
    page.referrals_view.selectRow(0)

    def close(dialog) -> None:
        dialog.confirm_discard = False
        dialog.reject()

    seen = gui.on_next_dialog(close)
    qtbot.keyClick(page.referrals_view, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert type(seen[0]).__name__ == "ReferralDialog"
    assert seen[0].referral.id == opened["referral"].id


def test_mark_a_follow_up_done_from_the_person_view(qtbot, app, gui, window, opened) -> None:
    page = window.person_page
    page.tabs.setCurrentIndex(1)
    page.follow_view.setFocus()
    page.follow_view.selectRow(0)

    def done(dialog) -> None:
        qtbot.keyClicks(dialog.result_note, "Provider rang back: accepted")
        qtbot.keyClick(dialog.result_note, Qt.Key.Key_Return)

    gui.on_next_dialog(done)
    gui.key(window, "Ctrl+Shift+D")
    gui.wait_idle(window)
    [follow_up] = app.follow_ups.list(include_done=True)
    assert follow_up.done_on is not None
    assert follow_up.result_note == "Provider rang back: accepted"
    assert page.tabs.tabText(1) == "Follow-&ups (0 to do)"
    assert any("Provider rang back" in t for t in timeline_texts(window))


def test_transfer_offers_follow_ups_to_tell_providers(qtbot, app, gui, window, opened) -> None:
    def move(dialog) -> None:
        assert "1 open referral" in dialog.tell.text() and dialog.tell.isChecked()
        dialog.prison.setCurrentIndex(dialog.prison.findText("HMP Manchester"))
        qtbot.keyClick(dialog.office, Qt.Key.Key_Return)

    gui.on_next_dialog(move)
    gui.key(window, "Ctrl+Shift+T")
    gui.wait_idle(window)
    person = app.people.get(opened["person"].id)
    assert (person.setting, person.prison) == ("custody", "HMP Manchester")
    tells = [f for f in app.follow_ups.list() if f.kind == "tell_provider"]
    assert [t.referral_reference for t in tells] == [opened["referral"].reference]
    assert "1 follow-up added to tell providers" in window.message_bar.text()
    assert "Custody – HMP Manchester" in window.person_page.details_label.text()


def test_release_needs_no_prison_and_custody_does(qtbot, app, gui, window, opened) -> None:
    def move(dialog) -> None:
        dialog.prison.setEditText("")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "Choose the prison" in dialog.prison_error.text()
        dialog.community.click()
        assert not dialog.prison.isEnabled()
        dialog.tell.setChecked(False)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    gui.on_next_dialog(move)
    gui.key(window, "Ctrl+Shift+T")
    gui.wait_idle(window)  # the open referrals are counted on the worker first
    person = app.people.get(opened["person"].id)
    assert (person.setting, person.prison) == ("community", "")
    assert not [f for f in app.follow_ups.list() if f.kind == "tell_provider"]


def test_withdrawing_consent_flags_and_blocks(qtbot, app, gui, window, opened) -> None:
    consent = window.actions_by_name["consent"]
    assert consent.text() == "Withdraw &consent…"
    asked: list[str] = []

    def withdraw(box) -> None:
        asked.append(box.informativeText())
        gui.button(box, "Withdraw consent").click()

    gui.on_next_dialog(withdraw)
    consent.trigger()
    gui.wait_idle(window)
    assert "1 open referral" in asked[0]
    assert app.people.get(opened["person"].id).consent_withdrawn_on is not None
    assert [f.kind for f in app.follow_ups.list()].count("tell_provider") == 1
    page = window.person_page
    assert page.banner.isVisible() and "Consent withdrawn" in page.banner_label.text()
    assert consent.text() == "Record &consent…"
    # Giving consent again lifts the block.
    gui.on_next_dialog(lambda dialog: qtbot.keyClick(dialog.scope, Qt.Key.Key_Return))
    consent.trigger()
    gui.wait_idle(window)
    assert app.people.get(opened["person"].id).has_consent
    assert not page.banner.isVisible()


def test_hand_over_keeps_history_and_moves_follow_ups(qtbot, app, gui, window, opened) -> None:
    colleague = gui.add_officer("Sam Patel")

    def choose(dialog) -> None:
        assert dialog.officer.currentText() == "Sam Patel (Leeds South)"
        qtbot.keyClick(dialog.officer, Qt.Key.Key_Return)

    gui.on_next_dialog(choose)
    gui.key(window, "Ctrl+Shift+H")
    gui.wait_idle(window)
    assert app.people.get(opened["person"].id).owner_officer_id == colleague
    assert {f.officer_id for f in app.follow_ups.list()} == {colleague}
    assert "handed over to Sam Patel" in window.message_bar.text()
    assert "Officer: Sam Patel" in window.person_page.details_label.text()
    assert any(
        window.person_page.timeline_proxy.index(r, 2).data() == "Alex Morgan"
        for r in range(window.person_page.timeline_proxy.rowCount())
    )


def test_hand_over_with_no_colleague_explains(gui, window, opened) -> None:
    window.actions_by_name["hand_over"].trigger()
    gui.wait_idle(window)  # the officers are read on the worker
    assert "No other officer is known yet" in window.message_bar.text()


def test_close_and_reopen_a_case(qtbot, app, gui, window, opened) -> None:
    close = window.actions_by_name["close_case"]
    gui.on_next_dialog(lambda box: gui.button(box, "Close case").click())
    close.trigger()
    gui.wait_idle(window)
    assert app.people.get(opened["person"].id).closed_on is not None
    assert "Case closed on 2 Mar 2026" in window.person_page.banner_label.text()
    assert close.text() == "Reopen case"
    close.trigger()
    gui.wait_idle(window)
    assert app.people.get(opened["person"].id).closed_on is None
    assert not window.person_page.banner.isVisible()


def test_delete_person_asks_and_returns_to_the_caseload(qtbot, app, gui, window, opened) -> None:
    gui.on_next_dialog(lambda box: gui.button(box, "Cancel").click())
    window.actions_by_name["delete_person"].trigger()
    assert len(app.people.list()) == 1
    gui.on_next_dialog(lambda box: gui.button(box, "Delete person").click())
    window.actions_by_name["delete_person"].trigger()
    gui.wait_idle(window)
    assert app.people.list() == []
    assert window.current_page() == "caseload"
    assert window.person_page.person is None
    assert not window.actions_by_name["go_person"].isEnabled()
    assert window.caseload.model.rowCount() == 0


def test_case_note_goes_on_the_timeline_with_who(qtbot, app, gui, window, opened) -> None:
    page = window.person_page
    gui.key(window, "Ctrl+Shift+M")
    assert page.note_edit.hasFocus()
    qtbot.keyClicks(page.note_edit, "Phoned the hostel about a bed")
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert page.note_edit.text() == ""
    assert timeline_texts(window)[0] == "Note: Phoned the hostel about a bed"
    assert page.timeline_proxy.index(0, 2).data() == "Alex Morgan"
    qtbot.keyClicks(page.timeline_filter, "hostel")
    assert timeline_texts(window) == ["Note: Phoned the hostel about a bed"]


def test_the_page_switches_once_the_person_has_loaded(app, gui, window, referred) -> None:
    window.go("caseload")
    window.open_person(referred["person"].id)
    assert window.current_page() == "caseload"  # no moment of the previous person on screen
    gui.wait_idle(window)
    assert window.current_page() == "person"
    assert window.person_page.name_label.text() == "Zoë Ward"


def test_an_officer_who_moves_on_while_a_person_loads_stays_put(app, gui, window, opened) -> None:
    other = app.people.add(given_name="Aaron", family_name="Öztürk")
    window.go("my_day")
    window.open_person(other.id)
    window.go("caseload")  # before the person has arrived
    gui.wait_idle(window)
    assert window.current_page() == "caseload"
    assert window.person_page.name_label.text() == "Aaron Öztürk"  # ready behind Ctrl+3


def test_a_person_who_cannot_be_opened_leaves_the_officer_where_they_were(
    app, gui, window, opened
) -> None:
    other = app.people.add(given_name="Aaron", family_name="Öztürk")
    app.people.delete(other.id)
    window.go("caseload")
    window.open_person(other.id)
    gui.wait_idle(window)
    assert window.current_page() == "caseload"
    assert window.message_bar.kind == "error" and window.message_bar.text()
    assert window.person_page.person_id == opened["person"].id  # Ctrl+3 shows Zoë, whole


def test_a_half_written_note_waits_for_its_person(qtbot, app, gui, window, opened) -> None:
    other = app.people.add(given_name="Aaron", family_name="Öztürk")
    page = window.person_page
    qtbot.keyClicks(page.note_edit, "Rang the hostel, waiting for")
    window.open_person(other.id)
    gui.wait_idle(window)
    assert page.note_edit.text() == ""
    window.open_person(opened["person"].id)
    gui.wait_idle(window)
    assert page.note_edit.text() == "Rang the hostel, waiting for"


def test_person_actions_follow_the_page_and_selection(window, gui, opened) -> None:
    a = window.actions_by_name
    assert a["log_need"].isEnabled() and a["transfer"].isEnabled()
    window.person_page.needs_view.clearSelection()
    assert not a["find_service"].isEnabled() and not a["delete_need"].isEnabled()
    gui.key(window, "Ctrl+1")
    assert window.current_page() == "my_day"
    assert not a["log_need"].isEnabled() and not a["transfer"].isEnabled()
    gui.key(window, "Ctrl+3")
    assert window.current_page() == "person" and a["log_need"].isEnabled()


def test_saving_the_same_setting_says_nothing_changed(qtbot, app, gui, window, opened) -> None:
    def save_as_is(dialog) -> None:
        qtbot.keyClick(dialog.office, Qt.Key.Key_Return)

    gui.on_next_dialog(save_as_is)
    gui.key(window, "Ctrl+Shift+T")
    gui.wait_idle(window)
    assert window.message_bar.text() == "Nothing changed."
    assert not [f for f in app.follow_ups.list() if f.kind == "tell_provider"]


def test_a_transfer_appears_on_the_timeline(qtbot, app, gui, window, opened) -> None:
    def move(dialog) -> None:
        dialog.prison.setCurrentIndex(dialog.prison.findText("HMP Manchester"))
        dialog.tell.setChecked(False)
        qtbot.keyClick(dialog.office, Qt.Key.Key_Return)

    gui.on_next_dialog(move)
    gui.key(window, "Ctrl+Shift+T")
    gui.wait_idle(window)
    assert "Transferred from HMP Leeds to HMP Manchester" in timeline_texts(window)
    assert "no follow-up" not in window.message_bar.text()


def test_with_no_person_open_the_note_box_says_why_it_is_off(
    qtbot, app, gui, window, referred
) -> None:
    page = window.person_page
    assert page.person is None
    assert not page.note_edit.isEnabled() and not page.note_button.isEnabled()
    assert "Open a person" in page.note_edit.placeholderText()
    window.open_person(referred["person"].id)
    gui.wait_idle(window)
    assert page.note_edit.isEnabled() and page.note_button.isEnabled()
    assert "Add a case note" in page.note_edit.placeholderText()
    page.clear()
    assert not page.note_edit.isEnabled()
