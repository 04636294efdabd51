"""`referral-desk report NAME --from DATE --to DATE --format csv|xlsx|pdf|json --out FILE`.

Why its own module: the report command has its own words and file handling, and keeping it out
of `commands.py` keeps that module small. Like every command, the handler returns (JSON-ready
data, text renderer) and lets `cli.main` print; a DomainError becomes one line on stderr.

Whatever the format, the output is the suppressed, stripped export: the command line is a way
out of the officer's machine (pipes, scheduled jobs, e-mail), so it never prints exact small
counts, names or free text.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.reports import FORMATS, REPORTS, ReportService, parse_format

__all__ = ["add_report_parser", "run_report"]

Result = tuple[Any, Callable[[Any], str]]
_SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".pdf": "pdf", ".json": "json"}


def add_report_parser(
    subparsers: argparse._SubParsersAction, json_parent: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """Add the `report` command to the top-level parser's subcommands."""
    parser = subparsers.add_parser(
        "report",
        parents=[json_parent],
        help="reports for commissioners (small counts suppressed, no names)",
        description="Unmet needs, referral outcomes, follow-up discipline or directory "
        "freshness over a date range, for the whole team's synced data. Counts below the "
        "team's threshold (default 5) are shown as <5; exports carry no names or free text.",
    )
    parser.add_argument(
        "name", choices=list(REPORTS), metavar="REPORT", help="one of: " + ", ".join(REPORTS)
    )
    parser.add_argument(
        "--from",
        dest="date_from",
        metavar="YYYY-MM-DD",
        help="first day (default: start of the month 11 months ago)",
    )
    parser.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, inclusive (default: today)"
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=list(FORMATS),
        metavar="FORMAT",
        help="csv, xlsx, pdf or json (default: from --out, else json)",
    )
    parser.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx and pdf)")
    return parser


def _service(app: AppServices) -> ReportService:
    service = getattr(app, "reports", None)
    return service if isinstance(service, ReportService) else ReportService(app.db, app.clock)


def _format(args: argparse.Namespace) -> str:
    if args.fmt:
        return parse_format(args.fmt)
    if args.out:
        return _SUFFIX_FORMATS.get(Path(args.out).suffix.lower(), "json")
    return "json"


def run_report(app: AppServices, args: argparse.Namespace) -> Result:
    service = _service(app)
    fmt = _format(args)
    if args.out:
        path = service.export(args.name, args.date_from, args.date_to, fmt, args.out)
        data = {
            "report": args.name,
            "format": fmt,
            "path": str(path),
            "suppressed_below": service.threshold(),
        }
        return data, lambda d: f"Report written to {d['path']} ({d['format']})"
    if fmt in ("xlsx", "pdf"):
        raise ValidationError(f"Give --out FILE to write a {fmt} report")
    if fmt == "csv":
        text = service.render(args.name, args.date_from, args.date_to, "csv")
        csv_text = text.decode("utf-8-sig").rstrip("\r\n")
        return {"report": args.name, "format": "csv", "csv": csv_text}, lambda d: d["csv"]
    data = service.data(args.name, args.date_from, args.date_to)
    return data, lambda d: json.dumps(d, ensure_ascii=False, indent=2)
