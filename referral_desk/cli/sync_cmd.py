"""`referral-desk sync …`: sync through a shared store, or carry one file on a USB drive.

    sync [--store DIR] [--dry-run]        export new changes, import colleagues' bundles
    sync export --out FILE                one file holding everything (for a prison PC)
    sync import FILE [--dry-run]          import (or preview) one file
    sync conflicts [--all]                concurrent edits kept for review
    sync resolve ID --keep local|remote   keep one side; it then wins everywhere
    sync status | set-store DIR | quarantine
    sync repair-store [--store DIR]       rebuild a lost or damaged store settings file
    sync snapshot [--store DIR]           write the team snapshot (new colleagues start from it)
    sync prune [--store DIR] [--dry-run]  remove (or list) bundles no site needs any more
    sync rotate-passphrase --new-passphrase-file FILE   a manager changes the team passphrase

The passphrase comes from --passphrase-file FILE or $REFERRAL_DESK_PASSPHRASE; the command line
never prompts (it must work unattended on an empty store) and never prints it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from referral_desk.cli.secrets import read_passphrase_from
from referral_desk.domain.errors import DomainError

if TYPE_CHECKING:  # imported when a sync command runs, not for every command line
    from referral_desk.usecases.sync import ImportSummary, SyncService

ENV_PASSPHRASE = "REFERRAL_DESK_PASSPHRASE"
ENV_NEW_PASSPHRASE = "REFERRAL_DESK_NEW_PASSPHRASE"
Result = tuple[Any, Callable[[Any], str]]


class SyncRefused(DomainError):
    """Some files in the shared store were refused (the others were applied)."""


def _sub_json() -> argparse.ArgumentParser:
    """--json on actions without overwriting a `sync --json` given before the action."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text"
    )
    return parent


def _passphrase_arg(parser: argparse.ArgumentParser, suppress: bool) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        default=argparse.SUPPRESS if suppress else None,
        help=f"file holding the team passphrase (else ${ENV_PASSPHRASE})",
    )


def add_sync_parser(subparsers: Any, json_parent: argparse.ArgumentParser) -> None:
    """Add `sync` and its actions to the top-level subparsers."""
    sync = subparsers.add_parser(
        "sync", parents=[json_parent], help="sync with colleagues through a shared store or a file"
    )
    sync.add_argument("--store", metavar="DIR", help="shared store folder (default: the one set)")
    sync.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    _passphrase_arg(sync, suppress=False)
    js = _sub_json()
    actions = sync.add_subparsers(dest="sync_action", metavar="ACTION", parser_class=type(sync))
    exp = actions.add_parser("export", parents=[js], help="write one file with everything")
    exp.add_argument("--out", required=True, metavar="FILE")
    _passphrase_arg(exp, suppress=True)
    imp = actions.add_parser("import", parents=[js], help="import (or preview) one file")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS)
    _passphrase_arg(imp, suppress=True)
    con = actions.add_parser("conflicts", parents=[js], help="list conflicts to review")
    con.add_argument("--all", action="store_true", help="include resolved ones")
    res = actions.add_parser("resolve", parents=[js], help="keep one side of a conflict")
    res.add_argument("id", metavar="ID")
    res.add_argument("--keep", required=True, choices=["local", "remote"])
    actions.add_parser("status", parents=[js], help="this PC's site id, store and counts")
    st = actions.add_parser("set-store", parents=[js], help="remember the shared store folder")
    st.add_argument("dir", metavar="DIR")
    actions.add_parser("quarantine", parents=[js], help="entries kept aside, and why")
    rep = actions.add_parser(
        "repair-store",
        parents=[js],
        help="rebuild the shared store's settings file from what this PC remembers of it",
    )
    rep.add_argument(
        "--store",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="shared store folder (default: the one set)",
    )
    _passphrase_arg(rep, suppress=True)
    _add_lifecycle_parsers(actions, js)


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="shared store folder (default: the one set)",
    )


def _add_lifecycle_parsers(actions: Any, js: argparse.ArgumentParser) -> None:
    """`sync snapshot`, `sync prune` and `sync rotate-passphrase` (`sync.lifecycle`)."""
    snap = actions.add_parser(
        "snapshot", parents=[js], help="write the team snapshot to the shared store"
    )
    _store_arg(snap)
    _passphrase_arg(snap, suppress=True)
    pru = actions.add_parser(
        "prune", parents=[js], help="remove the bundles no site needs any more (or list them)"
    )
    _store_arg(pru)
    pru.add_argument("--dry-run", action="store_true", default=argparse.SUPPRESS)
    _passphrase_arg(pru, suppress=True)
    rot = actions.add_parser(
        "rotate-passphrase",
        parents=[js],
        help="change the team passphrase (a manager; someone left the team)",
    )
    _store_arg(rot)
    _passphrase_arg(rot, suppress=True)
    rot.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        default=None,
        help=f"file holding the new team passphrase (else ${ENV_NEW_PASSPHRASE})",
    )


