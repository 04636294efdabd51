"""Every window of the client, opened as the client opens it: the registry the screen-fit and
key-map tests walk through (tests/ui/test_screen_fit.py, tests/ui/test_key_map.py).

Each QDialog subclass in `referral_desk.ui` has one or more `Case`s in DIALOGS: how to open it
on the demo data of `Ctx`, its main button, and when it has finished loading. The fixtures that
build a `Ctx` are in tests/ui/conftest.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_paths import HSDS_EXAMPLE
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QWidget

import referral_desk.ui
from referral_desk.domain.states import ReferralState
from referral_desk.usecases.dto import FollowUpView, NeedView, PersonView, ReferralView


@dataclass
class Ctx:
    """What the dialogs are opened on: the busiest person of a demo caseload."""

    services: Any
    window: Any
    person: PersonView
    need: NeedView
    referral: ReferralView
    follow_up: FollowUpView
    service: Any
    tmp: Path


# -- opening each dialog --------------------------------------------------------------------
Make = Callable[[Ctx], QDialog]


@dataclass(frozen=True)
class Case:
    """One way a dialog is opened, its main button (accessible name or text), and when it
    has finished loading."""

    label: str
    make: Make
    main: str
    ready: Callable[[Any], bool] = lambda _dialog: True


def _manager(c: Ctx) -> bool:
    """Make this PC's officer a manager (the access log is a manager's view): alone, not in
    another manager's team, it is its own team's first manager."""
    from role_helpers import leave_the_team

    leave_the_team(c.services.db)
    return True


def _ui(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"referral_desk.ui.{module}"), name)


def _loaded(make: Make) -> Make:
    """Open a dialog that fills in from the worker, and wait until it has (`loaded`)."""

    def opened(ctx: Ctx) -> QDialog:
        from PySide6.QtTest import QTest

        dialog = make(ctx)
        for _ in range(1000):  # ten seconds at most
            if getattr(dialog, "loaded", True):
                break
            QTest.qWait(10)
        return dialog

    return opened


def _exchange(kind: str) -> Make:
    """A sync dialog showing a preview (or summary) with every count and note it can have."""
    from referral_desk.sync.exchange import ExportSummary, ImportSummary, RefusedFile
    from referral_desk.ui.sync_summary import Outcome

    imported = ImportSummary(
        dry_run=True,
        bundles=3,
        already_seen=1,
        entries_total=900,
        entries_new=850,
        people=12,
        needs=40,
        referrals=55,
        follow_ups=70,
        directory=230,
        other=9,
        deleted=2,
        conflicts=3,
        clock_reviews=1,
        future_stamped=1,
        quarantined=2,
        released=1,
        still_quarantined=2,
        pending=4,
        quarantine_reasons=(("directory change not signed by a directory keeper", 2),),
        refused=tuple(
            RefusedFile(
                f"outbox/{'b' * 36}/{'c' * 36}.rdsync",
                "This file was damaged or changed after it was written; nothing was taken from it.",
            )
            for _ in range(2)
        ),
    )
    exported = ExportSummary(path="x.rdsync", entries=120, sites=2)

    def make(ctx: Ctx) -> QDialog:
        from referral_desk.ui import sync_dialogs

        services, parent, path = ctx.services, ctx.window, ctx.tmp / "team.rdsync"
        passphrase = "correct horse battery staple"
        if kind == "sync":
            dialog = sync_dialogs.SyncNowDialog(services, parent, passphrase=passphrase)
        elif kind == "import":
            dialog = sync_dialogs.ImportFileDialog(services, path, parent, passphrase=passphrase)
        else:
            dialog = sync_dialogs.ExportFileDialog(services, path, parent, passphrase=passphrase)
        dialog._started = True  # shown with a result below, not run against a real store
        if kind == "export":
            dialog._show_summary(Outcome(exported, None))
        else:
            dialog._show_preview(Outcome(exported if kind == "sync" else None, imported))
        return dialog

    return make


def _lifecycle(kind: str) -> Make:
    """Write team snapshot / Change team passphrase, shown with their (longest) summary."""

    def make(ctx: Ctx) -> QDialog:
        from referral_desk.ui import sync_lifecycle

        services, parent = ctx.services, ctx.window
        passphrase = "correct horse battery staple"
        if kind == "snapshot":
            dialog = sync_lifecycle.SnapshotDialog(services, parent, passphrase=passphrase)
            text = (
                "Wrote the team snapshot (123456 changes from 12 computers) to the shared store."
                " A new colleague's first sync starts from it, and older sync files it covers"
                " can be removed."
            )
        else:
            dialog = sync_lifecycle.ChangePassphraseDialog(
                services, "a new passphrase", parent, passphrase=passphrase
            )
            text = (
                "The team passphrase is changed and the team snapshot written under it; 1234"
                " older files removed from the shared store. Tell your colleagues the new"
                " passphrase: their next sync asks for it."
            )
        dialog._started = True  # shown with a result below, not run against a real store
        dialog._show_summary(sync_lifecycle.Done(heading=dialog.TITLE, text=text))
        return dialog

    return make


def _referral_accepting(ctx: Ctx) -> QDialog:
    dialog = _loaded(
        lambda c: _ui("referral_dialog", "ReferralDialog")(c.services, c.referral.id, c.window)
    )(ctx)
    dialog.confirm_discard = False
    if ReferralState.ACCEPTED in dialog._state_buttons:
        dialog.choose(ReferralState.ACCEPTED)  # the most fields: appointment, channel, note
    return dialog


def _import_preview(ctx: Ctx) -> QDialog:
    report = ctx.services.directory_admin.import_package(HSDS_EXAMPLE, dry_run=True)
    return _ui("directory_hsds", "ImportPreviewDialog")(report, HSDS_EXAMPLE, ctx.window)


def _recovery_page(ctx: Ctx) -> QDialog:
    """The unlock dialog switched to its recovery-code page (three fields and a strength)."""
    dialog = _ui("unlock_dialog", "UnlockDialog")(lambda _u: None, parent=ctx.window)
    dialog.switch_button.click()
    return dialog


DIALOGS: dict[str, list[Case]] = {
    "accountability.AccessLogDialog": [
        Case(
            "who has opened this record",
            lambda c: _ui("accountability", "AccessLogDialog")(
                c.services.access.for_person(c.person.id) if _manager(c) else [], c.window
            ),
            "Close",
        )
    ],
    "accountability.RetentionDialog": [
        Case(
            "retention",
            lambda c: _ui("accountability", "RetentionDialog")(c.services, c.window),
            "Close",
        )
    ],
    "about_dialog.AboutDialog": [
        Case("about", lambda c: _ui("about_dialog", "AboutDialog")(c.services, c.window), "Close"),
    ],
    "correction_dialog.ReportCorrectionDialog": [
        Case(
            "report a correction",
            lambda c: _ui("correction_dialog", "ReportCorrectionDialog")(
                c.services, c.service.id, c.window
            ),
            "Send to directory keeper",
        )
    ],
    "directory_dialogs.CapacityDialog": [
        Case(
            "capacity",
            lambda c: _ui("directory_dialogs", "CapacityDialog")(
                c.service, c.services.clock.today(), c.window
            ),
            "Save",
        )
    ],
    "directory_dialogs.PrecheckDialog": [
        Case(
            "pre-check",
            lambda c: _ui("directory_dialogs", "PrecheckDialog")(
                c.service, c.services.clock.today(), c.window
            ),
            "Save",
        )
    ],
    "directory_dialogs.StatusDialog": [
        Case(
            "service status",
            lambda c: _ui("directory_dialogs", "StatusDialog")(c.service, c.window),
            "Save",
        )
    ],
    "directory_hsds.ImportPreviewDialog": [Case("import preview", _import_preview, "Cancel")],
    "find_service.FindServiceDialog": [
        Case(
            "find a service",
            _loaded(
                lambda c: _ui("find_service", "FindServiceDialog")(c.services, c.need.id, c.window)
            ),
            "Refer to this service",
            ready=lambda d: not d.search_pending,
        )
    ],
    "shortcuts_dialog.ShortcutsDialog": [
        Case(
            "keyboard shortcuts",
            lambda c: _ui("shortcuts_dialog", "ShortcutsDialog")(
                list(c.window.actions_by_name.values()), c.window
            ),
            "Close",
        )
    ],
    "follow_up_dialogs.FollowUpDoneDialog": [
        Case(
            "follow-up done",
            lambda c: _ui("follow_up_dialogs", "FollowUpDoneDialog")(
                c.services, c.follow_up, c.window
            ),
            "Mark done",
        )
    ],
    "follow_up_dialogs.RescheduleDialog": [
        Case(
            "reschedule",
            lambda c: _ui("follow_up_dialogs", "RescheduleDialog")(
                c.services, c.follow_up, c.window
            ),
            "Reschedule",
            ready=lambda d: d.calendar is not None,
        )
    ],
    "need_dialog.NeedDialog": [
        Case(
            "log a need",
            _loaded(
                lambda c: _ui("need_dialog", "NeedDialog")(
                    c.services,
                    c.person.id,
                    c.window,
                    need_count=3,
                    person_name=c.person.display_name,
                )
            ),
            "Save need",
        ),
        Case(
            "edit a need",
            _loaded(
                lambda c: _ui("need_dialog", "NeedDialog")(
                    c.services,
                    c.person.id,
                    c.window,
                    need=c.need,
                    person_name=c.person.display_name,
                )
            ),
            "Save need",
        ),
    ],
    "need_dialog.NeedStatusDialog": [
        Case(
            "need status",
            lambda c: _ui("need_dialog", "NeedStatusDialog")(c.services, c.need, c.window),
            "Save status",
        )
    ],
    "passphrase_dialog.PassphraseDialog": [
        Case(
            "team passphrase, set",
            lambda c: _ui("passphrase_dialog", "PassphraseDialog")(c.window, confirm=True),
            "Use passphrase",
        )
    ],
    "person_dialog.PersonDialog": [
        Case(
            "new person",
            _loaded(lambda c: _ui("person_dialog", "PersonDialog")(c.services, c.window)),
            "Save person",
        ),
        Case(
            "edit person",
            _loaded(
                lambda c: _ui("person_dialog", "PersonDialog")(
                    c.services, c.window, person=c.person
                )
            ),
            "Save person",
        ),
    ],
    "hand_over_dialog.HandOverDialog": [
        Case(
            "hand over",
            lambda c: _ui("hand_over_dialog", "HandOverDialog")(
                c.person, c.services.profile.officers(), c.window
            ),
            "Hand over",
        )
    ],
    "consent_dialog.ConsentDialog": [
        Case(
            "consent",
            lambda c: _ui("consent_dialog", "ConsentDialog")(c.services, c.person, c.window),
            "Record consent",
        )
    ],
    "roles_dialog.RolesDialog": [
        Case(
            "team roles",
            lambda c: _ui("roles_dialog", "RolesDialog")(c.services, c.window),
            "Grant role",
            ready=lambda d: d.loaded,
        )
    ],
    "preferences.PreferencesDialog": [
        Case(
            "preferences",
            lambda c: _ui("preferences", "PreferencesDialog")(c.services, c.window),
            "Save preferences",
            ready=lambda d: d.loaded,
        ),
        Case(
            "first run",
            lambda c: _ui("preferences", "PreferencesDialog")(c.services, c.window, first_run=True),
            "Save preferences",
            ready=lambda d: d.loaded,
        ),
    ],
    "printing.PrintPreviewDialog": [
        Case(
            "print preview",
            _loaded(
                lambda c: _ui("printing", "PrintPreviewDialog")(
                    c.services, c.referral.reference, c.window
                )
            ),
            "Print",
        )
    ],
    "record_referral.RecordReferralDialog": [
        Case(
            "record a referral",
            _loaded(
                lambda c: _ui("record_referral", "RecordReferralDialog")(
                    c.services, c.need.id, c.service.id, c.window
                )
            ),
            "Send",
        )
    ],
    "referral_dialog.ReferralDialog": [Case("referral", _referral_accepting, "Record update")],
    "service_editor.ServiceEditorDialog": [
        Case(
            "edit a service",
            lambda c: _ui("service_editor", "ServiceEditorDialog")(
                c.services, c.service.id, c.window
            ),
            "Save service",
        )
    ],
    "setting_dialog.SettingDialog": [
        Case(
            "transfer or release",
            lambda c: _ui("setting_dialog", "SettingDialog")(c.services, c.person, 2, c.window),
            "Save move",
        )
    ],
    "sync_settings.SyncSettingsDialog": [
        Case(
            "sync settings",
            lambda c: _ui("sync_settings", "SyncSettingsDialog")(c.services, c.window),
            "Save sync settings",
            ready=lambda d: d.ready,
        )
    ],
    "sync_dialogs.SyncNowDialog": [Case("sync now preview", _exchange("sync"), "Apply")],
    "sync_dialogs.ImportFileDialog": [Case("import preview", _exchange("import"), "Apply")],
    "sync_dialogs.ExportFileDialog": [Case("export summary", _exchange("export"), "Close")],
    "sync_lifecycle.SnapshotDialog": [Case("snapshot summary", _lifecycle("snapshot"), "Close")],
    "sync_lifecycle.ChangePassphraseDialog": [
        Case("passphrase change summary", _lifecycle("rotate"), "Close")
    ],
    "sync_conflicts.ConflictsDialog": [
        Case(
            "conflicts",
            lambda c: _ui("sync_conflicts", "ConflictsDialog")(c.services, c.window),
            "Close",
            ready=lambda d: not d._busy,
        )
    ],
    "unlock_dialog.UnlockDialog": [
        Case(
            "unlock",
            lambda c: _ui("unlock_dialog", "UnlockDialog")(
                lambda _u: None, os_login=True, retry_after=30, parent=c.window
            ),
            "Unlock",
        ),
        Case("unlock, recovery code", _recovery_page, "Unlock"),
    ],
    "unlock_dialog.SetPassphraseDialog": [
        Case(
            "first run passphrase",
            lambda c: _ui("unlock_dialog", "SetPassphraseDialog")(
                lambda _u: None, plaintext=True, parent=c.window
            ),
            "Set passphrase",
        )
    ],
    "unlock_dialog.RecoveryCodeDialog": [
        Case(
            "recovery code",
            lambda c: _ui("unlock_dialog", "RecoveryCodeDialog")(
                "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567", c.window
            ),
            "Continue",
        )
    ],
    "unlock_dialog.ChangePassphraseDialog": [
        Case(
            "change passphrase",
            lambda c: _ui("unlock_dialog", "ChangePassphraseDialog")(c.services.security, c.window),
            "Change passphrase",
        )
    ],
}

# Each page's main button (accessible name).
PAGE_BUTTONS = {
    "my_day": "Follow-up done",
    "caseload": "New person",
    "person": "Add note",
    "directory": "Report a correction",
    "reports": "Run report",
}

# Bases that are never opened themselves (their subclasses are).
BASES = {"widgets.GuardedDialog", "sync_exchange.ExchangeDialog", "sync_lifecycle._StoreDialog"}


def dialog_classes() -> set[str]:
    """Every QDialog subclass defined in referral_desk.ui, as "module.Class"."""
    found: set[str] = set()
    for info in pkgutil.iter_modules(referral_desk.ui.__path__):
        module = importlib.import_module(f"referral_desk.ui.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, QDialog) and obj.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


def main_button(dialog: QWidget, name: str) -> QAbstractButton | None:
    for button in dialog.findChildren(QAbstractButton):
        if button.accessibleName() == name or button.text().replace("&", "") == name:
            return button
    return None


def settle(qtbot: Any, rounds: int = 5) -> None:
    for _ in range(rounds):
        QApplication.processEvents()
    qtbot.wait(10)


def busiest(services: Any) -> tuple[PersonView, NeedView, ReferralView]:
    """The person with the most referrals, an open need of theirs and an open referral."""
    refs = services.referrals.list()
    by_person: dict[str, list[ReferralView]] = {}
    for ref in refs:
        by_person.setdefault(ref.person_id, []).append(ref)
    open_states = {"sent", "acknowledged", "waiting_list"}
    for person_id, theirs in sorted(by_person.items(), key=lambda kv: -len(kv[1])):
        needs = [n for n in services.needs.list(person_id) if n.status in ("open", "referred")]
        waiting = [r for r in theirs if r.status in open_states]
        if needs and waiting:
            detail = services.referrals.get(max(waiting, key=lambda r: len(r.history)).id)
            return services.people.get(person_id), needs[0], detail
    raise AssertionError("the demo caseload has no open need with an open referral")
