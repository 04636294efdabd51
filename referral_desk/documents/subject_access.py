"""The readable half of a subject access export: everything held about one person, as a PDF.

Takes the plain data `usecases.subject_access.gather` builds (the same content as the JSON
file) and lays it out section by section: details, needs with their status histories,
referrals with theirs, follow-ups, case notes and who accessed the record. Field names become
labels ("date_of_birth" → "Date of birth"); empty values are left out so the reader sees what
is held, not the shape of the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Spacer

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import MUTED, RULE, Layout, layout_for, para, summary_table
from referral_desk.documents.pages import PageFooter, write_pdf

__all__ = ["render_subject_access"]

_NOTE = (
    "Everything Referral Desk holds about this person on the PC that made this export. "
    "Before disclosing it, check it for information about other people and for anything "
    "exempt from disclosure."
)
_LABELS = {
    "crn": "Case reference number (CRN)",
    "nomis": "Prison number (NOMIS)",
    "pnc": "PNC number",
    "id": "Record id",
    "created_at": "Recorded",
    "at": "When",
    "by": "By",
    "kind": "Kind",
}
# Ids of other records and officers: the JSON keeps them, the readable copy shows names.
_HIDDEN = frozenset(
    {
        "person_id",
        "need_id",
        "referral_id",
        "service_id",
        "owner_officer_id",
        "officer_id",
        "by_officer_id",
        "made_by_officer_id",
        "done_by_officer_id",
        "status_history",
        "category_code",
    }
)


def _label(key: str) -> str:
    return _LABELS.get(key) or key.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(record: Mapping[str, Any], layout: Layout) -> list[tuple[str, Sequence[Flowable]]]:
    body = layout.style("body")
    return [
        (_label(key), [para(_text(value), body)])
        for key, value in record.items()
        if key not in _HIDDEN and value not in (None, "", [], False)
    ]


def _section(title: str, layout: Layout) -> list[Flowable]:
    return [Spacer(1, layout.heading), para(title, layout.style("heading")), Spacer(1, 2)]


def _records(
    title: str, items: Sequence[Mapping[str, Any]], name: str, layout: Layout
) -> list[Flowable]:
    story = _section(f"{title} ({len(items)})", layout)
    if not items:
        story.append(para("None held.", layout.style("body")))
    for number, item in enumerate(items, start=1):
        rows = _rows(item, layout)
        head = para(f"{name} {number}", layout.style("bold"))
        block: list[Flowable] = [Spacer(1, layout.body * 0.6), head]
        if rows:
            block.append(summary_table(rows, layout))
        story.append(KeepTogether(block[:2]))
        story.extend(block[2:])
        history = item.get("status_history") or []
        if history:
            story.append(Spacer(1, layout.body * 0.4))
            story.append(para("Status history", layout.style("bold")))
            for change in history:
                line = " · ".join(
                    f"{_label(k)}: {_text(v)}"
                    for k, v in change.items()
                    if k not in _HIDDEN and v not in (None, "", [])
                )
                story.append(para(line, layout.style("small")))
    return story


def _accesses(items: Sequence[Mapping[str, Any]], layout: Layout) -> list[Flowable]:
    story = _section(f"Who accessed the record ({len(items)})", layout)
    if not items:
        story.append(para("No access has been noted.", layout.style("body")))
    small = layout.style("body")
    for item in items:
        story.append(
            para(
                f"{item.get('at', '')}  {item.get('officer') or '(unknown officer)'}  "
                f"({item.get('kind', '')})",
                small,
            )
        )
    return story


def _footer(layout: Layout, exported_at: str) -> PageFooter:
    fonts = font_family()

    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        left, right = layout.margin, layout.pagesize[0] - layout.margin
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(
            left, layout.margin + layout.small * 1.6, right, layout.margin + layout.small * 1.6
        )
        canvas.setFillColor(MUTED)
        canvas.setFont(fonts.regular, layout.small)
        canvas.drawString(left, layout.margin, f"Subject access export, {exported_at}")
        canvas.drawRightString(right, layout.margin, f"Page {page} of {total}")
        canvas.restoreState()

    return draw


def subject_access_story(data: Mapping[str, Any], layout: Layout) -> list[Flowable]:
    person = data.get("person") or {}
    story: list[Flowable] = [
        para("Subject access export", layout.style("small")),
        Spacer(1, 2),
        para("Everything held about one person", layout.style("title")),
        Spacer(1, layout.body * 0.5),
        para(_NOTE, layout.style("body")),
    ]
    story += _section("Details", layout)
    story.append(summary_table(_rows(person, layout), layout))
    story += _records("Needs", data.get("needs") or [], "Need", layout)
    story += _records("Referrals", data.get("referrals") or [], "Referral", layout)
    story += _records("Follow-ups", data.get("follow_ups") or [], "Follow-up", layout)
    story += _records("Case notes", data.get("case_notes") or [], "Note", layout)
    story += _accesses(data.get("accesses") or [], layout)
    return story


def render_subject_access(data: Mapping[str, Any], *, printed_on: date | None = None) -> bytes:
    """The PDF for one person's export (A4). The title holds no personal data."""
    # Denser than the provider form: a long case runs to many records, read at a desk.
    layout = replace(
        layout_for("A4", form=True), body=10, small=8, heading=12, title=18, gap=2.5 * mm
    )
    return write_pdf(
        subject_access_story(data, layout),
        layout,
        title="Subject access export",
        footer=_footer(layout, str(data.get("exported_at", ""))[:10]),
        footer_height=layout.small * 3,
        printed_on=printed_on,
    )
