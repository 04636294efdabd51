"""The main window: navigation between My day, Caseload and the open person, the menus (every
action has a menu item and most a shortcut), the message bar, and the window's remembered
size and layout.

Pages load through the one background worker. After a write, every page is marked stale; the
visible one reloads at once and the others when next shown, so logging a need never waits for
5 000 people to reload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QTabBar,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.ui.caseload import CaseloadPage
from referral_desk.ui.lock import LockController
from referral_desk.ui.lock_screen import LockScreen
from referral_desk.ui.message_bar import MessageBar
from referral_desk.ui.messages import show_error
from referral_desk.ui.my_day import MyDayPage
from referral_desk.ui.ops import op
from referral_desk.ui.person_view import PersonPage
from referral_desk.ui.widgets import named
from referral_desk.ui.window_actions import WindowActions
from referral_desk.ui.window_commands import CaseCommands
from referral_desk.ui.window_state import WindowState
from referral_desk.ui.worker import Worker
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.dto import OfficerView
from referral_desk.usecases.team_settings import DEFAULT_LOCK_MINUTES

if TYPE_CHECKING:
    from referral_desk.ui.directory_page import DirectoryPage
    from referral_desk.ui.reports_page import ReportsPage

PAGES = ("my_day", "caseload", "person", "directory", "reports")
LOCKED_TITLE = "Referral Desk — locked"
NAV_NAME_CHARS = 40  # "Person: " and the start of the open person's name, on the page tab


class MainWindow(WindowActions, CaseCommands, WindowState, QMainWindow):
    """The one window: pages as tabs, menus, the message bar, the lock screen, the worker."""

    def __init__(
        self,
        services: AppServices,
        settings: QSettings | None = None,
        *,
        idle_ms: int | None = None,
    ) -> None:
        """`idle_ms` overrides the team's lock time (tests inject a short one).

        The window creates the client's one worker (`ui/worker.py`); every page and dialog
        under it finds it through `ui.ops`.
        """
        super().__init__()
        self.services = services
        self.settings = settings if settings is not None else QSettings()
        self.worker = Worker(self, default_on_error=lambda e: show_error(self, e))
        self.setWindowTitle("Referral Desk")
        self.setAccessibleName("Referral Desk")
        self.setMinimumSize(900, 560)
        self._stale: set[str] = set(PAGES)
        self.officer_id: str | None = None  # read on the worker when first shown
        self._idle_ms = idle_ms

        self.actions_by_name = self._build_actions()
        self._build_menus()
        a = self.actions_by_name

        self.message_bar = MessageBar(self)
        # Pages as tabs across the top: a side list would cost 170 px of width on a laptop.
        self.nav = QTabBar()
        named(self.nav, "Pages", "My day, Caseload or the open person (Ctrl+1, Ctrl+2, Ctrl+3)")
        for text in ("My day", "Caseload", "Person", "Directory", "Reports"):
            self.nav.addTab(text)
        self.nav.setExpanding(False)
        self.nav.setDocumentMode(True)
        self.nav.setElideMode(Qt.TextElideMode.ElideRight)
        self.nav.setStyleSheet("QTabBar { font-size: 11pt; } QTabBar::tab { padding: 6px 18px; }")

        self.my_day = MyDayPage(
            services,
            [a["follow_up_done"], a["reschedule"], a["open_referral"], a["open_person"]],
        )
        self.caseload = CaseloadPage(
            services,
            [a["new_person"], a["edit_person"], a["open_person"]],
            self.settings,
        )
        self.person_page = PersonPage(services, self.worker, a)
        # Directory and Reports are built when first shown: most days an officer opens
        # neither, and their modules would cost start-up time (DESIGN.md §9).
        self._directory_slot = PageSlot(self._make_directory_page, "Provider directory")
        self._reports_slot = PageSlot(self._make_reports_page, "Reports")
        self.stack = QStackedWidget()
        for page in (
            self.my_day,
            self.caseload,
            self.person_page,
            self._directory_slot,
            self._reports_slot,
        ):
            self.stack.addWidget(page)

        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(6, 6, 6, 0)
        box.setSpacing(4)
        box.addWidget(self.message_bar)
        # The lock button sits on the tab row, in a tool bar of its own: a tool bar row across
        # the window would cost 30 px of height on a laptop for one button.
        nav_row = QHBoxLayout()
        nav_row.setSpacing(4)
        nav_row.addWidget(self.nav, 1)
        self.tool_bar = QToolBar("Window")
        self.tool_bar.setObjectName("windowToolBar")
        self.tool_bar.setAccessibleName("Window tools")
        self.tool_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.tool_bar.addAction(a["lock"])
        self.tool_bar.setMovable(False)
        self.lock_button = self.tool_bar.widgetForAction(a["lock"])
        named(self.lock_button, "Lock", "Lock Referral Desk now (Ctrl+L)")
        for button in self.tool_bar.findChildren(QToolButton):  # the overflow arrow too
            if not button.accessibleName():
                named(button, "More tools")
        nav_row.addWidget(self.tool_bar)
        box.addLayout(nav_row)
        box.addWidget(self.stack, 1)
        # While locked the window shows the lock screen instead of all of this (issue 12).
        self.content = central
        self.lock_screen = LockScreen()
        self.root = QStackedWidget()
        self.root.addWidget(central)
        self.root.addWidget(self.lock_screen)
        self.setCentralWidget(self.root)
        self._enabled_before_lock: dict[QAction, bool] = {}
        self._focus_before_lock: QWidget | None = None
        self.locker = LockController(
            self,
            services.security,
            self.worker,
            self._show_lock_screen,
            self.lock_screen,
            idle_minutes=DEFAULT_LOCK_MINUTES,  # the team's own once read (_officer_read)
            idle_ms=idle_ms,
        )

        self.busy_label = QLabel("")
        self.busy_label.setAccessibleName("Activity")
        self.statusBar().addPermanentWidget(self.busy_label)
        self.officer_label = QLabel()
        self.officer_label.setAccessibleName("Signed-in officer")
        self.statusBar().addPermanentWidget(self.officer_label)
        self.worker.busy_changed.connect(
            lambda busy: self.busy_label.setText("Loading…" if busy else "")
        )

        self._build_extra_menus()
        self._connect_pages()
        self._restore_state()
        self.nav.currentChanged.connect(self._page_changed)
        self.nav.setCurrentIndex(0)
        self.my_day.officer_id = self.caseload.officer_id = self._owner_filter()
        # Loading starts after the first paint (showEvent): the worker's Python work holds the
        # GIL, and painting calls into Python for every cell, so both at once is slow for both.
        self._start_pending = False
        self._preload_pending = False
        self._loading_started = False
        self._closed = False
        self._open_when_loaded: str | None = None
        self.update_actions()

    def _make_directory_page(self) -> QWidget:
        from referral_desk.ui.directory_page import DirectoryPage

        return DirectoryPage(self.services, self)

    def _make_reports_page(self) -> QWidget:
        from referral_desk.ui.reports_page import ReportsPage

        return ReportsPage(self.services, self)

    @property
    def directory_page(self) -> DirectoryPage:
        """Built on first use."""
        return self._directory_slot.page  # type: ignore[return-value]

    @property
    def reports_page(self) -> ReportsPage:
        """Built on first use."""
        return self._reports_slot.page  # type: ignore[return-value]

    def page_widget(self, page: str) -> QWidget:
        """The widget of a page by name (building Directory or Reports if need be)."""
        return {
            "my_day": lambda: self.my_day,
            "caseload": lambda: self.caseload,
            "person": lambda: self.person_page,
            "directory": lambda: self.directory_page,
            "reports": lambda: self.reports_page,
        }[page]()

    # -- pages --------------------------------------------------------------------------------
    def _connect_pages(self) -> None:
        self.my_day.person_requested.connect(self.open_person)
        self.my_day.referral_requested.connect(self.open_referral)
        self.my_day.changed.connect(self.after_write)
        self.my_day.selection_changed.connect(self.update_actions)
        self.my_day.loaded.connect(self._update_nav)
        self.caseload.person_requested.connect(self.open_person)
        self.caseload.selection_changed.connect(self.update_actions)
        self.person_page.find_service_requested.connect(self.find_service)
        self.person_page.referral_requested.connect(self.open_referral)
        self.person_page.changed.connect(self.after_write)
        self.person_page.selection_changed.connect(self.update_actions)
        self.person_page.loaded.connect(self._person_loaded)  # first: the title needs the page
        self.person_page.loaded.connect(lambda _id: self._update_nav())
        self.person_page.person_deleted.connect(lambda: self.go("caseload"))

    def current_page(self) -> str:
        return PAGES[max(self.stack.currentIndex(), 0)]

    def go(self, page: str) -> None:
        self.nav.setCurrentIndex(PAGES.index(page))
        focus = {
            "my_day": self.my_day.focus_table,
            "caseload": self.caseload.focus_table,
            "person": self.person_page.needs_view.setFocus,
        }.get(page)
        if focus is not None:
            focus()
        else:
            self.page_widget(page).setFocus()

    def _page_changed(self, row: int) -> None:
        if PAGES[row] != "person":
            self._open_when_loaded = None  # the officer went elsewhere meanwhile: stay there
        self.stack.setCurrentIndex(row)
        self._load_if_stale(PAGES[row])
        self.update_actions()

    def _load_if_stale(self, page: str) -> None:
        if page not in self._stale:
            return
        if page == "person" and self.person_page.person_id is None:
            return
        self._stale.discard(page)
        widget = self.page_widget(page)
        loader = getattr(widget, "reload", None) or getattr(widget, "refresh", None)
        if loader is not None:
            loader()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loading_started:
            self._loading_started = self._start_pending = True
            QTimer.singleShot(0, self._start_loading)
            self.locker.start()

    def _start_loading(self) -> None:
        """Who is signed in first (the pages filter by officer), then the visible page; once
        it is on screen, the others one by one (preload)."""
        op(self, self._read_officer).success(self._officer_read).run()

    def _read_officer(self) -> tuple[OfficerView | None, int]:
        """On the worker: the signed-in officer and the team's lock time."""
        try:
            minutes = self.services.team_settings.lock_minutes()
        except DomainError:  # unreadable now: the default, never "no lock"
            minutes = DEFAULT_LOCK_MINUTES
        return self.services.profile.get(), minutes

    def _officer_read(self, found: tuple[OfficerView | None, int]) -> None:
        profile, minutes = found
        self.officer_id = profile.id if profile else None
        self.officer_label.setText(f"{profile.name}  " if profile else "")
        if self._idle_ms is None:
            self.locker.set_idle_minutes(minutes)
        if self._start_pending:
            self._start_pending = False
            self.my_day.officer_id = self.caseload.officer_id = self._owner_filter()
            self._load_if_stale(self.current_page())
            self._schedule_preload()

    def reread_officer(self) -> None:
        """After Preferences: the name on the status bar and the lock time may have changed."""
        op(self, self._read_officer, kind="window-officer").success(self._officer_read).run()

    def _schedule_preload(self) -> None:
        if not any(p in self._stale for p in ("my_day", "caseload")):
            return
        self._preload_pending = True
        # A no-op job: delivered after the job in hand, then a zero timer lets Qt paint first.
        op(self, lambda: None).success(lambda _r: QTimer.singleShot(0, self._preload_next)).run()

    def _preload_next(self) -> None:
        self._preload_pending = False
        if self._closed:  # the window closed while the preload was queued: nothing to load
            return
        for page in ("my_day", "caseload"):
            if page in self._stale and page != self.current_page():
                self._load_if_stale(page)
                self._schedule_preload()
                return

    def is_settled(self) -> bool:
        """Nothing loading and nothing about to load (for tests and benchmarks)."""
        return not (self._start_pending or self._preload_pending) and self.worker.is_idle()

    def _update_nav(self) -> None:
        urgent = self.my_day.urgent_count()
        self.nav.setTabText(0, f"My day ({urgent})" if urgent else "My day")
        self.nav.setTabToolTip(0, f"{urgent} follow-ups overdue or due today (Ctrl+1)")
        person = self.person_page.person
        text = f"Person: {person.display_name}" if person else "Person"
        # A 200-character name squeezed every tab to "M…": the tab shows the start of it.
        shown = text if len(text) <= NAV_NAME_CHARS else text[: NAV_NAME_CHARS - 1].rstrip() + "…"
        self.nav.setTabText(2, shown)
        self.nav.setTabToolTip(2, f"{text} (Ctrl+3)")
        if hasattr(self.nav, "setAccessibleTabName"):
            self.nav.setAccessibleTabName(0, f"My day, {urgent} overdue or due today")
            self.nav.setAccessibleTabName(2, text)
        self._show_title()

    def _show_title(self) -> None:
        person = self.person_page.person
        if self.is_locked():
            self.setWindowTitle(LOCKED_TITLE)  # no name on the task bar of a locked window
            return
        self.setWindowTitle(
            f"{person.display_name} — Referral Desk"
            if person and self.current_page() == "person"
            else "Referral Desk"
        )

    def refresh(self) -> None:
        """Reload everything (F5): the visible page now, the rest when shown."""
        if self._closed:  # a dialog ended by closing the window while locked
            return
        self._stale = set(PAGES)
        self._load_if_stale(self.current_page())

    def after_write(self) -> None:
        self.refresh()

    def _mark_all_stale(self) -> None:
        """Every page reloads when next shown (after a write another page may show)."""
        self._stale = set(PAGES)

    def _owner_filter(self) -> str | None:
        return self.officer_id if self.actions_by_name["only_mine"].isChecked() else None

    def _only_mine_toggled(self) -> None:
        self.settings.setValue("view/only_mine", self.actions_by_name["only_mine"].isChecked())
        self.my_day.officer_id = self.caseload.officer_id = self._owner_filter()
        self.refresh()

    # -- locked when unattended (issue 12) ----------------------------------------------------
    def lock(self) -> None:
        """Ctrl+L, the Lock button, or the idle timer: hide everything, drop the key."""
        self.locker.lock()

    def is_locked(self) -> bool:
        locker = getattr(self, "locker", None)
        return locker is not None and locker.is_locked()

    def _on_lock_screen(self, action: QAction) -> bool:
        parent = action.parent()
        return isinstance(parent, QWidget) and (
            parent is self.lock_screen or self.lock_screen.isAncestorOf(parent)
        )

    def _show_lock_screen(self, locked: bool) -> None:
        """The main window's part of locking: its pages, menus, status bar and title hidden,
        every action off (so no shortcut reaches a hidden page); all of it back on unlock."""
        own = [a for a in self.findChildren(QAction) if not self._on_lock_screen(a)]
        if locked:
            focus = QApplication.focusWidget()
            self._focus_before_lock = focus if focus and self.content.isAncestorOf(focus) else None
            self._enabled_before_lock = {a: a.isEnabled() for a in own}
            for action in own:
                action.setEnabled(False)
            self.root.setCurrentWidget(self.lock_screen)
            self.menuBar().hide()
            self.statusBar().hide()
            self.setWindowTitle(LOCKED_TITLE)
            return
        for action, enabled in self._enabled_before_lock.items():
            action.setEnabled(enabled)
        self._enabled_before_lock = {}
        self.root.setCurrentWidget(self.content)
        self.menuBar().show()
        self.statusBar().show()
        self._show_title()
        self.update_actions()
        focus, self._focus_before_lock = self._focus_before_lock, None
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.locker.stop()
        self.save_state()
        self.worker.stop()
        super().closeEvent(event)


class PageSlot(QWidget):
    """A page of a stacked widget whose content is built the first time it is asked for.

    Pages an officer may never open in a session (the directory keeper's desk, reports) then
    cost nothing at start-up; `page` builds and returns the real widget.
    """

    def __init__(self, build: Callable[[], QWidget], accessible_name: str) -> None:
        super().__init__()
        self._build = build
        self._page: QWidget | None = None
        self.setAccessibleName(accessible_name)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)

    @property
    def page(self) -> QWidget:
        if self._page is None:
            self._page = self._build()
            self._box.addWidget(self._page)
            self._page.show()  # a child added to a visible parent stays hidden until shown
        return self._page

    def is_built(self) -> bool:
        return self._page is not None
