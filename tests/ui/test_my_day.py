"""My day: follow-ups overdue / today / this week with counts, done and reschedule, releases
soon and providers that have not answered in time."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from referral_desk.store.models import FollowUp, Referral

pytestmark = pytest.mark.gui


@pytest.fixture
def day_plan(app, gui, referred, day):
    """Overdue, today, this week and next week follow-ups; one silent provider."""
    person = referred["person"]
    app.follow_ups.add(person.id, day(-3), "Ring probation hostel")  # overdue
    app.follow_ups.add(person.id, day(0), "Check bus pass arrived")  # today
    app.follow_ups.add(person.id, day(9), "Next week: not shown")
    # referred["referral"] was sent today; its check-acceptance is due Wednesday (this week).
    late = app.people.add(given_name="Aaron", family_name="Öztürk", crn="B654321")
    need = app.needs.log(late.id, "accommodation", "Needs a room")
    slow = gui.add_service("Slow Housing", response_days=3)
    ref = app.referrals.make(need.id, slow, consent=True)
    with app.db.write() as session:  # sent two weeks ago and still no answer
        session.get(Referral, ref.id).made_on = date(2026, 2, 16)
        for fu in session.query(FollowUp).filter(FollowUp.referral_id == ref.id):
            fu.due_on = date(2026, 2, 19)
    return {**referred, "late": late, "late_ref": ref}


def due_rows(window) -> list[tuple[str, str]]:
    proxy = window.my_day.follow_proxy
    return [(proxy.index(r, 0).data(), proxy.index(r, 1).data()) for r in range(proxy.rowCount())]


@pytest.fixture
def home(gui, window, day_plan):
    gui.key(window, "F5")
    gui.wait_idle(window)
    assert window.current_page() == "my_day"
    return day_plan


def test_follow_ups_are_grouped_with_counts(window, home) -> None:
    page = window.my_day
    assert due_rows(window) == [
        ("Overdue 11 days (19 Feb 2026)", "Check acceptance"),
        ("Overdue 3 days (27 Feb 2026)", "Custom"),
        ("Today", "Custom"),
        ("Wed 4 Mar 2026", "Check acceptance"),
    ]
    assert page.group_buttons["overdue"].text() == "&Overdue (2)"
    assert page.group_buttons["today"].text() == "Due &today (1)"
    assert page.group_buttons["later"].text() == "Later this &week (1)"
    assert page.group_buttons["all"].text() == "&All this week (4)"
    assert "3 to do today" in page.title.text()
    assert window.nav.tabText(0) == "My day (3)"
    page.group_buttons["overdue"].click()
    assert [r[0][:7] for r in due_rows(window)] == ["Overdue", "Overdue"]
    page.group_buttons["today"].click()
    assert due_rows(window) == [("Today", "Custom")]
    page.group_buttons["all"].click()
    assert len(due_rows(window)) == 4


def test_follow_ups_sort_by_any_column(qtbot, window, home) -> None:
    view = window.my_day.follow_view
    header = view.horizontalHeader()
    person_col = 2
    where = QPoint(header.sectionViewportPosition(person_col) + 5, 5)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)
    people = [view.model().index(r, person_col).data() for r in range(view.model().rowCount())]
    assert people == ["Aaron Öztürk", "Zoë Ward", "Zoë Ward", "Zoë Ward"]
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert due_rows(window)[0][0] == "Wed 4 Mar 2026"


def test_mark_done_with_a_result_note(qtbot, app, gui, window, home) -> None:
    page = window.my_day
    page.follow_view.setFocus()
    page.follow_view.selectRow(1)  # the overdue custom one
    target = page.selected_follow_up()

    def done(dialog) -> None:
        notes = [
            w.text() for w in dialog.findChildren(QLabel) if w.accessibleName() == "Follow-up note"
        ]
        assert notes == ["Ring probation hostel"]
        qtbot.keyClicks(dialog.result_note, "Hostel has a bed from Friday")
        qtbot.keyClick(dialog.result_note, Qt.Key.Key_Return)

    gui.on_next_dialog(done)
    gui.key(window, "Ctrl+Shift+D")
    gui.wait_idle(window)
    stored = app.follow_ups.get(target.id)
    assert stored.done_on == date(2026, 3, 2)
    assert stored.result_note == "Hostel has a bed from Friday"
    assert page.group_buttons["overdue"].text() == "&Overdue (1)"
    assert target.id not in [
        page.follow_proxy.record(r).id for r in range(page.follow_proxy.rowCount())
    ]


def test_reschedule_with_a_quick_choice(qtbot, app, gui, window, home) -> None:
    page = window.my_day
    page.group_buttons["today"].click()
    page.follow_view.setFocus()
    page.follow_view.selectRow(0)
    target = page.selected_follow_up()

    def move(dialog) -> None:
        qtbot.waitUntil(lambda: dialog.calendar is not None)  # read on the worker
        assert dialog.date.text() == "3 March 2026"  # next working day, spelt out
        gui.button(dialog, "In 1 week").click()
        qtbot.keyClick(dialog.date, Qt.Key.Key_Return)

    gui.on_next_dialog(move)
    gui.key(window, "Ctrl+Shift+R")
    gui.wait_idle(window)
    assert app.follow_ups.get(target.id).due_on == date(2026, 3, 9)
    assert page.group_buttons["today"].text() == "Due &today (0)"


def test_reschedule_refuses_a_bad_date(qtbot, app, gui, window, home) -> None:
    window.my_day.follow_view.selectRow(0)
    target = window.my_day.selected_follow_up()

    def move(dialog) -> None:
        dialog.date.clear()
        qtbot.keyClicks(dialog.date, "32/13/2026")
        qtbot.keyClick(dialog.date, Qt.Key.Key_Return)
        assert dialog.isVisible()
        assert "not a real date" in dialog.date_error.text()
        dialog.reject()

    gui.on_next_dialog(move)
    gui.key(window, "Ctrl+Shift+R")
    assert app.follow_ups.get(target.id).due_on == target.due_on


def test_open_the_referral_or_person_of_a_follow_up(qtbot, gui, window, home) -> None:
    page = window.my_day
    page.follow_view.setFocus()
    page.follow_view.selectRow(0)  # check acceptance of the late referral

    def close(dialog) -> None:
        dialog.confirm_discard = False
        dialog.reject()

    seen = gui.on_next_dialog(close)
    qtbot.keyClick(page.follow_view, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert type(seen[0]).__name__ == "ReferralDialog"
    assert seen[0].referral.id == home["late_ref"].id
    gui.activate(window)
    page.follow_view.setFocus()
    page.follow_view.selectRow(2)  # a custom follow-up has no referral: open the person
    qtbot.keyClick(page.follow_view, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert window.current_page() == "person"
    assert window.person_page.person.id == home["person"].id


def test_releases_soon_and_providers_waited_on(qtbot, gui, window, home) -> None:
    page = window.my_day
    releases = page.release_proxy
    assert [releases.index(0, c).data() for c in range(4)] == [
        "Zoë Ward",
        "20 Apr 2026",
        "7 weeks",
        "Custody – HMP Leeds",
    ]
    assert page.release_badge.text() == "1"
    waiting = page.waiting_proxy
    assert waiting.rowCount() == 1
    assert waiting.index(0, 0).data() == home["late_ref"].reference
    assert waiting.index(0, 1).data() == "Aaron Öztürk"
    assert waiting.index(0, 3).data() == "14 days"
    assert page.waiting_badge.text() == "1"
    assert page.waiting_view.isVisible() and not page.waiting_empty.isVisible()
    page.release_view.setFocus()
    page.release_view.selectRow(0)
    qtbot.keyClick(page.release_view, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert window.person_page.person.id == home["person"].id


def test_only_my_caseload_filters_follow_ups(qtbot, app, gui, window, home) -> None:
    colleague = gui.add_officer()
    app.cases.hand_over(home["late"].id, colleague)
    gui.key(window, "F5")
    gui.wait_idle(window)
    assert window.actions_by_name["only_mine"].isChecked()
    assert window.my_day.group_buttons["all"].text() == "&All this week (3)"
    window.actions_by_name["only_mine"].trigger()
    gui.wait_idle(window)
    assert window.my_day.group_buttons["all"].text() == "&All this week (4)"
    assert window.settings.value("view/only_mine", type=bool) is False


def test_an_empty_day_says_so(gui, window) -> None:
    page = window.my_day
    assert page.empty_label.isVisible()
    assert page.release_empty.isVisible() and not page.release_view.isVisible()
    assert "nothing overdue" in page.title.text()
    assert not window.actions_by_name["follow_up_done"].isEnabled()
