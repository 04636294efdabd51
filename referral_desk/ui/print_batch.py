"""My day's batch job: one print dialog for the slips of every referral sent today.

Each step that touches the database runs on the window's worker (`ui.ops`): finding today's
referrals, making the batch PDF (seconds for 500 slips, behind a busy dialog so the window
keeps painting and does not look crashed; it has no Cancel because the PDF library cannot be
interrupted half-way, and nothing is recorded yet), saving a "print to file", and noting each
slip on its referral. Painting onto the printer stays on the GUI thread. Slips are noted only
after they went to the printer: a cancelled print must not leave "slip printed" on a record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from referral_desk.domain.errors import DomainError
from referral_desk.ui.messages import confirm, show_error, show_info
from referral_desk.ui.ops import op
from referral_desk.ui.print_pages import DOCUMENTS, PrintSettings, print_pdf, printer_settings

OnPrinted = Callable[[int], object]


def print_slips_sent_today(
    services: Any, parent: QWidget, on_printed: OnPrinted | None = None
) -> None:
    """Ask (showing the count), print through the same path as a single slip, then note each
    slip on its referral's timeline; `on_printed(count)` once slips were printed. Nothing
    printed (none sent today, cancelled, failed) calls nothing; failures are shown."""
    printing = services.printing

    def read() -> tuple[list[str], PrintSettings]:
        return printing.referrals_sent_on(), printer_settings(services)

    op(parent, read).success(
        lambda found: _ask(services, parent, found[0], found[1], on_printed)
    ).busy().run()


def _ask(
    services: Any,
    parent: QWidget,
    refs: list[str],
    settings: PrintSettings,
    on_printed: OnPrinted | None,
) -> None:
    if not refs:
        show_info(parent, "No referrals were sent today, so there are no slips to print.")
        return
    count = len(refs)
    size = settings.page_size
    noun = "slip" if count == 1 else "slips"
    if not confirm(
        parent,
        "Print today's slips",
        f"Print {count} referral {noun} for the referrals sent today?",
        action=f"Print {count} {noun}",
        detail=f"One slip per referral on {size} paper. Each slip is noted on its referral.",
        destructive=False,
    ):
        return
    printing = services.printing

    def print_it(pdf: bytes) -> None:
        try:
            printed = print_pdf(
                pdf,
                size,
                printer_name=settings.printer,
                title=f"Referral slips ({count})",
                parent=parent,
            )
        except DomainError as err:  # the printer refused: said, nothing noted
            show_error(parent, err)
            return
        if printed.to_file:
            op(parent, lambda: printing.save_pdf(printed.to_file, pdf)).success(
                lambda _: _note(services, parent, refs, on_printed)
            ).busy().run()
        elif printed.done:
            _note(services, parent, refs, on_printed)

    op(parent, lambda: printing.batch_slips_pdf(refs, size)).success(print_it).busy(
        f"Preparing {count} {noun}…"
    ).run()


def _note(services: Any, parent: QWidget, refs: list[str], on_printed: OnPrinted | None) -> None:
    count = len(refs)
    noun = "slip" if count == 1 else "slips"
    printing = services.printing

    def note_each() -> None:
        for ref in refs:
            printing.record_printed(ref, DOCUMENTS["slip"], "printed")

    def noted(_: object) -> None:
        done = f"{count} referral {noun} sent to the printer and noted on each referral."
        show_info(parent, done)
        if on_printed is not None:
            on_printed(count)

    def not_noted(err: BaseException) -> None:  # printed all the same: say what was not noted
        show_error(parent, err)
        if on_printed is not None:
            on_printed(count)

    op(parent, note_each).success(noted).failure(not_noted).busy(
        f"Noting the {noun} on their referrals…"
    ).run()
