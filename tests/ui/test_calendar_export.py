"""The calendar export action: asks where to save, writes the .ics, says how many went in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from PySide6.QtWidgets import QVBoxLayout, QWidget
from settling import settle

from referral_desk.store.models import Organisation, Service


@pytest.fixture
def referral(app: Any) -> Any:
    with app.db.write() as session:
        org = Organisation(name="Lighthouse Trust")
        session.add(org)
        session.flush()
        service = Service(name="Lighthouse Housing Advice", organisation_id=org.id)
        session.add(service)
    person = app.people.add(
        given_name="Dafydd", family_name="ap Rhys", consent_given_on="2026-01-01"
    )
    need = app.needs.log(person.id, "accommodation", "Needs a flat")
    return app.referrals.make(need.id, service.id, consent=True)


@pytest.fixture
def window(qtbot: Any) -> Iterator[QWidget]:
    """A stand-in main window with the message bar the export reports into and the worker
    it writes on."""
    from referral_desk.ui.message_bar import MessageBar
    from referral_desk.ui.worker import Worker

    win = QWidget()
    win.message_bar = MessageBar(win)  # type: ignore[attr-defined]
    win.worker = Worker(win)  # type: ignore[attr-defined]
    QVBoxLayout(win).addWidget(win.message_bar)  # type: ignore[attr-defined]
    qtbot.addWidget(win)
    win.show()
    yield win
    win.worker.stop()  # type: ignore[attr-defined]


@pytest.mark.gui
def test_export_asks_for_a_file_writes_it_and_reports(
    qtbot, app, referral, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from referral_desk.ui.calendar_export import export_calendar

    asked: list[str] = []

    def fake_dialog(parent, title, start, filters):
        asked.append(title)
        return str(tmp_path / "my-follow-ups"), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    assert export_calendar(app, window)
    settle(qtbot, window.worker)  # written on the worker
    assert asked == ["Export follow-ups to calendar"]
    written = tmp_path / "my-follow-ups.ics"  # the extension is added
    (event,) = Calendar.from_ical(written.read_bytes()).walk("VEVENT")
    assert referral.reference in str(event["summary"])
    assert "Exported 1 open follow-up to my-follow-ups.ics" in window.message_bar.text()


@pytest.mark.gui
def test_cancelling_the_file_dialog_writes_nothing(
    qtbot, app, referral, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    from referral_desk.ui.calendar_export import export_calendar

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: ("", "")))
    assert not export_calendar(app, window)
    assert list(tmp_path.glob("*.ics")) == []
    assert window.message_bar.text() == ""


@pytest.mark.gui
def test_a_refused_file_shows_the_reason(qtbot, app, referral, window, tmp_path: Path) -> None:
    from referral_desk.ui.calendar_export import export_calendar

    assert export_calendar(app, window, tmp_path / "missing" / "x.ics")
    settle(qtbot, window.worker)
    assert window.message_bar.kind == "error"
    assert "folder" in window.message_bar.text()
