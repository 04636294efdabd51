"""Directory freshness: how long since each service was verified, and how many are pre-checked.

Why: officers had "no confidence" that directory entries were accurate, because sources were
undated (DESIGN.md §1). Every service carries an assured date; this report shows the directory
keeper and commissioners how stale the directory is, where, and what share of services is
pre-checked (information-sharing agreed and reports attendance, the same test as the search
filter), so an officer need not phone each one.

A snapshot on the report date: services have no verification history, so the date range does
not apply. Defunct and deleted services are left out.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from referral_desk.domain.months import months_between
from referral_desk.domain.service_rules import PRECHECKED_WHEN
from referral_desk.domain.vocabularies import ServiceStatus
from referral_desk.reports.labels import OTHER, other_code
from referral_desk.reports.model import Cell, ChartSpec, Column, Period, Report, ReportTable
from referral_desk.store.models import ReferenceItem, Service, ServiceCategory

__all__ = ["BANDS", "NAME", "build"]

NAME = "freshness"
TITLE = "Directory freshness"
_OTHER = ""
"""Stands for every category code that is not in the list (and for a blank one)."""

BANDS: tuple[tuple[str, str], ...] = (
    ("under_3", "Under 3 months"),
    ("m3_5", "3-5 months"),
    ("m6_11", "6-11 months"),
    ("m12_23", "12-23 months"),
    ("m24_plus", "24 months or more"),
    ("never", "Never verified"),
)
"""(key, label) of the months-since-verification bands, freshest first."""


def _cutoff(today: date, months: int) -> str:
    """The ISO text C such that months_between(d, today) < months exactly when d > C.

    months_between(d) < k  <=>  (d.year*12 + d.month, d.day) > (Y*12 + M - k, D) for today
    (Y, M, D), which is an ISO text comparison against "YYYY-MM-DD" with today's day number,
    even when that day does not exist in the month (2026-02-30 still sorts correctly). Dates are
    stored as ISO text, so SQLite compares without parsing a single date.
    """
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}-{today.day:02d}"


def _band(today: date) -> ColumnElement:
    assured = Service.assured_date
    whens = [(assured.is_(None), "never")]
    for months, key in ((3, "under_3"), (6, "m3_5"), (12, "m6_11"), (24, "m12_23")):
        whens.append((cast(assured, String) > _cutoff(today, months), key))
    return case(*whens, else_="m24_plus")


def _prechecked() -> ColumnElement:
    """1 for a pre-checked service (`domain.service_rules`), else 0: summed per band."""
    flags = (getattr(Service, name).is_(True) for name in PRECHECKED_WHEN)
    return case((and_(*flags), 1), else_=0)


def _share(prechecked: int, services: int) -> Cell:
    return round(100.0 * prechecked / services, 1) if services else None


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    band = _band(today)
    live = and_(Service.deleted_at.is_(None), Service.status != ServiceStatus.DEFUNCT)

    grouped = session.execute(
        select(band, func.count(), func.sum(_prechecked())).where(live).group_by(band)
    ).all()
    figures = {key: (int(n), int(p or 0)) for key, n, p in grouped}
    band_rows = []
    for key, label in BANDS:
        n, p = figures.get(key, (0, 0))
        band_rows.append((label, n, p, _share(p, n)))
    total_n = sum(int(r[1]) for r in band_rows)
    total_p = sum(int(r[2]) for r in band_rows)
    figure_columns = (
        Column("services", "Services"),
        Column("prechecked", "Pre-checked"),
        Column("share", "Share pre-checked (%)", "value", depends_on="prechecked"),
    )
    by_band = ReportTable(
        "by_band",
        "Services by months since verification",
        (Column("label", "Since verification", "label"), *figure_columns),
        tuple(band_rows),
        ("Total", total_n, total_p, _share(total_p, total_n)),
    )

    labels = dict(
        session.execute(
            select(ReferenceItem.code, ReferenceItem.label)
            .where(ReferenceItem.list_name == "need_category", ReferenceItem.deleted_at.is_(None))
            .order_by(ReferenceItem.sort_order, ReferenceItem.label)
        ).all()
    )
    # Services first (one sequential pass), then their categories through the service_id
    # index: the other way round looks up scattered, wide service rows one by one.
    services = (
        select(Service.id, band.label("band"), _prechecked().label("prechecked"))
        .where(live)
        .cte("live_service")
        .prefix_with("MATERIALIZED")
    )
    # Categories not in the list (synced, or removed since) are grouped under one "Other" row
    # in SQL, so a service in two such categories still counts once there.
    other = other_code(labels, _OTHER)
    cat = case(
        (ServiceCategory.category_code.in_(list(labels)), ServiceCategory.category_code),
        else_=literal(other),
    )
    per_category: dict[str, dict[str, int]] = {}
    prechecked_by_category: dict[str, int] = {}
    prechecked_id = case((services.c.prechecked == 1, services.c.id))
    for code, key, n, p in session.execute(
        select(
            cat,
            services.c.band,
            func.count(services.c.id.distinct()),
            func.count(prechecked_id.distinct()),
        )
        .select_from(services)
        .join(
            ServiceCategory,
            and_(ServiceCategory.service_id == services.c.id, ServiceCategory.deleted_at.is_(None)),
        )
        .group_by(cat, services.c.band)
    ):
        per_category.setdefault(code, {})[key] = int(n)
        prechecked_by_category[code] = prechecked_by_category.get(code, 0) + int(p or 0)
    order = list(labels) + ([other] if other not in labels and other in per_category else [])
    category_rows = []
    for code in order:
        counts = per_category.get(code, {})
        values = [counts.get(key, 0) for key, _ in BANDS]
        n, p = sum(values), prechecked_by_category.get(code, 0)
        category_rows.append((labels.get(code, OTHER), *values, n, p, _share(p, n)))
    by_category = ReportTable(
        "by_category",
        "Services by need category and months since verification",
        (
            Column("label", "Need category", "label"),
            *(Column(key, label) for key, label in BANDS),
            *figure_columns,
        ),
        tuple(category_rows),
        None,
        notes=("A service that meets several needs counts under each, so rows are not added.",),
        row_total="services",
        parts=tuple(key for key, _ in BANDS),
    )
    median = _median_months(session, live, today)
    notes = [
        f"A snapshot on {today.isoformat()}: services have no verification history, so the "
        "date range does not apply.",
        "Pre-checked: information-sharing protocol agreed and the service reports attendance.",
        "Defunct services are left out.",
    ]
    if median is not None:
        notes.append(f"Median months since verification (verified services): {median:g}.")
    return Report(
        name=NAME,
        title=TITLE,
        period=Period(date_from, date_to),
        generated_on=today,
        tables=(by_band, by_category),
        charts=(
            ChartSpec(
                "chart_bands", "Services by months since verification", "by_band", ("services",)
            ),
            ChartSpec(
                "chart_share",
                "Share pre-checked (%) by months since verification",
                "by_band",
                ("share",),
            ),
        ),
        notes=tuple(notes),
    )


def _median_months(session: Session, live: ColumnElement, today: date) -> float | None:
    """Median from a histogram of verification dates: one row per distinct date, not service."""
    histogram = session.execute(
        select(Service.assured_date, func.count())
        .where(live, Service.assured_date.is_not(None))
        .group_by(Service.assured_date)
        .order_by(Service.assured_date.desc())
    ).all()
    total = sum(n for _, n in histogram)
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    values: list[int] = []
    seen = 0
    for assured, n in histogram:
        for index in wanted:
            if seen <= index < seen + n:
                values.append(max(months_between(assured, today), 0))
        seen += n
    return sum(values) / len(values)
