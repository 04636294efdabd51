"""Transfer to another prison, or release to the community.

People are "moved without informing the services they had been accessing" (DESIGN.md §1), so
the dialog says how many referrals are open and offers, ticked by default, a follow-up on each
to tell the provider.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import ValidationError
from referral_desk.ui.elided import breakable, name_heading
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.models import setting_text
from referral_desk.ui.ops import op, save_op
from referral_desk.ui.widgets import (
    DateEdit,
    FieldError,
    fill_reference_combo,
    named,
    reference_combo,
    save_cancel_buttons,
    set_combo_text,
)
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import PersonView, SettingChange


class SettingDialog(QDialog):
    """Change a person's setting; `saved` and `follow_ups_created` hold the outcome."""

    def __init__(
        self,
        services: AppServices,
        person: PersonView,
        open_referrals: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.person = person
        self.saved: PersonView | None = None
        self.follow_ups_created = 0
        self.outcome: SettingChange | None = None
        self.setWindowTitle("Transfer or release")
        self.setAccessibleName("Transfer or release")
        self.setMinimumWidth(500)

        layout = QVBoxLayout(self)
        heading = name_heading(
            "", person.display_name, f"is now: {breakable(setting_text(person))}"
        )
        heading.setAccessibleName("Current setting")
        layout.addWidget(heading)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)

        self.custody = QRadioButton("&Custody (transfer)")
        self.community = QRadioButton("C&ommunity (release)")
        named(self.custody, "Custody")
        named(self.community, "Community")
        group = QButtonGroup(self)
        group.addButton(self.custody)
        group.addButton(self.community)
        row = QHBoxLayout()
        row.addWidget(self.custody)
        row.addWidget(self.community)
        row.addStretch(1)
        form.addRow("Moving to", row)

        self.prison = reference_combo([], "Prison")  # the lists are read on the worker
        self.prison_error = FieldError()
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(self.prison)
        box.addWidget(self.prison_error)
        label = QLabel("&Prison")
        label.setBuddy(self.prison)
        form.addRow(label, box)
        self.area = reference_combo([], "Probation area")
        label = QLabel("&Area")
        label.setBuddy(self.area)
        form.addRow(label, self.area)
        self.office = QLineEdit(person.office)
        named(self.office, "Office")
        label = QLabel("O&ffice")
        label.setBuddy(self.office)
        form.addRow(label, self.office)
        self.release = DateEdit("Expected release date")
        self.release.set_value(person.expected_release_date)
        self.release_error = FieldError()
        box = QVBoxLayout()
        box.setSpacing(1)
        box.addWidget(self.release)
        box.addWidget(self.release_error)
        label = QLabel("Expected &release")
        label.setBuddy(self.release)
        form.addRow(label, box)

        self.tell = QCheckBox()
        named(self.tell, "Tell providers")
        if open_referrals:
            plural = "s" if open_referrals != 1 else ""
            self.tell.setText(
                f"&Tell the providers: a follow-up on each of {open_referrals} open "
                f"referral{plural}"
            )
            self.tell.setChecked(True)
        else:
            self.tell.setText("No open referrals: no provider to tell")
            self.tell.setEnabled(False)
        layout.addWidget(self.tell)

        buttons, self.save_button = save_cancel_buttons(self, "&Save move", "Save move", self._save)
        layout.addWidget(buttons)

        (self.custody if person.setting == "custody" else self.community).setChecked(True)
        set_combo_text(self.prison, person.prison)
        set_combo_text(self.area, person.area)
        self.custody.toggled.connect(self._toggled)
        self._toggled(self.custody.isChecked())
        (self.community if person.setting == "custody" else self.custody).setFocus()
        self.loaded = False  # True once the prison and area lists are in their combos
        reference = services.reference

        def read() -> tuple[list[str], list[str]]:
            return [i.label for i in reference.list("prison")], [
                i.label for i in reference.list("area")
            ]

        op(self, read).success(self._lists_read).run()

    def _lists_read(self, lists: tuple[list[str], list[str]]) -> None:
        prisons, areas = lists
        fill_reference_combo(self.prison, prisons)
        fill_reference_combo(self.area, areas)
        self.loaded = True

    def _toggled(self, custody: bool) -> None:
        self.prison.setEnabled(custody)
        self.prison_error.set_error("")

    def _save(self) -> None:
        custody = self.custody.isChecked()
        if custody and not self.prison.currentText().strip():
            self.prison_error.set_error("Choose the prison for someone in custody")
            self.prison.setFocus()
            return
        try:
            release = self.release.value()
        except ValidationError as err:
            self.release_error.set_error(str(err))
            self.release.setFocus()
            return
        change, person_id = self.services.cases.change_setting, self.person.id
        fields = {
            "setting": "custody" if custody else "community",
            "prison": self.prison.currentText() if custody else "",
            "area": self.area.currentText(),
            "office": self.office.text(),
            # "" clears a release date the officer emptied; None would leave it unchanged.
            "expected_release_date": release if release is not None else "",
            "tell_providers": self.tell.isEnabled() and self.tell.isChecked(),
        }
        save_op(
            self, lambda: change(person_id, **fields), bar=self.message_bar, retry=self._save
        ).success(self._saved).run()

    def _saved(self, outcome: SettingChange) -> None:
        self.outcome = outcome
        self.saved, self.follow_ups_created = outcome.person, outcome.follow_ups
        self.accept()

    def result_text(self) -> str:
        """What to tell the officer after saving: what changed, or that nothing did."""
        outcome = self.outcome
        if outcome is None or not outcome.changed:
            return "Nothing changed."
        if not outcome.moved:
            return f"Saved. Setting unchanged: {setting_text(outcome.person)}."
        created = outcome.follow_ups
        extra = (
            f" {created} follow-up{'s' if created != 1 else ''} added to tell providers."
            if created
            else ""
        )
        return f"Setting changed to {setting_text(outcome.person)}.{extra}"
