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
    and_,
    cast,
    exists,
    func,
    or_,
    select,
    text,
    tuple_,
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
    """ "YYYY-MM" of a date or timestamp (a date is cast to a timestamp: no time zone)."""
    return func.to_char(cast(value, DateTime), "YYYY-MM")


def latest_changes(period: Period, *, by_month: bool) -> Any:
    """(team_id, need[, month], reason): each need's last unmet change in the period (or in
    each month of it), by the team report's order (time, then the order the team sent)."""
    ns = report_need_status
    keys = [ns.c.team_id, ns.c.need]
    if by_month:
        keys.append(_month(ns.c.at).label("month"))
    return (
        select(*keys, ns.c.status.label("reason"))
        .where(ns.c.status.in_(_UNMET), ns.c.at >= period.start, ns.c.at < period.end)
        .ext(distinct_on(*keys))
        .order_by(*keys, ns.c.at.desc(), ns.c.seq.desc())
        .subquery("latest")
    )


def _logged_in_period(period: Period) -> ColumnElement:
    n = report_need
    return and_(
        n.c.first_unmet.is_not(None),
        n.c.identified_on >= period.date_from,
        n.c.identified_on <= period.date_to,
    )


_SETS: dict[str, tuple[str, ...]] = {
    "team": ("team",),
    "category": ("category",),
    "place": ("place", "setting"),
    "gender": ("gender",),
    "ethnicity": ("ethnicity",),
    "age": ("age",),
    "disability": ("disability",),
    "foreign": ("foreign",),
    "cohort": ("iom", "ppo", "womens", "young_adult"),
}
"""Each table's dimension(s): one GROUPING SETS pass gives every table's counts at once (a
region's needs grouped by every dimension together would be one row per need)."""


def _tallies(conn: Connection, hits: Any) -> dict[str, Counter[tuple[Any, str]]]:
    names = [name for dims in _SETS.values() for name in dims]
    columns = [hits.c[name] for name in names]
    masks = {
        sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in dims): key
        for key, dims in _SETS.items()
    }
    stmt = select(func.grouping(*columns), *columns, hits.c.reason, func.count()).group_by(
        func.grouping_sets(
            *(tuple_(*(hits.c[d] for d in dims), hits.c.reason) for dims in _SETS.values())
        )
    )
    tally: dict[str, Counter[tuple[Any, str]]] = {key: Counter() for key in _SETS}
    for mask, *values, reason, count in conn.execute(stmt):
        key = masks[mask]
        row = dict(zip(names, values, strict=True))
        if key == "cohort":
            flags = tuple(row[d] for d in _SETS["cohort"])
            for (_, label), flag in zip(um.COHORTS, flags, strict=True):
                if flag:
                    tally["cohort"][(label, reason)] += count
            if not any(flags):
                tally["cohort"][(um.NO_COHORT, reason)] += count
        elif key == "place":
            tally["place"][((row["place"], row["setting"]), reason)] += count
        else:
            tally[key][(row[_SETS[key][0]], reason)] += count
    return tally


