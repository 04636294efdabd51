"""Everything that leaves the officer's machine: suppressed, stripped, then CSV, XLSX or data.

Why one module: a report leaves the machine as a file (CSV, XLSX, PDF) or as JSON on the command
line, and every one of those must obey the same rules. So every writer here starts with
`prepare`, and the PDF renderer (in `documents`) only ever receives `to_data`'s output:

- small counts are suppressed, with secondary suppression (`suppression.suppress_table`), and
  a totals row that several tables print is hidden alike in all of them (`shared_rows`);
- officers' names become "Officer 1", "Officer 2"… (exports carry no names);
- the "Other" need descriptions (free text) are dropped, they are for the screen only;
- control characters are taken out of every text cell, title and note (domain.text's rule), so
  a value from an older database can neither stop the XLSX writer nor rewrite a terminal;
- as a last line of defence any label shaped like a case number (CRN, prison number, PNC) or a
  referral reference is withheld, in case someone typed one into a place or provider field;
- spreadsheet cells that start with = + - @ (or tab / carriage return) get a leading apostrophe,
  so a provider called "=HYPERLINK(…)" cannot run as a formula when a commissioner opens the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from referral_desk.domain.text import clean_line
from referral_desk.reports.model import UNASSIGNED, Cell, Report, ReportTable
from referral_desk.reports.suppression import COMPLEMENT, marker, shared_rows, suppress_table

__all__ = [
    "FORMULA_PREFIXES",
    "WITHHELD",
    "escape_cell",
    "prepare",
    "suppression_statement",
    "to_csv_bytes",
    "to_data",
    "to_xlsx_bytes",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WITHHELD = "Withheld"

_REFERENCE_CHARS = "234679ACDEFGHJKLMNPQRTUVWXYZ"
_CASE_NUMBER = re.compile(
    r"\b[A-Za-z]\d{6}\b"  # CRN
    r"|\b[A-Za-z]\d{4}[A-Za-z]{2}\b"  # prison (NOMIS) number
    r"|\b\d{2}(?:\d{2})?/\d{1,7}[A-Za-z]\b"  # PNC number
    rf"|\b[{_REFERENCE_CHARS}]{{3}}-[{_REFERENCE_CHARS}]{{3}}\b"  # referral reference
)


def suppression_statement(threshold: int) -> str:
    return (
        f"Counts from 1 to {threshold - 1} are shown as {marker(threshold)}. Cells shown as "
        f"{COMPLEMENT} are hidden so that a small count cannot be worked out from totals or "
        "from other tables, or are measures built on hidden counts."
        if threshold > 1
        else "No small-count suppression was applied."
    )


def escape_cell(value: Cell) -> Cell:
    """A text cell that a spreadsheet would read as a formula, made inert; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _withhold(value: Cell) -> Cell:
    if isinstance(value, str) and _CASE_NUMBER.search(value):
        return WITHHELD
    return value


def _strip_table(table: ReportTable, pseudonyms: dict[str, str]) -> ReportTable:
    label_columns = [i for i, c in enumerate(table.columns) if c.kind == "label"]
    personal = {i for i, c in enumerate(table.columns) if c.personal}

    def clean(row: tuple[Cell, ...]) -> tuple[Cell, ...]:
        out = [_inert(v) for v in row]
        for i in label_columns:
            value = out[i]
            if i in personal and isinstance(value, str) and value and value != UNASSIGNED:
                out[i] = pseudonyms.setdefault(value, f"Officer {len(pseudonyms) + 1}")
            else:
                out[i] = _withhold(value)
        return tuple(out)

    rows = tuple(clean(r) for r in table.rows)
    return replace(
        table,
        title=clean_line(table.title),
        columns=tuple(replace(c, title=clean_line(c.title)) for c in table.columns),
        rows=rows,
        totals=None if table.totals is None else tuple(_inert(v) for v in table.totals),
        notes=tuple(clean_line(n) for n in table.notes),
    )


def _inert(value: Cell) -> Cell:
    """Text without control characters (domain.text's rule), whatever the database holds.

    New input is cleaned when it is typed, but a name from an older version's database (or a
    directory entry synced before the rule) may still hold a NUL or an escape: openpyxl refuses
    to write one, a terminal would obey one. Cleaning here keeps every format working.
    """
    return clean_line(value) if isinstance(value, str) else value


def prepare(report: Report, threshold: int) -> Report:
    """The report as it may leave the machine (idempotent: a prepared report is returned as is)."""
    if report.suppressed_below is not None:
        return report
    pseudonyms: dict[str, str] = {}
    shared = shared_rows(report.tables, threshold)
    tables = tuple(
        _strip_table(suppress_table(t, threshold, shared), pseudonyms) for t in report.tables
    )
    return replace(
        report,
        title=clean_line(report.title),
        tables=tables,
        other_descriptions=(),
        notes=tuple(clean_line(n) for n in (*report.notes, suppression_statement(threshold))),
        suppressed_below=threshold,
    )


