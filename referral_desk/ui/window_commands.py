"""What the main window's menu commands do: open a person or referral, add and edit people,
hand follow-ups to the page showing them, export, print, preferences and help.

`CaseCommands` is a mixin of `MainWindow`: each command picks the page or dialog that does the
work; the dialogs and pages run their database work through `ui.ops`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from referral_desk.ui.lock import exec_dialog
from referral_desk.ui.messages import show_info
from referral_desk.ui.person_dialog import PersonDialog
from referral_desk.ui.preferences import PreferencesDialog
from referral_desk.ui.shortcuts_dialog import ShortcutsDialog
from referral_desk.ui.widgets import run_dialog
from referral_desk.ui.window_actions import LOG_NEED_KEY

if TYPE_CHECKING:
    from referral_desk.ui.caseload import CaseloadPage
    from referral_desk.ui.my_day import MyDayPage
    from referral_desk.ui.person_view import PersonPage


class CaseCommands:
    """Mixin of `MainWindow`: the commands of its File, Edit, Person, Referral and Help menus."""

    if TYPE_CHECKING:
        my_day: MyDayPage
        caseload: CaseloadPage
        person_page: PersonPage

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
            self._mark_all_stale()
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
            self.reread_officer()
            show_info(self, "Preferences saved.")

    def print_today(self) -> None:
        from referral_desk.ui.print_batch import print_slips_sent_today

        print_slips_sent_today(self.services, self, on_printed=lambda _count: self.after_write())

    def show_shortcuts(self) -> None:
        run_dialog(ShortcutsDialog(list(self.actions_by_name.values()), self))

    def about(self) -> None:
        from referral_desk.ui.about_dialog import AboutDialog

        run_dialog(AboutDialog(self.services, self))