def build_unmet_needs(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    """Unmet needs across every team: the team report's tables, plus team as a dimension."""
    period = Period(date_from, date_to)
    # The team report's rule (`unmet_needs.unmet_hits`) as one pass over the needs: a need
    # counts under its last unmet change in the period, or, when it had none there but was
    # logged in the period, under its first unmet reason (worked out on loading).
    latest = latest_changes(period, by_month=False)
    n, t = report_need, report_team
    hits = (
        select(
            t.c.name.label("team"),
            n.c.category_label.label("category"),
            n.c.place,
            n.c.setting,
            n.c.gender,
            n.c.ethnic_group.label("ethnicity"),
            n.c.age_band.label("age"),
            n.c.disability,
            n.c.nationality.label("foreign"),
            n.c.iom,
            n.c.ppo,
            n.c.womens,
            n.c.young_adult,
            func.coalesce(latest.c.reason, n.c.first_unmet).label("reason"),
        )
        .select_from(n)
        .join(t, t.c.id == n.c.team_id)
        .outerjoin(latest, and_(latest.c.team_id == n.c.team_id, latest.c.need == n.c.need))
        .where(or_(latest.c.need.is_not(None), _logged_in_period(period)))
        .subquery("hits")
    )
    tally = _tallies(conn, hits)
    teams = [name for (name,) in conn.execute(select(t.c.name).order_by(t.c.name))]
    categories = sorted({label for label, _ in tally["category"]}, key=str.casefold)
    table = um._reason_table
    tables = [
        table(
            "by_team",
            "Unmet needs by team",
            "Team",
            tally["team"],
            teams,
            notes=("Every team registered at the hub is shown, with zeros.",),
        ),
        table(
            "by_category",
            "Unmet needs by need category",
            "Need category",
            tally["category"],
            categories,
        ),
        table(
            "by_place",
            "Unmet needs by setting and area or prison",
            (Column("label", "Area or prison", "label"), Column("setting", "Setting", "label")),
            tally["place"],
            um._place_order(tally["place"]),
            notes=("Where the person was when the need was logged.",),
        ),
        table(
            "by_cohort",
            "Unmet needs by cohort",
            "Cohort",
            tally["cohort"],
            [label for _, label in um.COHORTS] + [um.NO_COHORT],
            additive=False,
            notes=(
                "A person can be in more than one cohort, so the rows do not add up to a total.",
            ),
        ),
        table(
            "by_gender",
            "Unmet needs by gender",
            "Gender",
            tally["gender"],
            um._ordered(tally["gender"], ("Female", "Male", "Non-binary")),
        ),
        table(
            "by_ethnicity",
            "Unmet needs by ethnic group (ONS 2021)",
            "Ethnic group",
            tally["ethnicity"],
            um._ordered(tally["ethnicity"]),
        ),
        table(
            "by_age",
            "Unmet needs by age band",
            "Age band",
            tally["age"],
            um._ordered(tally["age"], AGE_BANDS),
            notes=("Age when the need was logged.",),
        ),
        table(
            "by_disability",
            "Unmet needs by disability",
            "Disability",
            tally["disability"],
            um._ordered(tally["disability"], ("Disabled", "Not disabled")),
        ),
        table(
            "by_foreign_national",
            "Unmet needs by nationality",
            "Nationality",
            tally["foreign"],
            um._ordered(tally["foreign"], ("Foreign national", "Not a foreign national")),
        ),
        _trend_table(conn, period),
    ]
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
    """Months: a need counts in each month it had an unmet change (under the last one), and in
    the month it was logged (under its first unmet reason) when it had no change then."""
    latest = latest_changes(period, by_month=True)
    counts: Counter[tuple[str, str]] = Counter()
    for month, reason, count in conn.execute(
        select(latest.c.month, latest.c.reason, func.count()).group_by(
            latest.c.month, latest.c.reason
        )
    ):
        counts[(month, reason)] += count
    n, ns = report_need, report_need_status
    logged_month = _month(n.c.identified_on)
    month_start = func.date_trunc("month", cast(n.c.identified_on, DateTime))
    changed_then = exists().where(  # a time range, not to_char: a hash anti-join on the keys
        ns.c.team_id == n.c.team_id,
        ns.c.need == n.c.need,
        ns.c.status.in_(_UNMET),
        ns.c.at >= period.start,
        ns.c.at < period.end,
        ns.c.at >= month_start,
        ns.c.at < month_start + text("interval '1 month'"),
    )
    for month, reason, count in conn.execute(
        select(logged_month, n.c.first_unmet, func.count())
        .where(_logged_in_period(period), ~changed_then)
        .group_by(logged_month, n.c.first_unmet)
    ):
        counts[(month, reason)] += count
    return um._reason_table(
        "trend",
        "Unmet needs by month",
        "Month",
        counts,
        period.months(),
        additive=False,
        notes=("A need unmet in two months counts in both, so months are not added up.",),
    )


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
