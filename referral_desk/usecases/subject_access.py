"""Subject access (UK GDPR Art. 15; DPA 2018 s.45): everything held about one person.

`export` writes two files side by side: a readable PDF and machine-readable JSON with the same
content — details, needs and their status histories, referrals and theirs, follow-ups, case
notes, and who accessed the record. `--out sar-2026-0042` (or `sar-2026-0042.pdf` or `.json`)
writes `sar-2026-0042.pdf` and `sar-2026-0042.json`. Both go through the output guard (never
into the data folder), owner-only, each whole or not at all; if the second cannot be written
the first is removed again, so an export is both files or neither.

The export itself is noted in the access log ("export").
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from referral_desk.store import person_record_queries as records
from referral_desk.store.model_base import column_keys
from referral_desk.store.models import (
    Person,
    SyncedBase,
)
from referral_desk.store.timestamps import timestamp_text
from referral_desk.usecases.access_log import AccessLog, accesses_of
from referral_desk.usecases.base import FileWritingService, Session
from referral_desk.usecases.common import get_live
from referral_desk.usecases.needs import category_labels
from referral_desk.usecases.reference import reference_items

FORMAT = "referral-desk-subject-access"
VERSION = 1
# Bookkeeping that says nothing about the person (and differs between PCs).
_SKIP = frozenset({"updated_at", "site_id", "deleted_at", "status"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp_text(value)[:19]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _columns(obj: SyncedBase, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    out = {}
    for key in column_keys(type(obj)):
        if key in _SKIP or key in skip:
            continue
        out[key] = _plain(getattr(obj, key))
    return out


def gather(session: Session, person_id: str, exported_at: datetime) -> dict[str, Any]:
    """Everything held about one live person, as JSON-ready plain data."""
    person = get_live(session, Person, person_id, "person")
    officers = records.officer_names(session)

    def who(officer_id: str | None) -> str:
        return officers.get(officer_id or "", "") if officer_id else ""

    labels = category_labels(session)
    needs = records.needs_of(session, person.id)
    need_history: dict[str, list[dict[str, Any]]] = {n.id: [] for n in needs}
    for change in records.need_history(session, list(need_history)):
        item = _columns(change, frozenset({"id", "need_id", "created_at"}))
        item["by"] = who(change.by_officer_id)
        need_history[change.need_id].append(item)
    refs = records.referrals_of(session, person.id, newest_first=False)
    services = records.service_summaries(session, {r.service_id for r in refs})
    orgs = records.organisation_names(session, {s.organisation_id for s in services.values()})
    ref_history: dict[str, list[dict[str, Any]]] = {r.id: [] for r in refs}
    for change in records.referral_history(session, list(ref_history)):
        item = _columns(change, frozenset({"id", "referral_id", "created_at"}))
        item["by"] = who(change.by_officer_id)
        ref_history[change.referral_id].append(item)
    follow_ups = records.follow_ups_of(session, person.id)
    notes = records.case_notes_of(session, person.id)
    references = {r.id: r.reference for r in refs}
    details = _columns(person)
    details["owner_officer"] = who(person.owner_officer_id)
    if person.ethnicity:  # the words the person chose from, not the list's internal code
        ethnicities = {
            i.code: i.label for i in reference_items(session, "ethnicity", include_deprecated=True)
        }
        details["ethnicity"] = ethnicities.get(person.ethnicity, person.ethnicity)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _plain(exported_at),
        "person": details,
        "needs": [
            {
                **_columns(n),
                "category": labels.get(n.category_code, n.category_code),
                "status": n.status,
                "status_history": need_history[n.id],
            }
            for n in needs
        ],
        "referrals": [
            {
                **_columns(r),
                "status": r.status,
                "service": services[r.service_id].name if r.service_id in services else "",
                "organisation": orgs.get(services[r.service_id].organisation_id, "")
                if r.service_id in services
                else "",
                "made_by": who(r.made_by_officer_id),
                "status_history": ref_history[r.id],
            }
            for r in refs
        ],
        "follow_ups": [
            {
                **_columns(f),
                "referral": references.get(f.referral_id or "", ""),
                "officer": who(f.officer_id),
                "done_by": who(f.done_by_officer_id),
            }
            for f in follow_ups
        ],
        "case_notes": [
            {
                **_columns(n),
                "referral": references.get(n.referral_id or "", ""),
                "by": who(n.by_officer_id),
            }
            for n in notes
        ],
        "accesses": [
            {
                "at": _plain(a.at),
                "officer": a.officer_name,
                "officer_id": a.officer_id,
                "kind": a.kind,
            }
            for a in accesses_of(session, person.id)
        ],
    }


def export_paths(out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The PDF and JSON written for `--out`: `.pdf` / `.json` after the name, whichever of the
    two (or neither) it ends with."""
    path = Path(out)
    if path.suffix.lower() in (".pdf", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".pdf"), path.with_name(path.name + ".json")


class SubjectAccessService(FileWritingService):
    @cached_property
    def access_log(self) -> AccessLog:
        return AccessLog(self.db, self.clock)

    def collect(self, person_id: str) -> dict[str, Any]:
        """The export's content (also what the JSON file holds); notes the access."""
        with self._read() as session:
            person = get_live(session, Person, person_id, "person")
        self.access_log.note(person.id, "export")
        with self._read() as session:
            return gather(session, person.id, self.clock.now())

    def check_paths(self, out: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Refuse the targets (the data folder, a folder, a device) before anything is made."""
        pdf_path, json_path = export_paths(out)
        return (
            self.output_guard.check(pdf_path, what="subject access PDF"),
            self.output_guard.check(json_path, what="subject access file"),
        )

    def export(self, person_id: str, out: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write the PDF and the JSON for one person; returns both paths."""
        from referral_desk.documents.subject_access import render_subject_access

        pdf_path, json_path = self.check_paths(out)
        data = self.collect(person_id)
        pdf = render_subject_access(data, printed_on=self.clock.today())
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
        written_json = self.output_guard.write(
            json_path, text.encode("utf-8"), what="subject access file"
        )
        try:
            written_pdf = self.output_guard.write(pdf_path, pdf, what="subject access PDF")
        except BaseException:
            written_json.unlink(missing_ok=True)
            raise
        return written_pdf, written_json
