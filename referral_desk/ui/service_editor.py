"""Add or edit a directory service, with its organisation and location, for the directory keeper.

Officers stopped trusting the old directories because nobody kept them right (DESIGN.md §1), so
the keeper needs one form that covers everything an officer relies on when referring: who runs
it, where it is, who it is for, what it costs and how to refer. The services layer validates;
this dialog only shows its message under the field it names, on the tab that holds the field,
so the keeper fixes it without hunting. The form is split into tabs so it fits a 768-pixel
laptop screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.domain.fields import max_length
from referral_desk.domain.vocabularies import GENDERS, SERVICE_STATUSES
from referral_desk.ui.elided import limit_combo
from referral_desk.ui.messages import error_text
from referral_desk.ui.ops import op
from referral_desk.ui.service_editor_work import (
    EditorData,
    SavePlan,
    SaveProgress,
    load_editor,
    store_service,
)
from referral_desk.ui.widgets import FieldError, GuardedDialog, fit_to_screen, keep_default, named
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import ServiceView

NEW_ORGANISATION = "New organisation…"


def _plain(text: QLineEdit | QPlainTextEdit) -> str:
    return text.toPlainText() if isinstance(text, QPlainTextEdit) else text.text()


def _int_text(value: int | None) -> str:
    return "" if value is None else str(value)


class ServiceEditorDialog(GuardedDialog):
    """Create a service (`service_id` None) or edit one; `saved` holds the stored result.

    A new organisation or location is created just before the service; its id is kept, so a
    second Save after a validation error does not create it twice.
    """

    def __init__(
        self, services: AppServices, service_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.service_id = service_id
        self.saved: ServiceView | None = None
        self.ready = False
        self._location_id: str | None = None
        self.setWindowTitle("Edit service" if service_id else "New service")
        self.setAccessibleName(self.windowTitle())
        fit_to_screen(self, 640, 600)
        self._errors: dict[str, tuple[QWidget, FieldError, int]] = {}

        self.top_error = FieldError()
        self.top_error.setAccessibleName("Problem saving")
        self.tabs = QTabWidget()
        named(self.tabs, "Service sections", "Service, eligibility, how to refer, location")
        self.tabs.addTab(self._service_tab(), "&Service")
        self.tabs.addTab(self._eligibility_tab(), "E&ligibility")
        self.tabs.addTab(self._referral_tab(), "How to &refer")
        self.tabs.addTab(self._location_tab(), "Lo&cation")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        named(self.save_button, "Save service")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        keep_default(self, self.save_button)

        box = QVBoxLayout(self)
        box.addWidget(self.top_error)
        box.addWidget(self.tabs, 1)
        box.addWidget(buttons)
        self.save_button.setEnabled(False)
        self.tabs.setEnabled(False)
        op(self, lambda: load_editor(services, service_id)).success(self._loaded).failure(
            self._load_failed
        ).run()

    def _loaded(self, data: EditorData) -> None:
        """Fill the lists, then the service being edited (read on the worker)."""
        for org in data.organisations:
            self.organisation.addItem(org["name"], org["id"])
        for item in data.categories:
            row = QListWidgetItem(item.label)
            row.setData(Qt.ItemDataRole.UserRole, item.code)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Unchecked)
            self.categories.addItem(row)
        for item in data.methods:
            self.method.addItem(item.label, item.code)
        self.method.addItem("Drop-in", "drop_in")
        current = data.current
        if current is not None:
            self._location_id = current.location.id if current.location else None
            self._fill(current)
        self._organisation_changed()
        self.tabs.setEnabled(True)
        self.save_button.setEnabled(True)
        self.mark_clean()
        self.ready = True

    def _load_failed(self, err: BaseException) -> None:
        self.top_error.set_error(error_text(err))

    # -- building -----------------------------------------------------------------------------
    def _row(
        self, form: QFormLayout, label: str, widget: QWidget, key: str, tab: int, tip: str = ""
    ) -> None:
        """A labelled field with its own error line; `key` is the label the services use."""
        named(widget, label.replace("&", ""), tip)
        holder = QWidget()
        # Maximum: extra height goes nowhere, rather than into gaps around a short field.
        holder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        error = FieldError()
        lay.addWidget(error)
        caption = QLabel(label)
        caption.setBuddy(widget)
        form.addRow(caption, holder)
        self._errors[key.lower()] = (widget, error, tab)

    def _service_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.organisation = limit_combo(QComboBox(), 36)
        self.organisation.addItem(NEW_ORGANISATION, None)
        self.organisation.currentIndexChanged.connect(self._organisation_changed)
        self._row(
            form,
            "&Organisation",
            self.organisation,
            "organisation",
            0,
            "Who runs the service; choose New organisation… to add one",
        )
        self.org_name = QLineEdit()
        self.org_name.setMaxLength(max_length("organisation", "name"))
        self._row(form, "New organisation &name", self.org_name, "name_org", 0)
        self.org_website = QLineEdit()
        self.org_website.setMaxLength(max_length("organisation", "website"))
        self.org_website.setPlaceholderText("https://example.org")
        self._row(form, "Organisation &website", self.org_website, "website", 0)
        self.org_charity = QLineEdit()
        self.org_charity.setMaxLength(max_length("organisation", "charity_number"))
        self._row(form, "Charity n&umber", self.org_charity, "charity number", 0)
        self._org_fields = (self.org_name, self.org_website, self.org_charity)

        self.name = QLineEdit()
        self.name.setMaxLength(max_length("service", "name"))
        self._row(form, "Service na&me", self.name, "name", 0)
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(60)
        self._row(form, "&Description", self.description, "description", 0)
        self.status = QComboBox()
        self.status.addItems(SERVICE_STATUSES)
        self._row(form, "S&tatus", self.status, "status", 0)
        self.categories = QListWidget()
        self.categories.setFixedHeight(130)
        self._row(
            form,
            "Need c&ategories",
            self.categories,
            "unknown need category",
            0,
            "Tick each need the service meets (Space ticks the current line)",
        )
        self.areas = QLineEdit()
        self.areas.setPlaceholderText("Leeds, Bradford, Wakefield")
        self._row(
            form,
            "Service a&reas",
            self.areas,
            "service area",
            0,
            "Where the service takes referrals from, separated by commas",
        )
        return page

    def _eligibility_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.gender = QComboBox()
        self.gender.addItems(GENDERS)
        self._row(form, "&Gender", self.gender, "gender", 1)
        self.min_age = QLineEdit()
        self._row(form, "Mi&nimum age", self.min_age, "min age", 1, "Leave empty for no minimum")
        self.max_age = QLineEdit()
        self._row(form, "Ma&ximum age", self.max_age, "max age", 1, "Leave empty for no maximum")
        self.offences = QLineEdit()
        self._row(
            form,
            "&Offence exclusions",
            self.offences,
            "offence exclusions",
            1,
            "Offence types the service cannot take, separated by commas",
        )
        self.risks = QLineEdit()
        self.risks.setPlaceholderText("low, medium")
        self._row(form, "&Risk levels accepted", self.risks, "risk levels", 1)
        self.cohorts = QLineEdit()
        self._row(form, "Co&horts", self.cohorts, "cohorts", 1, "e.g. women, 18-25, IOM")
        self.prisons = QLineEdit()
        self._row(
            form,
            "In &prisons",
            self.prisons,
            "prisons",
            1,
            "Prisons the service works in, separated by commas",
        )
        self.community = QCheckBox("Works in the communit&y")
        self.community.setChecked(True)
        self._row(form, "", self.community, "community", 1)
        self.gate = QCheckBox("Through the gat&e")
        self._row(form, "", self.gate, "through the gate", 1)
        self.free = QCheckBox("&Free (externally funded)")
        self.free.setChecked(True)
        self.free.toggled.connect(lambda on: self.unit_cost.setEnabled(not on))
        self._row(form, "", self.free, "free", 1)
        self.unit_cost = QLineEdit()
        self.unit_cost.setEnabled(False)
        self.unit_cost.setPlaceholderText("£")
        self._row(form, "&Unit cost (spot purchase)", self.unit_cost, "unit cost", 1)
        return page

    def _referral_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.method = QComboBox()
        self._row(form, "Referral &method", self.method, "referral method", 2)
        self.contact = QLineEdit()
        self.contact.setMaxLength(max_length("service", "referral_contact"))
        self._row(
            form,
            "Referral con&tact",
            self.contact,
            "referral contact",
            2,
            "The number, address or form link to refer to",
        )
        self.contact_name = QLineEdit()
        self.contact_name.setMaxLength(max_length("service", "contact_name"))
        self._row(form, "Contact &name", self.contact_name, "contact name", 2)
        self.phone = QLineEdit()
        self.phone.setMaxLength(max_length("service", "phone"))
        self._row(form, "&Phone", self.phone, "phone", 2)
        self.email = QLineEdit()
        self.email.setMaxLength(max_length("service", "email"))
        self._row(form, "&Email", self.email, "email", 2)
        self.response_days = QLineEdit()
        self._row(form, "Response (&working days)", self.response_days, "response days", 2)
        self.opening = QLineEdit()
        self.opening.setMaxLength(max_length("service", "opening_times"))
        self._row(form, "&Opening times", self.opening, "opening times", 2)
        self.bring = QLineEdit()
        self.bring.setMaxLength(max_length("service", "what_to_bring"))
        self._row(form, "What to &bring", self.bring, "what to bring", 2)
        self.languages = QLineEdit()
        self._row(form, "&Languages", self.languages, "languages", 2)
        self.accessibility = QLineEdit()
        self.accessibility.setMaxLength(max_length("service", "accessibility"))
        self._row(form, "Acce&ssibility", self.accessibility, "accessibility", 2)
        return page

    def _location_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.confidential = QCheckBox("&Confidential address (a refuge: publish the contact only)")
        self._row(
            form,
            "",
            self.confidential,
            "confidential address",
            3,
            "Officers and exports never see a confidential address",
        )
        self.loc_name = QLineEdit()
        self.loc_name.setMaxLength(max_length("location", "name"))
        self._row(form, "Location &name", self.loc_name, "name_loc", 3)
        self.address_1 = QLineEdit()
        self.address_1.setMaxLength(max_length("location", "address_1"))
        self._row(form, "Address line &1", self.address_1, "address 1", 3)
        self.address_2 = QLineEdit()
        self.address_2.setMaxLength(max_length("location", "address_2"))
        self._row(form, "Address line &2", self.address_2, "address 2", 3)
        self.city = QLineEdit()
        self.city.setMaxLength(max_length("location", "city"))
        self._row(form, "&Town or city", self.city, "city", 3)
        self.postcode = QLineEdit()
        self.postcode.setMaxLength(10)
        self._row(form, "&Postcode", self.postcode, "postcode", 3)
        self._location_fields = (
            self.loc_name,
            self.address_1,
            self.address_2,
            self.city,
            self.postcode,
        )
        return page

    def _fill(self, svc: ServiceView) -> None:
        index = self.organisation.findData(svc.organisation_id)
        self.organisation.setCurrentIndex(max(index, 0))
        self.name.setText(svc.name)
        self.description.setPlainText(svc.description)
        self.status.setCurrentText(svc.status)
        for i in range(self.categories.count()):
            item = self.categories.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in svc.categories
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.areas.setText(", ".join(svc.areas))
        self.gender.setCurrentText(svc.gender)
        self.min_age.setText(_int_text(svc.min_age))
        self.max_age.setText(_int_text(svc.max_age))
        self.offences.setText(", ".join(svc.offence_exclusions))
        self.risks.setText(", ".join(svc.risk_levels))
        self.cohorts.setText(", ".join(svc.cohorts))
        self.prisons.setText(", ".join(svc.prisons))
        self.community.setChecked(svc.community)
        self.gate.setChecked(svc.through_the_gate)
        self.free.setChecked(svc.free)
        self.unit_cost.setText("" if svc.unit_cost is None else f"{svc.unit_cost:.2f}")
        self.method.setCurrentIndex(max(self.method.findData(svc.referral_method), 0))
        self.contact.setText(svc.referral_contact)
        self.contact_name.setText(svc.contact_name)
        self.phone.setText(svc.phone)
        self.email.setText(svc.email)
        self.response_days.setText(_int_text(svc.response_days))
        self.opening.setText(svc.opening_times)
        self.bring.setText(svc.what_to_bring)
        self.languages.setText(", ".join(svc.languages))
        self.accessibility.setText(svc.accessibility)
        self.confidential.setChecked(svc.confidential_address)
        if svc.location is not None:
            loc = svc.location
            for widget, value in zip(
                self._location_fields,
                (loc.name, loc.address_1, loc.address_2, loc.city, loc.postcode),
                strict=True,
            ):
                widget.setText(value)

    def _organisation_changed(self) -> None:
        new = self.organisation.currentData() is None
        for widget in self._org_fields:
            widget.setEnabled(new)

    # -- saving -------------------------------------------------------------------------------
    def service_fields(self) -> dict[str, Any]:
        """What the form says, as the services' keyword arguments (they validate it)."""
        codes = [
            self.categories.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.categories.count())
            if self.categories.item(i).checkState() == Qt.CheckState.Checked
        ]
        return {
            "description": self.description.toPlainText(),
            "status": self.status.currentText(),
            "categories": codes,
            "areas": self.areas.text(),
            "gender": self.gender.currentText(),
            "min_age": self.min_age.text(),
            "max_age": self.max_age.text(),
            "offence_exclusions": self.offences.text(),
            "risk_levels": self.risks.text(),
            "cohorts": self.cohorts.text(),
            "prisons": self.prisons.text(),
            "community": self.community.isChecked(),
            "through_the_gate": self.gate.isChecked(),
            "free": self.free.isChecked(),
            "unit_cost": "" if self.free.isChecked() else self.unit_cost.text(),
            "referral_method": self.method.currentData(),
            "referral_contact": self.contact.text(),
            "contact_name": self.contact_name.text(),
            "phone": self.phone.text(),
            "email": self.email.text(),
            "response_days": self.response_days.text(),
            "opening_times": self.opening.text(),
            "what_to_bring": self.bring.text(),
            "languages": self.languages.text(),
            "accessibility": self.accessibility.text(),
            "confidential_address": self.confidential.isChecked(),
        }

    def _clear_errors(self) -> None:
        self.top_error.set_error("")
        for _widget, error, _tab in self._errors.values():
            error.set_error("")

    def _show_error(self, err: BaseException, stage: str) -> None:
        """Put the message under the field the error names (`ValidationError.field`, the
        field's label), else above the tabs."""
        text = error_text(err)
        field = (getattr(err, "field", None) or "").lower()
        if stage in ("org", "loc") and field == "name":
            target = self._errors["name_org" if stage == "org" else "name_loc"]
        else:
            target = self._errors.get(field)
        if target is None:
            self.top_error.set_error(text)
            return
        widget, error, tab = target
        error.set_error(text)
        self.tabs.setCurrentIndex(tab)
        widget.setFocus()

    def save(self) -> None:
        """Validate and store through the services on the worker; stay open with the message
        under its field on a refusal."""
        if not self.ready:
            return
        self._clear_errors()
        plan = SavePlan(
            organisation_id=self.organisation.currentData(),
            organisation={
                "name": self.org_name.text(),
                "website": self.org_website.text(),
                "charity_number": self.org_charity.text(),
            },
            location_id=self._location_id,
            location=dict(
                zip(
                    ("name", "address_1", "address_2", "city", "postcode"),
                    [_plain(w) for w in self._location_fields],
                    strict=True,
                )
            ),
            service_id=self.service_id,
            name=self.name.text(),
            fields=self.service_fields(),
        )
        progress = SaveProgress()
        admin = self.services.directory_admin
        self.save_button.setEnabled(False)
        op(self, lambda: store_service(admin, plan, progress)).success(
            lambda saved: self._stored(saved, progress)
        ).failure(lambda err: self._refused(err, progress)).run()

    def _keep_progress(self, progress: SaveProgress) -> None:
        """What was created before a refusal is kept, so the next Save does not repeat it."""
        self.save_button.setEnabled(True)
        if progress.organisation is not None:
            org = progress.organisation
            self.organisation.addItem(org.name, org.id)
            self.organisation.setCurrentIndex(self.organisation.count() - 1)
        self._location_id = progress.location_id

    def _stored(self, saved: ServiceView, progress: SaveProgress) -> None:
        self._keep_progress(progress)
        self.saved = saved
        self.service_id = saved.id
        self.accept()

    def _refused(self, err: BaseException, progress: SaveProgress) -> None:
        self._keep_progress(progress)
        if isinstance(err, DomainError):
            self._show_error(err, progress.stage)
        else:  # a bug: the error policy's generic words, details to the log only
            self.top_error.set_error(error_text(err))

    def accept(self) -> None:
        if self.saved is None:
            self.save()
            return
        super().accept()
