"""My day, the home screen: what is overdue, due today and due this week, plus people about to be
released with open needs and referrals where a provider has not answered in time.

Follow-ups due today and overdue are "the first thing an officer sees" (DESIGN.md §5): the table
opens sorted by due date, overdue in red, with a count on each group's filter button.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from referral_desk.ui import palette
from referral_desk.ui.follow_up_dialogs import FollowUpDoneDialog, RescheduleDialog
from referral_desk.ui.models import FollowUpTableModel, ReferralsTableModel, ReleasesTableModel
from referral_desk.ui.ops import op
from referral_desk.ui.tables import FilterProxy, make_table
from referral_desk.ui.widgets import Badge, action_button, fmt_date, named, run_dialog
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import FollowUpView, PersonView, ReferralView
from referral_desk.usecases.my_day import MyDay

GROUPS = (
    ("all", "&All this week"),
    ("overdue", "&Overdue"),
    ("today", "Due &today"),
    ("later", "Later this &week"),
)


def section_title(text: str, badge: Badge | None = None) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 4, 0, 0)
    label = QLabel(f"<b>{text}</b>")
    label.setAccessibleName(text.replace("&", ""))
    row.addWidget(label)
    if badge is not None:
        row.addWidget(badge)
    row.addStretch(1)
    return box


# -- the page ---------------------------------------------------------------------------------
class MyDayPage(QWidget):
    """The officer's home screen."""

    person_requested = Signal(str)
    referral_requested = Signal(str)
    changed = Signal()
    loaded = Signal()
    selection_changed = Signal()

    def __init__(
        self,
        services: AppServices,
        actions: list[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.officer_id: str | None = None
        self.summary: MyDay | None = None
        self._sized = False
        today = services.clock.today()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        self.title.setAccessibleName("My day")
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        layout.addWidget(self.title)

        filters = QHBoxLayout()
        self.group_buttons: dict[str, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for key, text in GROUPS:
            button = QPushButton(text)
            button.setCheckable(True)
            button.setAutoDefault(False)
            named(button, text.replace("&", ""), "Show only these follow-ups")
            self._group.addButton(button)
            self.group_buttons[key] = button
            filters.addWidget(button)
        filters.addStretch(1)
        self.group_buttons["all"].setChecked(True)
        layout.addLayout(filters)

        self.follow_model = FollowUpTableModel(today, self)
        self.follow_proxy = FilterProxy(self)
        self.follow_proxy.setSourceModel(self.follow_model)
        self.follow_view = make_table("Follow-ups")
        self.follow_view.setModel(self.follow_proxy)
        self.follow_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.follow_view.activated.connect(self._follow_activated)
        for key, button in self.group_buttons.items():
            button.toggled.connect(lambda on, k=key: on and self._set_group(k))
        self.follow_view.selectionModel().selectionChanged.connect(
            lambda *_: self.selection_changed.emit()
        )
        self.empty_label = QLabel("Nothing due this week. Well done.")
        self.empty_label.setAccessibleName("No follow-ups")
        self.empty_label.setStyleSheet("color: #555; padding: 6px;")
        self.empty_label.hide()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.follow_view, 1)
        top_layout.addWidget(self.empty_label)
        buttons = QHBoxLayout()
        for action in actions:
            buttons.addWidget(action_button(action))
        buttons.addStretch(1)
        top_layout.addLayout(buttons)

        self.release_badge = Badge()
        self.waiting_badge = Badge(alert=True)
        self.release_model = ReleasesTableModel(today, self)
        self.release_proxy = FilterProxy(self)
        self.release_proxy.setSourceModel(self.release_model)
        self.release_view = make_table("Releases within 12 weeks")
        self.release_view.setModel(self.release_proxy)
        self.release_view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.release_view.activated.connect(self._release_activated)
        self.waiting_model = ReferralsTableModel(today, with_person=True, parent=self)
        self.waiting_proxy = FilterProxy(self)
        self.waiting_proxy.setSourceModel(self.waiting_model)
        self.waiting_view = make_table("Waiting on a provider")
        self.waiting_view.setModel(self.waiting_proxy)
        self.waiting_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # longest wait first
        self.waiting_view.activated.connect(self._waiting_activated)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.setObjectName("myDayBottomSplitter")
        bottom.setChildrenCollapsible(False)
        self.release_empty = self._empty_hint(
            "Nobody with open needs is due for release in the next 12 weeks."
        )
        self.waiting_empty = self._empty_hint("Every provider has answered within their time.")
        for title, badge, view, empty in (
            (
                "Releases within 12 weeks with open needs",
                self.release_badge,
                self.release_view,
                self.release_empty,
            ),
            (
                "Waiting on a provider past their response time",
                self.waiting_badge,
                self.waiting_view,
                self.waiting_empty,
            ),
        ):
            panel = QWidget()
            panel_layout = QVBoxLayout(panel)
            panel_layout.setContentsMargins(0, 0, 0, 0)
            panel_layout.addWidget(section_title(title, badge))
            panel_layout.addWidget(view, 1)
            panel_layout.addWidget(empty, 1)
            bottom.addWidget(panel)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("myDaySplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.bottom_splitter = bottom
        layout.addWidget(self.splitter, 1)
        self._set_title(None)

    @staticmethod
    def _empty_hint(text: str) -> QLabel:
        label = QLabel(text)
        label.setAccessibleName(text)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        label.setStyleSheet(
            "color: #555; padding: 8px; background: palette(base); border: 1px solid palette(mid);"
        )
        label.hide()
        return label

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the summary on the worker; a newer reload makes older results stale."""
        officer, summary = self.officer_id, self.services.my_day.summary
        op(self, lambda: summary(officer), kind="my-day").success(self.populate).run()

    def populate(self, summary: MyDay) -> None:
        """Show a summary (called on the UI thread when the worker has loaded it)."""
        selected = self.selected_follow_up()
        self.summary = summary
        for model in (self.follow_model, self.release_model, self.waiting_model):
            model.today = summary.today
        rows = [*summary.overdue, *summary.due_today, *summary.due_this_week]
        self.follow_model.set_rows(rows)
        self.release_model.set_rows(summary.releases_soon)
        self.waiting_model.set_rows(summary.waiting_on_provider)
        self.release_badge.set_count(len(summary.releases_soon))
        self.waiting_badge.set_count(len(summary.waiting_on_provider))
        counts = {
            "all": len(rows),
            "overdue": len(summary.overdue),
            "today": len(summary.due_today),
            "later": len(summary.due_this_week),
        }
        for key, text in GROUPS:
            button = self.group_buttons[key]
            button.setText(f"{text} ({counts[key]})")
            button.setAccessibleName(f"{text.replace('&', '')}: {counts[key]}")
        overdue = self.group_buttons["overdue"]
        overdue.setStyleSheet(
            f"QPushButton {{ color: {palette.ERROR}; font-weight: bold; }}"
            if counts["overdue"]
            else ""
        )
        self.empty_label.setVisible(not rows)
        for view, empty, count in (
            (self.release_view, self.release_empty, len(summary.releases_soon)),
            (self.waiting_view, self.waiting_empty, len(summary.waiting_on_provider)),
        ):
            view.setVisible(bool(count))
            empty.setVisible(not count)
        self._set_title(summary)
        if not self._sized:
            self._size_columns()
        if selected is not None:
            self.select_follow_up(selected.id)
        self.loaded.emit()
        self.selection_changed.emit()

    def _size_columns(self) -> None:
        """Widths from sample text: measuring 8 000 rows would cost a noticeable pause."""
        self._sized = True
        width = self.fontMetrics().horizontalAdvance
        for view, samples in (
            (
                self.follow_view,
                [
                    "Overdue 10 days (30 Sep 2026)W",
                    "Pre release checkW",
                    "Gruffydd ap Rhys-Williams",
                    "WWW-WWWW",
                    "Pennine Healthy Relationships Pro",
                ],
            ),
            (self.release_view, ["Gruffydd ap Rhys-Williams", "00 Mmm 0000W", "00 weeks"]),
            (
                self.waiting_view,
                [
                    "WWW-WWWW",
                    "Gruffydd ap Rhys",
                    "Compass Harm Reduction Out",
                    "00 daysW",
                    "AcknowledgedW",
                    "00 Mmm 0000W",
                ],
            ),
        ):
            header = view.horizontalHeader()
            for col, sample in enumerate(samples):
                header.resizeSection(col, width(sample) + 20)

    def _set_title(self, summary: MyDay | None) -> None:
        day = summary.today if summary else self.services.clock.today()
        text = f"My day — {day:%A} {fmt_date(day)}"
        if summary is not None:
            urgent = len(summary.overdue) + len(summary.due_today)
            text += f"  ·  {urgent} to do today" if urgent else "  ·  nothing overdue"
        self.title.setText(text)

    def urgent_count(self) -> int:
        if self.summary is None:
            return 0
        return len(self.summary.overdue) + len(self.summary.due_today)

    # -- filters and selection ----------------------------------------------------------------
    def _set_group(self, key: str) -> None:
        if key == "all":
            self.follow_proxy.set_predicate(None)
        else:
            model = self.follow_model
            self.follow_proxy.set_predicate(lambda f: model.group(f) == key)
        self.selection_changed.emit()

    def selected_follow_up(self) -> FollowUpView | None:
        rows = self.follow_view.selectionModel().selectedRows()
        return self.follow_proxy.record(rows[0].row()) if rows else None

    def select_follow_up(self, follow_up_id: str) -> bool:
        for row in range(self.follow_proxy.rowCount()):
            if self.follow_proxy.record(row).id == follow_up_id:
                self.follow_view.selectRow(row)
                return True
        return False

    def focus_table(self) -> None:
        self.follow_view.setFocus()
        if self.follow_proxy.rowCount() and not self.follow_view.selectionModel().hasSelection():
            self.follow_view.selectRow(0)

    # -- actions ------------------------------------------------------------------------------
    def _follow_activated(self, index: QModelIndex) -> None:
        follow_up: FollowUpView = self.follow_proxy.record(index.row())
        if follow_up.referral_id:
            self.referral_requested.emit(follow_up.referral_id)
        else:
            self.person_requested.emit(follow_up.person_id)

    def _release_activated(self, index: QModelIndex) -> None:
        person: PersonView = self.release_proxy.record(index.row())
        self.person_requested.emit(person.id)

    def _waiting_activated(self, index: QModelIndex) -> None:
        referral: ReferralView = self.waiting_proxy.record(index.row())
        self.referral_requested.emit(referral.id)

    def mark_done(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None:
            return
        if run_dialog(FollowUpDoneDialog(self.services, follow_up, self)):
            self.changed.emit()

    def reschedule(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None:
            return
        if run_dialog(RescheduleDialog(self.services, follow_up, self)):
            self.changed.emit()
