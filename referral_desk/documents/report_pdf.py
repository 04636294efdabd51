"""A commissioner's report as a PDF: title, period, notes, bar charts, then every table.

Why this takes plain data (a mapping, the same shape `referral-desk report --format json`
prints) rather than the reports package's classes: `documents` and `reports` are sibling layers
and must not import each other, and the PDF must only ever see a report that has already been
suppressed and stripped for leaving the machine. The caller (services) passes
`reports.export.to_data(...)`, so the PDF cannot show a figure the CSV hides.

Landscape A4 with small but legible type (tables are wide: up to 16 columns), charts drawn with
reportlab.graphics (vector, no images), the shared embedded font, and deterministic bytes
(`layout.write_pdf` uses invariant mode). Hidden (suppressed) values draw no bar; their labels say
so, e.g. "Bereavement (<5)".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NotRequired, TypedDict

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import (
    INK,
    MUTED,
    RULE,
    TINT,
    Layout,
    format_date,
    para,
    table_style,
    write_pdf,
)

__all__ = ["REPORT_LAYOUT", "render_report_pdf"]


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
    name="A4 landscape", pagesize=landscape(A4), margin=12 * mm, body=9, small=7.5, heading=12,
    title=18, reference=12, qr_size=0, label_width=0, gap=3 * mm,
)  # fmt: skip
FOOTER_HEIGHT = 8 * mm
SERIES_COLOURS = (
    colors.HexColor("#1d70b8"),
    colors.HexColor("#f47738"),
    colors.HexColor("#00703c"),
    colors.HexColor("#912b88"),
    colors.HexColor("#d4351c"),
    colors.HexColor("#505a5f"),
)
CHART_HEIGHT = 62 * mm
LABEL_SIZE = 6.5
_NUMBER_WIDTH = 17 * mm
_LABEL_MAX = 95 * mm
_LABEL_MIN = 36 * mm
MAX_ROWS = 150
"""Rows printed per table. A PDF is read, not searched: 4,000 services over 200 pages help no
one, so longer tables print their first rows (reports sort them largest first) and say that the
CSV and Excel exports have the rest."""


def _styles() -> dict[str, ParagraphStyle]:
    fonts = font_family()
    layout = REPORT_LAYOUT
    cell = ParagraphStyle("cell", fontName=fonts.regular, fontSize=7.5, leading=9, textColor=INK)
    return {
        "title": layout.style("title"),
        "heading": layout.style("heading"),
        "body": layout.style("body"),
        "small": layout.style("small"),
        "cell": cell,
        "head": ParagraphStyle("head", parent=cell, fontName=fonts.bold),
        "head_num": ParagraphStyle(
            "head_num", parent=cell, fontName=fonts.bold, alignment=TA_RIGHT
        ),
    }


def _iso(text: str) -> str:
    try:
        return format_date(date.fromisoformat(text))
    except (TypeError, ValueError):
        return str(text)


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


# --- charts ---------------------------------------------------------------------------------


def _chart_labels(chart: ChartData) -> list[str]:
    hidden = chart.get("hidden_marker")
    labels = []
    for i, label in enumerate(chart["labels"]):
        text = str(label)
        if hidden and any(s["values"][i] is None for s in chart["series"]):
            text = f"{text} ({hidden})"
        labels.append(text if len(text) <= 46 else text[:45] + "…")
    return labels


def chart_drawing(chart: ChartData, width: float) -> Drawing:
    """A titled bar chart; horizontal when there are many or long labels (categories)."""
    fonts = font_family()
    labels = _chart_labels(chart)
    series = chart["series"]
    data = [[0.0 if v is None else float(v) for v in s["values"]] for s in series]
    top = max((v for row in data for v in row), default=0.0)
    horizontal = len(labels) > 12 or max((len(x) for x in labels), default=0) > 14
    legend_h = 12 if len(series) > 1 else 0
    if horizontal:
        height = max(CHART_HEIGHT, 14 * mm + len(labels) * 5.2 * mm / max(1, 3 - len(series)))
    else:
        height = CHART_HEIGHT
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 11, chart["title"], fontName=fonts.bold, fontSize=10,
                       fillColor=INK))  # fmt: skip
    bars = HorizontalBarChart() if horizontal else VerticalBarChart()
    widest = max((stringWidth(x, fonts.regular, LABEL_SIZE) for x in labels), default=0.0)
    label_room = min(width * 0.45, widest + 6)
    if horizontal:
        bars.x, bars.y = label_room + 4, 14 + legend_h
        bars.width = width - bars.x - 20
        bars.height = height - 30 - legend_h - bars.y + 14
    else:
        bars.x, bars.y = 30, 30 + legend_h
        bars.width = width - 40
        bars.height = height - 46 - legend_h
    bars.data = data
    bars.categoryAxis.categoryNames = labels
    bars.categoryAxis.labels.fontName = fonts.regular
    bars.categoryAxis.labels.fontSize = LABEL_SIZE
    bars.valueAxis.labels.fontName = fonts.regular
    bars.valueAxis.labels.fontSize = LABEL_SIZE
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = _nice_max(top)
    bars.valueAxis.valueStep = _nice_max(top) / 5
    bars.valueAxis.labelTextFormat = lambda v: format_number(round(v, 2))
    bars.categoryAxis.strokeColor = RULE
    bars.valueAxis.strokeColor = RULE
    bars.valueAxis.visibleGrid = 1
    bars.valueAxis.gridStrokeColor = TINT
    if horizontal:
        bars.categoryAxis.reverseDirection = 1  # first label at the top, like the table
        bars.categoryAxis.labels.boxAnchor = "e"
        bars.categoryAxis.labels.dx = -3
    else:
        bars.categoryAxis.labels.boxAnchor = "n"
        if len(labels) > 8:
            bars.categoryAxis.labels.angle = 30
            bars.categoryAxis.labels.boxAnchor = "ne"
    bars.barSpacing = 0.5
    bars.groupSpacing = 3
    for i in range(len(series)):
        bars.bars[i].fillColor = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        bars.bars[i].strokeColor = None
    drawing.add(bars)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = bars.x, 6
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.fontName = fonts.regular
        legend.fontSize = 7
        legend.dx = legend.dy = 6
        legend.deltax = 90
        legend.colorNamePairs = [
            (SERIES_COLOURS[i % len(SERIES_COLOURS)], s["name"]) for i, s in enumerate(series)
        ]
        drawing.add(legend)
    return drawing


def _nice_max(top: float) -> float:
    """A round axis maximum at or above `top`: 5 steps of 1, 2, 2.5, 3, 4, 5, 6 or 8 × 10^n."""
    if top <= 0:
        return 5.0
    step = top / 5
    magnitude = 10 ** len(str(int(step))) / 10 if step >= 1 else 1
    for factor in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if magnitude * factor >= step:
            return magnitude * factor * 5
    return top  # pragma: no cover - the loop always returns


# --- tables ---------------------------------------------------------------------------------


def table_flowable(table: TableData, width: float) -> Table:
    styles = _styles()
    columns = table["columns"]
    labels = [i for i, c in enumerate(columns) if c["kind"] == "label"]
    numbers = len(columns) - len(labels)
    number_width = min(_NUMBER_WIDTH, (width - _LABEL_MIN * len(labels)) / max(1, numbers))
    # Labels take the rest of the width, up to a readable measure; narrow tables stay narrow.
    label_width = min(_LABEL_MAX, (width - number_width * numbers) / max(1, len(labels)))
    widths = [label_width if c["kind"] == "label" else number_width for c in columns]
    # Headers shrink (never below 5 pt) until their longest word fits: no "Acknowl-edged".
    bold = font_family().bold
    longest = max(
        (
            stringWidth(w, bold, 1)
            for c in columns
            if c["kind"] != "label"
            for w in c["title"].split()
        ),
        default=1.0,
    )
    size = max(5.0, min(7.5, (number_width - 4.5) / longest))
    # splitLongWords=0: a word a hair too wide overhangs into the cell padding, never breaks.
    head = ParagraphStyle("head_fit", parent=styles["head"], fontSize=size, leading=size + 1.5,
                          splitLongWords=0)  # fmt: skip
    head_num = ParagraphStyle("head_fit_num", parent=head, alignment=TA_RIGHT)
    header = [
        Paragraph(_escape(c["title"]), head if c["kind"] == "label" else head_num) for c in columns
    ]
    body_rows = [list(r) for r in table["rows"][:MAX_ROWS]]
    if table["totals"] is not None:
        body_rows.append(list(table["totals"]))
    data: list[list[Any]] = [header]
    for row in body_rows:
        data.append([
            Paragraph(_escape(format_number(v)), styles["cell"]) if i in labels
            else format_number(v)
            for i, v in enumerate(row)
        ])  # fmt: skip
    commands: list[tuple] = [
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("LEADING", (0, 0), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (0, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for i in labels:
        commands.append(("ALIGN", (i, 1), (i, -1), "LEFT"))
    if table["totals"] is not None:
        commands += [
            ("FONTNAME", (0, -1), (-1, -1), font_family().bold),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
            ("BACKGROUND", (0, -1), (-1, -1), TINT),
        ]
    result = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", splitByRow=1)
    result.setStyle(table_style(commands))
    return result


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the document ---------------------------------------------------------------------------


def report_story(report: ReportData) -> list[Flowable]:
    styles = _styles()
    layout = REPORT_LAYOUT
    width = layout.frame_width
    period = report["period"]
    story: list[Flowable] = [
        para(report["title"], styles["title"]),
        Spacer(1, 2 * mm),
        para(
            f"{_iso(period['from'])} to {_iso(period['to'])}. "
            f"Produced on {_iso(report['generated_on'])} by Referral Desk.",
            styles["body"],
        ),
        Spacer(1, 1.5 * mm),
    ]
    # The notes include the suppression statement (reports.export.prepare adds it).
    for note in report["notes"]:
        story.append(para(note, styles["small"]))
    charts = report["charts"]
    for i in range(0, len(charts), 2):
        pair = charts[i : i + 2]
        half = (width - 8 * mm) / 2
        drawings = [chart_drawing(c, half if len(pair) == 2 else width * 0.7) for c in pair]
        row = Table([drawings], colWidths=[d.width + 4 * mm for d in drawings], hAlign="LEFT")
        row.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
        story += [Spacer(1, layout.gap), row]
    for table in report["tables"]:
        block: list[Flowable] = [
            CondPageBreak(40 * mm),
            Spacer(1, layout.gap * 1.5),
            para(table["title"], styles["heading"]),
            Spacer(1, 1.5 * mm),
        ]
        # CondPageBreak keeps a heading from being stranded at the foot of a page.
        story += block
        if table["rows"]:
            story.append(table_flowable(table, width))
        else:
            story.append(para("No data in this period.", styles["body"]))
        shown = len(table["rows"])
        if shown > MAX_ROWS:
            story.append(
                para(
                    f"The first {MAX_ROWS:,} of {shown:,} rows are shown (the total row covers "
                    "them all); the CSV and Excel exports have every row.",
                    styles["small"],
                )
            )
        for note in table["notes"]:
            story.append(para(note, styles["small"]))
    return story


def render_report_pdf(report: Mapping[str, Any] | ReportData) -> bytes:
    """PDF bytes for a prepared (suppressed, stripped) report in `to_data` form."""
    data: ReportData = report  # type: ignore[assignment]
    title = str(data["title"])

    def footer(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(font_family().regular, 7.5)
        canvas.setFillColor(MUTED)
        margin = REPORT_LAYOUT.margin
        canvas.drawString(margin, margin - 2 * mm, f"Referral Desk · {title}")
        canvas.drawRightString(
            REPORT_LAYOUT.pagesize[0] - margin, margin - 2 * mm, f"Page {page} of {total}"
        )
        canvas.restoreState()

    return write_pdf(
        report_story(data),
        REPORT_LAYOUT,
        title=title,
        footer=footer,
        footer_height=FOOTER_HEIGHT,
    )