# --- plain data (JSON and the PDF renderer) ------------------------------------------------------


def to_data(report: Report, threshold: int) -> dict[str, Any]:
    """The prepared report as JSON-ready data: what `--format json` prints and the PDF draws."""
    safe = prepare(report, threshold)
    return {
        "report": safe.name,
        "title": safe.title,
        "period": {
            "from": safe.period.date_from.isoformat(),
            "to": safe.period.date_to.isoformat(),
        },
        "generated_on": safe.generated_on.isoformat(),
        "suppression": {
            "threshold": safe.suppressed_below,
            "marker": marker(threshold),
            "complement_marker": COMPLEMENT,
            "statement": suppression_statement(threshold),
        },
        "notes": list(safe.notes),
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in t.columns],
                "rows": [list(row) for row in t.rows],
                "totals": None if t.totals is None else list(t.totals),
                "notes": list(t.notes),
            }
            for t in safe.tables
        ],
        "charts": [
            {
                "key": chart.key,
                "title": chart.title,
                "labels": list(chart.labels),
                "series": [{"name": s.name, "values": list(s.values)} for s in chart.series],
                "hidden_marker": "hidden" if chart.has_hidden else None,
            }
            for chart in safe.all_chart_data()
        ],
    }


# --- CSV ----------------------------------------------------------------------------------------


def _text(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value) if abs(value) < 1e15 else value
    return escape_cell(value)


def to_csv_bytes(report: Report, threshold: int) -> bytes:
    """One CSV file, tables one after another under their titles (UTF-8 with BOM for Excel)."""
    safe = prepare(report, threshold)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["Report", escape_cell(safe.title)])
    out.writerow(["Period", safe.period.date_from.isoformat(), safe.period.date_to.isoformat()])
    out.writerow(["Generated", safe.generated_on.isoformat()])
    for note in safe.notes:
        out.writerow(["Note", escape_cell(note)])
    for table in safe.tables:
        out.writerow([])
        out.writerow([escape_cell(table.title)])
        out.writerow([escape_cell(c.title) for c in table.columns])
        for row in table.rows:
            out.writerow([_text(v) for v in row])
        if table.totals is not None:
            out.writerow([_text(v) for v in table.totals])
        for note in table.notes:
            out.writerow(["Note", escape_cell(note)])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX ---------------------------------------------------------------------------------------

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(titles: list[str]) -> list[str]:
    names: list[str] = []
    for title in ["About", *titles]:
        base = _BAD_SHEET_CHARS.sub(" ", title).strip("' ")[:31] or "Table"
        name, n = base, 2
        while name.casefold() in {x.casefold() for x in names}:
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
            n += 1
        names.append(name)
    return names


def _xlsx_cell(value: Cell) -> Cell:
    if isinstance(value, str):
        return escape_cell(value)
    return value


def to_xlsx_bytes(report: Report, threshold: int) -> bytes:
    """A workbook: an "About" sheet (period, notes, suppression) and one sheet per table.

    Written in openpyxl's streaming (write-only) mode: a table of 15 000 services is 250 000
    cells, which the ordinary mode holds as objects and writes ten times slower.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    safe = prepare(report, threshold)
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def styled(
        sheet: Any, values: Sequence[Cell], *, strong: bool = False, date_format: bool = False
    ) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_xlsx_cell(value))
            if strong:
                cell.font = bold
            if date_format and isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        return cells

    names = _sheet_names([t.title for t in safe.tables])
    about = book.create_sheet(names[0])
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 100
    about.append(styled(about, [safe.title], strong=True))
    about.append(
        styled(about, ["Period", safe.period.date_from, safe.period.date_to], date_format=True)
    )
    about.append(styled(about, ["Generated", safe.generated_on], date_format=True))
    for note in safe.notes:
        about.append(["Note", _xlsx_cell(note)])

    for table, name in zip(safe.tables, names[1:], strict=True):
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "B3"
        for i, column in enumerate(table.columns, start=1):
            width = 36 if column.kind == "label" else max(10, min(len(column.title) + 2, 22))
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.append(styled(sheet, [table.title], strong=True))
        sheet.append(styled(sheet, [c.title for c in table.columns], strong=True))
        for row in table.rows:
            sheet.append([_xlsx_cell(v) for v in row])
        if table.totals is not None:
            sheet.append(styled(sheet, table.totals, strong=True))
        for note in table.notes:
            sheet.append([_xlsx_cell(note)])

    stamp = datetime.combine(safe.generated_on, time.min)
    book.properties.creator = "Referral Desk"
    book.properties.lastModifiedBy = "Referral Desk"
    book.properties.created = stamp
    book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
