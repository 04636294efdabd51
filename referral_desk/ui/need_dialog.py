"""Log a need in a few keystrokes — met or unmet, equally quick (DESIGN.md §1).

The fastest path: Ctrl+Shift+I, type part of a category ("hous" finds Accommodation through its
synonyms), Tab, type a description, Enter. Recording it as unmet with no provider known adds one
chord (Ctrl+Shift+L, or Alt+U) — a gap is recorded as data, not silence. "Save and find a
service" goes straight on to the directory search for the new need.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QStringListModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import max_length
from referral_desk.domain.people import normalise_name
from referral_desk.domain.states import UNMET_REASONS, NeedStatus
from referral_desk.ui.elided import ElidedLabel, limit_combo, name_heading
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_save_error
from referral_desk.ui.ops import op
from referral_desk.ui.widgets import FieldError, GuardedDialog, keep_default, named
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import NeedView, ReferenceItemView

# The main window's "Mark need unmet" key: the same idea, the same key.
UNMET_KEY = "Ctrl+Shift+L"

UNMET_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (key, status.label.replace("Unmet – ", "").capitalize())
    for key, status in UNMET_REASONS.items()
)


def resolve_category(text: str, items: list[ReferenceItemView]) -> ReferenceItemView:
    """The one category the officer meant: exact label, then prefix, then words and synonyms."""
    wanted = normalise_name(text)
    if not wanted:
        raise ValidationError("Choose a need category.")
    for item in items:
        if normalise_name(item.label) == wanted or item.code == wanted:
            return item
    for test in (
        lambda i: normalise_name(i.label).startswith(wanted),
        lambda i: wanted in normalise_name(i.label),
        lambda i: any(w.startswith(wanted) for w in normalise_name(i.synonyms).split()),
    ):
        found = [i for i in items if test(i)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationError("More than one category matches; choose one from the list.")
    raise ValidationError("No category matches; choose one from the list (or Other).")


class NeedDialog(GuardedDialog):
    """Log a new need, or edit an existing one's category and description."""

    def __init__(
        self,
        services: AppServices,
        person_id: str,
        parent: QWidget | None = None,
        *,
        need: NeedView | None = None,
        need_count: int = 0,
        person_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.person_id = person_id
        self.need = need
        self.saved: NeedView | None = None
        self.find_service_after = False
        self._items: list[ReferenceItemView] = []  # filled by the load op below
        self.loaded = False
        self._saving = False
        editing = need is not None
        self.setWindowTitle("Edit need" if editing else "Log a need")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(560)

        layout = QVBoxLayout(self)
        if person_name:
            heading = name_heading("Need of" if editing else "New need for", person_name)
            heading.setAccessibleName("Person")
            layout.addWidget(heading)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)

        self.category = limit_combo(QComboBox())
        self.category.setEditable(True)
        self.category.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.category.lineEdit().setPlaceholderText("Type to search, e.g. housing, debt, mentor")
        completer = QCompleter([], self.category)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.category.setCompleter(completer)
        named(self.category, "Category", "Type part of a category or a word like housing")
        self.category.setMaxVisibleItems(18)
        self.category_hint = QLabel()
        self.category_hint.setAccessibleName("Category match")
        self.category_hint.setStyleSheet("color: #555;")
        self.category_hint.hide()
        self.category_error = FieldError()
        col = QVBoxLayout()
        col.setSpacing(2)
        col.addWidget(self.category)
        col.addWidget(self.category_hint)
        col.addWidget(self.category_error)
        label = QLabel("&Category")
        label.setBuddy(self.category)
        form.addRow(label, col)
        self.category.editTextChanged.connect(self._update_hint)

        self.description = QLineEdit()
        self.description.setPlaceholderText("What is needed, in a few words")
        self.description.setMaxLength(max_length("need", "description"))
        named(self.description, "Description")
        label = QLabel("&Description")
        label.setBuddy(self.description)
        form.addRow(label, self.description)

        self.priority = QSpinBox()
        self.priority.setRange(1, need_count + 1)
        self.priority.setValue(need_count + 1)
        named(self.priority, "Priority", "1 = tackle first; needs are worked on in order")
        row = QHBoxLayout()
        row.addWidget(self.priority)
        row.addWidget(QLabel(f"of {need_count + 1}  (1 = tackle first)"))
        row.addStretch(1)
        label = QLabel("&Priority")
        label.setBuddy(self.priority)
        form.addRow(label, row)

        self.unmet = QCheckBox(f"Record as &unmet — no provider known  ({UNMET_KEY})")
        named(self.unmet, "Record as unmet", "Record the need as unmet now, with a reason")
        self.reason = QComboBox()
        for key, text in UNMET_CHOICES:
            self.reason.addItem(text, key)
        named(self.reason, "Unmet reason")
        self.reason.setEnabled(False)
        self.unmet.toggled.connect(self.reason.setEnabled)
        form.addRow("", self.unmet)
        reason_label = QLabel("&Reason")
        reason_label.setBuddy(self.reason)
        form.addRow(reason_label, self.reason)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save need", QDialogButtonBox.ButtonRole.AcceptRole)
        named(self.save_button, "Save need", "Save (Enter)")
        self.find_button = QPushButton("Save and &find a service")
        named(
            self.find_button,
            "Save and find a service",
            "Save, then search the directory for this need (Ctrl+Enter)",
        )
        self.find_button.setAutoDefault(False)
        buttons.addButton(self.find_button, QDialogButtonBox.ButtonRole.ActionRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "Cancel")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self._save(find_service=False))
        self.find_button.clicked.connect(lambda: self._save(find_service=True))
        cancel.clicked.connect(self.cancel)
        layout.addWidget(buttons)

        if editing:
            self.category.setEditText(need.category_label)
            self.description.setText(need.description)
            self.priority.setEnabled(False)
            self.priority.setRange(1, max(need.priority, 1))
            self.priority.setValue(max(need.priority, 1))
            self.unmet.setEnabled(False)
            self.unmet.hide()
            self.reason.hide()
            reason_label.hide()
            self.find_button.hide()
            self.save_button.setText("&Save changes")
        # Mnemonics (Alt+U, Alt+F) work too; these also work where Alt is taken by the desktop
        # (and on a Mac, which has no mnemonics). Not Ctrl+U: on Linux it clears the line.
        QShortcut(QKeySequence(UNMET_KEY), self, activated=self._toggle_unmet)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self._save_and_find)
        QShortcut(QKeySequence("Ctrl+Enter"), self, activated=self._save_and_find)
        # Last: disabling or hiding buttons above may have moved the default elsewhere.
        keep_default(self, self.save_button)
        self.mark_clean()
        self.category.setFocus()
        op(self, services.reference.categories).success(self._set_categories).run()

    def _set_categories(self, items: list[ReferenceItemView]) -> None:
        """Fill the category list when it arrives, keeping whatever was typed meanwhile."""
        self._items = items
        typed = self.category.currentText()
        labels = [i.label for i in items]
        with QSignalBlocker(self.category):
            self.category.addItems(labels)
            self.category.setCurrentIndex(-1)
            self.category.setEditText(typed)
        model = self.category.completer().model()
        if isinstance(model, QStringListModel):
            model.setStringList(labels)
        self._update_hint(typed)
        self.loaded = True

    # -- behaviour ----------------------------------------------------------------------------
    def _toggle_unmet(self) -> None:
        if self.unmet.isVisible() and self.unmet.isEnabled():
            self.unmet.toggle()

    def _save_and_find(self) -> None:
        if self.find_button.isVisible():
            self._save(find_service=True)

    def _update_hint(self, text: str) -> None:
        self.category_error.set_error("")
        if not text.strip():
            self.category_hint.setText("")
            self.category_hint.hide()
            return
        self.category_hint.show()
        try:
            item = resolve_category(text, self._items)
        except ValidationError as err:
            self.category_hint.setText(str(err))
        else:
            self.category_hint.setText(f"→ {item.label}")

    def _save(self, *, find_service: bool) -> None:
        if self._saving:  # Enter pressed twice: one save is on its way
            return
        try:
            category = resolve_category(self.category.currentText(), self._items)
        except ValidationError as err:
            self.category_error.set_error(str(err))
            self.category.setFocus()
            return
        description = self.description.text()
        if self.need is not None:
            need_id = self.need.id

            def work() -> NeedView:
                return self.services.needs.update(
                    need_id, category=category.code, description=description
                )
        else:
            unmet = self.reason.currentData() if self.unmet.isChecked() else None
            wanted = self.priority.value()

            def work() -> NeedView:
                return self._log(category.code, description, unmet, wanted)

        def saved(need: NeedView) -> None:
            self._saving = False
            self.saved = need
            self.find_service_after = find_service
            self.accept()

        def failed(err: BaseException) -> None:  # the form stays as typed
            self._saving = False
            show_save_error(self.message_bar, err, lambda: self._save(find_service=find_service))

        self._saving = True
        op(self, work).success(saved).failure(failed).busy().run()

    def _log(self, category: str, description: str, unmet: str | None, wanted: int) -> NeedView:
        """Log the need at the priority asked for: one use case, one transaction (on the
        worker, with the form's values read beforehand on the GUI thread)."""
        return self.services.needs.log(
            self.person_id, category, description, unmet=unmet, priority=wanted
        )


