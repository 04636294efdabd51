"""Preferences shows the role (never picks it); a manager grants roles in Team roles."""

from __future__ import annotations

from typing import Any

from role_helpers import join_another_team

from referral_desk.ui.preferences import PreferencesDialog
from referral_desk.ui.roles_dialog import RolesDialog


def test_a_manager_grants_a_role_in_the_team_roles_dialog(
    app: Any, qtbot: Any, gui: Any, host: Any
) -> None:
    prefs = PreferencesDialog(app, host)
    qtbot.addWidget(prefs)
    gui.wait_ops(host)
    assert prefs.role.text() == "Team manager" and prefs.roles_button.isVisibleTo(prefs)
    dialog = RolesDialog(app, prefs)
    qtbot.addWidget(dialog)
    dialog.show()
    gui.wait_ops(host)
    me = app.profile.get().id
    dialog.officer.setCurrentIndex(dialog.officer.findData(me))
    dialog.role.setCurrentIndex(dialog.role.findData("commissioner"))
    qtbot.mouseClick(dialog.grant_button, qtbot_left())
    gui.wait_ops(host)
    assert app.roles.has("commissioner")
    assert "commissioner" in dialog.summary.text()
    assert "reaches the team at the next sync" in dialog.message_bar.text()


def test_an_officer_sees_their_role_and_no_grant_button(
    app: Any, qtbot: Any, gui: Any, host: Any
) -> None:
    join_another_team(app.db)
    prefs = PreferencesDialog(app, host)
    qtbot.addWidget(prefs)
    gui.wait_ops(host)
    assert prefs.role.text() == "Offender manager"
    assert not prefs.roles_button.isVisibleTo(prefs)
    dialog = RolesDialog(app, prefs)  # opened anyway: it says why and changes nothing
    qtbot.addWidget(dialog)
    dialog.show()
    gui.wait_ops(host)
    assert "Only a manager" in dialog.message_bar.text()
    assert not dialog.grant_button.isEnabled()


def qtbot_left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
