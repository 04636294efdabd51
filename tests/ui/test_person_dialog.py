"""The person dialog's date of birth: typed any usual way, shown back spelt out, and an error
under it that is shown whole."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from screen_checks import label_problems

from referral_desk.ui.person_dialog import PersonDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(app: Any, qtbot: Any, host: Any) -> PersonDialog:
    widget = PersonDialog(app, host)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitActive(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: widget.loaded, timeout=5000)
    return widget


def type_dob(qtbot: Any, dialog: PersonDialog, text: str) -> None:
    dialog.date_of_birth.clear()
    dialog.date_of_birth.setFocus()
    qtbot.keyClicks(dialog.date_of_birth, text)
    qtbot.keyClick(dialog.date_of_birth, Qt.Key.Key_Tab)  # leaving the field checks it


@pytest.mark.parametrize(
    "typed", ["03112003", "3/11/2003", "03-11-2003", "3.11.2003", "3 Nov 2003", "2003-11-03"]
)
def test_date_of_birth_typed_as_the_placeholder_suggests_is_accepted(
    qtbot: Any, dialog: PersonDialog, typed: str
) -> None:
    type_dob(qtbot, dialog, typed)
    assert dialog._errors["date_of_birth"].text() == ""
    assert dialog.date_of_birth.text() == "3 November 2003"  # shown back, unmistakable


def test_a_date_of_birth_error_is_shown_whole(qtbot: Any, dialog: PersonDialog) -> None:
    for typed, words in (
        ("31/02/1990", "not a real date"),
        ("01/01/2031", "future"),
        ("soon", "31/12/1980"),
    ):
        type_dob(qtbot, dialog, typed)
        error = dialog._errors["date_of_birth"]
        assert words in error.text() and error.isVisible()
        assert typed not in error.text()
        qtbot.waitUntil(lambda: not label_problems(dialog), timeout=2000)