def read_passphrase(args: argparse.Namespace) -> str:
    """The team passphrase: from --passphrase-file (first line), else the environment."""
    return read_passphrase_from(args, ENV_PASSPHRASE)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def import_text(d: dict[str, Any]) -> str:
    """One paragraph an officer can read: what came in, what needs attention."""
    verb = "Would import" if d["dry_run"] else "Imported"
    if d["bundles"] == 0:
        seen = d["already_seen"]
        return "Nothing new to import" + (
            f" ({_plural(seen, 'file')} already seen)." if seen else "."
        )
    parts = [
        _plural(d["people"], "person", "people"),
        _plural(d["needs"], "need"),
        _plural(d["referrals"], "referral"),
        _plural(d["follow_ups"], "follow-up"),
        _plural(d["directory"], "directory change"),
        _plural(d["other"], "other change"),
    ]
    out = [
        f"{verb} {_plural(d['bundles'], 'file')} "
        f"({_plural(d['entries_new'], 'new change')}): " + ", ".join(parts) + "."
    ]
    if d["deleted"]:
        out.append(f"{_plural(d['deleted'], 'record')} deleted.")
    if d["already_seen"]:
        out.append(f"{_plural(d['already_seen'], 'file')} already seen.")
    if d["conflicts"]:
        out.append(f"{_plural(d['conflicts'], 'conflict')} to review: referral-desk sync conflicts")
    if d["clock_reviews"] or d["future_stamped"]:
        out.append(
            f"{_plural(d['future_stamped'], 'change')} stamped more than a day ahead of this "
            "PC's clock (listed in sync conflicts for review)."
        )
    if d["quarantined"] or d["still_quarantined"]:
        out.append(
            f"{_plural(d['still_quarantined'], 'entry', 'entries')} kept aside "
            "(referral-desk sync quarantine)."
        )
        from referral_desk.usecases.sync import quarantine_text

        out.extend(quarantine_text(d.get("quarantine_reasons") or ()))
    if d["released"]:
        out.append(f"{_plural(d['released'], 'entry', 'entries')} released from quarantine.")
    if d["pending"]:
        from referral_desk.usecases.sync import pending_text

        out.extend(pending_text(d.get("pending_reasons") or [("other", d["pending"])]))
    return "\n".join(out)


def export_text(d: dict[str, Any]) -> str:
    if d["dry_run"]:
        return f"Would export {_plural(d['entries'], 'change')}."
    if not d["path"]:
        return "Nothing new to export."
    head = d["new_site_id"] + "\n" if d.get("new_site_id") else ""
    return head + f"Exported {_plural(d['entries'], 'change')} to {d['path']}"


def _sync_text(d: dict[str, Any]) -> str:
    head = "Preview only: nothing was written.\n" if d["imported"]["dry_run"] else ""
    if d.get("new_site_id"):  # said first: why this PC's site id changed
        head += d["new_site_id"] + "\n"
    body = export_text(d["exported"]) + "\n" + import_text(d["imported"])
    return head + _lifecycle_lines(d) + body


def _lifecycle_lines(d: dict[str, Any]) -> str:
    """What a sync did to the store's lifecycle: caught up, snapshot written, pruned."""
    out = [d["caught_up"]] if d.get("caught_up") else []
    if d.get("snapshot"):
        out.append(snapshot_text(d["snapshot"]))
    pruned = d.get("pruned") or {}
    if pruned.get("removed"):
        out.append(prune_text(pruned))
    if d.get("receipt"):
        out.append(d["receipt"])
    return "".join(line + "\n" for line in out)


def snapshot_text(d: dict[str, Any]) -> str:
    return (
        f"Wrote the team snapshot ({_plural(d['entries'], 'change')} from "
        f"{_plural(d['sites'], 'computer')}) to {d['path']}"
    )


def prune_text(d: dict[str, Any]) -> str:
    n = len(d["removed"])
    if not n:
        return "Nothing to prune: every sync file in the store may still be needed."
    verb = "Would remove" if d["dry_run"] else "Removed"
    why = "; ".join(f"{count}: {reason}" for reason, count in d["reasons"])
    names = "".join(f"\n  {name}" for name in d["removed"]) if d["dry_run"] else ""
    return f"{verb} {_plural(n, 'sync file')} from the shared store ({why}).{names}"


