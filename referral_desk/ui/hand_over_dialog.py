"""Hand a case over to another officer: the person view's "Hand over case…" asks whom."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from referral_desk.ui.elided import limit_combo, name_heading
from referral_desk.ui.widgets import named, save_cancel_buttons
from referral_desk.usecases.dto import OfficerView, PersonView


class HandOverDialog(QDialog):
    """Choose the officer who takes the case over; history stays with the records."""

    def __init__(
        self, person: PersonView, officers: list[OfficerView], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hand over case")
        self.setAccessibleName("Hand over case")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(name_heading("Hand", person.display_name, "over to another officer."))
        text = QLabel(
            "Their open follow-ups go with the case; the history of who did what is kept."
        )
        text.setWordWrap(True)
        text.setAccessibleName("Explanation")
        layout.addWidget(text)
        form = QFormLayout()
        self.officer = limit_combo(QComboBox())
        for officer in officers:
            label = officer.name + (f" ({officer.team})" if officer.team else "")
            self.officer.addItem(label, officer.id)
        named(self.officer, "New officer")
        label = QLabel("&Officer")
        label.setBuddy(self.officer)
        form.addRow(label, self.officer)
        layout.addLayout(form)
        buttons, _ = save_cancel_buttons(self, "&Hand over", "Hand over", self.accept)
        layout.addWidget(buttons)

    def officer_id(self) -> str:
        return str(self.officer.currentData())
