"""The main window's actions and menus: every action has a menu item and most a shortcut, and
which of them are enabled follows the page and the selection in front of the officer.

`WindowActions` is a mixin of `MainWindow` (it reads the window's pages); the table of actions
is data, so tests can check every key against every platform's own (tests/ui/test_key_map.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from referral_desk.ui.caseload import CaseloadPage
    from referral_desk.ui.my_day import MyDayPage
    from referral_desk.ui.person_view import PersonPage

LOG_NEED_KEY = "Ctrl+Shift+I"

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

# Actions whose shortcut only works while their table has the focus: Del and F2 mean something
# else in text fields, and Alt+Up/Down move to the start or end of a text block on a Mac.
TABLE_SCOPED = ("delete_need", "edit_need", "delete_referral", "move_need_up", "move_need_down")


class WindowActions:
    """Mixin of `MainWindow`: builds its actions and menus and keeps them enabled to match."""

    if TYPE_CHECKING:
        actions_by_name: dict[str, QAction]
        my_day: MyDayPage
        caseload: CaseloadPage
        person_page: PersonPage
        _person_menu: QMenu
        _help_menu: QMenu

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
