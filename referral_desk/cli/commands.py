"""One handler per command: call a use case, return (JSON-ready data, text renderer)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from referral_desk.cli import account_cmd, directory_cmd
from referral_desk.cli.demo_cmd import run_demo
from referral_desk.cli.hub_cmd import run_hub
from referral_desk.cli.report_cmd import run_report
from referral_desk.cli.sync_cmd import run_sync
from referral_desk.cli.unlock_cmd import run_unlock
from referral_desk.domain.search_query import SearchQuery
from referral_desk.usecases.app_services import AppServices

Result = tuple[Any, Callable[[Any], str]] | tuple[Any, Callable[[Any], str], int]


def _lines(rows: list[dict[str, Any]], *cols: str) -> str:
    if not rows:
        return "(none)"
    return "\n".join(
        "  ".join(str(r.get(c) if r.get(c) is not None else "") for c in cols) for r in rows
    )


def _record(data: dict[str, Any]) -> str:
    width = max((len(k) for k in data), default=0)
    out = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{key}:")
            out.extend(
                "  - "
                + ", ".join(f"{k}={v}" for k, v in item.items() if v not in ("", None, [], ()))
                for item in value
            )
        else:
            out.append(f"{key.ljust(width)}  {'' if value is None else value}")
    return "\n".join(out)


def init(app: AppServices, args: argparse.Namespace) -> Result:
    data = {
        "database": str(app.data_path),
        "site_id": app.db.site_id,
        "categories": len(app.reference.categories()),
    }
    return data, lambda d: f"Database ready: {d['database']} (site {d['site_id']})"


def _person_fields(args: argparse.Namespace) -> dict[str, Any]:
    mapping = {
        "given": "given_name",
        "family": "family_name",
        "dob": "date_of_birth",
        "crn": "crn",
        "nomis": "nomis",
        "pnc": "pnc",
        "gender": "gender",
        "ethnicity": "ethnicity",
        "setting": "setting",
        "prison": "prison",
        "area": "area",
        "office": "office",
        "release_date": "expected_release_date",
        "consent_date": "consent_given_on",
        "consent_withdrawn": "consent_withdrawn_on",
    }
    return {
        field: getattr(args, arg)
        for arg, field in mapping.items()
        if getattr(args, arg, None) is not None
    }


def person(app: AppServices, args: argparse.Namespace) -> Result:
    import sys

    if args.action == "add":
        view = app.people.add(strict=args.strict, **_person_fields(args))
        for warning in view.warnings:
            print(f"referral-desk: warning: {warning}", file=sys.stderr)
        return view.to_dict(), lambda d: f"Added person {d['id']}"
    if args.action == "edit":
        view = app.people.update(args.id, **_person_fields(args))
        return view.to_dict(), lambda d: f"Updated person {d['id']}"
    if args.action == "export":
        return account_cmd.person_export(app, args)
    if args.action == "access":
        return account_cmd.person_access(app, args)
    app.people.delete(args.id)
    return {"id": args.id, "deleted": True}, lambda d: f"Deleted person {d['id']}"


def need(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "add":
        view = app.needs.log(
            args.person, args.category, args.description, priority=args.priority, unmet=args.unmet
        )
        return view.to_dict(), lambda d: f"Logged need {d['id']} ({d['status']})"
    if args.action == "status":
        view = app.needs.set_status(args.id, args.status, note=args.note)
        return view.to_dict(), lambda d: f"Need {d['id']} is now {d['status']}"
    app.needs.delete(args.id)
    return {"id": args.id, "deleted": True}, lambda d: f"Deleted need {d['id']}"


def search(app: AppServices, args: argparse.Namespace) -> Result:
    query = SearchQuery(
        text=args.text,
        category=args.category,
        area=args.area,
        prison=args.prison,
        setting=args.setting,
        gender=args.gender,
        age=args.age,
        free=args.free,
        prechecked=args.prechecked,
        accepting=args.accepting,
        limit=args.limit,
    )
    rows = [r.to_dict() for r in app.directory.search(query)]
    return rows, lambda d: _lines(d, "id", "name", "organisation_name", "capacity")


def refer(app: AppServices, args: argparse.Namespace) -> Result:
    import sys

    shared = [s.strip() for s in args.share.split(",") if s.strip()]
    view = app.referrals.make(
        args.need,
        args.service,
        consent=args.consent,
        method=args.method,
        draft=args.draft,
        shared_info=shared,
        share_risk=args.share_risk,
        risk_note=args.risk_note,
        accessibility_needs=args.accessibility,
        interpreter_language=args.interpreter,
        availability=args.availability,
        appointment_at=args.appointment,
        strict=args.strict,
    )
    for warning in view.warnings:
        print(f"referral-desk: warning: {warning}", file=sys.stderr)
    return view.to_dict(), lambda d: f"Referral {d['reference']} ({d['status']}) id {d['id']}"


def referral(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "delete":
        app.referrals.delete(args.ref)
        return {"reference": args.ref, "deleted": True}, lambda d: "Deleted referral"
    view = app.referrals.record_status(
        args.ref,
        args.state,
        reason=args.reason,
        note=args.note,
        channel=args.channel,
        outcome=args.outcome,
        appointment_at=args.appointment,
    )
    return view.to_dict(), lambda d: f"Referral {d['reference']} is now {d['status']}"


def followups(app: AppServices, args: argparse.Namespace) -> Result:
    rows = [f.to_dict() for f in app.follow_ups.list(args.due_by, include_done=args.all)]
    return rows, lambda d: _lines(d, "due_on", "kind", "referral_reference", "id")


def followup(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "done":
        view = app.follow_ups.complete(args.id, args.note)
        return view.to_dict(), lambda d: f"Follow-up {d['id']} done"
    view = app.follow_ups.reschedule(args.id, args.due)
    return view.to_dict(), lambda d: f"Follow-up {d['id']} now due {d['due_on']}"


def show(app: AppServices, args: argparse.Namespace) -> Result:
    kind = args.kind
    if kind == "person":
        detail = app.people.detail(args.id, access="show")
        data = detail.person.to_dict()
        data["needs"] = [n.to_dict() for n in detail.needs]
        data["referrals"] = [r.to_dict() for r in detail.referrals]
        data["follow_ups"] = [f.to_dict() for f in detail.follow_ups]
    elif kind == "need":
        data = app.needs.get(args.id).to_dict()
    elif kind == "referral":
        data = app.referrals.get(args.id).to_dict()
    elif kind == "service":
        data = app.directory.get_service(args.id).to_dict()
    else:
        data = app.follow_ups.get(args.id).to_dict()
    return data, _record


def list_(app: AppServices, args: argparse.Namespace) -> Result:
    kind = args.kind
    if kind == "people":
        rows = [p.to_dict() for p in app.people.list()]
        return rows, lambda d: _lines(d, "id", "crn", "nomis", "given_name", "family_name")
    if kind == "needs":
        rows = [n.to_dict() for n in app.needs.list()]
        return rows, lambda d: _lines(d, "id", "person_id", "category", "status")
    if kind == "referrals":
        rows = [r.to_dict() for r in app.referrals.list()]
        return rows, lambda d: _lines(d, "reference", "status", "service_name", "id")
    if kind == "services":
        rows = [s.to_dict() for s in app.directory.list_services()]
        return rows, lambda d: _lines(d, "id", "status", "name", "organisation_name")
    if kind == "followups":
        rows = [f.to_dict() for f in app.follow_ups.list(include_done=True)]
        return rows, lambda d: _lines(d, "due_on", "kind", "done_on", "id")
    rows = [c.to_dict() for c in app.reference.categories()]
    return rows, lambda d: _lines(d, "code", "label")


def slip(app: AppServices, args: argparse.Namespace) -> Result:
    what = "Provider form" if args.form else "Referral slip"
    app.printing.check_pdf_path(args.out)  # refuse the data folder before making the PDF
    pdf = (app.printing.provider_form_pdf if args.form else app.printing.slip_pdf)(
        args.ref, args.size
    )
    # Owner-only and atomic: a failure leaves neither a partial PDF nor a temporary file.
    app.printing.save_pdf(args.out, pdf)
    view = app.referrals.get(args.ref)
    app.printing.record_printed(view.id, what, f"saved as PDF ({args.size})")
    data = {
        "reference": view.reference,
        "out": str(Path(args.out)),
        "size": args.size,
        "bytes": len(pdf),
    }
    return data, lambda d: f"{what} for {d['reference']} written to {d['out']}"


def profile(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "set":
        fields = {k: getattr(args, k) for k in ("name", "role", "team", "office", "email")}
        fields["office_phone"] = args.office_phone
        view = app.profile.set(**{k: v for k, v in fields.items() if v is not None})
        return view.to_dict(), _record
    view = app.profile.get()
    return (view.to_dict() if view else {}), lambda d: _record(d) if d else "No profile set"


def role(app: AppServices, args: argparse.Namespace) -> Result:
    """Roles are granted and revoked by a manager's signature (services.roles)."""
    if args.action in ("grant", "revoke"):
        change = app.roles.grant if args.action == "grant" else app.roles.revoke
        view = change(args.officer, args.role)
        done = "Granted" if args.action == "grant" else "Revoked"
        return (
            view.to_dict(),
            lambda d: (
                f"{done}: {d['name']} now holds {', '.join(d['roles']) or 'no role but officer'}"
            ),
        )
    if args.action == "list":
        rows = [r.to_dict() for r in app.roles.team()]
        return rows, lambda d: "\n".join(
            f"{r['name']}: {r['role']}{' (first manager)' if r['root'] else ''}  key {r['key']}"
            for r in d
        )
    return {"role": app.roles.current_role()}, lambda d: f"Your role: {d['role']}"


def reference(app: AppServices, args: argparse.Namespace) -> Result:
    if args.action == "add":
        view = app.reference.add_item(args.list_name, args.label, args.code)
        return view.to_dict(), lambda d: f"Added {d['label']} ({d['code']}) to {d['list_name']}"
    if args.action == "retire":
        view = app.reference.deprecate(args.list_name, args.code)
        return view.to_dict(), lambda d: f"Retired {d['label']} ({d['code']})"
    rows = [i.to_dict() for i in app.reference.list(args.list_name, include_deprecated=args.all)]
    return rows, lambda d: _lines(d, "code", "label", "deprecated_at")


HANDLERS: dict[str, Callable[[AppServices, argparse.Namespace], Result]] = {
    "init": init,
    "demo": run_demo,
    "person": person,
    "need": need,
    "search": search,
    "refer": refer,
    "referral": referral,
    "followups": followups,
    "followup": followup,
    "show": show,
    "list": list_,
    "profile": profile,
    "slip": slip,
    "sync": run_sync,
    "directory": directory_cmd.run_directory,
    "report": run_report,
    "reference": reference,
    "hub": run_hub,
    "audit": account_cmd.audit,
    "retention": account_cmd.retention,
    "unlock": run_unlock,
    "role": role,
}
