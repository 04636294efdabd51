"""`referral-desk directory …`: the directory keeper's commands.

    directory import PATH [--dry-run] [--publisher NAME]
                                        HSDS 3.0, 2.0 or 1.1 package (folder or .zip) or a
                                        saved ORUK JSON file of services: preview or apply
    directory export PATH               the directory as an HSDS 3.0 package (folder or .zip)
    directory stale [--months N]        services not verified for N months (default 12)
    directory problems [--min N]        services whose referrals keep being declined
    directory corrections [--status S]  reported corrections (default: open ones)

Like every command, a handler returns (JSON-ready data, text renderer). An import that skips
faulty rows still succeeds (exit 0) and lists what was skipped and why; a package that cannot
be used at all — also one in which every service row is rejected — raises a DomainError, so
the command prints one line and exits non-zero.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a directory command runs, not for every command line
    from referral_desk.usecases.directory_admin import DirectoryAdminService

Result = tuple[Any, Callable[[Any], str]]

KINDS = ("organisation", "location", "service", "service_area")
ACTIONS = ("new", "changed", "unchanged", "removed", "rejected")
MAX_LISTED = 50


def add_directory_parser(subparsers: Any, json_parent: argparse.ArgumentParser) -> None:
    """Add `directory` and its sub-commands to the top-level sub-parsers.

    Nested sub-parsers use the same parser class as the top level (`OneLineParser`), so a
    usage error is one line whatever the depth.
    """
    parser_class = getattr(subparsers, "_parser_class", argparse.ArgumentParser)
    directory = subparsers.add_parser("directory", help="directory keeper: import, export, …")
    dsub = directory.add_subparsers(dest="action", required=True, parser_class=parser_class)
    imp = dsub.add_parser(
        "import", parents=[json_parent], help="import an HSDS package or ORUK JSON file"
    )
    imp.add_argument(
        "path", metavar="PATH", help="HSDS package (folder or .zip), or a .json file of services"
    )
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    imp.add_argument(
        "--publisher",
        metavar="NAME",
        help="whose ids these are, for ids that are not UUIDs (default: package or file name)",
    )
    exp = dsub.add_parser("export", parents=[json_parent], help="export as an HSDS 3.0 package")
    exp.add_argument("path", metavar="PATH", help="folder, or a file name ending in .zip")
    stale = dsub.add_parser("stale", parents=[json_parent], help="services not verified lately")
    stale.add_argument("--months", type=int, default=12, metavar="N")
    problems = dsub.add_parser(
        "problems", parents=[json_parent], help="services often declined for capacity/contact"
    )
    problems.add_argument("--min", type=int, default=2, metavar="N", dest="min_count")
    problems.add_argument("--months", type=int, default=12, metavar="N")
    corr = dsub.add_parser("corrections", parents=[json_parent], help="reported corrections")
    corr.add_argument("--status", default="open", choices=["open", "accepted", "dismissed", "all"])


def _admin(app: Any) -> DirectoryAdminService:
    return app.directory_admin


def run_directory(app: Any, args: argparse.Namespace) -> Result:
    admin = _admin(app)
    action = args.action
    if action == "import":
        publisher = getattr(args, "publisher", None)
        report = admin.import_package(args.path, dry_run=args.dry_run, publisher=publisher)
        return report.to_dict(), import_text
    if action == "export":
        summary = admin.export_package(args.path)
        return summary.to_dict(), export_text
    if action == "stale":
        rows = [s.to_dict() for s in admin.stale_services(args.months)]
        return rows, stale_text
    if action == "problems":
        found = admin.problem_services(args.min_count, args.months)
        rows = [{**p.to_dict(), "total": p.total} for p in found]
        return rows, problems_text
    status = None if args.status == "all" else args.status
    rows = [c.to_dict() for c in admin.corrections(status)]
    return rows, corrections_text


# --- text renderers ------------------------------------------------------------------------


def import_text(data: dict[str, Any]) -> str:
    head = (
        "Directory import preview (dry run: nothing was written)"
        if data["dry_run"]
        else "Directory import applied"
    )
    lines = [head, ""]
    if data.get("form"):
        lines += [f"Detected: {data['form']}", ""]
    width = max(len(k) for k in KINDS) + 2
    lines.append("".ljust(width) + "".join(a.rjust(11) for a in ACTIONS))
    for kind in KINDS:
        counts = data["counts"].get(kind, {})
        cells = [str(counts.get(a, 0)).rjust(11) for a in ACTIONS]
        lines.append(kind.replace("_", " ").ljust(width) + "".join(cells))
    others = {
        t: n
        for t, n in (data.get("rejected_by_table") or {}).items()
        if t not in ("organization", "location", "service", "service_area")
    }
    if others:
        lines += [
            "",
            "Other rows rejected, by table: "
            + ", ".join(f"{t.replace('_', ' ')} {n}" for t, n in sorted(others.items())),
        ]
    lines += _issues("Rejected rows (skipped)", data["rejected"], data.get("rejected_total"))
    lines += _issues(
        "Links dropped / values ignored (rows kept)", data["warnings"], data.get("warnings_total")
    )
    if data["notes"]:
        lines += ["", "Notes:"] + [f"  {n}" for n in data["notes"]]
    changed = [c for c in data["changes"] if c["action"] != "new"]
    if changed:
        lines += ["", "Changed or removed:"]
        for c in changed[:MAX_LISTED]:
            fields = f" ({', '.join(c['fields'])})" if c["fields"] else ""
            lines.append(f"  {c['action']:8} {c['kind']:13} {c['name']}{fields}")
        if len(changed) > MAX_LISTED:
            lines.append(f"  … and {len(changed) - MAX_LISTED} more (use --json for all)")
    return "\n".join(lines)


def _issues(title: str, issues: list[dict[str, Any]], total: int | None = None) -> list[str]:
    """The first issues; the import lists at most 10 000 of each kind and counts them all."""
    total = max(total or 0, len(issues))
    if not total:
        return []
    lines = ["", f"{title}: {total}"]
    for issue in issues[:MAX_LISTED]:
        where = f"{issue['file']} row {issue['row']}"
        ident = f" (id {issue['record_id']})" if issue["record_id"] else ""
        lines.append(f"  {where}{ident}: {issue['message']}")
    if total > MAX_LISTED:
        more = "use --json for more" if len(issues) > MAX_LISTED else "not listed"
        lines.append(f"  … and {total - MAX_LISTED} more ({more})")
    return lines


def export_text(data: dict[str, Any]) -> str:
    counts = data["counts"]
    return (
        f"Exported {counts.get('service', 0)} services, {counts.get('organization', 0)} "
        f"organisations and {counts.get('location', 0)} locations to {data['path']}"
    )


def stale_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No services need verifying."
    out = []
    for r in rows:
        when = f"verified {r['assured_date']}" if r["assured_date"] else "never verified"
        out.append(f"{r['id']}  {when:22}  {r['name']} ({r['organisation_name']})")
    return "\n".join(out)


def problems_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No services with repeated declines."
    return "\n".join(
        f"{r['id']}  no capacity {r['no_capacity']}, could not contact "
        f"{r['could_not_contact']}  {r['name']} ({r['organisation_name']})"
        for r in rows
    )


def corrections_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No corrections."
    return "\n".join(
        f"{r['id']}  {r['reported_on']}  {r['status']:9}  {r['service_name']}: {r['text']}"
        for r in rows
    )
