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

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from referral_desk.services.app_services import AppServices
from referral_desk.ui.caseload import CaseloadPage
from referral_desk.ui.lock import LockController, LockScreen, exec_dialog
from referral_desk.ui.messages import show_error, show_info
from referral_desk.ui.my_day import MyDayPage
from referral_desk.ui.person_dialog import PersonDialog
from referral_desk.ui.person_view import PersonPage
from referral_desk.ui.preferences import PreferencesDialog
from referral_desk.ui.widgets import (
    MessageBar,
    PageSlot,
    fit_to_screen,
    named,
    run_dialog,
    tip_elided_cells,
)
from referral_desk.ui.worker import Worker

if TYPE_CHECKING:
    from referral_desk.ui.directory_page import DirectoryPage
    from referral_desk.ui.reports_page import ReportsPage

PAGES = ("my_day", "caseload", "person", "directory", "reports")
LOCKED_TITLE = "Referral Desk — locked"
LOG_NEED_KEY = "Ctrl+Shift+I"
NAV_NAME_CHARS = 40  # "Person: " and the start of the open person's name, on the page tab

# name: (menu text, shortcut, description). Shortcut "" = none.
#
# No key may be one the platform already uses, in a text field above all: Ctrl+U cleared the
# line being typed on Linux, Ctrl+K cut it, Ctrl+E and Ctrl+D moved or deleted, Ctrl+T is a
# new tab, Ctrl+G find-next, Ctrl+R refresh or replace, Ctrl+M minimises on a Mac and
# Ctrl+Shift+U starts typing a Unicode character on Linux. Ctrl+Shift+letter is free on all
# three; tests/ui/test_key_map.py checks every key of the client against every platform's.
ACTIONS: dict[str, tuple[str, str | QKeySequence.StandardKey, str]] = {
    "new_person": ("&New person…", "Ctrl+N", "Add a person to the caseload"),
    "export_calendar": (
        "&Export follow-ups to calendar…",
        "Ctrl+Shift+C",
        "Save follow-ups as an iCalendar file",
    ),
    "lock": ("Loc&k", "Ctrl+L", "Hide everything and lock the data until your passphrase is given"),
    "quit": ("&Quit", "Ctrl+Q", "Close Referral Desk"),
    "find_person": ("&Find person…", "Ctrl+J", "Filter the caseload by name, CRN or prison number"),
    "edit_person": ("&Edit person…", "Ctrl+Shift+E", "Edit the person's details"),
    "edit_need": ("Edit &need…", "F2", "Edit the selected need's category or description"),
    "add_note": ("Add case &note", "Ctrl+Shift+M", "Write a note on the person's timeline"),
    "preferences": ("&Preferences…", "", "Your profile and this computer's settings"),
    "open_person": ("Open &person", "Ctrl+Shift+O", "Open the person of the selected row"),
    "log_need": ("&Log need…", LOG_NEED_KEY, "Log a need, met or unmet"),
    "mark_unmet": ("Mark need &unmet…", "Ctrl+Shift+L", "Record that no service can meet the need"),
    "need_status": ("Need &status…", "Ctrl+Shift+K", "Set the selected need's status"),
    "move_need_up": ("Move need &up", "Alt+Up", "Tackle the selected need earlier"),
    "move_need_down": ("Move need &down", "Alt+Down", "Tackle the selected need later"),
    "delete_need": ("&Delete need…", "Del", "Delete the selected need"),
    "transfer": (
        "&Transfer or release…",
        "Ctrl+Shift+T",
        "Change prison or release to the community",
    ),
    "consent": ("Withdraw &consent…", "", "Record consent to share given or withdrawn"),
    "hand_over": ("&Hand over case…", "Ctrl+Shift+H", "Give the case to another officer"),
    "close_case": ("C&lose case…", "", "Close the case, or reopen it"),
    "delete_person": ("Delete &person…", "", "Delete the person and everything about them"),
    "find_service": ("&Find a service…", "Ctrl+F", "Search the directory for the selected need"),
    "open_referral": ("&Open referral…", "Ctrl+O", "View and update the selected referral"),
    "delete_referral": ("&Delete referral…", "", "Delete the selected referral"),
    "follow_up_done": ("Follow-up &done…", "Ctrl+Shift+D", "Mark the selected follow-up done"),
    "reschedule": ("&Reschedule follow-up…", "Ctrl+Shift+R", "Move the selected follow-up"),
    "go_my_day": ("&My day", "Ctrl+1", "Follow-ups, releases and silent providers"),
    "go_caseload": ("&Caseload", "Ctrl+2", "Everyone on the caseload"),
    "go_person": ("&Person", "Ctrl+3", "The person last opened"),
    "go_directory": ("&Directory", "Ctrl+4", "The service directory: verify, correct, import"),
    "go_reports": ("Re&ports", "Ctrl+5", "Unmet needs, outcomes, follow-ups, freshness"),
    "print_today": (
        "&Print today's slips…",
        "Ctrl+Shift+P",
        "Print the slips of every referral sent today",
    ),
    "refresh": ("&Refresh", "F5", "Reload from the database"),
    "only_mine": ("Only &my caseload", "", "Show only your own people and follow-ups"),
    "shortcuts": ("&Keyboard shortcuts", "F1", "List every shortcut"),
    "about": ("&About Referral Desk", "", "Version, data folder, diagnostics for IT"),
}

