"""Regional referral outcomes: the team report's funnel over every team's return, in SQL.

The rules are `reports.outcomes`'s: referrals made in the period and sent, followed to the
report date through their status history; funnel columns count referrals that ever reached a
state; "acknowledged" is any reply; medians are of whole days from sending to the first reply
and to starting; outcome score achieved 1, partly 0.5, not 0. Rows are (provider, service) by
name, since the region's teams share one directory; a "by team" table shares the totals row.

One pass: each referral's history was summarised on loading (`summary`, the team report's
per-referral aggregate), so GROUPING SETS over the period's referrals give the service rows, the
team rows and the overall totals (with PostgreSQL's percentile_cont for the medians) at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    case,
    func,
    select,
    tuple_,
)
from sqlalchemy.sql.elements import ColumnElement

from referral_desk.hub.schema import report_referral, report_team
from referral_desk.reports import outcomes as oc
from referral_desk.reports.model import Cell, ChartSpec, Column, Period, Report, ReportTable
from referral_desk.store.seed import default_reference_items

__all__ = ["build_outcomes"]

S = oc.S
_REGION_NOTE = (
    "Covers every team's latest commissioning return loaded at the regional hub; providers and "
    "services are matched by name."
)


def _per_referral(period: Period) -> Any:
    """The period's sent referrals with their summaries (worked out on loading)."""
    r = report_referral
    return (
        select(
            r.c.team_id,
            r.c.provider,
            r.c.service,
            r.c.made_on,
            r.c.score,
            r.c.reply_days,
            r.c.start_days,
            r.c.reached,
            r.c.decline_reason,
        )
        .where(
            r.c.made_on >= period.date_from,
            r.c.made_on <= period.date_to,
            r.c.sent_on.is_not(None),
        )
        .cte("per")
    )


def _reached(per: Any, state: Any) -> ColumnElement:
    return per.c.reached.op("&")(oc.BITS[state.value]) != 0


def _medians(conn: Connection, per: Any, days: ColumnElement) -> dict[Any, float]:
    """Median days per service, per team and overall, from histograms of whole days.

    Days are small integers, so counting them per group (a hash aggregate) and taking the
    middle in Python is far cheaper than PostgreSQL's percentile_cont, which sorts every group;
    the median is the team report's (`outcomes._list_median`): the mean of the middle two.
    """
    level = func.grouping(per.c.provider, per.c.service, per.c.team_id)
    stmt = (
        select(level, per.c.provider, per.c.service, per.c.team_id, days, func.count())
        .where(days.is_not(None))
        .group_by(
            func.grouping_sets(
                tuple_(per.c.provider, per.c.service, days),
                tuple_(per.c.team_id, days),
                tuple_(days),
            )
        )
    )
    histograms: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for group_level, provider, service, team_id, value, count in conn.execute(stmt):
        key = (provider, service) if group_level == 1 else team_id if group_level == 6 else ()
        histograms[key].append((int(value), int(count)))
    return {key: _histogram_median(h) for key, h in histograms.items()}


