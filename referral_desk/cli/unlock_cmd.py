"""Unlocking the encrypted data folder from the command line, and `referral-desk unlock …`.

Every command needs the data key (issue 12). The unlock passphrase comes from, in order:
`--unlock-file FILE` (its first line), `$REFERRAL_DESK_UNLOCK`, or a prompt when standard
input is a terminal (asked twice when a new folder is set up). With none of them the command
stops with one line and writes nothing; a wrong passphrase likewise (and the delay before the
next try grows).

    unlock change-passphrase      a new passphrase (the data key is re-wrapped, in seconds)
    unlock recover                the recovery code and a new passphrase, when it is forgotten
    unlock os-login on|off        also unlock with the OS login on this computer
    unlock status                 whether OS login is set up; how long until the next try
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from referral_desk.cli.secrets import scripted_secret
from referral_desk.domain.errors import ValidationError
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.security import Unlock, check_new_passphrase

ENV_UNLOCK = "REFERRAL_DESK_UNLOCK"
ENV_NEW_UNLOCK = "REFERRAL_DESK_NEW_UNLOCK"
ENV_RECOVERY_CODE = "REFERRAL_DESK_RECOVERY_CODE"
Result = tuple[Any, Callable[[Any], str]]

NO_PASSPHRASE = (
    "The data is encrypted and no passphrase was given: run at a terminal, or give "
    f"--unlock-file FILE or ${ENV_UNLOCK}. Nothing was changed."
)


# Only these commands set a new (or plaintext) folder up: choosing the passphrase and seeing
# the recovery code must be something the officer asked for, not a side effect of `sync`.
SETS_UP = ("init", "demo")
NOT_SET_UP = (
    "This data folder has no passphrase yet: run `referral-desk init` (or start the app) to "
    "choose one; a database from an older version is then encrypted. Nothing was changed."
)


def add_unlock_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--unlock-file",
        metavar="FILE",
        help=f"file whose first line is the unlock passphrase (else ${ENV_UNLOCK}, else asked)",
    )


def add_unlock_parser(subparsers: Any, json_parent: argparse.ArgumentParser) -> None:
    unlock = subparsers.add_parser(
        "unlock", help="the passphrase that unlocks this data folder: change, recover, OS login"
    )
    actions = unlock.add_subparsers(
        dest="unlock_action", required=True, metavar="ACTION", parser_class=type(unlock)
    )
    change = actions.add_parser(
        "change-passphrase", parents=[json_parent], help="choose a new passphrase (asked for twice)"
    )
    recover = actions.add_parser(
        "recover", parents=[json_parent], help="forgot the passphrase: use the recovery code"
    )
    for sub in (change, recover):
        sub.add_argument(
            "--new-passphrase-file",
            metavar="FILE",
            help=f"file holding the new passphrase (else ${ENV_NEW_UNLOCK}, else asked)",
        )
    recover.add_argument(
        "--code-file",
        metavar="FILE",
        help=f"file holding the recovery code (else ${ENV_RECOVERY_CODE}, else asked)",
    )
    os_login = actions.add_parser(
        "os-login", parents=[json_parent], help="also unlock with this computer's OS login"
    )
    os_login.add_argument("state", choices=["on", "off"])
    actions.add_parser("status", parents=[json_parent], help="how this folder is unlocked")


class CliUnlock:
    """The unlock source of one command line (`open_services(..., unlock=CliUnlock(args))`).

    `interactive` and `ask` are injected by tests (a terminal and what its officer types).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        interactive: bool | None = None,
        ask: Callable[[str], str] | None = None,
    ) -> None:
        self.args = args
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.ask = ask or getpass.getpass
        self.given = ""  # the passphrase the folder was opened with (for `os-login on`)

    def __call__(self, setting_up: bool) -> Unlock:
        args = self.args
        if getattr(args, "command", None) == "unlock" and args.unlock_action == "recover":
            if setting_up:
                raise ValidationError("This data folder has no passphrase to recover.")
            code = scripted_secret(getattr(args, "code_file", None), ENV_RECOVERY_CODE)
            if not code:
                code = self._prompt("Recovery code: ", "No recovery code was given")
            return Unlock.recovery(code, self.new_passphrase())
        secret = scripted_secret(getattr(args, "unlock_file", None), ENV_UNLOCK)
        if setting_up:
            if getattr(args, "command", None) not in SETS_UP:
                raise ValidationError(NOT_SET_UP)
            if secret:
                check_new_passphrase(secret)
            else:
                secret = self._choose("Choose a passphrase for this data folder")
            self.given = secret
            return Unlock.new(secret)
        if not secret:
            secret = self._prompt("Passphrase: ", NO_PASSPHRASE)
        self.given = secret
        return Unlock.passphrase(secret)

    def new_passphrase(self) -> str:
        new = scripted_secret(getattr(self.args, "new_passphrase_file", None), ENV_NEW_UNLOCK)
        if new:
            check_new_passphrase(new)
            return new
        return self._choose("New passphrase")

    def _choose(self, prompt: str) -> str:
        first = self._prompt(
            f"{prompt} (at least 8 characters): ",
            "A new passphrase is needed: run at a terminal, or give it in a file or the "
            "environment (see --help). Nothing was changed.",
        )
        check_new_passphrase(first)
        if self.ask("Type it again: ") != first:
            raise ValidationError("The two passphrases differ. Nothing was changed.")
        return first

    def _prompt(self, prompt: str, refusal: str) -> str:
        if not self.interactive:
            raise ValidationError(refusal if refusal.endswith(".") else refusal + ".")
        try:
            return self.ask(prompt)
        except (EOFError, KeyboardInterrupt):
            raise ValidationError("No passphrase was given. Nothing was changed.") from None


def run_unlock(app: AppServices, args: argparse.Namespace) -> Result:
    source = getattr(args, "unlock_source", None)
    action = args.unlock_action
    if action == "change-passphrase":
        assert isinstance(source, CliUnlock)
        new = source.new_passphrase()
        app.security.change_passphrase(source.given, new)
        return {"changed": True}, lambda _d: "Passphrase changed. The recovery code still works."
    if action == "recover":
        return {"recovered": True}, lambda _d: "Passphrase replaced: unlock with the new one."
    if action == "os-login":
        if args.state == "on":
            assert isinstance(source, CliUnlock)
            app.security.enable_os_login(source.given)
            text = "This computer's OS login now also unlocks this data folder."
        else:
            app.security.disable_os_login()
            text = "The OS login no longer unlocks this data folder."
        return {"os_login": args.state == "on"}, lambda _d: text
    data = {
        "os_login": app.security.os_login_enabled(),
        "os_login_available": app.security.os_login_available(),
    }
    return (
        data,
        lambda d: (
            f"Unlock with OS login: {'on' if d['os_login'] else 'off'}"
            f"{'' if d['os_login_available'] else ' (no password store on this computer)'}"
        ),
    )
