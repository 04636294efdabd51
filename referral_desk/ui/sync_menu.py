"""The Sync menu's actions, made without importing the sync dialogs.

The dialogs (and the sync engine with its cryptography) are imported when an officer first
chooses one of these actions, not while the main window starts (DESIGN.md §9).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices

# name: (menu text, shortcut, description), in the style of the main window's ACTIONS.
# F9 is "Send/Receive" in Outlook, which officers already use every day.
ACTIONS: dict[str, tuple[str, str, str]] = {
    "sync_now": (
        "&Sync now…",
        "F9",
        "Send your changes to the shared store and fetch your colleagues'",
    ),
    "export_sync_file": (
        "&Export sync file…",
        "",
        "Write everything to one file to carry on a USB drive",
    ),
    "import_sync_file": (
        "&Import sync file…",
        "",
        "Preview and import a sync file carried from another computer",
    ),
    "sync_conflicts": (
        "Review &conflicts…",
        "Shift+F9",
        "Fields changed on two computers at once: choose which value to keep",
    ),
    "write_team_snapshot": (
        "Write team sna&pshot…",
        "",
        "Write everything to the shared store so a new colleague starts from it",
    ),
    "change_team_passphrase": (
        "C&hange team passphrase…",
        "",
        "A manager sets a new team passphrase when someone leaves the team",
    ),
    "sync_settings": (
        "Sync se&ttings…",
        "",
        "Shared store folder, team passphrase and this computer's site id",
    ),
}
SYNC_MENU: tuple[str | None, ...] = (
    "sync_now",
    None,
    "export_sync_file",
    "import_sync_file",
    None,
    "sync_conflicts",
    None,
    "write_team_snapshot",
    "change_team_passphrase",
    "sync_settings",
)


# name: (module under referral_desk.ui, its entry point, whether that returns "records here
# changed"). An entry point takes (services, parent). A new action is one line in each of
# ACTIONS, SYNC_MENU and ENTRY_POINTS.
ENTRY_POINTS: dict[str, tuple[str, str, bool]] = {
    "sync_now": ("sync_dialogs", "sync_now", True),
    "export_sync_file": ("sync_dialogs", "export_to_file", False),
    "import_sync_file": ("sync_dialogs", "import_from_file", True),
    "sync_conflicts": ("sync_conflicts", "review_conflicts", True),
    "write_team_snapshot": ("sync_lifecycle", "write_team_snapshot", False),
    "change_team_passphrase": ("sync_lifecycle", "change_team_passphrase", False),
    "sync_settings": ("sync_settings", "open_sync_settings", False),
}


def _run_sync_action(name: str, services: AppServices, parent: QWidget) -> bool:
    """Run one action's entry point, imported now; True when records here changed."""
    try:
        module, function, reports_changes = ENTRY_POINTS[name]
    except KeyError:
        raise ValueError(f"unknown sync action: {name}") from None
    entry = getattr(import_module(f"referral_desk.ui.{module}"), function)
    changed = entry(services, parent)
    return bool(changed) and reports_changes


def import_carried_file(
    services: AppServices,
    parent: QWidget,
    path: str,
    on_changed: Callable[[], None] | None = None,
) -> None:
    """Preview and import a sync file the officer opened from outside the app (double-clicking
    a `.rdsync` file on a USB drive starts `referral-desk-gui --import FILE`)."""
    from pathlib import Path

    from referral_desk.ui import sync_dialogs

    if sync_dialogs.import_from_file(services, parent, Path(path)) and on_changed is not None:
        on_changed()


def make_sync_actions(
    services: AppServices,
    parent: QWidget,
    on_changed: Callable[[], None] | None = None,
) -> dict[str, QAction]:
    """The Sync menu's actions (names as in ACTIONS), wired to their ENTRY_POINTS.

    `on_changed` (the main window's after_write) runs when records on this computer changed.
    """
    actions: dict[str, QAction] = {}
    for name, (text, shortcut, tip) in ACTIONS.items():
        action = QAction(text, parent)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        plain = text.replace("&", "").rstrip("…")
        action.setToolTip(f"{plain} ({shortcut})" if shortcut else plain)
        action.setStatusTip(tip)
        action.setWhatsThis(tip)

        def run(_checked: bool = False, name: str = name) -> None:
            if _run_sync_action(name, services, parent) and on_changed is not None:
                on_changed()

        action.triggered.connect(run)
        actions[name] = action
    return actions