def _histogram_median(histogram: list[tuple[int, int]]) -> float:
    histogram.sort()
    total = sum(n for _, n in histogram)
    wanted = ((total - 1) // 2, total // 2)
    found: list[int] = []
    seen = 0
    for value, n in histogram:
        found.extend(value for index in wanted if seen <= index < seen + n)
        seen += n
    return round(sum(found) / 2, 1)


def build_outcomes(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    per = _per_referral(period)
    t = report_team
    funnel_sums = [func.sum(case((_reached(per, S(k)), 1), else_=0)) for k, _ in oc.FUNNEL[2:]]
    stmt = select(
        func.grouping(per.c.provider, per.c.service, per.c.team_id).label("level"),
        per.c.provider,
        per.c.service,
        per.c.team_id,
        func.count(),
        func.count(per.c.reply_days),
        *funnel_sums,
        func.count(per.c.score),
        func.coalesce(func.sum(per.c.score), 0.0),
        func.min(per.c.made_on),
        func.max(per.c.made_on),
    ).group_by(
        func.grouping_sets(tuple_(per.c.provider, per.c.service), tuple_(per.c.team_id), tuple_())
    )
    keys = (*oc._SUMMED, "first_made", "last_made")
    services: dict[tuple[str, str], dict[str, Any]] = {}
    teams: dict[int, dict[str, Any]] = {}
    overall: dict[str, Any] = {k: 0 for k in keys}
    for level, provider, service, team_id, *values in conn.execute(stmt):
        data = dict(zip(keys, values, strict=True))
        data["score"] = float(data["score"] or 0.0)
        if level == 1:  # grouped by (provider, service): team_id is the rolled-up one
            services[(provider, service)] = data
        elif level == 6:  # grouped by team
            teams[team_id] = data
        else:
            overall = data
    for column, key in ((per.c.reply_days, "median_ack"), (per.c.start_days, "median_start")):
        medians = _medians(conn, per, column)
        for group, figures in (*services.items(), *teams.items()):
            figures[key] = medians.get(group)
        overall[key] = medians.get(())
    names = dict(conn.execute(select(t.c.id, t.c.name)).all())
    declines = _declines(conn, per)

    replied: dict[str, int] = defaultdict(int)
    for (provider, _), data in services.items():
        replied[provider] += int(data["acknowledged"] or 0)
    silent = {p for p, n in replied.items() if n == 0}
    rows = [(p, s, *oc._figures(d)) for (p, s), d in services.items()]
    rows.sort(key=lambda r: (-int(r[2]), *(str(x).casefold() for x in r[:2]), *r[:2]))
    public = tuple(
        (i, key)
        for i, row in enumerate(rows)
        if row[0] in silent
        for key, _ in oc.FUNNEL
        if key not in ("made", "withdrawn")
    )
    team_rows = sorted(
        ((names.get(tid, ""), *oc._figures(d)) for tid, d in teams.items()),
        key=lambda r: str(r[0]).casefold(),
    )
    team_columns = (Column("label", "Team", "label"), *oc._columns()[2:])
    tables = (
        ReportTable(
            "by_service",
            "Referral outcomes by provider and service",
            oc._columns(),
            tuple(rows),
            ("Total", "", *oc._figures(overall)),
            notes=(
                "Counts are of referrals that reached each state by the report date; "
                "a completed referral also counts as accepted and started.",
                "Acknowledged means any reply from the provider (acknowledged, waiting "
                "list, accepted or declined). Declines are in their own table, by reason.",
                "Outcome score: achieved 1, partly achieved 0.5, not achieved 0.",
            ),
            public=public,
        ),
        ReportTable(
            "by_team",
            "Referral outcomes by team",
            team_columns,
            tuple(team_rows),
            ("Total", *oc._figures(overall)),
        ),
        declines,
        _never_respond(services, silent, today),
    )
    return Report(
        name=oc.NAME,
        title="Referral outcomes by provider and service (region)",
        period=period,
        generated_on=today,
        tables=tables,
        charts=(
            ChartSpec(
                "chart_funnel",
                "Referrals made in the period: how far they got",
                "by_service",
                ("made", "acknowledged", "accepted", "started", "completed"),
                source="totals",
            ),
            ChartSpec("chart_team", "Referrals made by team", "by_team", ("made",)),
        ),
        notes=(
            "Referrals made in the period and sent to the provider, followed to the report "
            "date. Drafts never sent are left out.",
            _REGION_NOTE,
        ),
    )


def _decline_labels() -> dict[str, str]:
    return {
        item["code"]: item["label"]
        for item in default_reference_items()
        if item["list_name"] == "decline_reason"
    }


def _declines(conn: Connection, per: Any) -> ReportTable:
    reason = func.coalesce(per.c.decline_reason, "")
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for provider, service, code, n in conn.execute(
        select(per.c.provider, per.c.service, reason, func.count())
        .where(_reached(per, S.DECLINED))
        .group_by(per.c.provider, per.c.service, reason)
    ):
        counts[(provider, service)][code] = n
    labels = _decline_labels()
    used = {code for row in counts.values() for code in row}
    codes = list(labels) + sorted(used - set(labels) - {""}) + ([""] if "" in used else [])
    keys = [f"reason_{i}" for i in range(len(codes))]
    columns = (
        Column("label", "Provider", "label"),
        Column("service", "Service", "label"),
        *(
            Column(k, labels.get(code, code.replace("_", " ").capitalize()) or oc.NOT_RECORDED)
            for k, code in zip(keys, codes, strict=True)
        ),
        Column("total", "Total declined"),
    )
    rows: list[tuple[Cell, ...]] = []
    for (provider, service), by_code in counts.items():
        values = [by_code.get(code, 0) for code in codes]
        rows.append((provider, service, *values, sum(values)))
    rows.sort(key=lambda r: (-int(r[-1]), *(str(x).casefold() for x in r[:2]), *r[:2]))  # type: ignore[arg-type]
    sums = [sum(int(r[i]) for r in rows) for i in range(2, len(codes) + 3)]  # type: ignore[arg-type]
    return ReportTable(
        "declined_by_reason",
        "Declined referrals by provider, service and reason",
        columns,
        tuple(rows),
        ("Total", "", *sums),
        row_total="total",
        parts=tuple(keys),
    )


def _never_respond(
    services: dict[tuple[str, str], dict[str, Any]], silent: set[str], today: date
) -> ReportTable:
    spans: dict[str, list[Any]] = {}
    for (provider, _), data in services.items():
        if provider not in silent:
            continue
        first, last = data["first_made"], data["last_made"]
        span = spans.setdefault(provider, [0, first, last])
        span[0] += 1
        span[1], span[2] = min(span[1], first), max(span[2], last)
    rows = [
        (provider, n, (today - first).days, (today - last).days)
        for provider, (n, first, last) in spans.items()
    ]
    return oc.never_respond_table(rows)
