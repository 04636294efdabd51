"""Composition root: decide window or command line, open the data, wire services to the UI.

Nothing else in the package builds services or opens the database, so tests can build the
same graph with a temporary folder and a pinned clock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from referral_desk import logs, qt_check
from referral_desk.cli.main import build_parser, run_command, tell_once
from referral_desk.domain.errors import DomainError, ValidationError, WrongPassphrase
from referral_desk.paths import data_dir
from referral_desk.usecases.app_services import AppServices, open_services

EXIT_NO_QT_PLATFORM = 5  # the window cannot start: a Qt platform plugin is missing


def run(argv: list[str], *, force_gui: bool = False) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors: argparse already printed
        return int(stop.code or 0)
    folder = data_dir(args.data_dir)
    logs.configure(folder)
    if force_gui or args.command is None:
        return run_gui(
            folder,
            demo=getattr(args, "demo", False),
            check_start=getattr(args, "check_start", False),
            import_file=getattr(args, "import_file", None),
            unlock_file=getattr(args, "unlock_file", None),
        )
    from referral_desk.cli.unlock_cmd import CliUnlock

    args.unlock_source = source = CliUnlock(args)
    return run_command(args, lambda: open_services(folder, unlock=source))


def _unlock_for_window(
    folder: Path,
    before_upgrade: Callable[[], None],
    *,
    check_start: bool,
    unlock_file: str | None,
) -> AppServices | None:
    """Open the data for the window: with a scripted passphrase (`--unlock-file`,
    `$REFERRAL_DESK_UNLOCK`) if one is given, else through the unlock (or first-run) dialog.
    `--check-start` never shows a dialog: without a scripted passphrase it stops with one line.
    """
    from referral_desk.cli.secrets import scripted_secret
    from referral_desk.cli.unlock_cmd import ENV_UNLOCK
    from referral_desk.usecases.security import (
        Unlock,
        folder_state,
        os_login_configured,
        unlock_delay,
    )

    state = folder_state(folder)

    def open_with(unlock: Unlock) -> AppServices:
        return open_services(folder, unlock=unlock, before_upgrade=before_upgrade)

    secret = scripted_secret(unlock_file, ENV_UNLOCK)
    if secret:
        try:
            return open_with(
                Unlock.passphrase(secret) if state == "encrypted" else Unlock.new(secret)
            )
        except WrongPassphrase:
            if check_start:
                raise
    elif check_start:
        raise ValidationError(
            f"--check-start needs the passphrase: give --unlock-file FILE or set {ENV_UNLOCK}."
        )
    from referral_desk.ui.main import unlock_at_start

    return unlock_at_start(
        open_with,
        setting_up=state != "encrypted",
        plaintext=state == "plaintext",
        os_login=os_login_configured(folder),
        retry_after=unlock_delay(folder),
    )


def run_gui(
    folder: Path,
    *,
    demo: bool = False,
    check_start: bool = False,
    import_file: str | None = None,
    unlock_file: str | None = None,
) -> int:
    # The ui package is imported only after the data layer: Qt's import hook reads the source
    # of every module imported after it, which would slow the start (DESIGN.md §9).
    platform = qt_check.missing_platform_plugin()
    if platform is not None:
        qt_check.tell_without_qt(
            f"Referral Desk cannot open its window: a part of it is missing (Qt platform "
            f"'{platform}'). Reinstall Referral Desk, or ask IT support. Nothing was changed."
        )
        return EXIT_NO_QT_PLATFORM
    notices: list[Any] = []

    def tell_officer() -> None:
        from referral_desk.ui.main import show_upgrade_notice

        notices.append(show_upgrade_notice())

    try:
        try:
            opened = _unlock_for_window(
                folder, tell_officer, check_start=check_start, unlock_file=unlock_file
            )
        finally:
            for notice in notices:
                notice.close()
    except DomainError as err:
        print(f"referral-desk: {err}", file=sys.stderr)
        if not check_start:  # IT's check runs unattended: the line above is the message
            from referral_desk.ui.main import show_start_error

            show_start_error(str(err))
        return 2
    except Exception as err:  # a damaged installation (resource files), never a bare traceback
        logs.log_unexpected(err, "opening the data")
        message = (
            "Referral Desk could not start: part of the installation or the data could "
            "not be read. Nothing was changed. The log file in the data folder (logs/) "
            "has the details for IT support; reinstalling may help."
        )
        print(f"referral-desk: {message}", file=sys.stderr)
        from referral_desk.ui.main import show_start_error

        show_start_error(message)
        return 2
    if opened is None:  # the officer cancelled the unlock: nothing was opened
        return 0
    services = opened
    try:
        if check_start:
            tell_once(services)  # on stderr: IT's check has no one to click the windows
        else:
            from referral_desk.ui.main import tell_after_unlock

            tell_after_unlock(services)
        if demo:
            from referral_desk.demo import generate_demo

            if not services.people.list():
                generate_demo(services)
        from referral_desk.ui.main import start_window

        return start_window(services, check_start=check_start, import_file=import_file)
    finally:
        services.close()
