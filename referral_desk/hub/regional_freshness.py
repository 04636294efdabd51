"""Regional directory freshness: each team's directory, and the region's services once each.

Rules as `reports.freshness`: a snapshot on the report date, months since verification in the
same bands, pre-checked meaning information-sharing agreed and attendance reported, defunct
services left out (the team leaves them out of its return). Teams of a region mostly hold the
same services, so the region-wide tables count each (provider, service) once, with its most
recent verification at any team and pre-checked if any team has it so; the "by team" table
shows how fresh each team's own copy is.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, String, and_, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from referral_desk.hub.schema import report_service, report_service_category, report_team
from referral_desk.reports import freshness as fr
from referral_desk.reports.model import ChartSpec, Column, Period, Report, ReportTable

__all__ = ["build_freshness"]

_FIGURES = (
    Column("services", "Services"),
    Column("prechecked", "Pre-checked"),
    Column("share", "Share pre-checked (%)", "value", depends_on="prechecked"),
)


def _band(assured: ColumnElement, today: date) -> ColumnElement:
    whens = [(assured.is_(None), "never")]
    for months, key in ((3, "under_3"), (6, "m3_5"), (12, "m6_11"), (24, "m12_23")):
        whens.append((cast(assured, String) > fr._cutoff(today, months), key))
    return case(*whens, else_="m24_plus")


def build_freshness(conn: Connection, date_from: date, date_to: date, today: date) -> Report:
    s, c, t = report_service, report_service_category, report_team
    unique = (
        select(
            s.c.provider,
            s.c.service,
            func.max(s.c.assured_on).label("assured_on"),
            func.bool_or(s.c.prechecked).label("prechecked"),
        )
        .group_by(s.c.provider, s.c.service)
        .cte("unique_service")
    )
    band = _band(unique.c.assured_on, today)
    pre = case((unique.c.prechecked, 1), else_=0)
    figures = {
        key: (int(n), int(p or 0))
        for key, n, p in conn.execute(select(band, func.count(), func.sum(pre)).group_by(band))
    }
    band_rows = []
    for key, label in fr.BANDS:
        n, p = figures.get(key, (0, 0))
        band_rows.append((label, n, p, fr._share(p, n)))
    total_n = sum(int(r[1]) for r in band_rows)
    total_p = sum(int(r[2]) for r in band_rows)
    by_band = ReportTable(
        "by_band",
        "Services in the region by months since verification",
        (Column("label", "Since verification", "label"), *_FIGURES),
        tuple(band_rows),
        ("Total", total_n, total_p, fr._share(total_p, total_n)),
        notes=("Each provider's service counts once, with its latest verification at any team.",),
    )

    team_band = _band(s.c.assured_on, today)
    per_team: dict[str, dict[str, int]] = defaultdict(dict)
    team_pre: dict[str, int] = defaultdict(int)
    for name, key, n, p in conn.execute(
        select(t.c.name, team_band, func.count(), func.sum(case((s.c.prechecked, 1), else_=0)))
        .join(t, t.c.id == s.c.team_id)
        .group_by(t.c.name, team_band)
    ):
        per_team[name][key] = int(n)
        team_pre[name] += int(p or 0)
    team_rows = []
    for name in sorted(per_team, key=str.casefold):
        values = [per_team[name].get(key, 0) for key, _ in fr.BANDS]
        n, p = sum(values), team_pre[name]
        team_rows.append((name, *values, n, p, fr._share(p, n)))
    band_columns = tuple(Column(key, label) for key, label in fr.BANDS)
    by_team = ReportTable(
        "by_team",
        "Each team's directory by months since verification",
        (Column("label", "Team", "label"), *band_columns, *_FIGURES),
        tuple(team_rows),
        None,
        notes=("Teams share most services, so team rows are not added up.",),
        row_total="services",
        parts=tuple(key for key, _ in fr.BANDS),
    )

    per_category: dict[str, dict[str, int]] = defaultdict(dict)
    cat_pre: dict[str, int] = defaultdict(int)
    labelled = (
        select(s.c.provider, s.c.service, c.c.category_label)
        .join(c, and_(c.c.team_id == s.c.team_id, c.c.seq == s.c.seq))
        .distinct()
        .subquery("labelled")
    )
    for label, key, n, p in conn.execute(
        select(labelled.c.category_label, band, func.count(), func.sum(pre))
        .select_from(unique)
        .join(
            labelled,
            and_(labelled.c.provider == unique.c.provider, labelled.c.service == unique.c.service),
        )
        .group_by(labelled.c.category_label, band)
    ):
        per_category[label][key] = int(n)
        cat_pre[label] += int(p or 0)
    category_rows = []
    for label in sorted(per_category, key=str.casefold):
        values = [per_category[label].get(key, 0) for key, _ in fr.BANDS]
        n, p = sum(values), cat_pre[label]
        category_rows.append((label, *values, n, p, fr._share(p, n)))
    by_category = ReportTable(
        "by_category",
        "Services by need category and months since verification",
        (Column("label", "Need category", "label"), *band_columns, *_FIGURES),
        tuple(category_rows),
        None,
        notes=("A service that meets several needs counts under each, so rows are not added.",),
        row_total="services",
        parts=tuple(key for key, _ in fr.BANDS),
    )
    return Report(
        name=fr.NAME,
        title="Directory freshness (region)",
        period=Period(date_from, date_to),
        generated_on=today,
        tables=(by_band, by_team, by_category),
        charts=(
            ChartSpec(
                "chart_bands", "Services by months since verification", "by_band", ("services",)
            ),
            ChartSpec("chart_team", "Services pre-checked by team", "by_team", ("prechecked",)),
        ),
        notes=(
            f"A snapshot on {today.isoformat()} of each team's directory as of its latest "
            "return: services have no verification history, so the date range does not apply.",
            "Pre-checked: information-sharing protocol agreed and the service reports attendance.",
            "Defunct services are left out.",
        ),
    )
