"""The person dialog's checks: formats as the officer leaves each field, list names and
probable duplicates checked on the worker (`ui.ops`), and the duplicate panel. A mixin of
`PersonDialog` (ui/person_dialog.py), which owns the fields and the save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.identifiers import normalise_crn, normalise_nomis, normalise_pnc
from referral_desk.domain.people import validate_date_of_birth
from referral_desk.ui import palette
from referral_desk.ui.elided import breakable
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.person_save import (
    Duplicate,
    SaveOutcome,
    find_duplicates,
    resolve_listed,
)
from referral_desk.ui.widgets import FieldError, fmt_date, named, set_combo_text
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import PersonView


class PersonChecks:
    """Field checks and duplicates (see the module docstring); the dialog provides the fields,
    `services`, `person`, `message_bar`, `save_button` and the error labels."""

    services: AppServices
    person: PersonView | None
    _errors: dict[str, FieldError]
    _duplicates: list[Duplicate]
    _duplicates_acknowledged: bool

    def _build_duplicate_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("duplicatePanel")
        panel.setStyleSheet(
            f"QFrame#duplicatePanel {{ background: {palette.WARNING_BACKGROUND};"
            f" border: 1px solid {palette.WARNING_BORDER}; border-radius: 4px; }}"
        )
        layout = QHBoxLayout(panel)
        self.duplicate_label = QLabel()
        self.duplicate_label.setWordWrap(True)
        self.duplicate_label.setAccessibleName("Possible duplicate")
        layout.addWidget(self.duplicate_label, 1)
        self.open_existing = QPushButton("&Open existing person")
        named(self.open_existing, "Open existing person")
        self.open_existing.setAutoDefault(False)
        self.open_existing.clicked.connect(self._open_existing)
        layout.addWidget(self.open_existing)
        panel.hide()
        return panel

    # -- validation ---------------------------------------------------------------------------
    @staticmethod
    def _required(edit: QLineEdit, what: str) -> str:
        if not edit.text().strip():
            raise ValidationError(f"{what} is required")
        return edit.text()

    @staticmethod
    def _ident(edit: QLineEdit, norm: Callable[[str], str]) -> str | None:
        text = edit.text().strip()
        if not text:
            return None
        value = norm(text)
        if value != edit.text():
            edit.setText(value)
        return value

    def _check_dob(self) -> date | None:
        value = self.date_of_birth.value()
        if value is not None:
            validate_date_of_birth(value, self.services.clock.today())
        return value

    def _validate_one(self, key: str, check: Callable[[], object]) -> bool:
        try:
            check()
        except ValidationError as err:
            self._errors[key].set_error(str(err))
            return False
        self._errors[key].set_error("")
        return True

    def _edited(self, key: str) -> None:
        self._errors[key].set_error("")
        if self._duplicates_acknowledged:
            self._duplicates_acknowledged = False
            self.save_button.setText("&Save person" if self.person is None else "&Save changes")

    def _collect(self) -> dict[str, Any] | None:
        """All fields as the service expects them, or None after showing inline errors."""
        ok = all(
            [
                self._validate_one(
                    "given_name", lambda: self._required(self.given_name, "Given name")
                ),
                self._validate_one(
                    "family_name", lambda: self._required(self.family_name, "Family name")
                ),
                self._validate_one("date_of_birth", self._check_dob),
                self._validate_one("crn", lambda: self._ident(self.crn, normalise_crn)),
                self._validate_one("nomis", lambda: self._ident(self.nomis, normalise_nomis)),
                self._validate_one("pnc", lambda: self._ident(self.pnc, normalise_pnc)),
                self._validate_one("expected_release_date", self.expected_release_date.value),
                self._validate_one("consent_given_on", self.consent_given_on.value),
                # Whether prison and area are list names is checked on the worker by the save.
                self._validate_one("prison", self._prison_required),
            ]
        )
        if not ok:
            return None
        custody = self.custody.isChecked()
        return {
            "given_name": self.given_name.text(),
            "family_name": self.family_name.text(),
            "date_of_birth": self.date_of_birth.value(),
            "crn": self.crn.text(),
            "nomis": self.nomis.text(),
            "pnc": self.pnc.text(),
            "gender": self.gender.currentText(),
            "ethnicity": self.ethnicity.currentData() or "",
            "disability": self.disability.currentText(),
            "religion": self.religion.currentText(),
            "foreign_national": self.foreign_national.currentData(),
            "setting": self._setting_value(),
            "prison": self.prison.currentText().strip() if custody else "",
            "area": self.area.currentText(),
            "office": self.office.text(),
            "expected_release_date": self.expected_release_date.value(),
            "cohort_iom": self.cohort_iom.isChecked(),
            "cohort_ppo": self.cohort_ppo.isChecked(),
            "cohort_womens": self.cohort_womens.isChecked(),
            "cohort_young_adult": self.cohort_young_adult.isChecked(),
            "consent_given_on": self.consent_given_on.value() if self.consent.isChecked() else None,
            "consent_scope": self.consent_scope.text() if self.consent.isChecked() else "",
        }

    def _prison_required(self) -> None:
        if self.custody.isChecked() and not self.prison.currentText().strip():
            raise ValidationError("Choose the prison for someone in custody")

    def _check_prison(self) -> None:
        self._prison_required()
        self._check_listed_later("prison")

    def _check_area(self) -> None:
        self._check_listed_later("area")

    def _listed_to_check(self) -> dict[str, str]:
        """Listed fields whose text must be checked against the list (field -> text).

        The person's current value is kept even if the list no longer has it, as saving does.
        """
        out = {}
        for key in ("prison", "area"):
            if key == "prison" and not self.custody.isChecked():
                continue
            text = self._listed_combo(key).currentText().strip()
            current = getattr(self.person, key, "") if self.person is not None else ""
            if text and text != current:
                out[key] = text
        return out

    def _listed_combo(self, key: str) -> QComboBox:
        return self.prison if key == "prison" else self.area

    def _check_listed_later(self, key: str) -> None:
        """A name from the list (shown in its listed spelling), or the service's refusal,
        checked on the worker as the officer leaves the field."""
        text = self._listed_to_check().get(key)
        if text is None or not self.isVisible():  # focus leaves fields as a dialog closes too
            return
        op(self, lambda: resolve_listed(self.services, {key: text}), kind=f"person-{key}").success(
            self._show_listed
        ).failure(lambda err: show_save_error(self.message_bar, err)).run()

    def _show_listed(self, outcome: SaveOutcome) -> None:
        for key, label in outcome.labels.items():
            combo = self._listed_combo(key)
            self._errors[key].set_error("")
            if combo.currentText() != label:
                set_combo_text(combo, label)
                combo.setEditText(label)  # the index may already be the entry's
        for key, message in outcome.errors.items():
            self._errors[key].set_error(message)

    def _first_error_widget(self) -> QWidget | None:
        for key, error in self._errors.items():
            if error.text():
                return getattr(self, key, None)
        return None

    # -- duplicates ---------------------------------------------------------------------------
    def _duplicate_fields(self) -> dict[str, Any] | None:
        try:
            return {
                "given_name": self.given_name.text() or "-",
                "family_name": self.family_name.text() or "-",
                "date_of_birth": self.date_of_birth.value(),
                "crn": self.crn.text(),
                "nomis": self.nomis.text(),
            }
        except ValidationError:
            return None

    def _live_duplicate_check(self) -> None:
        fields = self._duplicate_fields()
        if fields is None or not self.isVisible():  # focus leaves fields as it closes too
            return
        person_id = self.person.id if self.person else None

        def show(found: list[Duplicate]) -> None:
            keep = self._duplicates_acknowledged and _ids(found) == _ids(self._duplicates)
            self._show_duplicates(found, acknowledge=keep)

        op(
            self, lambda: find_duplicates(self.services, person_id, fields), kind="person-dups"
        ).success(show).failure(lambda err: show_save_error(self.message_bar, err)).run()

    def _show_duplicates(self, found: list[Duplicate], *, acknowledge: bool = False) -> None:
        """Show probable duplicates. Only a Save click arms "Save anyway" (a second click)."""
        self._duplicates = found
        self._duplicates_acknowledged = bool(found) and acknowledge
        if not found:
            self.duplicate_panel.hide()
        self.save_button.setText(
            "&Save anyway"
            if self._duplicates_acknowledged
            else ("&Save person" if self.person is None else "&Save changes")
        )
        if not found:
            return
        lines = []
        for duplicate in found[:3]:
            other = duplicate.person
            if other is None:  # deleted meanwhile
                continue
            ids = " ".join(x for x in (other.crn, other.nomis) if x)
            born = f", born {fmt_date(other.date_of_birth)}" if other.date_of_birth else ""
            name = escape(breakable(other.display_name))  # typed: text, wrapping anywhere
            lines.append(f"<b>{name}</b>{born} {ids} — {escape(duplicate.reason)}")
        self.duplicate_label.setText(
            "This may be someone already on the caseload:<br>" + "<br>".join(lines)
        )
        self.duplicate_label.setAccessibleDescription(self.duplicate_label.text())
        self.duplicate_panel.show()

    def _open_existing(self) -> None:
        if self._duplicates:
            self.open_existing_id = self._duplicates[0].person_id
            self.reject()  # the officer chose the existing record: nothing to keep


def _ids(found: list[Duplicate]) -> list[str]:
    return [d.person_id for d in found]
