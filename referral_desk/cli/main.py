"""The `referral-desk` command line: a public interface, so its words and JSON shapes are kept.

Every command runs one use case from the services layer; bad input prints one line on stderr,
exits non-zero and changes nothing (each use case is a single transaction).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from referral_desk import __version__
from referral_desk.cli import commands, directory_cmd
from referral_desk.cli.account_cmd import add_account_parser, add_person_actions
from referral_desk.cli.demo_cmd import add_demo_parser
from referral_desk.cli.hub_cmd import add_hub_parser
from referral_desk.cli.report_cmd import add_report_parser
from referral_desk.cli.sync_cmd import add_sync_parser
from referral_desk.cli.unlock_cmd import add_unlock_options, add_unlock_parser
from referral_desk.domain.errors import DomainError
from referral_desk.domain.text import json_printable, printable
from referral_desk.usecases.app_services import AppServices

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 3


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage on errors; scripts and officers get one clear line instead."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _json_flag() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parent


def build_parser() -> argparse.ArgumentParser:
    js = _json_flag()
    p = OneLineParser(
        prog="referral-desk",
        description="Referral Desk: log unmet needs, find services, refer and follow up. "
        "With no command, starts the desktop app.",
    )
    p.add_argument("--version", action="version", version=f"referral-desk {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="folder holding the database")
    add_unlock_options(p)
    p.add_argument("--demo", action="store_true", help="(desktop app) add demo data if empty")
    p.add_argument(
        "--import",
        dest="import_file",
        metavar="FILE",
        help="(desktop app) preview and import a sync file carried from another computer",
    )
    p.add_argument(
        "--check-start",
        action="store_true",
        help="(desktop app) start the window, wait until My day has loaded, close; exit 0 if it "
        "did (for IT checking an installation)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    sub.add_parser("init", parents=[js], help="create or upgrade the database, seed defaults")

    add_demo_parser(sub, js)

    person = sub.add_parser("person", help="add, edit or delete a person")
    psub = person.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    for name in ("add", "edit"):
        pa = psub.add_parser(name, parents=[js])
        if name == "edit":
            pa.add_argument("id")
        pa.add_argument("--given", required=name == "add", metavar="NAME")
        pa.add_argument("--family", required=name == "add", metavar="NAME")
        pa.add_argument("--dob", required=name == "add", metavar="YYYY-MM-DD")
        pa.add_argument("--crn")
        pa.add_argument("--nomis")
        pa.add_argument("--pnc")
        pa.add_argument("--gender")
        pa.add_argument("--ethnicity")
        pa.add_argument("--setting", choices=["custody", "community"])
        pa.add_argument("--prison")
        pa.add_argument("--area")
        pa.add_argument("--office")
        pa.add_argument("--release-date", metavar="YYYY-MM-DD")
        pa.add_argument("--consent-date", metavar="YYYY-MM-DD")
        pa.add_argument("--consent-withdrawn", metavar="YYYY-MM-DD")
        if name == "add":
            pa.add_argument("--strict", action="store_true", help="refuse probable duplicates")
    pdel = psub.add_parser("delete", parents=[js])
    pdel.add_argument("id")
    add_person_actions(psub, js)

    need = sub.add_parser("need", help="log a need, change its status")
    nsub = need.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    nadd = nsub.add_parser("add", parents=[js])
    nadd.add_argument("--person", required=True, metavar="ID")
    nadd.add_argument("--category", required=True, metavar="CODE")
    nadd.add_argument("--description", default="", metavar="TEXT")
    nadd.add_argument(
        "--priority",
        type=int,
        metavar="N",
        help="place it Nth in the person's list (1 = tackle first; the others move down)",
    )
    nadd.add_argument(
        "--unmet", metavar="REASON", help="no-service | full | not-eligible | out-of-area"
    )
    nstat = nsub.add_parser("status", parents=[js])
    nstat.add_argument("id")
    nstat.add_argument("status")
    nstat.add_argument("--note", default="")
    ndel = nsub.add_parser("delete", parents=[js])
    ndel.add_argument("id")

    search = sub.add_parser("search", parents=[js], help="search the service directory")
    search.add_argument("text", nargs="?", default="")
    search.add_argument("--category", metavar="CODE")
    search.add_argument("--area", metavar="NAME")
    search.add_argument("--prison", metavar="NAME")
    search.add_argument("--setting", choices=["custody", "community", "gate"])
    search.add_argument("--gender")
    search.add_argument("--age", type=int, metavar="N")
    search.add_argument("--free", action="store_true")
    search.add_argument("--prechecked", action="store_true")
    search.add_argument("--accepting", action="store_true")
    search.add_argument("--limit", type=int, default=20, metavar="N")

    refer = sub.add_parser("refer", parents=[js], help="record a referral for a need")
    refer.add_argument("--need", required=True, metavar="ID")
    refer.add_argument("--service", required=True, metavar="ID")
    refer.add_argument("--method", default="phone", metavar="M")
    refer.add_argument("--consent", action="store_true", help="the person consents to sharing")
    refer.add_argument("--draft", action="store_true", help="save as a draft, not yet sent")
    refer.add_argument(
        "--share",
        default="name,needs",
        metavar="LIST",
        help="information shared, comma-separated codes",
    )
    refer.add_argument("--share-risk", action="store_true", help="explicitly share risk info")
    refer.add_argument(
        "--risk-note",
        default="",
        metavar="TEXT",
        help="the risk information to share (with --share-risk)",
    )
    refer.add_argument("--accessibility", default="", metavar="TEXT")
    refer.add_argument("--interpreter", default="", metavar="LANGUAGE")
    refer.add_argument("--availability", default="", metavar="TEXT")
    refer.add_argument("--appointment", metavar="YYYY-MM-DDTHH:MM")
    refer.add_argument("--strict", action="store_true", help="refuse a second open referral")

    referral = sub.add_parser("referral", help="update a referral")
    rsub = referral.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    rstat = rsub.add_parser("status", parents=[js])
    rstat.add_argument("ref", metavar="REF")
    rstat.add_argument("state", metavar="STATE")
    rstat.add_argument("--reason", metavar="CODE")
    rstat.add_argument("--note", default="", metavar="TEXT")
    rstat.add_argument("--channel", default="", metavar="CHANNEL")
    rstat.add_argument("--outcome", metavar="OUTCOME")
    rstat.add_argument("--appointment", metavar="YYYY-MM-DDTHH:MM")
    rdel = rsub.add_parser("delete", parents=[js])
    rdel.add_argument("ref", metavar="REF")

    fus = sub.add_parser("followups", parents=[js], help="list follow-ups not yet done")
    fus.add_argument("--due-by", metavar="YYYY-MM-DD")
    fus.add_argument("--all", action="store_true", help="include done follow-ups")
    fu = sub.add_parser("followup", help="mark a follow-up done or reschedule it")
    fusub = fu.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    fdone = fusub.add_parser("done", parents=[js])
    fdone.add_argument("id")
    fdone.add_argument("--note", default="", metavar="TEXT")
    fmove = fusub.add_parser("reschedule", parents=[js])
    fmove.add_argument("id")
    fmove.add_argument("due", metavar="YYYY-MM-DD")

    show = sub.add_parser("show", parents=[js], help="show one record")
    show.add_argument("kind", choices=["person", "need", "referral", "service", "followup"])
    show.add_argument("id")

    lst = sub.add_parser("list", parents=[js], help="list records")
    lst.add_argument(
        "kind", choices=["people", "needs", "referrals", "services", "categories", "followups"]
    )

    slip = sub.add_parser("slip", help="write a referral slip (or provider form) as PDF")
    slip.add_argument("ref", metavar="REF")
    slip.add_argument("--out", required=True, metavar="FILE.pdf")
    slip.add_argument("--form", action="store_true", help="the provider referral form instead")
    slip.add_argument("--size", default="A4", type=str.upper, choices=["A4", "A5"])
    slip.add_argument("--json", action="store_true", help="print JSON instead of text")

    prof = sub.add_parser("profile", help="this machine's officer profile")
    prsub = prof.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    pset = prsub.add_parser("set", parents=[js])
    for name in ("name", "role", "team", "office", "office-phone", "email"):
        pset.add_argument(f"--{name}")
    prsub.add_parser("show", parents=[js])

    role = sub.add_parser("role", help="roles granted by the team's manager (signed)")
    rosub = role.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    for verb, what in (("grant", "grant a role"), ("revoke", "take a role back")):
        rg = rosub.add_parser(verb, parents=[js], help=f"manager: {what}")
        rg.add_argument("officer", metavar="OFFICER", help="the officer's id or exact name")
        rg.add_argument("role", metavar="ROLE", help="directory-keeper, manager or commissioner")
    rosub.add_parser("list", parents=[js], help="manager: every officer and their roles")
    rosub.add_parser("show", parents=[js], help="the role this officer holds")

    ref = sub.add_parser("reference", help="reference lists: prisons, areas, teams, categories…")
    refsub = ref.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    rlist = refsub.add_parser("list", parents=[js], help="the entries of one list")
    rlist.add_argument("list_name", metavar="LIST")
    rlist.add_argument("--all", action="store_true", help="include retired entries")
    radd = refsub.add_parser("add", parents=[js], help="add an entry (or bring a retired one back)")
    radd.add_argument("list_name", metavar="LIST")
    radd.add_argument("label", metavar="LABEL")
    radd.add_argument("--code", metavar="CODE", help="default: made from the label")
    rret = refsub.add_parser("retire", parents=[js], help="retire an entry (never deleted)")
    rret.add_argument("list_name", metavar="LIST")
    rret.add_argument("code", metavar="CODE")

    add_sync_parser(sub, js)
    add_report_parser(sub, js)
    directory_cmd.add_directory_parser(sub, js)
    add_hub_parser(sub, js)
    add_account_parser(sub, js, OneLineParser)
    add_unlock_parser(sub, js)
    return p


def emit(args: argparse.Namespace, data: Any, text: Callable[[Any], str]) -> None:
    """Print a command's result. Text output goes through `printable`: a value from an older
    database or a refused file may hold an ANSI escape, which must never reach the terminal
    raw; JSON shows them as \\uNNNN escapes (the same JSON)."""
    if getattr(args, "json", False):
        print(json_printable(json.dumps(data, ensure_ascii=False, indent=2)))
    else:
        out = text(data)
        if out:
            print(printable_lines(out))


def printable_lines(text: str) -> str:
    """`printable` line by line: the line breaks a renderer puts between rows (LF, or CRLF
    from the csv module) stay breaks; every other control character is shown escaped."""
    lines = []
    for line in text.split("\n"):
        body, end = (line[:-1], "\r") if line.endswith("\r") else (line, "")
        lines.append(printable(body) + end)
    return "\n".join(lines)


def refuse(err: DomainError) -> int:
    """One line on stderr for a refusal (messages carry no personal data, but stay inert)."""
    print(f"referral-desk: {printable(str(err))}", file=sys.stderr)
    return EXIT_REFUSED


def tell_once(app: AppServices) -> None:
    """What opening the folder did that the officer must know: the recovery code of a new
    folder (shown this once), a plaintext database encrypted. On stderr: JSON stays clean."""
    code = app.security.take_recovery_code()
    if code:
        print(
            "referral-desk: this data folder is encrypted with your passphrase. Recovery "
            f"code, shown only this once (write it down, keep it away from this computer): "
            f"{code}",
            file=sys.stderr,
        )
    for notice in app.security.notices:
        print(f"referral-desk: {notice}", file=sys.stderr)


def run_command(args: argparse.Namespace, open_app: Callable[[], AppServices]) -> int:
    try:
        return _run_command(args, open_app)
    except Exception as err:  # the one place an unexpected error becomes one line and a log
        from referral_desk.logs import log_unexpected

        log_unexpected(err, f"command {args.command}")
        print(
            "referral-desk: something unexpected went wrong and nothing was changed; the log "
            "file in the data folder (logs/) has the details for IT support.",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


def _run_command(args: argparse.Namespace, open_app: Callable[[], AppServices]) -> int:
    try:
        app = open_app()
    except DomainError as err:
        return refuse(err)
    try:
        tell_once(app)
        handler = commands.HANDLERS[args.command]
        result = handler(app, args)
        emit(args, result[0], result[1])
        # A check that ran but found a problem (audit verify) reports, then exits non-zero.
        return result[2] if len(result) > 2 else EXIT_OK
    except DomainError as err:
        return refuse(err)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error for the data.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    finally:
        app.close()
