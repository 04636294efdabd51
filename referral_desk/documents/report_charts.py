"""The bar charts of a commissioner's report, drawn with reportlab.graphics (vector, no images).

A chart is as tall as its bars need and continues in further charts ("2 of 3") on one value
scale when a page cannot hold them; a monthly series longer than three years is added up by
quarter (by year beyond ten years), and the caller prints the sentence `by_period` returns.
Hidden (suppressed) values draw no bar; their labels say so. Every drawing starts in the
embedded face: reportlab's graphics default to Helvetica, which would otherwise sit in the PDF
unembedded.
"""

from __future__ import annotations

import re

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import INK, RULE, TINT
from referral_desk.documents.report_model import (
    CHART_HEIGHT,
    FOOTER_HEIGHT,
    REPORT_LAYOUT,
    ChartData,
    SeriesData,
    format_number,
)

SERIES_COLOURS = (
    colors.HexColor("#1d70b8"),
    colors.HexColor("#f47738"),
    colors.HexColor("#00703c"),
    colors.HexColor("#912b88"),
    colors.HexColor("#d4351c"),
    colors.HexColor("#505a5f"),
)
LABEL_SIZE = 6.5


MONTHS_CHARTED = 36
"""Longer monthly series are charted by quarter (up to QUARTERS_CHARTED bars), then by year:
ten years of months as 120 bars would be a grey smear, and a tall chart cannot split."""
QUARTERS_CHARTED = 40
CHART_MAX_HEIGHT = REPORT_LAYOUT.frame_height - FOOTER_HEIGHT - 30 * mm
"""A chart is drawn whole on one page; a longer one continues in another chart below."""
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_LABEL_CHARS = 46


def _label_text(text: str, hidden: bool, marker: str | None) -> str:
    text = " ".join(str(text).split())
    if hidden and marker:
        text = f"{text} ({marker})"
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _chart_labels(chart: ChartData) -> list[str]:
    marker = chart.get("hidden_marker")
    return [
        _label_text(label, any(s["values"][i] is None for s in chart["series"]), marker)
        for i, label in enumerate(chart["labels"])
    ]


def by_period(chart: ChartData) -> tuple[ChartData, str | None]:
    """A monthly series of more than MONTHS_CHARTED months, added up by quarter or year.

    Returns the chart to draw and the sentence that says so on the page (None if unchanged).
    A bar whose months include a hidden (suppressed) figure is hidden too: adding up only the
    visible months would print a total the table does not have.
    """
    labels = [str(x) for x in chart["labels"]]
    if len(labels) <= MONTHS_CHARTED or not all(_MONTH.fullmatch(x) for x in labels):
        return chart, None
    quarters = len({(x[:4], (int(x[5:]) - 1) // 3) for x in labels})
    unit = "quarter" if quarters <= QUARTERS_CHARTED else "year"

    def bucket(label: str) -> str:
        return f"{label[:4]} Q{(int(label[5:]) - 1) // 3 + 1}" if unit == "quarter" else label[:4]

    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(bucket(label), []).append(i)

    def add_up(values: list[float | None], rows: list[int]) -> float | None:
        picked = [values[i] for i in rows]
        return None if any(v is None for v in picked) else float(sum(picked))  # type: ignore[arg-type]

    series: list[SeriesData] = [
        {"name": s["name"], "values": [add_up(s["values"], rows) for rows in groups.values()]}
        for s in chart["series"]
    ]
    merged: ChartData = {
        "key": chart["key"],
        "title": f"{chart['title']}, added up by {unit}",
        "labels": list(groups),
        "series": series,
        "hidden_marker": chart.get("hidden_marker"),
    }
    note = (
        f"{chart['title']}: the period has {len(labels)} months, so the chart adds them up by "
        f"{unit}; the table below has every month. Anything counted in several months of a "
        f"{unit} counts once for each of them."
    )
    return merged, note


def _horizontal(labels: list[str]) -> bool:
    return len(labels) > 12 or max((len(x) for x in labels), default=0) > 14


def _group_height(series: int) -> float:
    """Height per label of a horizontal chart: thinner bars for one series, never below 2.6 mm."""
    return 5.2 * mm / max(1, 3 - series)


def chart_drawings(chart: ChartData, width: float) -> list[Drawing]:
    """One or more drawings for a chart: each fits a page, all on one value scale.

    Vertical for a few short labels; horizontal (labels read across) otherwise, as tall as its
    bars need, continued in further drawings when a page cannot hold them all.
    """
    labels = _chart_labels(chart)
    series = chart["series"]
    data = [[0.0 if v is None else float(v) for v in s["values"]] for s in series]
    top = _nice_max(max((v for row in data for v in row), default=0.0))
    if not _horizontal(labels):
        return [_bar_chart(chart["title"], labels, series, data, top, width, False, CHART_HEIGHT)]
    legend_h = 12 if len(series) > 1 else 0
    room = CHART_MAX_HEIGHT - 14 * mm - 2 * legend_h
    per = max(1, int(room // _group_height(len(series))))
    parts = max(1, -(-len(labels) // per))
    per = -(-len(labels) // parts) if labels else 1  # spread evenly: no lonely last bar
    drawings = []
    for n, start in enumerate(range(0, max(1, len(labels)), per), start=1):
        chunk = slice(start, start + per)
        title = chart["title"] if parts == 1 else f"{chart['title']} ({n} of {parts})"
        rows = len(labels[chunk])
        height = max(CHART_HEIGHT, 14 * mm + 2 * legend_h + rows * _group_height(len(series)))
        drawings.append(
            _bar_chart(
                title,
                labels[chunk],
                series,
                [d[chunk] for d in data],
                top,
                width,
                True,
                min(height, CHART_MAX_HEIGHT),
            )
        )
    return drawings


def chart_drawing(chart: ChartData, width: float) -> Drawing:
    """The first drawing of a chart (a short chart has only one)."""
    return chart_drawings(chart, width)[0]


def _bar_chart(
    title: str,
    labels: list[str],
    series: list[SeriesData],
    data: list[list[float]],
    top: float,
    width: float,
    horizontal: bool,
    height: float,
) -> Drawing:
    fonts = font_family()
    legend_h = 12 if len(series) > 1 else 0
    drawing = Drawing(width, height)
    # Without these the renderer starts each drawing in Helvetica, which then sits in the PDF
    # as a font that is not embedded (reportlab's default for graphics).
    drawing.initialFontName = fonts.regular
    drawing.initialFontSize = LABEL_SIZE
    drawing.add(String(0, height - 11, title, fontName=fonts.bold, fontSize=10, fillColor=INK))
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
    bars.data = data if labels else [[0.0] for _ in series] or [[0.0]]
    bars.categoryAxis.categoryNames = labels or [""]
    bars.categoryAxis.labels.fontName = fonts.regular
    bars.categoryAxis.labels.fontSize = LABEL_SIZE
    bars.valueAxis.labels.fontName = fonts.regular
    bars.valueAxis.labels.fontSize = LABEL_SIZE
    bars.valueAxis.valueMin = 0
    bars.valueAxis.valueMax = top
    bars.valueAxis.valueStep = top / 5
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
            (SERIES_COLOURS[i % len(SERIES_COLOURS)], _label_text(s["name"], False, None))
            for i, s in enumerate(series)
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
