"""A commissioner's report as a PDF: title, period, notes, bar charts, then every table.

Why this takes plain data (a mapping, the same shape `referral-desk report --format json`
prints) rather than the reports package's classes: `documents` and `reports` are sibling layers
and must not import each other, and the PDF must only ever see a report that has already been
suppressed and stripped for leaving the machine. The caller (services) passes
`reports.export.to_data(...)`, so the PDF cannot show a figure the CSV hides.

Landscape A4 with small but legible type (tables are wide: up to 16 columns), charts drawn with
reportlab.graphics (vector, no images), the shared embedded font, and deterministic bytes
(`pages.write_pdf` uses invariant mode). Hidden (suppressed) values draw no bar; their labels say
so, e.g. "Bereavement (<5)".

Any accepted period (one day to twenty years) and any data must lay out, because a flowable
taller than a page stops reportlab with a LayoutError and no PDF at all:
- a chart is as tall as its bars need and continues in further charts ("2 of 3") on one value
  scale when a page cannot hold them; a monthly series longer than three years is added up by
  quarter (by year beyond ten years), and a sentence under the chart says so;
- a table with more figure columns than fit continues in further parts with its label columns
  repeated; long tables split across pages with the header row repeated;
- cells are cut to a printable length, whatever an old database holds;
- every drawing starts in the embedded face: reportlab's graphics default to Helvetica, which
  would otherwise sit in the PDF unembedded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table

from referral_desk.documents.fonts import font_family
from referral_desk.documents.layout import INK, MUTED, RULE, TINT, format_date, para, table_style
from referral_desk.documents.pages import write_pdf
from referral_desk.documents.report_charts import by_period, chart_drawing, chart_drawings
from referral_desk.documents.report_model import (
    CHART_HEIGHT,
    FOOTER_HEIGHT,
    REPORT_LAYOUT,
    ChartData,
    ReportData,
    TableData,
    format_number,
)

__all__ = ["REPORT_LAYOUT", "render_report_pdf"]


_NUMBER_WIDTH = 17 * mm
_LABEL_MAX = 95 * mm
_LABEL_MIN = 36 * mm
MAX_ROWS = 250
"""Rows printed per table. A PDF is read, not searched: 4,000 services over 200 pages help no
one, so longer tables print their first rows (reports sort them largest first) and say that the
CSV and Excel exports have the rest. 250 keeps every month of the longest period a report may
cover (20 years)."""


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


# --- tables ---------------------------------------------------------------------------------

MIN_NUMBER_WIDTH = 13 * mm
"""Narrowest figure column: "12,345" and a header word in 6 pt still fit. A table with more
figure columns than fit at this width continues in a second table below, with the row labels
repeated, rather than printing figures nobody can read."""
_CELL_CHARS = 200
"""Longest label printed in a cell (a name from an old database may be any length)."""


def column_groups(table: TableData, width: float) -> list[list[int]]:
    """Column indexes of each part of a table: every part repeats the label columns."""
    columns = table["columns"]
    labels = [i for i, c in enumerate(columns) if c["kind"] == "label"]
    figures = [i for i, c in enumerate(columns) if c["kind"] != "label"]
    label_room = min(_LABEL_MIN * len(labels), width * 0.6)
    fit = max(1, int((width - label_room) // MIN_NUMBER_WIDTH))
    if len(figures) <= fit:
        return [list(range(len(columns)))]
    parts = -(-len(figures) // fit)
    size = -(-len(figures) // parts)  # spread evenly
    return [sorted(labels + figures[i : i + size]) for i in range(0, len(figures), size)]


def table_flowable(table: TableData, width: float, columns: list[int] | None = None) -> Table:
    """The table (or the part of it with `columns`) with a repeated header row."""
    styles = _styles()
    picked = list(range(len(table["columns"]))) if columns is None else columns
    cols = [table["columns"][i] for i in picked]
    labels = [j for j, c in enumerate(cols) if c["kind"] == "label"]
    numbers = len(cols) - len(labels)
    label_min = min(_LABEL_MIN, width * 0.6 / max(1, len(labels)))
    number_width = min(_NUMBER_WIDTH, (width - label_min * len(labels)) / max(1, numbers))
    # Labels take the rest of the width, up to a readable measure; narrow tables stay narrow.
    label_width = min(_LABEL_MAX, (width - number_width * numbers) / max(1, len(labels)))
    widths = [label_width if c["kind"] == "label" else number_width for c in cols]
    # Headers shrink (never below 5 pt) until their longest word fits: no "Acknowl-edged".
    bold = font_family().bold
    longest = max(
        (stringWidth(w, bold, 1) for c in cols if c["kind"] != "label" for w in c["title"].split()),
        default=1.0,
    )
    size = max(5.0, min(7.5, (number_width - 4.5) / longest))
    # splitLongWords=0: a word a hair too wide overhangs into the cell padding, never breaks.
    head = ParagraphStyle(
        "head_fit", parent=styles["head"], fontSize=size, leading=size + 1.5, splitLongWords=0
    )
    head_num = ParagraphStyle("head_fit_num", parent=head, alignment=TA_RIGHT)
    header = [
        Paragraph(_escape(_cell(c["title"])), head if c["kind"] == "label" else head_num)
        for c in cols
    ]
    body_rows = [list(r) for r in table["rows"][:MAX_ROWS]]
    if table["totals"] is not None:
        body_rows.append(list(table["totals"]))
    data: list[list[Any]] = [header]
    for row in body_rows:
        cells = [row[i] if i < len(row) else None for i in picked]
        data.append(
            [
                Paragraph(_escape(_cell(format_number(v))), styles["cell"])
                if j in labels
                else format_number(v)
                for j, v in enumerate(cells)
            ]
        )
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


def _cell(text: str) -> str:
    text = str(text)
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the document ---------------------------------------------------------------------------

PAIRED_HEIGHT = CHART_HEIGHT * 1.6
"""Charts up to this tall stand two abreast; taller ones (many bars) get the width alone."""


def _chart_flowables(charts: list[ChartData], width: float) -> list[Flowable]:
    """Charts two abreast where they are short, alone (and continued) where they are tall; a
    chart added up by quarter or year says so right under it."""
    small = _styles()["small"]
    half = (width - 8 * mm) / 2
    story: list[Flowable] = []
    pending: list[tuple[ChartData, str | None]] = []

    def row(items: list[tuple[ChartData, str | None]], each: float) -> None:
        drawings = [chart_drawing(chart, each) for chart, _ in items]
        table = Table([drawings], colWidths=[d.width + 4 * mm for d in drawings], hAlign="LEFT")
        table.setStyle(
            table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        )
        story.extend([Spacer(1, REPORT_LAYOUT.gap), table])
        story.extend(para(note, small) for _, note in items if note)

    for original in charts:
        chart, note = by_period(original)
        halves = chart_drawings(chart, half)
        if len(halves) == 1 and halves[0].height <= PAIRED_HEIGHT:
            pending.append((chart, note))
            if len(pending) == 2:
                row(pending, half)
                pending = []
            continue
        if pending:
            row(pending, half)
            pending = []
        for drawing in chart_drawings(chart, width * 0.7):
            story.extend([Spacer(1, REPORT_LAYOUT.gap), drawing])
        if note:
            story.append(para(note, small))
    if pending:  # a chart left without a partner takes more of the width
        row(pending, width * 0.7)
    return story


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
    story += _chart_flowables(list(report["charts"]), width)
    for table in report["tables"]:
        # CondPageBreak keeps a heading from being stranded at the foot of a page.
        story += [
            CondPageBreak(40 * mm),
            Spacer(1, layout.gap * 1.5),
            para(table["title"], styles["heading"]),
            Spacer(1, 1.5 * mm),
        ]
        if table["rows"]:
            groups = column_groups(table, width)
            figures = sum(1 for c in table["columns"] if c["kind"] != "label")
            done = 0
            for n, columns in enumerate(groups, start=1):
                if len(groups) > 1:
                    shown = sum(1 for i in columns if table["columns"][i]["kind"] != "label")
                    text = f"Figure columns {done + 1}–{done + shown} of {figures}" + (
                        " (row labels repeated)." if n > 1 else "."
                    )
                    done += shown
                    if n > 1:
                        story += [CondPageBreak(30 * mm), Spacer(1, layout.gap)]
                    story.append(para(text, styles["small"]))
                story.append(table_flowable(table, width, columns))
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