STATUS_CHOICES = tuple(NeedStatus)


class NeedStatusDialog(QDialog):
    """Set a need's status: met, unmet with a reason, or closed as no longer needed."""

    def __init__(
        self,
        services: AppServices,
        need: NeedView,
        parent: QWidget | None = None,
        *,
        suggest_unmet: bool = False,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.need = need
        self.saved: NeedView | None = None
        self.setWindowTitle("Need status")
        self.setAccessibleName("Need status")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        heading = ElidedLabel(f"{need.category_label} — {need.description}", max_lines=2)
        heading.setAccessibleName("Need")
        layout.addWidget(heading)
        self.message_bar = MessageBar(self)
        layout.addWidget(self.message_bar)
        form = QFormLayout()
        layout.addLayout(form)
        self.status = QComboBox()
        for status in STATUS_CHOICES:
            self.status.addItem(status.label, status.value)
        named(self.status, "New status")
        current = self.status.findData(need.status)
        if suggest_unmet:
            current = self.status.findData(NeedStatus.UNMET_NO_SERVICE.value)
        self.status.setCurrentIndex(max(current, 0))
        label = QLabel("&Status")
        label.setBuddy(self.status)
        form.addRow(label, self.status)
        self.note = QLineEdit()
        self.note.setMaxLength(max_length("need_status_change", "note"))
        self.note.setPlaceholderText("Optional: why (e.g. two providers full until May)")
        named(self.note, "Note")
        label = QLabel("&Note")
        label.setBuddy(self.note)
        form.addRow(label, self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "Save status")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        keep_default(self, buttons.button(QDialogButtonBox.StandardButton.Save))
        self.status.setFocus()

    def _save(self) -> None:
        status = self.status.currentData()
        if status == self.need.status:
            self.reject()
            return
        need_id, note = self.need.id, self.note.text()

        def saved(need: NeedView) -> None:
            self.saved = need
            self.accept()

        op(self, lambda: self.services.needs.set_status(need_id, status, note)).success(
            saved
        ).failure(lambda err: show_save_error(self.message_bar, err, self._save)).busy().run()
