"""Regional reports: the team reports' questions asked of every team's return at once.

Why a module of its own rather than the team builders: those read the team's SQLite store (with
names and dates of birth beside the facts, and SQLite's date functions); the hub holds only the
de-identified facts, in PostgreSQL, behind the `report_*` views a commissioner's login may read.
The *rules* are the team's: the same unmet-needs definition (window functions over the status
history), the same reason columns, buckets, table shapes and notes, built with the team report's
own table helpers, and the same `reports.export` path for suppression (primary and secondary,
applied to the region's tables as a whole) and file formats. The team (and the area or prison)
are dimensions: a "by team" table sits beside the regional ones and shares their totals row, so
suppression decides that row once for every table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from referral_desk.domain.people import AGE_BANDS
from referral_desk.hub.schema import report_need, report_need_status, report_team
from referral_desk.reports import unmet_needs as um
from referral_desk.reports.model import ChartSpec, Column, Period, Report, ReportTable

__all__ = ["REGIONAL", "build_unmet_needs"]

_UNMET = tuple(status for status, _, _ in um.REASONS)
REGION_NOTE = (
    "Covers every team's latest commissioning return loaded at the regional hub. People are "
    "counted under keyed pseudonyms: the hub holds no names, dates of birth or case numbers."
)


def _month(value: ColumnElement) -> ColumnElement:
    return func.to_char(value, "YYYY-MM")


def unmet_hits(period: Period, *, by_month: bool) -> Select:
    """(team_id, need, bucket, reason): the team report's rule (`unmet_needs.unmet_hits`).

    The same rule in one sort instead of an anti-join: candidates are every unmet change in the
    period (in its bucket) and every need logged in the period (in its bucket, with its first
    unmet reason); DISTINCT ON keeps, per need and bucket, the latest change, and the logged
    candidate only when no change fell in that bucket. (The anti-join form made PostgreSQL
    misjudge a twice-used CTE and loop over it: seconds per ten teams.)
    """
    ns, n = report_need_status, report_need
    unmet = ns.c.status.in_(_UNMET)
    change_bucket = _month(ns.c.at) if by_month else literal("period", String)
    changes = select(
        ns.c.team_id,
        ns.c.need,
        change_bucket.label("bucket"),
        ns.c.status.label("reason"),
        literal(0).label("priority"),
        ns.c.at,
        ns.c.seq,
    ).where(unmet, ns.c.at >= period.start, ns.c.at < period.end)
    need_bucket = _month(n.c.identified_on) if by_month else literal("period", String)
    logged = select(
        n.c.team_id,
        n.c.need,
        need_bucket.label("bucket"),
        n.c.first_unmet.label("reason"),
        literal(1).label("priority"),
        literal(None, DateTime).label("at"),
        literal(None, Integer).label("seq"),
    ).where(
        n.c.first_unmet.is_not(None),
        n.c.identified_on >= period.date_from,
        n.c.identified_on <= period.date_to,
    )
    candidates = union_all(changes, logged).subquery("candidates")
    c = candidates.c
    return (
        select(c.team_id, c.need, c.bucket, c.reason)
        .ext(distinct_on(c.team_id, c.need, c.bucket))
        .order_by(c.team_id, c.need, c.bucket, c.priority, c.at.desc(), c.seq.desc())
    )


def build_unmet_needs(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    """Unmet needs across every team: the team report's tables, plus team as a dimension."""
    period = Period(date_from, date_to)
    hits = unmet_hits(period, by_month=False).cte("hits")
    n, t = report_need, report_team
    dims = (t.c.name, n.c.category_label, hits.c.reason, n.c.setting, n.c.place, n.c.gender,
            n.c.ethnic_group, n.c.age_band, n.c.disability, n.c.nationality, n.c.iom, n.c.ppo,
            n.c.womens, n.c.young_adult)  # fmt: skip
    grouped = conn.execute(
        select(*dims, func.count())
        .select_from(hits)
        .join(n, and_(n.c.team_id == hits.c.team_id, n.c.need == hits.c.need))
        .join(t, t.c.id == n.c.team_id)
        .group_by(*dims)
    ).all()
    tally: dict[str, Counter[tuple[Any, str]]] = {k: Counter() for k in ("team", *um._TALLIES)}
    for (team, cat, reason, setting, place, gender, eth, band, disability, nationality, iom,
         ppo, womens, young, count) in grouped:  # fmt: skip
        tally["team"][(team, reason)] += count
        tally["category"][(cat, reason)] += count
        tally["place"][((place, setting), reason)] += count
        tally["gender"][(gender, reason)] += count
        tally["ethnicity"][(eth, reason)] += count
        tally["age"][(band, reason)] += count
        tally["disability"][(disability, reason)] += count
        tally["foreign"][(nationality, reason)] += count
        flags = (iom, ppo, womens, young)
        for (_, label), flag in zip(um.COHORTS, flags, strict=True):
            if flag:
                tally["cohort"][(label, reason)] += count
        if not any(flags):
            tally["cohort"][(um.NO_COHORT, reason)] += count

    teams = [name for (name,) in conn.execute(select(t.c.name).order_by(t.c.name))]
    categories = sorted({label for label, _ in tally["category"]}, key=str.casefold)
    table = um._reason_table
    tables = [
        table("by_team", "Unmet needs by team", "Team", tally["team"], teams,
              notes=("Every team registered at the hub is shown, with zeros.",)),
        table("by_category", "Unmet needs by need category", "Need category",
              tally["category"], categories),
        table("by_place", "Unmet needs by setting and area or prison",
              (Column("label", "Area or prison", "label"), Column("setting", "Setting", "label")),
              tally["place"], um._place_order(tally["place"]),
              notes=("Where the person was when the need was logged.",)),
        table("by_cohort", "Unmet needs by cohort", "Cohort", tally["cohort"],
              [label for _, label in um.COHORTS] + [um.NO_COHORT], additive=False,
              notes=("A person can be in more than one cohort, so the rows do not add up to "
                     "a total.",)),
        table("by_gender", "Unmet needs by gender", "Gender", tally["gender"],
              um._ordered(tally["gender"], ("Female", "Male", "Non-binary"))),
        table("by_ethnicity", "Unmet needs by ethnic group (ONS 2021)", "Ethnic group",
              tally["ethnicity"], um._ordered(tally["ethnicity"])),
        table("by_age", "Unmet needs by age band", "Age band", tally["age"],
              um._ordered(tally["age"], AGE_BANDS), notes=("Age when the need was logged.",)),
        table("by_disability", "Unmet needs by disability", "Disability", tally["disability"],
              um._ordered(tally["disability"], ("Disabled", "Not disabled"))),
        table("by_foreign_national", "Unmet needs by nationality", "Nationality",
              tally["foreign"],
              um._ordered(tally["foreign"], ("Foreign national", "Not a foreign national"))),
        _trend_table(conn, period),
    ]  # fmt: skip
    return Report(
        name=um.NAME,
        title="Unmet needs (region)",
        period=period,
        generated_on=today,
        tables=tuple(tables),
        charts=(
            ChartSpec("chart_team", "Unmet needs by team", "by_team", ("total",)),
            ChartSpec("chart_category", "Unmet needs by need category", "by_category", ("total",)),
            ChartSpec("chart_trend", "Unmet needs by month", "trend", ("total",)),
        ),
        notes=(
            "A need counts as unmet in the period if it entered an unmet status in the period, "
            "or was logged in the period and has been unmet. Each need counts once, under the "
            "last unmet reason it had in the period.",
            REGION_NOTE,
            "Equality fields, settings and cohorts are the person's as of the team's return.",
        ),
    )


