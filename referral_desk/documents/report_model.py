"""A commissioner's report as the PDF reads it, and the page it is laid out on.

The shapes are those of `reports.export.to_data` (only the keys the PDF reads): `documents` and
`reports` are sibling layers and do not import each other (`report_pdf` says why).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from referral_desk.documents.layout import Layout


class ColumnData(TypedDict):
    key: str
    title: str
    kind: str  # label | count | value


class TableData(TypedDict):
    key: str
    title: str
    columns: list[ColumnData]
    rows: list[list[Any]]
    totals: list[Any] | None
    notes: list[str]


class SeriesData(TypedDict):
    name: str
    values: list[float | None]


class ChartData(TypedDict):
    key: str
    title: str
    labels: list[str]
    series: list[SeriesData]
    hidden_marker: NotRequired[str | None]


class ReportData(TypedDict):
    """What `reports.export.to_data` returns (only the keys the PDF reads)."""

    title: str
    period: dict[str, str]
    generated_on: str
    suppression: dict[str, Any]
    notes: list[str]
    tables: list[TableData]
    charts: list[ChartData]


REPORT_LAYOUT = Layout(
    name="A4 landscape",
    pagesize=landscape(A4),
    margin=12 * mm,
    body=9,
    small=7.5,
    heading=12,
    title=18,
    reference=12,
    qr_size=0,
    label_width=0,
    gap=3 * mm,
)
FOOTER_HEIGHT = 8 * mm
CHART_HEIGHT = 62 * mm


def format_number(value: Any) -> str:
    """Cells as printed: 1,234 · 2.5 · 0.75 · text unchanged · empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)
