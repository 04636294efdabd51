"""`referral-desk hub …`: the regional hub's commands (DESIGN.md §10).

    hub init --url URL                        create or upgrade the hub schema (administrator)
    hub return --out FILE                     write this team's return (encrypted, signed)
    hub push --url URL                        send this team's return straight to the hub
    hub load FILE… --url URL                  load carried returns at the hub
    hub report NAME --url URL --from D --to D --format F --out FILE
    hub publish [--url URL] [--out FILE]      directory keeper: publish the regional directory
    hub pull (--url URL | --file FILE) [--dry-run]   import it, with the usual preview

The region passphrase (which encrypts carried returns) comes from --passphrase-file FILE or
$REFERRAL_DESK_HUB_PASSPHRASE, never a prompt. `--url` is a libpq URI; it is never printed.
Regional reports leave only through the export path: suppressed, no names, no free text.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from referral_desk.cli.secrets import read_passphrase_from
from referral_desk.domain.errors import ValidationError
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.hub import HubService
from referral_desk.usecases.reports import FORMATS, REPORTS, parse_format

__all__ = ["ENV_HUB_PASSPHRASE", "ENV_HUB_URL", "add_hub_parser", "run_hub"]

Result = tuple[Any, Callable[[Any], str]]
ENV_HUB_PASSPHRASE = "REFERRAL_DESK_HUB_PASSPHRASE"
ENV_HUB_URL = "REFERRAL_DESK_HUB_URL"
_SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".pdf": "pdf", ".json": "json"}


def add_hub_parser(
    subparsers: argparse._SubParsersAction, json_parent: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "hub",
        help="the regional hub: returns, loading, regional reports",
        description="Commissioning returns to a regional hub on PostgreSQL, and regional "
        "reports over every team. The hub holds no names, dates of birth, case numbers or "
        "free text.",
    )
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))

    def url_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--url",
            metavar="URI",
            help=f"libpq URI of the hub, postgresql://user@host:port/db (else ${ENV_HUB_URL})",
        )

    def passphrase_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--passphrase-file",
            metavar="FILE",
            help=f"file holding the region passphrase (else ${ENV_HUB_PASSPHRASE})",
        )

    init = actions.add_parser("init", parents=[json_parent], help="create or upgrade the hub")
    url_arg(init)
    ret = actions.add_parser(
        "return", parents=[json_parent], help="write this team's return (encrypted, signed)"
    )
    ret.add_argument("--out", required=True, metavar="FILE")
    passphrase_arg(ret)
    push = actions.add_parser("push", parents=[json_parent], help="send the return to the hub")
    url_arg(push)
    load = actions.add_parser("load", parents=[json_parent], help="load carried returns")
    load.add_argument("files", nargs="+", metavar="FILE")
    url_arg(load)
    passphrase_arg(load)
    rep = actions.add_parser(
        "report", parents=[json_parent], help="a regional report (small counts suppressed)"
    )
    rep.add_argument(
        "name", choices=list(REPORTS), metavar="REPORT", help="one of: " + ", ".join(REPORTS)
    )
    url_arg(rep)
    rep.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    rep.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    rep.add_argument("--format", dest="fmt", choices=list(FORMATS), metavar="FORMAT")
    rep.add_argument("--out", metavar="FILE")
    pub = actions.add_parser(
        "publish", parents=[json_parent], help="publish the regional directory (signed HSDS)"
    )
    url_arg(pub)
    pub.add_argument("--out", metavar="FILE", help="also (or only) write a carried file")
    pull = actions.add_parser(
        "pull", parents=[json_parent], help="import the regional directory (with preview)"
    )
    pull.add_argument("--url", metavar="URI", help="pull the newest from the hub")
    pull.add_argument("--file", metavar="FILE", help="a carried directory file")
    pull.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    return parser


def _url(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None) or os.environ.get(ENV_HUB_URL, "")
    if not url:
        raise ValidationError(f"Give the hub's address with --url URI or set {ENV_HUB_URL}.")
    return url


def read_hub_passphrase(args: argparse.Namespace) -> str:
    """The region passphrase: from --passphrase-file (first line), else the environment."""
    return read_passphrase_from(args, ENV_HUB_PASSPHRASE, "region passphrase")


def _service(app: AppServices) -> HubService:
    service = getattr(app, "hub", None)
    return service if isinstance(service, HubService) else HubService(app.db, app.clock)


def _loaded_text(d: dict[str, Any]) -> str:
    words = {
        "loaded": "loaded",
        "unchanged": "already loaded: nothing changed",
        "superseded": "older than the team's loaded return: kept aside",
    }
    new = " (team registered)" if d["registered"] else ""
    return (
        f"Return from {d['team']}{new}: {words[d['status']]} "
        f"({d['needs']} needs, {d['referrals']} referrals)"
    )


def run_hub(app: AppServices, args: argparse.Namespace) -> Result:
    service = _service(app)
    action = args.action
    if action == "init":
        revision = service.init_hub(_url(args))
        return {"revision": revision}, lambda d: f"Hub schema is up to date ({d['revision']})"
    if action == "return":
        written = service.write_return(args.out, read_hub_passphrase(args))
        return (
            written.to_dict(),
            lambda d: (
                f"Return for {d['team']} written to {d['path']} "
                f"({d['needs']} needs, {d['referrals']} referrals)"
            ),
        )
    if action == "push":
        return service.push(_url(args)).to_dict(), _loaded_text
    if action == "load":
        results = service.load_files(_url(args), args.files, read_hub_passphrase(args))
        data = {"returns": [r.to_dict() for r in results]}
        return data, lambda d: "\n".join(_loaded_text(r) for r in d["returns"])
    if action == "publish":
        data = service.publish_directory(
            getattr(args, "url", None) or os.environ.get(ENV_HUB_URL) or None, args.out
        )
        return data, _published_text
    if action == "pull":
        from referral_desk.cli.directory_cmd import import_text

        url = args.url or (None if args.file else os.environ.get(ENV_HUB_URL) or None)
        signed, report = service.pull_directory(url, args.file, dry_run=args.dry_run)
        data = {
            "publisher": signed.publisher,
            "published": signed.published,
            "key": signed.fingerprint(),
            "import": report.to_dict(),
        }
        return (
            data,
            lambda d: (
                f"Regional directory from {d['publisher']}, published {d['published'][:16]} "
                f"(key {d['key']})\n" + import_text(d["import"])
            ),
        )
    return _report(service, args)


def _published_text(d: dict[str, Any]) -> str:
    where = []
    if "published_id" in d:
        where.append("published at the hub")
    if "path" in d:
        where.append(f"written to {d['path']}")
    return f"Regional directory from {d['publisher']} {' and '.join(where)} (key {d['key']})"


def _report(service: HubService, args: argparse.Namespace) -> Result:
    url = _url(args)
    if args.fmt:
        fmt = parse_format(args.fmt)
    elif args.out:
        fmt = _SUFFIX_FORMATS.get(Path(args.out).suffix.lower(), "json")
    else:
        fmt = "json"
    if args.out:
        path = service.export_regional(args.name, url, args.date_from, args.date_to, fmt, args.out)
        data = {"report": args.name, "scope": "region", "format": fmt, "path": str(path)}
        return data, lambda d: f"Regional report written to {d['path']} ({d['format']})"
    if fmt in ("xlsx", "pdf"):
        raise ValidationError(f"Give --out FILE to write a {fmt} report")
    if fmt == "csv":
        text = service.render_regional(args.name, url, args.date_from, args.date_to, "csv")
        csv_text = text.decode("utf-8-sig").rstrip("\r\n")
        return {"report": args.name, "format": "csv", "csv": csv_text}, lambda d: d["csv"]
    data = service.regional_data(args.name, url, args.date_from, args.date_to)
    return data, lambda d: json.dumps(d, ensure_ascii=False, indent=2)