def _trend_table(conn: Connection, period: Period) -> ReportTable:
    hits = unmet_hits(period, by_month=True).subquery("month_hits")
    counts: Counter[tuple[str, str]] = Counter()
    for month, reason, count in conn.execute(
        select(hits.c.bucket, hits.c.reason, func.count()).group_by(hits.c.bucket, hits.c.reason)
    ):
        counts[(month, reason)] += count
    return um._reason_table(
        "trend", "Unmet needs by month", "Month", counts, period.months(), additive=False,
        notes=("A need unmet in two months counts in both, so months are not added up.",),
    )  # fmt: skip


Builder = Callable[[Connection, date, date, date], Report]


def _outcomes(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    from referral_desk.hub.regional_outcomes import build_outcomes

    return build_outcomes(conn, date_from, date_to, today)


def _followups(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    from referral_desk.hub.regional_followups import build_followups

    return build_followups(conn, date_from, date_to, today)


def _freshness(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    from referral_desk.hub.regional_freshness import build_freshness

    return build_freshness(conn, date_from, date_to, today)


REGIONAL: dict[str, Builder] = {
    um.NAME: build_unmet_needs,
    "outcomes": _outcomes,
    "followups": _followups,
    "freshness": _freshness,
}
"""Regional reports the hub can build, by the command line's names."""

REPORT_WORK_MEM = "128MB"
"""Memory for one report's sorts and hashes: a region's unmet changes (about 200 000 rows at
200 teams) then sort in memory instead of spilling to disk (the server default is 4 MB)."""


def run(conn: Connection, name: str, date_from: date, date_to: date, today: date) -> Report:
    """Build a regional report in this (read) transaction, with room to sort in memory."""
    conn.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
    return REGIONAL[name](conn, date_from, date_to, today)
