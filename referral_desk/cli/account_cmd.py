"""Accountability commands: `person export`, `person access`, `audit verify`, `retention`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.usecases.app_services import AppServices

Result = tuple[Any, Callable[[Any], str]] | tuple[Any, Callable[[Any], str], int]


def add_person_actions(psub: Any, js: argparse.ArgumentParser) -> None:
    """`person export ID --out FILE` and `person access ID` (added to the `person` command)."""
    pexp = psub.add_parser(
        "export",
        parents=[js],
        help="subject access: everything held about one person, as FILE.pdf and FILE.json",
    )
    pexp.add_argument("id")
    pexp.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="writes FILE.pdf and FILE.json (a .pdf or .json ending is replaced)",
    )
    pacc = psub.add_parser("access", parents=[js], help="who has opened this record (manager)")
    pacc.add_argument("id")


def add_account_parser(sub: Any, js: argparse.ArgumentParser, parser_class: type) -> None:
    audit = sub.add_parser("audit", help="check the audit trail")
    asub = audit.add_subparsers(dest="action", required=True, parser_class=parser_class)
    asub.add_parser("verify", parents=[js], help="check every entry's hash chain")

    ret = sub.add_parser(
        "retention",
        parents=[js],
        help="records due for erasure under the team's retention period (dry run), or erase them",
    )
    ret.add_argument(
        "action",
        nargs="?",
        choices=["apply", "set"],
        help="apply: erase them (manager); set YEARS: change the period (manager)",
    )
    ret.add_argument("years", nargs="?", metavar="YEARS")
    ret.add_argument("--dry-run", action="store_true", help="list only (the default)")
    ret.add_argument("--yes", action="store_true", help="(apply) do not ask for confirmation")


def person_export(app: AppServices, args: argparse.Namespace) -> Result:
    pdf, json_path = app.subject_access.export(args.id, args.out)
    data = {"id": args.id, "pdf": str(pdf), "json": str(json_path)}
    return data, lambda d: f"Subject access export written to {d['pdf']} and {d['json']}"


def person_access(app: AppServices, args: argparse.Namespace) -> Result:
    rows = [a.to_dict() for a in app.access.for_person(args.id)]

    def text(d: list[dict[str, Any]]) -> str:
        if not d:
            return "No one has opened this record (since access was first noted)."
        return "\n".join(f"{r['at'][:19]}  {r['officer_name']}  ({r['kind']})" for r in d)

    return rows, text


def audit(app: AppServices, args: argparse.Namespace) -> Result:
    report = app.audit.verify()
    data = {
        "intact": report.intact,
        "entries": report.entries,
        "sites": report.sites,
        "breaks": [b.to_dict() for b in report.breaks],
    }

    def text(d: dict[str, Any]) -> str:
        if d["intact"]:
            return f"Audit trail intact, {d['entries']} entries."
        lines = [f"Audit trail BROKEN: {len(d['breaks'])} break(s) in {d['entries']} entries."]
        lines += [
            f"  site {b['site_id']}: entry {b['entry']} {b['kind']}: {b['detail']}"
            for b in d["breaks"]
        ]
        return "\n".join(lines)

    if report.intact:
        return data, text
    return data, text, 1


def retention(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "set":
        if args.years is None:
            raise ValidationError("Give the retention period in years: retention set YEARS.")
        years = app.retention.set_years(args.years)
        return {"years": years}, lambda d: f"Retention period set to {d['years']} years."
    if args.years is not None:
        raise ValidationError("Only `retention set` takes a number of years.")
    if args.action == "apply":
        if args.dry_run:
            raise ValidationError("Use either apply or --dry-run, not both.")
        due = app.retention.due()
        expected = len(due)
        if expected and not args.yes:
            if not sys.stdin.isatty():
                raise ValidationError(
                    f"{expected} people's records would be erased; add --yes to confirm "
                    "(nothing was erased)."
                )
            answer = input(f"Erase everything held about {expected} people? Type 'erase': ")
            if answer.strip().lower() != "erase":
                raise ValidationError("Not confirmed: nothing was erased.")
        result = app.retention.apply(expected=expected)
        data = {"years": result.years, "erased": [i.to_dict() for i in result.erased]}
        return (
            data,
            lambda d: (
                f"Erased {len(d['erased'])} people's records "
                f"(cases closed {d['years']} or more years ago)."
            ),
        )
    years = app.retention.years()
    items = [i.to_dict() for i in app.retention.due()]
    data = {"years": years, "dry_run": True, "due": items}

    def text(d: dict[str, Any]) -> str:
        head = (
            f"Retention period: {d['years']} years after the case was closed. "
            f"{len(d['due'])} people due for erasure (dry run; nothing erased)."
        )
        rows = [
            f"  {i['person_id']}  closed {i['closed_on']}  due since {i['erase_from']}"
            for i in d["due"]
        ]
        return "\n".join([head, *rows])

    return data, text
