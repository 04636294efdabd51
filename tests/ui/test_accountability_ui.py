"""The client's accountability tools (issue 12): "Who has opened this record" and the subject
access export in the Person menu, and the retention dry run with its confirmed erasure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from role_helpers import join_another_team, leave_the_team
from settling import settle

from referral_desk.ui.accountability import AccessLogDialog, RetentionDialog, export_person

pytestmark = pytest.mark.gui


def _menu_texts(window) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Person")
    return [a.text() for a in menu.actions()]


def test_opening_a_person_in_the_client_is_in_the_managers_view(qtbot, window, app, gui):
    pid = app.people.add(given_name="Ola", family_name="Viewed", date_of_birth="1980-01-02").id
    assert "Who has &opened this record…" in _menu_texts(window)
    assert not window.actions_by_name["person_access"].isEnabled()
    window.open_person(pid)
    qtbot.waitUntil(lambda: window.person_page.person is not None)
    gui.wait_idle(window)
    window.update_actions()
    assert window.actions_by_name["person_access"].isEnabled()
    window.person_page.reload()  # a repaint after an edit: not a second open
    gui.wait_idle(window)
    # An officer is told it is a manager's view.
    join_another_team(app.db)
    window.actions_by_name["person_access"].trigger()
    gui.wait_idle(window)  # read (and refused) on the worker
    assert "Only a manager" in window.message_bar.text()
    leave_the_team(app.db)
    shown: list = []

    def check(dialog) -> None:
        shown.append(dialog.table.rowCount())
        shown.append(dialog.table.item(0, 1).text())
        dialog.reject()

    gui.on_next_dialog(check)
    window.actions_by_name["person_access"].trigger()
    qtbot.waitUntil(lambda: bool(shown))  # read on the worker, then shown
    assert shown == [1, "Alex Morgan"]
    with app.db.read() as s:
        from referral_desk.store.access_models import RecordAccess

        assert [r.kind for r in s.query(RecordAccess)] == ["open"]


def test_the_export_action_writes_both_files(qtbot, window, app, tmp_path: Path) -> None:
    pid = app.people.add(given_name="Pat", family_name="Asked", date_of_birth="1980-01-02").id
    out = tmp_path / "out"
    out.mkdir()
    assert export_person(app, window, pid, ask=lambda _s: str(out / "sar.pdf"))
    settle(qtbot, window.worker)  # written on the worker
    assert sorted(p.name for p in out.iterdir()) == ["sar.json", "sar.pdf"]
    assert json.loads((out / "sar.json").read_text("utf-8"))["person"]["given_name"] == "Pat"
    assert "Saved sar.pdf and sar.json" in window.message_bar.text()
    assert not export_person(app, window, pid, ask=lambda _s: "")  # cancelled


def test_retention_lists_ids_and_erases_after_confirmation(qtbot, app, gui, host, monkeypatch):
    old = app.people.add(given_name="Old", family_name="Case", date_of_birth="1960-01-02").id
    app.cases.close_case(old, "2015-01-01")
    leave_the_team(app.db)
    dialog = RetentionDialog(app, host)
    qtbot.addWidget(dialog)
    dialog.show()
    gui.wait_ops(host)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == old
    assert "Old" not in dialog.summary.text()
    asked: list[str] = []

    def answer(yes: bool):
        def ask(_parent, _title, text, **_kw) -> bool:
            asked.append(text)
            return yes

        return ask

    monkeypatch.setattr("referral_desk.ui.accountability.confirm", answer(False))
    dialog.erase()  # cancelled: nothing erased
    assert [p.id for p in app.people.list()] == [old]
    assert asked == ["Erase everything held about this person?"]
    monkeypatch.setattr("referral_desk.ui.accountability.confirm", answer(True))
    dialog.erase()
    gui.wait_ops(host)
    assert app.people.list() == [] and dialog.table.rowCount() == 0 and dialog.erased == 1
    assert not dialog.erase_button.isEnabled()
    assert dialog.message_bar.text() == "Erased 1 record."


def test_the_access_dialog_with_no_rows(qtbot) -> None:
    dialog = AccessLogDialog([])
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0


def test_the_retention_period_in_preferences_is_a_managers_setting(qtbot, app, gui, host) -> None:
    from referral_desk.ui.preferences import PreferencesDialog

    join_another_team(app.db)
    dialog = PreferencesDialog(app, host)
    qtbot.addWidget(dialog)
    gui.wait_ops(host)
    assert dialog.retention_years.value() == 7 and not dialog.retention_years.isEnabled()
    dialog.reject()
    leave_the_team(app.db)
    dialog = PreferencesDialog(app, host)
    qtbot.addWidget(dialog)
    gui.wait_ops(host)
    assert dialog.retention_years.isEnabled()
    dialog.retention_years.setValue(9)
    dialog._save()
    gui.wait_ops(host)
    assert app.retention.years() == 9
