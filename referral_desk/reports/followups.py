"""Follow-up discipline: were follow-ups done on time, and what is overdue, by officer and team.

One table by officer with the team beside each officer (not a separate team table: team rows
would be sums of officer rows, and suppression cannot protect sums across tables), and one by
kind of follow-up.

Why: the loop only closes if someone rings the provider after the referral (DESIGN.md §1, §5).
A team manager needs to see where follow-ups slip, without reading every caseload.

Which follow-ups: those due in the period (not deleted), as they stand on the report date. Each
falls in exactly one column, so the columns add up to "Due":
- done on time (done on or before the due date), done late,
- overdue (not done, due before the report date), not yet due (not done, due today or later).

Officers are named on screen only; exports replace names with "Officer 1", "Officer 2"...
Follow-ups whose officer is unknown on this computer are shown as "Not assigned". Teams are
printed only as they appear in the team reference list: a team typed in a profile that is not
in the list shows as "Other" (a profile is free text, a report label must not be).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from referral_desk.domain.states import FollowUpKind
from referral_desk.reports.labels import OTHER, ListLabels
from referral_desk.reports.model import (
    UNASSIGNED,
    Cell,
    ChartSpec,
    Column,
    Period,
    Report,
    ReportTable,
)
from referral_desk.store.models import FollowUp, Officer

__all__ = ["NAME", "PARTS", "build"]

NAME = "followups"
TITLE = "Follow-up discipline"
NO_TEAM = "No team"

PARTS: tuple[tuple[str, str], ...] = (
    ("on_time", "Done on time"),
    ("late", "Done late"),
    ("overdue", "Overdue"),
    ("not_due", "Not yet due"),
)


def _figure_columns() -> tuple[Column, ...]:
    return (
        Column("due", "Due in period"),
        *(Column(k, t) for k, t in PARTS),
        Column("oldest", "Oldest overdue (days)", "value", depends_on="overdue"),
    )


class _Tally:
    """Counts of one row; `oldest` is the earliest due date still open and overdue."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys((k for k, _ in PARTS), 0)
        self.oldest: date | None = None

    def add(self, counts: dict[str, int], oldest: date | None) -> None:
        for key in self.counts:
            self.counts[key] += counts[key]
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest = oldest

    def cells(self, today: date) -> tuple[Cell, ...]:
        days = (today - self.oldest).days if self.oldest is not None else None
        return (sum(self.counts.values()), *self.counts.values(), days)


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    done, due = FollowUp.done_on, FollowUp.due_on
    flags = {
        "on_time": and_(done.is_not(None), done <= due),
        "late": and_(done.is_not(None), done > due),
        "overdue": and_(done.is_(None), due < today),
        "not_due": and_(done.is_(None), due >= today),
    }
    stmt = (
        select(
            FollowUp.officer_id,
            FollowUp.kind,
            *(func.sum(case((cond, 1), else_=0)).label(k) for k, cond in flags.items()),
            func.min(case((flags["overdue"], due))).label("oldest"),
        )
        .where(
            FollowUp.deleted_at.is_(None),
            FollowUp.due_on >= date_from,
            FollowUp.due_on <= date_to,
        )
        .group_by(FollowUp.officer_id, FollowUp.kind)
    )
    teams = ListLabels(session, "team")
    officers = {
        oid: (name or "", team or "")
        for oid, name, team in session.execute(select(Officer.id, Officer.name, Officer.team))
    }
    by_officer: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    by_kind: dict[str, _Tally] = defaultdict(_Tally)
    overall = _Tally()
    for row in session.execute(stmt).mappings():
        counts = {k: int(row[k] or 0) for k, _ in PARTS}
        oldest = row["oldest"]
        if isinstance(oldest, str):
            oldest = date.fromisoformat(oldest)
        known = row["officer_id"] in officers
        name, team = officers.get(row["officer_id"], (UNASSIGNED, ""))
        name = name.strip() or UNASSIGNED
        team = teams(team, blank=NO_TEAM)
        # Unknown officers (none recorded, or not synced here yet) share one row.
        officer_key = (team, name, row["officer_id"] if known else "")
        kind = row["kind"] if row["kind"] in KINDS else OTHER
        for tally in (by_officer[officer_key], by_kind[kind], overall):
            tally.add(counts, oldest)

    def kind_label(kind: str) -> str:
        return FollowUpKind(kind).label if kind in KINDS else OTHER

    parts = tuple(k for k, _ in PARTS)
    totals = ("Total", *overall.cells(today))
    officer_rows = tuple(
        (name, team, *tally.cells(today))
        for (team, name, _), tally in sorted(
            by_officer.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1].casefold(), kv[0])
        )
    )
    tables = (
        ReportTable(
            "by_officer",
            "Follow-ups by officer and team",
            (
                Column("label", "Officer", "label", personal=True),
                Column("team", "Team", "label"),
                *_figure_columns(),
            ),
            officer_rows,
            ("Total", "", *overall.cells(today)),
            notes=(
                "Exports show officers as numbered pseudonyms, never by name.",
                "Team figures are the sums of their officers' rows; they are not printed "
                "separately, because a team total beside its officers could give a hidden "
                "count away.",
                "Teams that are not in the team list are shown as Other.",
            ),
            row_total="due",
            parts=parts,
        ),
        ReportTable(
            "by_kind",
            "Follow-ups by kind",
            (Column("label", "Kind of follow-up", "label"), *_figure_columns()),
            tuple(
                (kind_label(kind), *t.cells(today))
                for kind, t in sorted(by_kind.items(), key=lambda kv: _kind_order(kv[0]))
            ),
            totals,
            row_total="due",
            parts=parts,
        ),
    )
    return Report(
        name=NAME,
        title=TITLE,
        period=period,
        generated_on=today,
        tables=tables,
        charts=(
            ChartSpec(
                "chart_officer", "Follow-ups due in the period by officer", "by_officer", parts
            ),
            ChartSpec("chart_overdue", "Overdue follow-ups by officer", "by_officer", ("overdue",)),
        ),
        notes=(
            f"Follow-ups due in the period as they stood on {today.isoformat()}.",
            "Covers the whole team's data on this computer after the last sync.",
        ),
    )


KINDS = frozenset(k.value for k in FollowUpKind)


def _kind_order(kind: str) -> tuple[int, str]:
    order = [k.value for k in FollowUpKind]
    return (order.index(kind) if kind in order else len(order), kind)
