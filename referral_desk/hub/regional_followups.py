"""Regional follow-up discipline: the team report's columns by team and by kind.

Rules as `reports.followups`: follow-ups due in the period, each in exactly one column (done on
time, done late, overdue, not yet due) as they stand on the report date. Officers never reach
the hub, so the team is the finest row; team rows and kind rows share the totals row. A
team's follow-ups are as of its latest return, so one done since then still shows as overdue
until the next return: the note says so.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, and_, case, func, select

from referral_desk.domain.states import FollowUpKind
from referral_desk.hub.schema import report_follow_up, report_team
from referral_desk.reports import followups as fu
from referral_desk.reports.model import ChartSpec, Column, Period, Report, ReportTable

__all__ = ["build_followups"]


def build_followups(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    f, t = report_follow_up, report_team
    done, due = f.c.done_on, f.c.due_on
    flags = {
        "on_time": and_(done.is_not(None), done <= due),
        "late": and_(done.is_not(None), done > due),
        "overdue": and_(done.is_(None), due < today),
        "not_due": and_(done.is_(None), due >= today),
    }
    stmt = (
        select(
            t.c.name,
            f.c.kind,
            *(func.sum(case((cond, 1), else_=0)).label(k) for k, cond in flags.items()),
            func.min(case((flags["overdue"], due))).label("oldest"),
        )
        .join(t, t.c.id == f.c.team_id)
        .where(due >= date_from, due <= date_to)
        .group_by(t.c.name, f.c.kind)
    )
    by_team: dict[str, fu._Tally] = defaultdict(fu._Tally)
    by_kind: dict[str, fu._Tally] = defaultdict(fu._Tally)
    overall = fu._Tally()
    for row in conn.execute(stmt).mappings():
        counts = {k: int(row[k] or 0) for k, _ in fu.PARTS}
        for tally in (by_team[row["name"]], by_kind[row["kind"]], overall):
            tally.add(counts, row["oldest"])

    def kind_label(kind: str) -> str:
        try:
            return FollowUpKind(kind).label
        except ValueError:
            return kind.replace("_", " ").capitalize()

    parts = tuple(k for k, _ in fu.PARTS)
    totals = ("Total", *overall.cells(today))
    tables = (
        ReportTable(
            "by_team",
            "Follow-ups by team",
            (Column("label", "Team", "label"), *fu._figure_columns()),
            tuple(
                (name, *tally.cells(today))
                for name, tally in sorted(by_team.items(), key=lambda kv: kv[0].casefold())
            ),
            totals,
            row_total="due",
            parts=parts,
        ),
        ReportTable(
            "by_kind",
            "Follow-ups by kind",
            (Column("label", "Kind of follow-up", "label"), *fu._figure_columns()),
            tuple(
                (kind_label(kind), *tally.cells(today))
                for kind, tally in sorted(by_kind.items(), key=lambda kv: fu._kind_order(kv[0]))
            ),
            totals,
            row_total="due",
            parts=parts,
        ),
    )
    return Report(
        name=fu.NAME,
        title="Follow-up discipline (region)",
        period=period,
        generated_on=today,
        tables=tables,
        charts=(
            ChartSpec("chart_team", "Follow-ups due in the period by team", "by_team", parts),
            ChartSpec("chart_overdue", "Overdue follow-ups by team", "by_team", ("overdue",)),
        ),
        notes=(
            f"Follow-ups due in the period as they stood on {today.isoformat()}, as of each "
            "team's latest return: one done since the return counts as overdue until the next.",
            "Covers every team's latest commissioning return loaded at the regional hub.",
        ),
    )