def rotation_text(d: dict[str, Any]) -> str:
    head = "Finished the passphrase change cut short. " if d["resumed"] else ""
    snap = f" {snapshot_text(d['snapshot'])}." if d["snapshot"] else ""
    left = (
        f" {_plural(d['left'], 'file')} not written under the old passphrase left alone."
        if d["left"]
        else ""
    )
    return (
        f"{head}The team passphrase is changed: {_plural(d['removed'], 'older file')} removed."
        f"{snap}{left} Colleagues are asked for the new passphrase at their next sync."
    )


def _conflict_line(c: dict[str, Any]) -> str:
    kind = " (clock ahead)" if c["kind"] == "clock" else ""
    local = f"{c['local_value']!r} by {c['local_by'] or c['local_site'] or '?'}"
    remote = f"{c['remote_value']!r} by {c['remote_by'] or c['remote_site']}"
    return (
        f"#{c['id']}{kind} {c['table_name']} {c['record_id']} {c['field']}: "
        f"local {local} at {c['local_at']}; remote {remote} at {c['remote_at']}; "
        f"applied: {c['winner']}" + (f"; kept {c['kept']}" if c["kept"] else "")
    )


def _repair_text(d: dict[str, Any]) -> str:
    if not d["repaired"]:
        return "The shared store's settings file is fine: nothing was written."
    return (
        f"Rebuilt the shared store's settings file (store {d['store_id']}, checked against "
        f"{_plural(d['files_checked'], 'sync file')} in the store)."
    )


def _refusal(summary: ImportSummary) -> str:
    first = summary.refused[0]
    more = f" (and {len(summary.refused) - 1} more)" if len(summary.refused) > 1 else ""
    done = f"Imported {_plural(summary.bundles, 'file')}" if summary.bundles else "Nothing imported"
    return f"{done}; refused {first.name}{more}: {first.reason}"


def run_sync(app: Any, args: argparse.Namespace) -> Result:
    """Handler for `sync` in the style of cli.commands: (JSON-ready data, text renderer)."""
    svc: SyncService = app.sync
    action = getattr(args, "sync_action", None)
    if action is None:
        summary = svc.sync_now(args.store, read_passphrase(args), dry_run=args.dry_run)
        if summary.imported.refused:
            raise SyncRefused(_refusal(summary.imported))
        return summary.to_dict(), _sync_text
    if action == "export":
        result = svc.export_file(args.out, read_passphrase(args))
        return result.to_dict(), export_text
    if action == "import":
        dry = bool(getattr(args, "dry_run", False))
        summary = svc.import_file(args.file, read_passphrase(args), dry_run=dry)
        return summary.to_dict(), import_text
    if action == "conflicts":
        rows = [c.to_dict() for c in svc.list_conflicts(include_resolved=args.all)]
        return rows, lambda d: "\n".join(map(_conflict_line, d)) if d else "No conflicts."
    if action == "resolve":
        view = svc.resolve_conflict(args.id, args.keep)
        return view.to_dict(), lambda d: f"Kept the {d['kept']} value of conflict #{d['id']}."
    if action == "status":
        from referral_desk.usecases.sync import pending_text

        status = svc.status()
        return status.to_dict(), lambda d: "\n".join(
            [
                f"{k.replace('_', ' ')}: {'' if v is None else v}"
                for k, v in d.items()
                if k != "pending_reasons"
            ]
            + pending_text(d["pending_reasons"])
        )
    if action == "repair-store":
        repair = svc.repair_store(args.store, read_passphrase(args))
        return repair.to_dict(), _repair_text
    if action == "snapshot":
        snap = svc.write_snapshot(getattr(args, "store", None), read_passphrase(args))
        return snap.to_dict(), snapshot_text
    if action == "prune":
        dry = bool(getattr(args, "dry_run", False))
        pruned = svc.prune_store(getattr(args, "store", None), read_passphrase(args), dry_run=dry)
        return pruned.to_dict(), prune_text
    if action == "rotate-passphrase":
        new = read_passphrase_from(
            argparse.Namespace(passphrase_file=args.new_passphrase_file),
            ENV_NEW_PASSPHRASE,
            "new passphrase",
        )
        done = svc.rotate_passphrase(getattr(args, "store", None), read_passphrase(args), new)
        return done.to_dict(), rotation_text
    if action == "set-store":
        path = svc.set_store(args.dir)
        return {"store": path}, lambda d: f"Shared store set: {d['store']}"
    rows = [q.to_dict() for q in svc.list_quarantine()]
    return (
        rows,
        lambda d: (
            "\n".join(
                f"{q['site_id']}#{q['seq']} {q['table_name']}.{q['field']}: {q['reason']}"
                for q in d
            )
            if d
            else "Nothing in quarantine."
        ),
    )
