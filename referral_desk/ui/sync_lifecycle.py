"""The shared store's lifecycle in the client: write the team snapshot, change the team
passphrase (a manager, when someone leaves the team).

Both are `ExchangeDialog`s without a preview (`ui/sync_exchange.py`): the current team
passphrase is the remembered one or asked, the work runs on the window's worker (`ui.ops`),
and a refusal (not a manager, wrong passphrase) is shown with nothing written. Pruning needs no
action of its own: every sync prunes. A colleague whose sync is refused because the passphrase
changed is asked for the new one by the sync dialog's "Try another passphrase".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from referral_desk.ui import sync_exchange
from referral_desk.ui.messages import error_text
from referral_desk.ui.sync_exchange import ExchangeDialog
from referral_desk.ui.sync_settings import open_sync_settings
from referral_desk.ui.sync_summary import Outcome, plural
from referral_desk.ui.widgets import run_dialog

if TYPE_CHECKING:
    from referral_desk.usecases.app_services import AppServices


@dataclass(frozen=True)
class Done(Outcome):
    """What the work did, in the officer's words (nothing was imported or exported)."""

    heading: str = ""
    text: str = ""


class _StoreDialog(ExchangeDialog):
    PREVIEW = False

    def needs_store(self) -> bool:
        return True

    def open_settings(self) -> bool:
        return open_sync_settings(self.services, self)

    def summary_text(self, outcome: Outcome) -> tuple[str, str]:
        assert isinstance(outcome, Done)
        return outcome.heading, outcome.text


class SnapshotDialog(_StoreDialog):
    """Write everything this computer holds to the shared store as the team snapshot."""

    TITLE = "Write team snapshot"

    def apply_job(self, passphrase: str) -> Outcome:
        snap = self.services.sync.write_snapshot(None, passphrase)
        return Done(
            heading="Team snapshot written",
            text=(
                f"Wrote the team snapshot ({plural(snap.entries, 'change')} from "
                f"{plural(snap.sites, 'computer')}) to the shared store. A new colleague's "
                "first sync starts from it, and older sync files it covers can be removed."
            ),
        )

    def working_text(self, applying: bool) -> str:
        return "Writing the team snapshot to the shared store…"


class ChangePassphraseDialog(_StoreDialog):
    """A manager sets a new team passphrase: the store is sealed again under it."""

    TITLE = "Change team passphrase"

    def __init__(
        self,
        services: AppServices,
        new_passphrase: str,
        parent: QWidget | None = None,
        *,
        passphrase: str | None = None,
    ) -> None:
        self._new = new_passphrase
        super().__init__(services, parent, passphrase=passphrase)

    def apply_job(self, passphrase: str) -> Outcome:
        services = self.services
        done = services.sync.rotate_passphrase(None, passphrase, self._new)
        site = services.sync.site_id()
        if services.passphrases.get(site):  # a remembered passphrase: the new one now
            services.passphrases.set(site, self._new)
        # The passphrase this dialog proved is the new one from now on (a retyped old one
        # must not be remembered once the work has succeeded).
        self._passphrase = self._new
        return Done(
            heading="Team passphrase changed",
            text=(
                f"The team passphrase is changed and the team snapshot written under it; "
                f"{plural(done.removed, 'older file')} removed from the shared store. Tell "
                "your colleagues the new passphrase: their next sync asks for it."
            ),
        )

    def working_text(self, applying: bool) -> str:
        return "Changing the team passphrase and writing the team snapshot…"

    def refusal_text(self, err: BaseException) -> str:
        """As the engine words it, without the exchanges' "Nothing was written": a change
        stopped after the switch (an old file that could not be removed, a full disk while
        writing the snapshot) has written the new settings; the engine says how to finish."""
        return error_text(err)


def write_team_snapshot(services: AppServices, parent: QWidget | None) -> bool:
    """Sync ▸ Write team snapshot. Records here do not change."""
    run_dialog(SnapshotDialog(services, parent))
    return False


def change_team_passphrase(services: AppServices, parent: QWidget | None) -> bool:
    """Sync ▸ Change team passphrase: the new one typed twice, then the current one."""
    new = sync_exchange.ask_passphrase(
        parent,
        "The new team passphrase (everyone in the team will need it):",
        confirm=True,
    )
    if not new:
        return False
    run_dialog(ChangePassphraseDialog(services, new, parent))
    return False


__all__ = [
    "ChangePassphraseDialog",
    "SnapshotDialog",
    "change_team_passphrase",
    "write_team_snapshot",
]
