"""About: version, data folder and schema, and diagnostics to copy for IT (nothing personal)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from referral_desk import __version__
from referral_desk.store.database import SCHEMA_HEAD
from referral_desk.ui.about_dialog import AboutDialog


def test_about_shows_versions_and_copies_diagnostics_without_personal_data(qtbot, app) -> None:
    app.people.add(
        given_name="Gwenllïan",
        family_name="Zephaniah-Ward",
        date_of_birth="1980-01-01",
        crn="X123456",
    )
    dialog = AboutDialog(app)
    qtbot.addWidget(dialog)
    dialog.show()
    shown = " ".join(label.text() for label in dialog.findChildren(type(dialog.status)))
    assert __version__ in shown and SCHEMA_HEAD in shown
    assert dialog.facts["Data folder"].endswith(app.data_path.parent.name)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert f"Referral Desk: {__version__}" in copied
    assert "Database schema:" in copied and "Qt:" in copied
    for personal in ("Gwenllïan", "Zephaniah", "X123456", "1980"):
        assert personal not in copied
    assert "Copied" in dialog.status.text()
