"""Caseload: filter as you type, open with Enter, add and edit people with inline validation and
a duplicate warning."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


@pytest.fixture
def three(app, referred):
    app.people.add(given_name="Aaron", family_name="Öztürk", crn="B654321")
    app.people.add(
        given_name="Bea",
        family_name="O'Brien",
        nomis="C9876DE",
        setting="custody",
        prison="HMP Leeds",
    )
    return referred["person"]


def shown(window) -> list[str]:
    proxy = window.caseload.proxy
    return [proxy.record(r).given_name for r in range(proxy.rowCount())]


def goto_caseload(gui, window) -> None:
    gui.key(window, "F5")
    gui.key(window, "Ctrl+2")
    gui.wait_idle(window)
    assert window.current_page() == "caseload"


def test_filter_as_you_type_then_enter_opens_the_person(qtbot, gui, window, three) -> None:
    goto_caseload(gui, window)
    page = window.caseload
    assert page.count_label.text() == "3 people"
    assert shown(window) == ["Bea", "Aaron", "Zoë"]  # O'Brien, Öztürk, Ward
    gui.key(window, "Ctrl+J")
    assert page.filter.hasFocus()
    qtbot.keyClicks(page.filter, "war")
    assert shown(window) == ["Zoë"]
    assert page.count_label.text() == "1 of 3"
    qtbot.keyClick(page.filter, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert window.current_page() == "person"
    assert window.person_page.name_label.text() == "Zoë Ward"
    assert window.nav.tabText(2) == "Person: Zoë Ward"


def test_crn_and_prison_number_and_keyboard_into_the_table(qtbot, gui, window, three) -> None:
    goto_caseload(gui, window)
    page = window.caseload
    qtbot.keyClicks(page.filter, "a1234bc")
    assert shown(window) == ["Zoë"]
    page.filter.clear()
    qtbot.keyClicks(page.filter, "b654")
    assert shown(window) == ["Aaron"]
    page.filter.clear()
    qtbot.keyClicks(page.filter, "o")  # several matches: Enter moves into the list
    qtbot.keyClick(page.filter, Qt.Key.Key_Down)
    assert page.view.hasFocus()
    assert page.selected_person() is not None
    qtbot.keyClick(page.view, Qt.Key.Key_Down)
    chosen = page.selected_person()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    gui.wait_idle(window)
    assert window.person_page.person.id == chosen.id


def test_closed_cases_are_hidden_until_asked_for(qtbot, app, gui, window, three) -> None:
    app.cases.close_case(three.id)
    goto_caseload(gui, window)
    page = window.caseload
    assert "Zoë" not in shown(window)
    assert page.count_label.text() == "2 of 3"
    page.show_closed.click()
    assert "Zoë" in shown(window)
    assert window.settings.value("caseload/show_closed", type=bool) is True


def test_new_person_validates_inline_and_saves(qtbot, app, gui, window) -> None:
    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.given_name, "Dee")
        qtbot.keyClick(dialog.given_name, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.family_name, "Jones")
        qtbot.keyClicks(dialog.date_of_birth, "02/03/2031")
        qtbot.keyClicks(dialog.crn, "12345")
        dialog.crn.setFocus()
        dialog.nomis.setFocus()  # leaving the field checks it
        assert "CRN must be one letter" in dialog._errors["crn"].text()
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()
        assert "future" in dialog._errors["date_of_birth"].text().lower()
        assert dialog.focusWidget() is dialog.date_of_birth  # first problem gets the focus
        dialog.date_of_birth.clear()
        qtbot.keyClicks(dialog.date_of_birth, "2/3/91")
        dialog.crn.clear()
        qtbot.keyClicks(dialog.crn, "x654322")
        dialog.custody.click()
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "Choose the prison" in dialog._errors["prison"].text()
        assert dialog.crn.text() == "X654322"  # normalised as it was checked
        dialog.prison.setCurrentIndex(dialog.prison.findText("HMP Leeds"))
        dialog.cohort_iom.click()
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    gui.on_next_dialog(fill)
    gui.key(window, "Ctrl+N")
    gui.wait_idle(window)
    [person] = app.people.list()
    assert (person.display_name, person.crn, person.prison, person.cohort_iom) == (
        "Dee Jones",
        "X654322",
        "HMP Leeds",
        True,
    )
    assert str(person.date_of_birth) == "1991-03-02"
    assert window.current_page() == "person"
    assert window.person_page.name_label.text() == "Dee Jones"
    assert "Dee Jones added" in window.message_bar.text()


def test_duplicate_warning_needs_a_second_save(qtbot, app, gui, window, three) -> None:
    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.given_name, "Zoe")
        qtbot.keyClicks(dialog.family_name, "Ward")
        qtbot.keyClicks(dialog.crn, "X123456")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(dialog.duplicate_panel.isVisible, timeout=5000)  # checked on the worker
        assert dialog.isVisible()
        assert "same CRN" in dialog.duplicate_label.text()
        assert "Zoë Ward" in dialog.duplicate_label.text()
        assert dialog.save_button.text() == "&Save anyway"
        assert len(app.people.list()) == 3
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    gui.on_next_dialog(fill)
    gui.key(window, "Ctrl+N")
    gui.wait_idle(window)
    assert len([p for p in app.people.list() if p.crn == "X123456"]) == 2


def test_duplicate_warning_can_open_the_existing_person(qtbot, app, gui, window, three) -> None:
    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.given_name, "Zoe")
        qtbot.keyClicks(dialog.family_name, "Ward")
        dialog.date_of_birth.setFocus()
        qtbot.keyClicks(dialog.date_of_birth, "09/09/1999")
        qtbot.keyClick(dialog.date_of_birth, Qt.Key.Key_Tab)  # leaving it checks for duplicates
        qtbot.waitUntil(dialog.duplicate_panel.isVisible, timeout=5000)  # on the worker
        assert "same date of birth" in dialog.duplicate_label.text()
        assert dialog.save_button.text() == "&Save person"
        qtbot.mouseClick(dialog.open_existing, Qt.MouseButton.LeftButton)

    gui.on_next_dialog(fill)
    gui.key(window, "Ctrl+N")
    gui.wait_idle(window)
    assert len(app.people.list()) == 3
    assert window.person_page.person.id == three.id


def test_edit_person_from_the_caseload(qtbot, app, gui, window, three) -> None:
    goto_caseload(gui, window)
    window.caseload.select_person(three.id)
    window.caseload.view.setFocus()

    def edit(dialog) -> None:
        assert dialog.given_name.text() == "Zoë"
        assert dialog.crn.text() == "X123456"
        assert dialog.custody.isChecked() and dialog.prison.currentText() == "HMP Leeds"
        dialog.family_name.selectAll()
        qtbot.keyClicks(dialog.family_name, "Ward-Hill")
        dialog.expected_release_date.clear()
        qtbot.keyClicks(dialog.expected_release_date, "31/02/2026")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "not a real date" in dialog._errors["expected_release_date"].text()
        dialog.expected_release_date.clear()
        qtbot.keyClicks(dialog.expected_release_date, "01/05/2026")
        qtbot.keyClick(dialog.expected_release_date, Qt.Key.Key_Return)

    gui.on_next_dialog(edit)
    gui.key(window, "Ctrl+Shift+E")
    gui.wait_idle(window)
    stored = app.people.get(three.id)
    assert (stored.family_name, str(stored.expected_release_date)) == ("Ward-Hill", "2026-05-01")
    assert "Ward-Hill, Zoë" in [
        window.caseload.model.index(r, 0).data() for r in range(window.caseload.model.rowCount())
    ]


def test_release_in_the_edit_dialog_offers_to_tell_providers(
    qtbot, app, gui, window, referred
) -> None:
    window.open_person(referred["person"].id)
    gui.wait_idle(window)

    def edit(dialog) -> None:
        assert not dialog.tell_providers.isVisible()
        dialog.community.click()
        assert dialog.tell_providers.isVisible() and dialog.tell_providers.isChecked()
        dialog.area.setCurrentIndex(dialog.area.findText("West Yorkshire"))
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    gui.on_next_dialog(edit)
    gui.key(window, "Ctrl+Shift+E")
    gui.wait_idle(window)
    person = app.people.get(referred["person"].id)
    assert (person.setting, person.prison, person.area) == ("community", "", "West Yorkshire")
    tells = [f for f in app.follow_ups.list() if f.kind == "tell_provider"]
    assert len(tells) == 1
    assert "1 follow-up created to tell providers" in window.message_bar.text()
    assert "Community – West Yorkshire" in window.person_page.details_label.text()
