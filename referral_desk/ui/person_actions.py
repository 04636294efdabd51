"""What an officer does from the person view: needs, referrals, follow-ups, notes and the case.

A mixin of `PersonPage` (ui/person_view.py), which owns the widgets and the loading. Every
read and write runs on the window's worker through `ui.ops`; after a write the page reloads
the person, so what is shown is what was saved. Errors go to the error policy (a busy database
offers Try again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex

from referral_desk.ui.consent_dialog import ConsentDialog
from referral_desk.ui.hand_over_dialog import HandOverDialog
from referral_desk.ui.messages import confirm, show_error, show_info
from referral_desk.ui.my_day import FollowUpDoneDialog, RescheduleDialog
from referral_desk.ui.need_dialog import NeedDialog, NeedStatusDialog
from referral_desk.ui.ops import op
from referral_desk.ui.setting_dialog import SettingDialog
from referral_desk.ui.widgets import run_dialog
from referral_desk.usecases.dto import FollowUpView, OfficerView


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class PersonActions:
    """The person page's actions (see the module docstring); `PersonPage` provides `services`,
    `worker`, the tables and their selection, the note box and the signals used here."""

    services: Any
    worker: Any

    # -- need actions -------------------------------------------------------------------------
    def _after_write(self, message: str = "") -> None:
        if message:
            show_info(self, message)
        self.changed.emit()

    def _run(
        self,
        write: Callable[[], Any],
        message: str = "",
        then: Callable[[Any], object] | None = None,
    ) -> None:
        """Run a write on the worker; then `then(result)`, the message and a reload.

        Errors go to the error policy; a busy database offers Try again, which runs it again.
        """

        def done(result: Any) -> None:
            if then is not None:
                then(result)
            self._after_write(message)

        op(self, write).success(done).failure(
            lambda err: show_error(self, err, retry=lambda: self._run(write, message, then))
        ).busy().run(self.worker)

    def _read(self, read: Callable[[], Any], then: Callable[[Any], object]) -> None:
        """A read on the worker before a dialog or question; errors to the error policy."""
        op(self, read).success(then).busy().run(self.worker)

    def log_need(self) -> None:
        p = self.person
        if p is None:
            return
        dialog = NeedDialog(
            self.services, p.id, self, need_count=len(self.detail.needs), person_name=p.display_name
        )
        if not run_dialog(dialog) or dialog.saved is None:
            return
        need = dialog.saved
        self._want_need = need.id
        status = "unmet" if need.status.startswith("unmet") else "logged"
        self._after_write(f"Need {status}: {need.category_label}.")
        if dialog.find_service_after:
            self.find_service_requested.emit(need.id)

    def edit_need(self) -> None:
        need = self.selected_need()
        if need is None or self.person is None:
            return
        dialog = NeedDialog(
            self.services, self.person.id, self, need=need, person_name=self.person.display_name
        )
        if run_dialog(dialog):
            self._want_need = need.id
            self._after_write("Need saved.")

    def set_need_status(self, *, suggest_unmet: bool = False) -> None:
        need = self.selected_need()
        if need is None:
            return
        dialog = NeedStatusDialog(self.services, need, self, suggest_unmet=suggest_unmet)
        if run_dialog(dialog) and dialog.saved is not None:
            self._want_need = need.id
            self._after_write(f"Need status: {dialog.status.currentText()}.")

    def find_service(self) -> None:
        need = self.selected_need()
        if need is not None:
            self.find_service_requested.emit(need.id)

    def move_need(self, delta: int) -> None:
        need = self.selected_need()
        if need is None or self.detail is None:
            return
        ids = [n.id for n in self.detail.needs]
        at = ids.index(need.id)
        to = at + delta
        if not 0 <= to < len(ids):
            return
        ids.insert(to, ids.pop(at))
        self._reorder(ids, need.id)

    def _reorder(self, ids: list[str], keep: str | None = None) -> None:
        if self.person is None:
            return
        selected = keep or (self.selected_need().id if self.selected_need() else None)
        person_id, needs = self.person.id, self.services.needs

        def keep_selected(_: object) -> None:
            self._want_need = selected

        self._run(lambda: needs.reorder(person_id, ids), then=keep_selected)

    def delete_need(self) -> None:
        need = self.selected_need()
        if need is None:
            return
        linked = sum(1 for r in self.detail.referrals if r.need_id == need.id) if self.detail else 0
        detail = f"Its {_plural(linked, 'referral')} stay on the case." if linked else ""
        if confirm(
            self,
            "Delete need",
            f"Delete the need “{need.category_label}: {need.description}”? This cannot be undone.",
            action="Delete need",
            detail=detail,
        ):
            needs = self.services.needs
            self._run(lambda: needs.delete(need.id), "Need deleted.")

    # -- referral and follow-up actions -------------------------------------------------------
    def _referral_activated(self, index: QModelIndex) -> None:
        self.referral_requested.emit(self.referrals_proxy.record(index.row()).id)

    def open_referral(self) -> None:
        if self.tabs.currentIndex() == 1:
            follow_up = self.selected_follow_up()
            if follow_up is not None and follow_up.referral_id:
                self.referral_requested.emit(follow_up.referral_id)
            return
        referral = self.selected_referral()
        if referral is not None:
            self.referral_requested.emit(referral.id)

    def _follow_activated(self, index: QModelIndex) -> None:
        follow_up: FollowUpView = self.follow_proxy.record(index.row())
        if follow_up.referral_id:
            self.referral_requested.emit(follow_up.referral_id)
        elif follow_up.done_on is None:
            self.mark_done()

    def delete_referral(self) -> None:
        referral = self.selected_referral()
        if referral is None:
            return
        if confirm(
            self,
            "Delete referral",
            f"Delete referral {referral.reference} to {referral.service_name}? Its "
            "history, follow-ups and notes are deleted too. This cannot be undone.",
            action="Delete referral",
            detail="To record that it was withdrawn, open the referral and withdraw it "
            "instead: that keeps the history.",
        ):
            referrals = self.services.referrals
            self._run(lambda: referrals.delete(referral.id), "Referral deleted.")

    def mark_done(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None or follow_up.done_on is not None:
            return
        if run_dialog(FollowUpDoneDialog(self.services, follow_up, self)):
            self._after_write("Follow-up done.")

    def reschedule(self) -> None:
        follow_up = self.selected_follow_up()
        if follow_up is None or follow_up.done_on is not None:
            return
        if run_dialog(RescheduleDialog(self.services, follow_up, self)):
            self._after_write("Follow-up rescheduled.")

    def add_note(self) -> None:
        if self.person is None:
            return
        text = self.note_edit.text().strip()
        if not text:
            self.note_edit.setFocus()
            return
        person_id, people = self.person.id, self.services.people
        self._run(
            lambda: people.add_note(person_id, text),
            "Note added.",
            then=lambda _: self.note_edit.clear(),
        )

    def focus_note(self) -> None:
        self.note_edit.setFocus()

    # -- case actions -------------------------------------------------------------------------
    def transfer(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases

        def ask(count: int) -> None:
            dialog = SettingDialog(self.services, p, count, self)
            if run_dialog(dialog):
                if dialog.outcome is not None and dialog.outcome.changed:
                    self._after_write(dialog.result_text())
                else:
                    show_info(self, dialog.result_text())  # nothing written: nothing to reload

        self._read(lambda: cases.open_referral_count(p.id), ask)

    def toggle_consent(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases
        if p.has_consent:

            def withdrawn(made: int) -> None:
                follow_ups = _plural(made, "follow-up")
                show_info(self, f"Consent withdrawn. {follow_ups} added to tell providers.")

            def ask(count: int) -> None:
                if confirm(
                    self,
                    "Withdraw consent",
                    f"Record that {p.display_name} has withdrawn consent to share?",
                    action="Withdraw consent",
                    detail=f"No new referrals can be made. {_plural(count, 'open referral')}"
                    " will get a follow-up to tell the provider and stop sharing.",
                ):
                    self._run(lambda: cases.withdraw_consent(p.id), then=withdrawn)

            self._read(lambda: cases.open_referral_count(p.id), ask)
        elif run_dialog(ConsentDialog(self.services, p, self)):
            self._after_write("Consent recorded.")

    def hand_over(self) -> None:
        p = self.person
        if p is None:
            return
        profile, cases = self.services.profile, self.services.cases

        def ask(officers: list[OfficerView]) -> None:
            others = [o for o in officers if o.id != p.owner_officer_id]
            if not others:
                show_info(
                    self,
                    "No other officer is known yet. Colleagues appear here after a sync "
                    "with the shared store.",
                )
                return
            dialog = HandOverDialog(p, others, self)
            if run_dialog(dialog):
                name = dialog.officer.currentText()
                officer_id = dialog.officer_id()
                self._run(lambda: cases.hand_over(p.id, officer_id), f"Case handed over to {name}.")

        self._read(profile.officers, ask)

    def toggle_closed(self) -> None:
        p = self.person
        if p is None:
            return
        cases = self.services.cases
        if p.closed_on is not None:
            self._run(lambda: cases.reopen_case(p.id), "Case reopened.")
            return
        if confirm(
            self,
            "Close case",
            f"Close the case of {p.display_name}?",
            action="Close case",
            destructive=False,
            detail="Nothing is deleted: the case leaves the caseload list and can be "
            "reopened from the person view.",
        ):
            self._run(lambda: cases.close_case(p.id), "Case closed.")

    def delete_person(self) -> None:
        p = self.person
        if p is None:
            return
        if not confirm(
            self,
            "Delete person",
            f"Delete {p.display_name} and all their needs, referrals, follow-ups and notes?",
            action="Delete person",
            detail="Personal details are erased, on this computer and, after the "
            "next sync, for colleagues. This cannot be undone. To stop working "
            "with someone, close the case instead.",
        ):
            return
        people = self.services.people

        def deleted(_: object) -> None:
            self.clear()
            show_info(self, "Person deleted.")
            self.person_deleted.emit()
            self.changed.emit()

        op(self, lambda: people.delete(p.id)).success(deleted).busy().run(self.worker)
