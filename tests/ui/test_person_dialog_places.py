"""The person dialog offers the prison and area lists and shows the services' refusal inline.

Issue 11, point 3: a typed prison such as "HMP Xylo cell of Yolanda" used to be saved and
became a row of commissioners' reports. The dialog now checks the field as the officer leaves
it, with the same "Did you mean" message as saving, and keeps the listed spelling.
"""

from __future__ import annotations

import pytest
from settling import settle

from referral_desk.domain.fields import max_length
from referral_desk.store.models import Person
from referral_desk.ui.person_dialog import PersonDialog

pytestmark = pytest.mark.gui

TYPED = "HMP Xylo cell of Yolanda"


def open_dialog(qtbot, host, app, person=None) -> PersonDialog:
    dialog = PersonDialog(app, host, person=person)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


def fill(qtbot, dialog: PersonDialog, prison: str) -> None:
    qtbot.keyClicks(dialog.given_name, "Ann")
    qtbot.keyClicks(dialog.family_name, "Ash")
    dialog.custody.setChecked(True)
    dialog.prison.lineEdit().setFocus()
    qtbot.keyClicks(dialog.prison.lineEdit(), prison)
    leave(dialog.prison.lineEdit())
    settle(qtbot, dialog)


def leave(edit) -> None:
    """Leaving the field (Tab, a click elsewhere) finishes editing, which checks the field.
    Sent as the signal: offscreen, a Tab that closes the completer's popup does not send it."""
    edit.editingFinished.emit()


def test_a_typed_prison_is_refused_under_the_field_with_near_names(qtbot, host, app) -> None:
    dialog = open_dialog(qtbot, host, app)
    fill(qtbot, dialog, TYPED)
    message = dialog._errors["prison"].text()
    assert message.startswith("Unknown prison. Did you mean: HMP ")
    assert "Yolanda" not in message
    dialog.save_button.click()
    settle(qtbot, dialog)
    assert dialog.saved is None and app.people.list() == []
    assert dialog._errors["prison"].text() == message


def test_a_prison_from_the_list_is_kept_in_its_listed_spelling(qtbot, host, app) -> None:
    dialog = open_dialog(qtbot, host, app)
    fill(qtbot, dialog, "hmp styal")
    assert dialog._errors["prison"].text() == ""
    assert dialog.prison.currentText() == "HMP Styal"
    dialog.area.lineEdit().setFocus()
    qtbot.keyClicks(dialog.area.lineEdit(), "Leeds")
    leave(dialog.area.lineEdit())
    settle(qtbot, dialog)
    assert dialog._errors["area"].text().startswith("Unknown area")
    dialog.area.setEditText("west yorkshire")
    dialog.save_button.click()
    settle(qtbot, dialog)
    assert dialog.saved is not None
    assert (dialog.saved.prison, dialog.saved.area) == ("HMP Styal", "West Yorkshire")


def test_an_old_value_not_in_the_list_stays_editable(qtbot, host, app) -> None:
    person = app.people.add(
        given_name="Bo", family_name="Birch", setting="custody", prison="HMP Leeds"
    )
    with app.db.write() as session:  # typed freely in an older version
        session.get(Person, person.id).prison = "HMP Old Typed"
    dialog = open_dialog(qtbot, host, app, app.people.get(person.id))
    assert dialog.prison.currentText() == "HMP Old Typed"
    dialog.office.setText("Leeds North")
    dialog.save_button.click()
    settle(qtbot, dialog)
    assert dialog.saved is not None and dialog.saved.prison == "HMP Old Typed"


def test_line_edits_take_their_limits_from_the_domain(qtbot, host, app) -> None:
    dialog = open_dialog(qtbot, host, app)
    assert dialog.given_name.maxLength() == max_length("person", "given_name") == 100
    assert dialog.family_name.maxLength() == 100
    assert dialog.office.maxLength() == max_length("person", "office")
    assert dialog.prison.lineEdit().maxLength() == max_length("person", "prison")
    assert dialog.consent_scope.maxLength() == max_length("person", "consent_scope")
