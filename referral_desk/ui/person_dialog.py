"""Add or edit a person, with inline validation and a probable-duplicate warning.

Formats are checked as the officer leaves each field (CRN, prison number, dates), with the
message under the field, so nothing is lost to a pop-up. A probable duplicate (same CRN or
prison number, or same birth date and a similar name) is shown before saving; the officer can
open the existing person instead, or save anyway — merging is a human decision.

On edit, a change of setting goes through the transfer/release use case so the providers of
open referrals get "tell the provider" follow-ups, and a change of consent goes through the
consent use cases (withdrawal flags every open referral).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import max_length
from referral_desk.domain.identifiers import normalise_crn, normalise_nomis, normalise_pnc
from referral_desk.domain.people import validate_date_of_birth
from referral_desk.services.app_services import AppServices
from referral_desk.services.dto import PersonView
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.person_save import (
    Duplicate,
    PersonLists,
    SaveOutcome,
    SaveRequest,
    find_duplicates,
    load_lists,
    resolve_listed,
    save_person,
)
from referral_desk.ui.widgets import (
    DateEdit,
    FieldError,
    GuardedDialog,
    MessageBar,
    breakable,
    fit_to_screen,
    fmt_date,
    keep_default,
    named,
    reference_combo,
    set_combo_text,
)

GENDERS = ("Female", "Male", "Non-binary", "Other", "Prefer not to say")
DISABILITY = ("Yes", "No", "Prefer not to say")
RELIGIONS = (
    "No religion",
    "Christian",
    "Buddhist",
    "Hindu",
    "Jewish",
    "Muslim",
    "Sikh",
    "Other religion",
    "Prefer not to say",
)


def _text_field(name: str, placeholder: str = "", length: int = 200) -> QLineEdit:
    edit = QLineEdit()
    edit.setMaxLength(length)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    named(edit, name)
    return edit


class PersonDialog(GuardedDialog):
    """New person (person=None) or edit an existing one.

    The lists (ethnicity, prisons, areas) arrive from the worker after it opens (`loaded`);
    checks that need the database (listed names, duplicates) and the save run there too.
    """

    def __init__(
        self,
        services: AppServices,
        parent: QWidget | None = None,
        *,
        person: PersonView | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.person = person
        self.saved: PersonView | None = None
        self.open_existing_id: str | None = None
        self.result_notes: list[str] = []
        self._duplicates_acknowledged = False
        self._duplicates: list[Duplicate] = []
        self.loaded = False
        self._saving = False
        self.setWindowTitle("Edit person" if person else "New person")
        self.setAccessibleName(self.windowTitle())
        self._errors: dict[str, FieldError] = {}

        outer = QVBoxLayout(self)
        self.message_bar = MessageBar(self)
        outer.addWidget(self.message_bar)
        self.duplicate_panel = self._build_duplicate_panel()
        outer.addWidget(self.duplicate_panel)

        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._identity_group(), 0, 0)
        grid.addWidget(self._equality_group(), 1, 0)
        grid.addWidget(self._setting_group(), 0, 1)
        grid.addWidget(self._cohort_consent_group(), 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        outer.addWidget(body)
        outer.addStretch(1)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            "&Save person" if person is None else "&Save changes",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        named(self.save_button, "Save person")
        keep_default(self, self.save_button)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "Cancel")
        self.save_button.clicked.connect(self._save)
        cancel.clicked.connect(self.cancel)
        outer.addWidget(buttons)

        if person is not None:
            self._load(person)
        self._setting_changed()
        self.mark_clean()
        self.given_name.setFocus()
        fit_to_screen(self, 940, self.sizeHint().height())
        op(self, lambda: load_lists(services)).success(self._fill_lists).run()

    def _fill_lists(self, lists: PersonLists) -> None:
        """Offer the lists, keeping what the fields hold (typed meanwhile, or the person's)."""
        was_clean = not self.is_dirty()
        chosen = self.ethnicity.currentData()
        self.ethnicity.clear()
        self.ethnicity.addItem("Not recorded", "")
        for item in lists.ethnicities:
            self.ethnicity.addItem(item.label, item.code)
        index = self.ethnicity.findData(chosen)
        if index < 0 and chosen:
            self.ethnicity.addItem(chosen, chosen)
            index = self.ethnicity.count() - 1
        self.ethnicity.setCurrentIndex(max(index, 0))
        for combo, labels in ((self.prison, lists.prisons), (self.area, lists.areas)):
            text = combo.currentText()
            combo.addItems(labels)
            model = combo.completer().model()
            if isinstance(model, QStringListModel):
                model.setStringList(labels)
            set_combo_text(combo, text)
            combo.setEditText(text)
        if was_clean:
            self.mark_clean()
        self.loaded = True

    # -- building ------------------------------------------------------------------------------
    def _row(self, form: QFormLayout, label: str, widget: QWidget, key: str = "") -> None:
        lab = QLabel(label)
        lab.setBuddy(widget)
        if key:
            error = FieldError()
            self._errors[key] = error
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(widget)
            box.addWidget(error)
            form.addRow(lab, box)
        else:
            form.addRow(lab, widget)

    def _form(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        group = QGroupBox(title)
        group.setAccessibleName(title)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return group, form

    def _identity_group(self) -> QGroupBox:
        group, form = self._form("Who")
        self.given_name = _text_field("Given name", length=max_length("person", "given_name"))
        self.family_name = _text_field("Family name", length=max_length("person", "family_name"))
        self.date_of_birth = DateEdit("Date of birth")
        self.crn = _text_field("CRN", "e.g. X123456", 7)
        self.nomis = _text_field("Prison number", "e.g. A1234BC", 7)
        self.pnc = _text_field("PNC number", "e.g. 2012/0123456A", 14)
        self.gender = reference_combo(list(GENDERS), "Gender")
        self._row(form, "&Given name *", self.given_name, "given_name")
        self._row(form, "&Family name *", self.family_name, "family_name")
        self._row(form, "Date of &birth", self.date_of_birth, "date_of_birth")
        self._row(form, "C&RN", self.crn, "crn")
        self._row(form, "Prison &number", self.nomis, "nomis")
        self._row(form, "PN&C number", self.pnc, "pnc")
        self._row(form, "Gen&der", self.gender)
        checks: list[tuple[QLineEdit, str, Callable[[], object]]] = [
            (self.given_name, "given_name", lambda: self._required(self.given_name, "Given name")),
            (
                self.family_name,
                "family_name",
                lambda: self._required(self.family_name, "Family name"),
            ),
            (self.date_of_birth, "date_of_birth", self._check_dob),
            (self.crn, "crn", lambda: self._ident(self.crn, normalise_crn)),
            (self.nomis, "nomis", lambda: self._ident(self.nomis, normalise_nomis)),
            (self.pnc, "pnc", lambda: self._ident(self.pnc, normalise_pnc)),
        ]
        for edit, key, check in checks:
            edit.editingFinished.connect(lambda k=key, c=check: self._validate_one(k, c))
            edit.textEdited.connect(lambda _t, k=key: self._edited(k))
        for edit in (self.crn, self.nomis, self.date_of_birth, self.family_name):
            edit.editingFinished.connect(self._live_duplicate_check)
        return group

    def _equality_group(self) -> QGroupBox:
        group, form = self._form("Equality monitoring (optional)")
        self.ethnicity = QComboBox()  # the list arrives from the worker (_fill_lists)
        self.ethnicity.addItem("Not recorded", "")
        self.ethnicity.setMinimumContentsLength(18)
        self.ethnicity.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        named(self.ethnicity, "Ethnicity")
        self.disability = reference_combo(list(DISABILITY), "Disability")
        self.religion = reference_combo(list(RELIGIONS), "Religion")
        self.foreign_national = QComboBox()
        for text, value in (("Not recorded", None), ("Yes", True), ("No", False)):
            self.foreign_national.addItem(text, value)
        named(self.foreign_national, "Foreign national")
        self._row(form, "&Ethnicity", self.ethnicity)
        self._row(form, "Disabilit&y", self.disability)
        self._row(form, "Re&ligion", self.religion)
        self._row(form, "Foreign na&tional", self.foreign_national)
        return group

    def _setting_group(self) -> QGroupBox:
        group, form = self._form("Where")
        self.custody = QRadioButton("C&ustody")
        self.community = QRadioButton("Co&mmunity")
        named(self.custody, "Custody")
        named(self.community, "Community")
        self.community.setChecked(True)
        self._setting_buttons = QButtonGroup(self)
        self._setting_buttons.addButton(self.custody)
        self._setting_buttons.addButton(self.community)
        row = QHBoxLayout()
        row.addWidget(self.custody)
        row.addWidget(self.community)
        row.addStretch(1)
        form.addRow("Setting", row)
        self.prison = reference_combo([], "Prison")  # lists from the worker (_fill_lists)
        self.area = reference_combo([], "Probation area")
        self.office = _text_field("Office", length=max_length("person", "office"))
        self.expected_release_date = DateEdit("Expected release date")
        self._row(form, "&Prison", self.prison, "prison")
        self._row(form, "&Area", self.area, "area")
        # Prisons and areas become rows of commissioners' reports: only list names are kept.
        # Leaving the field checks it as saving would, with the same "Did you mean" message.
        for combo, key, check in (
            (self.prison, "prison", self._check_prison),
            (self.area, "area", self._check_area),
        ):
            combo.lineEdit().setMaxLength(max_length("person", key))
            combo.lineEdit().editingFinished.connect(
                lambda k=key, c=check: self._validate_one(k, c)
            )
            combo.lineEdit().textEdited.connect(lambda _t, k=key: self._errors[k].set_error(""))
        self._row(form, "&Office", self.office)
        self._row(form, "E&xpected release", self.expected_release_date, "expected_release_date")
        self.expected_release_date.editingFinished.connect(
            lambda: self._validate_one("expected_release_date", self.expected_release_date.value)
        )
        self.tell_providers = QCheckBox("Tell the providers of open referrals (follow-ups)")
        named(self.tell_providers, "Tell providers")
        self.tell_providers.setChecked(True)
        self.tell_providers.hide()
        form.addRow("", self.tell_providers)
        self.custody.toggled.connect(self._setting_changed)
        for combo in (self.prison, self.area):
            combo.editTextChanged.connect(self._setting_changed)
        return group

    def _cohort_consent_group(self) -> QGroupBox:
        group, form = self._form("Cohort and consent")
        self.cohort_iom = QCheckBox("&IOM")
        self.cohort_ppo = QCheckBox("PPO")
        self.cohort_womens = QCheckBox("&Women's service")
        self.cohort_young_adult = QCheckBox("Young adult (18–25)")
        row = QGridLayout()
        for i, (box, name) in enumerate(
            (
                (self.cohort_iom, "IOM cohort"),
                (self.cohort_ppo, "PPO cohort"),
                (self.cohort_womens, "Women's service cohort"),
                (self.cohort_young_adult, "Young adult cohort"),
            )
        ):
            named(box, name)
            row.addWidget(box, i // 2, i % 2)
        form.addRow("Cohorts", row)
        self.consent = QCheckBox("Consents to s&hare with providers")
        named(self.consent, "Consent to share")
        self.consent_given_on = DateEdit("Consent date")
        self.consent_scope = _text_field(
            "Consent scope",
            "e.g. all referrals; housing only",
            max_length("person", "consent_scope"),
        )
        form.addRow("", self.consent)
        self._row(form, "Consent date", self.consent_given_on, "consent_given_on")
        self._row(form, "Consent scope", self.consent_scope)
        self.consent.toggled.connect(self._consent_toggled)
        self._consent_toggled(False)
        return group

    def _build_duplicate_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("duplicatePanel")
        panel.setStyleSheet(
            "QFrame#duplicatePanel { background: #fff4e0; border: 1px solid #b36b00;"
            " border-radius: 4px; }"
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

    # -- loading ------------------------------------------------------------------------------
    def _load(self, p: PersonView) -> None:
        self.given_name.setText(p.given_name)
        self.family_name.setText(p.family_name)
        self.date_of_birth.set_value(p.date_of_birth)
        self.crn.setText(p.crn or "")
        self.nomis.setText(p.nomis or "")
        self.pnc.setText(p.pnc or "")
        set_combo_text(self.gender, p.gender)
        index = self.ethnicity.findData(p.ethnicity)
        if index < 0 and p.ethnicity:
            self.ethnicity.addItem(p.ethnicity, p.ethnicity)
            index = self.ethnicity.count() - 1
        self.ethnicity.setCurrentIndex(max(index, 0))
        set_combo_text(self.disability, p.disability)
        set_combo_text(self.religion, p.religion)
        self.foreign_national.setCurrentIndex(
            {None: 0, True: 1, False: 2}.get(p.foreign_national, 0)
        )
        (self.custody if p.setting == "custody" else self.community).setChecked(True)
        set_combo_text(self.prison, p.prison)
        set_combo_text(self.area, p.area)
        self.office.setText(p.office)
        self.expected_release_date.set_value(p.expected_release_date)
        self.cohort_iom.setChecked(p.cohort_iom)
        self.cohort_ppo.setChecked(p.cohort_ppo)
        self.cohort_womens.setChecked(p.cohort_womens)
        self.cohort_young_adult.setChecked(p.cohort_young_adult)
        self.consent.setChecked(p.has_consent)
        self.consent_given_on.set_value(p.consent_given_on)
        self.consent_scope.setText(p.consent_scope)
        if p.consent_withdrawn_on is not None:
            withdrawn = fmt_date(p.consent_withdrawn_on)
            self.consent.setText(f"Consents to s&hare (withdrawn {withdrawn})")

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

    def _setting_changed(self, *_args: Any) -> None:
        custody = self.custody.isChecked()
        self.prison.setEnabled(custody)
        if "prison" in self._errors and not custody:
            self._errors["prison"].set_error("")
        if self.person is not None:
            changed = (
                self._setting_value(),
                self.prison.currentText().strip() if custody else "",
                self.area.currentText().strip(),
            ) != (self.person.setting, self.person.prison, self.person.area)
            self.tell_providers.setVisible(changed)

    def _consent_toggled(self, on: bool) -> None:
        self.consent_given_on.setEnabled(on)
        self.consent_scope.setEnabled(on)
        if on and not self.consent_given_on.text():
            self.consent_given_on.set_value(self.services.clock.today())

    def _setting_value(self) -> str:
        return "custody" if self.custody.isChecked() else "community"

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

    # -- saving -------------------------------------------------------------------------------
    def _save(self) -> None:
        if self._saving:  # one save on its way already
            return
        fields = self._collect()
        if fields is None:
            widget = self._first_error_widget()
            if widget is not None:
                widget.setFocus()
            return
        request = SaveRequest(
            person=self.person,
            fields=fields,
            listed=self._listed_to_check(),
            check_duplicates=not self._duplicates_acknowledged,
            consent=self.consent.isChecked(),
            tell_providers=self.tell_providers.isChecked(),
        )

        def failed(err: BaseException) -> None:  # the form stays as typed
            self._saving = False
            show_save_error(self.message_bar, err, self._save)

        self._saving = True
        op(self, lambda: save_person(self.services, request)).success(self._saved).failure(
            failed
        ).busy().run()

    def _saved(self, outcome: SaveOutcome) -> None:
        self._saving = False
        self._show_listed(outcome)
        if outcome.errors:
            widget = self._first_error_widget()
            if widget is not None:
                widget.setFocus()
            return
        if outcome.duplicates:
            self._show_duplicates(outcome.duplicates, acknowledge=True)
            self.save_button.setFocus()
            return
        self.result_notes.extend(outcome.notes)
        self.saved = outcome.saved
        self.accept()


def _ids(found: list[Duplicate]) -> list[str]:
    return [d.person_id for d in found]
