"""The filters of Find a service: preset from the need and the person (read on the worker,
`load_context`), cleared, and read as a `SearchQuery`. A mixin of `FindServiceDialog`
(ui/find_service.py), which owns the search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from referral_desk.domain.people import age_on
from referral_desk.domain.search_query import SearchQuery, normalise_gender
from referral_desk.ui.elided import limit_combo
from referral_desk.ui.widgets import named
from referral_desk.usecases.dto import NeedView, PersonView, ReferenceItemView

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

RESULT_LIMIT = 50

SETTING_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Any setting", None),
    ("In custody", "custody"),
    ("In the community", "community"),
    ("Through the gate", "gate"),
)
GENDER_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Any gender", None),
    ("Female", "female"),
    ("Male", "male"),
)


def _place_combo(items: list[str], name: str, placeholder: str) -> QComboBox:
    """Editable: services name prisons and areas freely, so any text must be searchable."""
    combo = limit_combo(QComboBox(), 18)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem("")
    combo.addItems(items)
    line = combo.lineEdit()
    assert line is not None
    line.setPlaceholderText(placeholder)
    line.setClearButtonEnabled(True)
    named(combo, name)
    named(line, name)
    completer = combo.completer()
    if completer is not None:
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
    return combo


def _select_data(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


@dataclass(frozen=True)
class FindContext:
    """The need, its person and the lists the filters offer, read in one go on the worker."""

    need: NeedView
    person: PersonView
    categories: list[ReferenceItemView]
    method_labels: dict[str, str]
    prisons: list[str]
    areas: list[str]
    today: date


def load_context(services: AppServices, need_id: str) -> FindContext:
    need = services.needs.get(need_id)
    return FindContext(
        need=need,
        person=services.people.get(need.person_id),
        categories=services.reference.categories(),
        method_labels={i.code: i.label for i in services.reference.list("referral_method")},
        prisons=[i.label for i in services.reference.list("prison")],
        areas=[i.label for i in services.reference.list("area")],
        today=services.clock.today(),
    )


class SearchFilters:
    """Builds and reads the filter widgets; the dialog provides `need`, `person`, `_today`,
    `search_edit` and the buttons wired in `_build_filters`."""

    need: NeedView | None
    person: PersonView | None
    _today: date

    def _build_filters(self, categories: list[Any], prisons: list[str], areas: list[str]) -> Any:
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)

        self.category_combo = limit_combo(QComboBox(), 30)
        self.category_combo.addItem("Any category", None)
        for item in categories:
            self.category_combo.addItem(item.label, item.code)
        named(self.category_combo, "Need category")
        self.setting_combo = QComboBox()
        for text, value in SETTING_CHOICES:
            self.setting_combo.addItem(text, value)
        named(self.setting_combo, "Setting", "Where the person will use the service")
        self.prison_combo = _place_combo(prisons, "Prison", "Any prison")
        self.area_combo = _place_combo(areas, "Area", "Any area")
        self.gender_combo = QComboBox()
        for text, value in GENDER_CHOICES:
            self.gender_combo.addItem(text, value)
        named(self.gender_combo, "Gender", "Show services open to this gender")
        self.age_spin = QSpinBox()
        self.age_spin.setRange(0, 120)
        self.age_spin.setSpecialValueText("Any age")
        self.age_spin.setSuffix(" years")
        named(self.age_spin, "Age", "Show services whose age range includes this age; 0 for any")

        self.free_check = QCheckBox("&Free only")
        named(self.free_check, "Free services only")
        self.prechecked_check = QCheckBox("Pre-chec&ked only")
        named(
            self.prechecked_check,
            "Pre-checked services only",
            "Information-sharing protocol agreed and reports attendance",
        )
        self.accepting_check = QCheckBox("Accepting &now")
        named(self.accepting_check, "Services accepting referrals now")
        self.inactive_check = QCheckBox("Include &inactive")
        named(self.inactive_check, "Include inactive and closed services")
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.setAutoDefault(False)
        named(self.clear_button, "Clear filters", "Search the whole directory")
        self.reset_button = QPushButton("Reset to pers&on")
        self.reset_button.setAutoDefault(False)
        named(self.reset_button, "Reset filters to the person", "Filters from the need and person")

        def labelled(text: str, widget: QWidget) -> QLabel:
            label = QLabel(text)
            label.setBuddy(widget)
            return label

        row = [
            (labelled("&Category:", self.category_combo), self.category_combo),
            (labelled("Se&tting:", self.setting_combo), self.setting_combo),
            (labelled("&Prison:", self.prison_combo), self.prison_combo),
            (labelled("&Area:", self.area_combo), self.area_combo),
            (labelled("&Gender:", self.gender_combo), self.gender_combo),
            (labelled("Ag&e:", self.age_spin), self.age_spin),
        ]
        for col, (label, widget) in enumerate(row):
            grid.addWidget(label, 0, col * 2)
            grid.addWidget(widget, 0, col * 2 + 1)
        self.category_combo.setMinimumWidth(190)
        self.prison_combo.setMinimumWidth(150)
        self.area_combo.setMinimumWidth(150)
        checks = QHBoxLayout()
        for widget in (
            self.free_check,
            self.prechecked_check,
            self.accepting_check,
            self.inactive_check,
        ):
            checks.addWidget(widget)
        checks.addStretch(1)
        checks.addWidget(self.reset_button)
        checks.addWidget(self.clear_button)
        grid.addLayout(checks, 1, 0, 1, len(row) * 2)
        return grid

    # --- filters ----------------------------------------------------------------------------

    def _person_summary(self) -> str:
        p = self.person
        if p is None:
            return ""
        parts = [p.display_name]
        if p.setting == "custody":
            parts.append(f"in custody at {p.prison}" if p.prison else "in custody")
        else:
            parts.append(f"in the community ({p.area})" if p.area else "in the community")
        if p.date_of_birth is not None:
            parts.append(f"age {age_on(p.date_of_birth, self._today)}")
        if p.gender:
            parts.append(p.gender.capitalize())
        return " · ".join(parts)

    def _with_signals_blocked(self, change: Callable[[], None]) -> None:
        widgets = (
            self.category_combo,
            self.setting_combo,
            self.prison_combo,
            self.area_combo,
            self.gender_combo,
            self.age_spin,
            self.free_check,
            self.prechecked_check,
            self.accepting_check,
            self.inactive_check,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            change()
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.schedule_search()

    def preset_filters(self) -> None:
        """Filters from the need and the person: what an officer would set by hand."""
        if self.need is None or self.person is None:
            return  # not loaded yet: the filters are preset when it is
        need, p = self.need, self.person

        def change() -> None:
            _select_data(self.category_combo, need.category)
            self.prison_combo.setEditText("")
            self.area_combo.setEditText("")
            if p.setting == "custody":
                _select_data(self.setting_combo, "custody")
                self.prison_combo.setEditText(p.prison or "")
            else:
                _select_data(self.setting_combo, "community")
                self.area_combo.setEditText(p.area or "")
            gender = normalise_gender(p.gender)
            if gender and self.gender_combo.findData(gender) < 0:
                self.gender_combo.addItem(gender.capitalize(), gender)
            _select_data(self.gender_combo, gender)
            age = age_on(p.date_of_birth, self._today) if p.date_of_birth else 0
            self.age_spin.setValue(max(0, min(age, 120)))
            for check in (
                self.free_check,
                self.prechecked_check,
                self.accepting_check,
                self.inactive_check,
            ):
                check.setChecked(False)

        self._with_signals_blocked(change)

    def clear_filters(self) -> None:
        def change() -> None:
            for combo in (self.category_combo, self.setting_combo, self.gender_combo):
                combo.setCurrentIndex(0)
            self.prison_combo.setEditText("")
            self.area_combo.setEditText("")
            self.age_spin.setValue(0)
            for check in (
                self.free_check,
                self.prechecked_check,
                self.accepting_check,
                self.inactive_check,
            ):
                check.setChecked(False)

        self._with_signals_blocked(change)

    def current_query(self) -> SearchQuery:
        """The SearchQuery the widgets describe right now."""
        return SearchQuery(
            text=self.search_edit.text(),
            category=self.category_combo.currentData(),
            area=self.area_combo.currentText(),
            prison=self.prison_combo.currentText(),
            setting=self.setting_combo.currentData(),
            gender=self.gender_combo.currentData(),
            age=self.age_spin.value() or None,
            free=self.free_check.isChecked(),
            prechecked=self.prechecked_check.isChecked(),
            accepting=self.accepting_check.isChecked(),
            include_inactive=self.inactive_check.isChecked(),
            limit=RESULT_LIMIT,
        )