MENUS = {
    "&File": ["new_person", "export_calendar", "print_today", None, "lock", "quit"],
    "&Edit": ["find_person", "edit_person", "edit_need", "add_note", None, "preferences"],
    "&Person": [
        "open_person",
        "log_need",
        "mark_unmet",
        "need_status",
        "move_need_up",
        "move_need_down",
        "delete_need",
        None,
        "transfer",
        "consent",
        "hand_over",
        "close_case",
        "delete_person",
    ],
    "&Referral": [
        "find_service",
        "open_referral",
        "delete_referral",
        None,
        "follow_up_done",
        "reschedule",
    ],
    "&View": [
        "go_my_day",
        "go_caseload",
        "go_person",
        "go_directory",
        "go_reports",
        None,
        "refresh",
        "only_mine",
    ],
    "&Help": ["shortcuts", None, "about"],
}

# First-run proportions of each splitter (Qt scales them to the real size).
DEFAULT_SPLITS = {
    "myDaySplitter": [540, 360],
    "myDayBottomSplitter": [500, 500],
    "personSplitter": [520, 480],
    "personLeftSplitter": [300, 300],
}

# Actions whose shortcut only works while their table has the focus: Del and F2 mean something
# else in text fields, and Alt+Up/Down move to the start or end of a text block on a Mac.
TABLE_SCOPED = ("delete_need", "edit_need", "delete_referral", "move_need_up", "move_need_down")


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: AppServices,
        settings: QSettings | None = None,
        *,
        worker: Worker | None = None,
        idle_ms: int | None = None,
    ) -> None:
        """`idle_ms` overrides the team's lock time (tests inject a short one)."""
        super().__init__()
        self.services = services
        self.settings = settings if settings is not None else QSettings()
        self.worker = worker or Worker(self, default_on_error=lambda e: show_error(self, e))
        self.setWindowTitle("Referral Desk")
        self.setAccessibleName("Referral Desk")
        self.setMinimumSize(900, 560)
        self._stale: set[str] = set(PAGES)
        profile = services.profile.get()
        self.officer_id = profile.id if profile else None

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
            self.worker,
            [a["follow_up_done"], a["reschedule"], a["open_referral"], a["open_person"]],
        )
        self.caseload = CaseloadPage(
            services,
            self.worker,
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
            idle_minutes=self._lock_minutes(),
            idle_ms=idle_ms,
        )

        self.busy_label = QLabel("")
        self.busy_label.setAccessibleName("Activity")
        self.statusBar().addPermanentWidget(self.busy_label)
        self.officer_label = QLabel()
        self.officer_label.setAccessibleName("Signed-in officer")
        self.statusBar().addPermanentWidget(self.officer_label)
        self._show_officer()
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

    # -- actions and menus --------------------------------------------------------------------
    def _build_actions(self) -> dict[str, QAction]:
        actions: dict[str, QAction] = {}
        for name, (text, shortcut, tip) in ACTIONS.items():
            action = QAction(text, self)
            action.setObjectName(name)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            plain = text.replace("&", "")
            key_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{plain.rstrip('…')} ({key_text})" if key_text else plain)
            action.setStatusTip(tip)
            action.setWhatsThis(tip)
            actions[name] = action
            if name not in TABLE_SCOPED:
                self.addAction(action)
        # The platform's own keys: Preferences is Cmd+, on a Mac (none elsewhere); Refresh is
        # Ctrl+R on a Mac and in GNOME, besides F5.
        actions["preferences"].setShortcuts(QKeySequence.StandardKey.Preferences)
        refresh = [QKeySequence("F5")]
        refresh += [
            k
            for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Refresh)
            if k not in refresh
        ]
        actions["refresh"].setShortcuts(refresh)
        actions["only_mine"].setCheckable(True)
        actions["only_mine"].setChecked(self._setting_bool("view/only_mine", True))
        for name in TABLE_SCOPED:
            actions[name].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        handlers: dict[str, Callable[[], object]] = {
            "new_person": self.new_person,
            "export_calendar": self.export_calendar,
            "lock": self.lock,
            "quit": self.close,
            "find_person": self.find_person,
            "edit_person": self.edit_person,
            "edit_need": lambda: self.person_page.edit_need(),
            "add_note": self._add_note,
            "preferences": self.preferences,
            "open_person": self.open_selected_person,
            "log_need": self.log_need,
            "mark_unmet": lambda: self.person_page.set_need_status(suggest_unmet=True),
            "need_status": lambda: self.person_page.set_need_status(),
            "move_need_up": lambda: self.person_page.move_need(-1),
            "move_need_down": lambda: self.person_page.move_need(1),
            "delete_need": lambda: self.person_page.delete_need(),
            "transfer": lambda: self.person_page.transfer(),
            "consent": lambda: self.person_page.toggle_consent(),
            "hand_over": lambda: self.person_page.hand_over(),
            "close_case": lambda: self.person_page.toggle_closed(),
            "delete_person": lambda: self.person_page.delete_person(),
            "find_service": lambda: self.person_page.find_service(),
            "open_referral": self.open_selected_referral,
            "delete_referral": lambda: self.person_page.delete_referral(),
            "follow_up_done": self.follow_up_done,
            "reschedule": self.reschedule,
            "go_my_day": lambda: self.go("my_day"),
            "go_caseload": lambda: self.go("caseload"),
            "go_person": lambda: self.go("person"),
            "go_directory": lambda: self.go("directory"),
            "go_reports": lambda: self.go("reports"),
            "print_today": self.print_today,
            "refresh": self.refresh,
            "only_mine": self._only_mine_toggled,
            "shortcuts": self.show_shortcuts,
            "about": self.about,
        }
        for name, handler in handlers.items():
            actions[name].triggered.connect(lambda _checked=False, h=handler: h())
        return actions

    def print_today(self) -> None:
        from referral_desk.ui.print_batch import print_slips_sent_today

        print_slips_sent_today(self.services, self, on_printed=lambda _count: self.after_write())

    def _build_extra_menus(self) -> None:
        """Sync and Directory menus come from their own modules' actions; so do the
        accountability tools at the end of the Person menu (access log, export, retention)."""
        from referral_desk.ui.accountability import add_account_actions
        from referral_desk.ui.sync_menu import SYNC_MENU, make_sync_actions

        self.actions_by_name.update(add_account_actions(self, self._person_menu))

        sync_actions = make_sync_actions(self.services, self, self.after_write)
        sync_menu = QMenu("&Sync", self)
        sync_menu.setAccessibleName("Sync")
        for name in SYNC_MENU:
            if name is None:
                sync_menu.addSeparator()
                continue
            sync_menu.addAction(sync_actions[name])
            self.addAction(sync_actions[name])
            self.actions_by_name[name] = sync_actions[name]
        self.menuBar().insertMenu(self._help_menu.menuAction(), sync_menu)
        directory = QMenu("&Directory", self)
        directory.setAccessibleName("Directory")
        # The page's own actions (enabled by role and selection), added once it exists.
        directory.aboutToShow.connect(lambda: self._fill_directory_menu(directory))
        self.menuBar().insertMenu(self._help_menu.menuAction(), directory)

    def _fill_directory_menu(self, menu: QMenu) -> None:
        if menu.actions():
            return
        page = self.directory_page
        for action in (page.report_action, page.import_action, page.export_action):
            menu.addAction(action)

    def _make_directory_page(self) -> QWidget:
        from referral_desk.ui.directory_page import DirectoryPage

        return DirectoryPage(self.services, self, worker=self.worker)

    def _make_reports_page(self) -> QWidget:
        from referral_desk.ui.reports_page import ReportsPage

        return ReportsPage(self.services, self, worker=self.worker)

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

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for title, names in MENUS.items():
            menu = bar.addMenu(title)
            menu.setAccessibleName(title.replace("&", ""))
            if title == "&Help":
                self._help_menu = menu
            if title == "&Person":
                self._person_menu = menu
            for name in names:
                if name is None:
                    menu.addSeparator()
                else:
                    menu.addAction(self.actions_by_name[name])

    def update_actions(self) -> None:
        """Enable what makes sense for the page and selection in front of the officer."""
        if self.is_locked():  # every action stays off until unlocked
            return
        a = self.actions_by_name
        page = self.current_page()
        person = self.person_page.person if page == "person" else None
        need = self.person_page.selected_need() if person else None
        on_referrals = person is not None and self.person_page.tabs.currentIndex() == 0
        referral = self.person_page.selected_referral() if on_referrals else None
        follow_up = self._selected_follow_up()
        for name in (
            "log_need",
            "add_note",
            "transfer",
            "consent",
            "hand_over",
            "close_case",
            "delete_person",
            "person_access",
            "export_person",
        ):
            a[name].setEnabled(person is not None)
        for name in ("find_service", "mark_unmet", "need_status", "edit_need", "delete_need"):
            a[name].setEnabled(need is not None)
        needs = self.person_page.detail.needs if person and self.person_page.detail else ()
        index = next((i for i, n in enumerate(needs) if need and n.id == need.id), -1)
        a["move_need_up"].setEnabled(index > 0)
        a["move_need_down"].setEnabled(0 <= index < len(needs) - 1)
        a["delete_referral"].setEnabled(referral is not None)
        a["open_referral"].setEnabled(
            referral is not None
            or bool(follow_up and follow_up.referral_id)
            or (page == "my_day" and self._selected_waiting())
        )
        pending = follow_up is not None and follow_up.done_on is None
        a["follow_up_done"].setEnabled(pending)
        a["reschedule"].setEnabled(pending)
        a["edit_person"].setEnabled(
            person is not None
            or (page == "caseload" and self.caseload.selected_person() is not None)
        )
        a["open_person"].setEnabled(self._row_person_id() is not None)
        a["go_person"].setEnabled(self.person_page.person_id is not None)
        if person is not None:
            a["consent"].setText("Withdraw &consent…" if person.has_consent else "Record &consent…")
            a["close_case"].setText("Reopen case" if person.closed_on else "C&lose case…")

    def _selected_follow_up(self):
        page = self.current_page()
        if page == "my_day":
            return self.my_day.selected_follow_up()
        if page == "person" and self.person_page.tabs.currentIndex() == 1:
            return self.person_page.selected_follow_up()
        return None

    def _selected_waiting(self) -> bool:
        view = self.my_day.waiting_view
        return view.hasFocus() and view.selectionModel().hasSelection()

    def _row_person_id(self) -> str | None:
        page = self.current_page()
        if page == "caseload":
            person = self.caseload.selected_person()
            return person.id if person else None
        if page == "my_day":
            follow_up = self.my_day.selected_follow_up()
            return follow_up.person_id if follow_up else None
        return None

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
        """The visible page first; once it is on screen, the others one by one (preload)."""
        self._start_pending = False
        self._load_if_stale(self.current_page())
        self._schedule_preload()

    def _schedule_preload(self) -> None:
        if not any(p in self._stale for p in ("my_day", "caseload")):
            return
        self._preload_pending = True
        # A no-op job: delivered after the job in hand, then a zero timer lets Qt paint first.
        self.worker.submit(lambda: None, lambda _r: QTimer.singleShot(0, self._preload_next))

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

    def _owner_filter(self) -> str | None:
        return self.officer_id if self.actions_by_name["only_mine"].isChecked() else None

    def _only_mine_toggled(self) -> None:
        self.settings.setValue("view/only_mine", self.actions_by_name["only_mine"].isChecked())
        self.my_day.officer_id = self.caseload.officer_id = self._owner_filter()
        self.refresh()

    # -- navigation actions -------------------------------------------------------------------
    def open_person(self, person_id: str) -> None:
        """Show a person: at once if already on the page, else as soon as they have loaded.

        Switching first would paint the previous person's view while the worker loads the
        next one: a moment of the wrong person on screen, and painting that competes with the
        load for the interpreter (DESIGN.md §9: open a person ≤ 100 ms). If loading fails the
        officer stays where they were and sees why.
        """
        self._stale.discard("person")
        if self.person_page.person_id == person_id and self.person_page.detail is not None:
            self.person_page.reload()
            self.go("person")
            return
        self._open_when_loaded = person_id
        self.person_page.show_person(person_id)

    def _person_loaded(self, person_id: str) -> None:
        if self._open_when_loaded == person_id:
            self._open_when_loaded = None
            self.go("person")

    def open_selected_person(self) -> None:
        person_id = self._row_person_id()
        if person_id:
            self.open_person(person_id)

    def find_person(self) -> None:
        self.go("caseload")
        self.caseload.focus_filter()

    # -- person actions -----------------------------------------------------------------------
    def _edit_target(self):
        if self.current_page() == "person":
            return self.person_page.person
        if self.current_page() == "caseload":
            return self.caseload.selected_person()
        return None

    def new_person(self) -> None:
        dialog = PersonDialog(self.services, self)
        accepted = run_dialog(dialog)
        if dialog.open_existing_id:
            self.open_person(dialog.open_existing_id)
        elif accepted and dialog.saved is not None:
            self._stale.update(PAGES)
            self.open_person(dialog.saved.id)
            show_info(self, f"{dialog.saved.display_name} added. Log a need with {LOG_NEED_KEY}.")

    def edit_person(self) -> None:
        person = self._edit_target()
        if person is None:
            return
        dialog = PersonDialog(self.services, self, person=person)
        accepted = run_dialog(dialog)
        if dialog.open_existing_id:
            self.open_person(dialog.open_existing_id)
        elif accepted:
            show_info(self, " ".join(["Saved.", *dialog.result_notes]))
            self.after_write()

    def log_need(self) -> None:
        if self.current_page() != "person":
            person_id = self._row_person_id()
            if person_id is None:
                return
            self.open_person(person_id)
            return
        self.person_page.log_need()

    def _add_note(self) -> None:
        if self.current_page() == "person":
            self.person_page.focus_note()

    # -- referral and follow-up actions -------------------------------------------------------
    def open_referral(self, referral_id: str) -> None:
        from referral_desk.ui.referral_dialog import ReferralDialog

        dialog = ReferralDialog(self.services, referral_id, self)
        exec_dialog(dialog)
        dialog.deleteLater()
        self.after_write()

    def open_selected_referral(self) -> None:
        page = self.current_page()
        if page == "person":
            self.person_page.open_referral()
            return
        if page == "my_day":
            view = self.my_day.waiting_view
            rows = view.selectionModel().selectedRows()
            if view.hasFocus() and rows:
                self.open_referral(self.my_day.waiting_proxy.record(rows[0].row()).id)
                return
            follow_up = self.my_day.selected_follow_up()
            if follow_up is not None and follow_up.referral_id:
                self.open_referral(follow_up.referral_id)

    def find_service(self, need_id: str) -> None:
        from referral_desk.ui.find_service import FindServiceDialog

        dialog = FindServiceDialog(self.services, need_id, self)
        exec_dialog(dialog)
        made = dialog.last_referral
        dialog.deleteLater()
        if made is not None and self.current_page() == "person":
            self.person_page.select_referral_when_loaded(made.id)
            show_info(
                self,
                f"Referral {made.reference} recorded. Open it (Ctrl+O) to print the slip (Alt+P).",
            )
        self.after_write()

    def follow_up_done(self) -> None:
        if self.current_page() == "my_day":
            self.my_day.mark_done()
        elif self.current_page() == "person":
            self.person_page.mark_done()

    def reschedule(self) -> None:
        if self.current_page() == "my_day":
            self.my_day.reschedule()
        elif self.current_page() == "person":
            self.person_page.reschedule()

    def export_calendar(self) -> None:
        from referral_desk.ui.calendar_export import export_calendar

        export_calendar(self.services, self)

    # -- preferences, help --------------------------------------------------------------------
    def preferences(self) -> None:
        dialog = PreferencesDialog(self.services, self)
        if run_dialog(dialog):
            self._show_officer()
            self.locker.set_idle_minutes(self._lock_minutes())
            show_info(self, "Preferences saved.")

    # -- locked when unattended (issue 12) ----------------------------------------------------
    def lock(self) -> None:
        """Ctrl+L, the Lock button, or the idle timer: hide everything, drop the key."""
        self.locker.lock()

    def is_locked(self) -> bool:
        locker = getattr(self, "locker", None)
        return locker is not None and locker.is_locked()

    def _lock_minutes(self) -> int:
        from referral_desk.domain.errors import DomainError
        from referral_desk.services.team_settings import DEFAULT_LOCK_MINUTES

        try:
            return self.services.team_settings.lock_minutes()
        except DomainError:  # unreadable now: the default, never "no lock"
            return DEFAULT_LOCK_MINUTES

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

    def _show_officer(self) -> None:
        profile = self.services.profile.get()
        self.officer_label.setText(f"{profile.name}  " if profile else "")

    def show_shortcuts(self) -> None:
        run_dialog(ShortcutsDialog(list(self.actions_by_name.values()), self))

    def about(self) -> None:
        from referral_desk.ui.about_dialog import AboutDialog

        run_dialog(AboutDialog(self.services, self))

    # -- window state -------------------------------------------------------------------------
    def _setting_bool(self, key: str, default: bool) -> bool:
        return bool(self.settings.value(key, default, type=bool))

    def _splitters(self) -> list[QSplitter]:
        return [
            self.my_day.splitter,
            self.my_day.bottom_splitter,
            self.person_page.splitter,
            self.person_page.left_splitter,
        ]

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            # First start: as large as is comfortable, but never taller than a laptop screen
            # with its taskbar (1366 × 768 leaves about 730 pixels).
            area = self.screen().availableGeometry()
            width, height = min(1280, area.width() - 40), min(800, area.height() - 40)
            self.setGeometry(
                area.x() + (area.width() - width) // 2,
                area.y() + (area.height() - height) // 2,
                width,
                height,
            )
        for splitter in self._splitters():
            state = self.settings.value(f"splitters/{splitter.objectName()}")
            if isinstance(state, QByteArray) and not state.isEmpty():
                splitter.restoreState(state)
            else:
                splitter.setSizes(DEFAULT_SPLITS[splitter.objectName()])
        header = self.settings.value("headers/caseload")
        if isinstance(header, QByteArray):
            self.caseload.view.horizontalHeader().restoreState(header)
            self.caseload.columns_restored = True

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for splitter in self._splitters():
            self.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        self.settings.setValue(
            "headers/caseload", self.caseload.view.horizontalHeader().saveState()
        )
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.locker.stop()
        self.save_state()
        self.worker.stop()
        super().closeEvent(event)


class ShortcutsDialog(QDialog):
    """Every action with a shortcut (F1), and the keys that work in lists and dialogs."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = [
            (
                a.text().replace("&", ""),
                a.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
            )
            for a in actions
            if not a.shortcut().isEmpty()
        ]
        self.table = table = QTableWidget(len(rows), 2)
        named(table, "Shortcuts")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (text, keys) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(text))
            table.setItem(i, 1, QTableWidgetItem(keys))
        header = table.horizontalHeader()  # the action takes the room; its keys fit theirs
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        tip_elided_cells(table)
        layout.addWidget(table)
        extra = QLabel(
            "In lists: Enter opens, Down moves from the filter box into the list. "
            "Moving, editing and deleting a need (Alt+Up, Alt+Down, F2, Del) work "
            "while the needs table has the focus. In dialogs: Enter saves, Esc "
            "cancels, Alt+underlined letter jumps to a field."
        )
        extra.setWordWrap(True)
        layout.addWidget(extra)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        named(self.close_button, "Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, 520, 640)
