"""The service editor: a keeper's new service is stored, and errors show under their field."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from settling import settle

from referral_desk.ui.correction_dialog import ReportCorrectionDialog
from referral_desk.ui.service_editor import ServiceEditorDialog
from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui


@pytest.fixture
def host(qtbot: Any) -> QWidget:
    """The window the dialogs belong to: it owns the worker their reads and writes run on."""
    window = QWidget()
    worker = Worker(window)

    def stop(_window: QWidget) -> None:
        # Before the window and its dialogs close: the last outcomes arrive (busy feedback
        # undone), then the thread ends. Closed first, undelivered jobs would never finish.
        settle(qtbot, worker, timeout=5000)
        worker.stop()

    qtbot.addWidget(window, before_close_func=stop)
    return window


def _editor(qtbot: Any, app: Any, service_id: str | None, host: QWidget) -> ServiceEditorDialog:
    dialog = ServiceEditorDialog(app, service_id, host)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
    return dialog


def _save(qtbot: Any, dialog: Any, save: Any) -> None:
    """Save on the worker, and wait for its outcome."""
    save()
    worker = dialog.parent().findChild(Worker)
    settle(qtbot, worker, timeout=5000)


def _tick(dialog: ServiceEditorDialog, code: str) -> None:
    for i in range(dialog.categories.count()):
        item = dialog.categories.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == code:
            item.setCheckState(Qt.CheckState.Checked)


def test_new_service_with_new_organisation_and_location_is_stored(
    app: Any, qtbot: Any, host: QWidget
) -> None:
    dialog = _editor(qtbot, app, None, host)
    assert dialog.organisation.currentData() is None  # "New organisation…"
    dialog.org_name.setText("New Leaf Trust")
    dialog.org_website.setText("newleaf.example")
    dialog.name.setText("Housing advice")
    _tick(dialog, "accommodation")
    dialog.areas.setText("Leeds, Bradford")
    dialog.phone.setText("0113 496 0001")
    dialog.address_1.setText("1 Park Row")
    dialog.city.setText("Leeds")
    dialog.postcode.setText("ls14ap")
    _save(qtbot, dialog, dialog.save)
    assert dialog.result() == dialog.DialogCode.Accepted
    stored = app.directory.get_service(dialog.saved.id)
    assert stored.name == "Housing advice"
    assert stored.organisation_name == "New Leaf Trust"
    assert stored.categories == ("accommodation",)
    assert set(stored.areas) == {"Leeds", "Bradford"}
    assert stored.location is not None and stored.location.postcode == "LS1 4AP"


def test_validation_message_appears_under_the_field(app: Any, qtbot: Any, host: QWidget) -> None:
    org = app.directory_admin.create_organisation(name="Hope Trust")
    dialog = _editor(qtbot, app, None, host)
    dialog.organisation.setCurrentIndex(dialog.organisation.findData(org.id))
    assert not dialog.org_name.isEnabled()
    dialog.name.setText("Mentoring")
    dialog.email.setText("not-an-email")
    _save(qtbot, dialog, dialog.save)
    assert dialog.saved is None and dialog.result() != dialog.DialogCode.Accepted
    _widget, error, tab = dialog._errors["email"]
    assert error.isVisibleTo(dialog) and "Email" in error.text()
    assert dialog.tabs.currentIndex() == tab
    dialog.email.setText("hello@hope.example")
    _save(qtbot, dialog, dialog.save)
    assert dialog.saved is not None and dialog.saved.email == "hello@hope.example"
    assert [s.name for s in app.directory.list_services()] == ["Mentoring"]


def test_edit_existing_service_keeps_its_values(app: Any, qtbot: Any, host: QWidget) -> None:
    org = app.directory_admin.create_organisation(name="Hope Trust")
    svc = app.directory_admin.create_service(
        org.id, "Mentoring", categories=["mentoring"], min_age=18
    )
    dialog = _editor(qtbot, app, svc.id, host)
    assert dialog.name.text() == "Mentoring" and dialog.min_age.text() == "18"
    assert not dialog.is_dirty()
    dialog.max_age.setText("25")
    _save(qtbot, dialog, dialog.save)
    assert app.directory.get_service(svc.id).max_age == 25


def test_correction_text_is_required(app: Any, qtbot: Any, host: QWidget) -> None:
    org = app.directory_admin.create_organisation(name="Hope Trust")
    svc = app.directory_admin.create_service(org.id, "Mentoring")
    dialog = ReportCorrectionDialog(app, svc.id, host)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.heading.text()), timeout=5000)
    _save(qtbot, dialog, dialog.send)
    assert dialog.reported is None and dialog.error.text()
    dialog.text.setPlainText("Phone number changed")
    _save(qtbot, dialog, dialog.send)
    assert dialog.reported is not None
    assert [c.text for c in app.directory_admin.corrections()] == ["Phone number changed"]
