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
from typing import Any

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.fields import max_length
from referral_desk.domain.identifiers import normalise_crn, normalise_nomis, normalise_pnc
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.person_checks import PersonChecks
from referral_desk.ui.person_save import (
    Duplicate,
    PersonLists,
    SaveOutcome,
    SaveRequest,
    load_lists,
    save_person,
)
from referral_desk.ui.widgets import (
    DateEdit,
    FieldError,
    GuardedDialog,
    fit_to_screen,
    fmt_date,
    keep_default,
    named,
    reference_combo,
    set_combo_text,
)
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import PersonView

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


class PersonDialog(PersonChecks, GuardedDialog):
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
