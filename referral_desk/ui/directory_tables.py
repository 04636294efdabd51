"""The directory page's tables: services, needing a call, often declining, corrections.

Item models over the directory's plain records (`ui.models.RecordTableModel`), with the colours
and short texts the keeper scans for, and the sorted, filtered views the tabs put them in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QPushButton,
    QTableView,
)

from referral_desk.domain.vocabularies import (
    CAPACITY_FULL,
    CAPACITY_WAITING_LIST,
    capacity_value,
)
from referral_desk.ui.freshness import freshness
from referral_desk.ui.models import AMBER, GREEN, GREY, RED
from referral_desk.ui.tables import (
    Column,
    FilterProxy,
    RecordTableModel,
    day_number,
    tip_elided_cells,
)
from referral_desk.ui.widgets import fmt_date, named
from referral_desk.usecases.dto import ServiceView

COLUMN_MAX_WIDTH = 280


def _status_colour(s: ServiceView) -> QColor | None:
    return {"active": None, "temporarily closed": AMBER}.get(s.status, GREY)


def _capacity_text(s: ServiceView) -> str:
    as_of = f" (as of {fmt_date(s.capacity_as_of)})" if s.capacity_as_of else ""
    return f"{capacity_value(s.capacity)}{as_of}"


def _capacity_colour(s: ServiceView) -> QColor | None:
    return {CAPACITY_FULL: RED, CAPACITY_WAITING_LIST: AMBER}.get(capacity_value(s.capacity))


def _precheck_text(s: ServiceView) -> str:
    if s.precheck_date is None:
        return "not pre-checked"
    parts = [
        name
        for name, on in (
            ("ISP", s.isp_agreed),
            ("attendance", s.reports_attendance),
            ("progress", s.reports_progress),
        )
        if on
    ]
    return f"{', '.join(parts) or 'none agreed'} ({fmt_date(s.precheck_date)})"


class ServicesModel(RecordTableModel):
    """Every service with what the keeper checks: status, capacity, verified, pre-check."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today
        self.columns = (
            Column("Service", lambda s: s.name),
            Column("Organisation", lambda s: s.organisation_name),
            Column("Status", lambda s: s.status, colour=_status_colour),
            Column("Capacity", _capacity_text, colour=_capacity_colour),
            Column(
                "Verified",
                lambda s: fmt_date(s.assured_date) or "never",
                sort=lambda s: day_number(s.assured_date),
                tip=lambda s: (
                    freshness(s.assured_date, self.today).text
                    + (f" by {s.assurer}" if s.assurer else "")
                ),
                colour=lambda s: RED if freshness(s.assured_date, self.today).stale else GREEN,
            ),
            Column("Pre-check", _precheck_text),
            Column("Areas", lambda s: ", ".join(s.areas)),
        )


class StaleModel(RecordTableModel):
    columns = (
        Column("Service", lambda s: s.name),
        Column("Organisation", lambda s: s.organisation_name),
        Column("Status", lambda s: s.status),
        Column(
            "Last verified",
            lambda s: fmt_date(s.assured_date) or "never",
            sort=lambda s: day_number(s.assured_date),
        ),
        Column(
            "Months",
            lambda s: "" if s.months_since is None else str(s.months_since),
            sort=lambda s: -1 if s.months_since is None else s.months_since,
            numeric=True,
        ),
        Column("Verified by", lambda s: s.assurer),
    )


class ProblemModel(RecordTableModel):
    columns = (
        Column("Service", lambda p: p.name),
        Column("Organisation", lambda p: p.organisation_name),
        Column(
            "No capacity", lambda p: str(p.no_capacity), sort=lambda p: p.no_capacity, numeric=True
        ),
        Column(
            "Could not contact",
            lambda p: str(p.could_not_contact),
            sort=lambda p: p.could_not_contact,
            numeric=True,
        ),
        Column(
            "Last declined",
            lambda p: fmt_date(p.last_declined_on),
            sort=lambda p: day_number(p.last_declined_on),
        ),
    )


class CorrectionsModel(RecordTableModel):
    columns = (
        Column(
            "Reported", lambda c: fmt_date(c.reported_on), sort=lambda c: day_number(c.reported_on)
        ),
        Column("Service", lambda c: c.service_name),
        Column("Organisation", lambda c: c.organisation_name),
        Column("Reported by", lambda c: c.reported_by_name),
        Column("What is wrong", lambda c: " ".join(c.text.split()), tip=lambda c: c.text),
    )


def record_table(model: RecordTableModel, name: str) -> tuple[QTableView, FilterProxy]:
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    tip_elided_cells(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    # A→Z by the first column: with no explicit sort, Qt's header starts descending (Z→A).
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.setTabKeyNavigation(False)
    named(view, name)
    return view, proxy


def action_button(text: str, name: str, tip: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    named(button, name, tip)
    button.clicked.connect(lambda _c=False: slot())
    return button
