"""Plain, frozen report data: what every report builds and every screen or export reads.

Why plain data: the Reports screen, the command line, the CSV/XLSX writers and the PDF renderer
all read the same values, and none of them may hold a database session. Tables say which columns
are counts (subject to small-count suppression), how counts add up (so secondary suppression
knows which totals could give a hidden cell away) and which labels name people (pseudonymised on
export). Charts do not carry numbers of their own: they point at a table's columns, so a chart
can never show a figure its suppressed table hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

__all__ = [
    "UNASSIGNED",
    "Cell",
    "ChartData",
    "ChartSpec",
    "Column",
    "OtherDescription",
    "Period",
    "Report",
    "ReportTable",
    "Series",
]

UNASSIGNED = "Not assigned"
"""Label of rows for records with no (known) officer; not a name, so never pseudonymised."""

Cell = int | float | str | None
"""A table cell: a count or measure, a label, a suppression marker such as "<5", or empty."""

ColumnKind = Literal["label", "count", "value"]


@dataclass(frozen=True)
class Column:
    """One table column.

    - `label` columns name the row (category, provider, team…);
    - `count` columns count people's records and are suppressed when small;
    - `value` columns are measures (medians, scores, shares): never suppressed on their own, but
      hidden whenever the count they are computed from (`depends_on`) is hidden, because a median
      of two referrals says too much about both.

    `personal` marks a label that names a person (an officer): exports replace it with a
    pseudonym ("Officer 3"), because exports carry no names.
    """

    key: str
    title: str
    kind: ColumnKind = "count"
    depends_on: str | None = None
    personal: bool = False


@dataclass(frozen=True)
class ReportTable:
    """A titled table: labelled rows of cells, an optional totals row and notes.

    Additivity, which secondary suppression relies on:
    - `parts` are count columns that add up to the `row_total` column in every row (and in the
      totals row);
    - when `totals` is set, every count column of `totals` is the sum of that column's rows.
      Leave `totals` as None when rows overlap (a person in two cohorts), so nobody can subtract.

    Tables of one report must not be nested (a team row that is the sum of officer rows in
    another table): suppression protects each table's own sums and the totals rows tables
    share, not sums across tables. Put both levels in one table as label columns instead.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[Cell, ...] | None = None
    notes: tuple[str, ...] = ()
    row_total: str | None = None
    parts: tuple[str, ...] = ()
    public: tuple[tuple[int, str], ...] = ()
    """(row index, column key) of cells whose value another table makes public (a provider
    "never answered", so its reply counts are zero): never used to hide another cell."""

    def index(self, key: str) -> int:
        for i, col in enumerate(self.columns):
            if col.key == key:
                return i
        raise KeyError(key)

    def column(self, key: str) -> tuple[Cell, ...]:
        i = self.index(key)
        return tuple(row[i] for row in self.rows)

    def row(self, label: str) -> dict[str, Cell]:
        """The first row whose first cell is `label`, keyed by column (for tests and screens)."""
        for row in self.rows:
            if row[0] == label:
                return {c.key: v for c, v in zip(self.columns, row, strict=True)}
        raise KeyError(label)

    def totals_dict(self) -> dict[str, Cell]:
        if self.totals is None:
            return {}
        return {c.key: v for c, v in zip(self.columns, self.totals, strict=True)}


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart drawn from a table.

    With `source="rows"` each row is a bar group labelled by `label_column`, one series per
    entry of `value_columns`. With `source="totals"` the bars are the `value_columns` of the
    totals row (a funnel: made, acknowledged, accepted…).
    """

    key: str
    title: str
    table: str
    value_columns: tuple[str, ...]
    label_column: str = "label"
    source: Literal["rows", "totals"] = "rows"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    """None where the table cell is hidden (suppressed): draw no bar and say so."""


@dataclass(frozen=True)
class ChartData:
    key: str
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]

    @property
    def has_hidden(self) -> bool:
        return any(v is None for s in self.series for v in s.values)


@dataclass(frozen=True)
class OtherDescription:
    """A need logged as "Other", for reviewing whether a new category is needed.

    Free text written by officers: shown on screen only, never exported.
    """

    need_id: str
    identified_on: date
    description: str


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    @property
    def label(self) -> str:
        return f"{self.date_from.isoformat()} to {self.date_to.isoformat()}"

    @property
    def start(self) -> datetime:
        """First instant of the period (history rows carry timestamps, the period dates)."""
        return datetime.combine(self.date_from, time.min)

    @property
    def end(self) -> datetime:
        """First instant after the period: the last day counts whole."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min)

    def months(self) -> tuple[str, ...]:
        """Every calendar month the period touches, as "YYYY-MM" (SQLite's strftime('%Y-%m'))."""
        out = []
        year, month = self.date_from.year, self.date_from.month
        while (year, month) <= (self.date_to.year, self.date_to.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(out)


@dataclass(frozen=True)
class Report:
    """One built report. `suppressed_below` is set once small counts have been suppressed."""

    name: str
    title: str
    period: Period
    generated_on: date
    tables: tuple[ReportTable, ...]
    charts: tuple[ChartSpec, ...] = ()
    other_descriptions: tuple[OtherDescription, ...] = ()
    notes: tuple[str, ...] = ()
    suppressed_below: int | None = None

    def table(self, key: str) -> ReportTable:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    def chart_data(self, spec: ChartSpec) -> ChartData:
        table = self.table(spec.table)
        if spec.source == "totals":
            totals = table.totals_dict()
            labels = tuple(table.columns[table.index(k)].title for k in spec.value_columns)
            values = tuple(_number(totals.get(k)) for k in spec.value_columns)
            return ChartData(spec.key, spec.title, labels, (Series(table.title, values),))
        label_i = table.index(spec.label_column)
        labels = tuple(str(row[label_i]) for row in table.rows)
        series = tuple(
            Series(table.columns[table.index(k)].title, _numbers(table.column(k)))
            for k in spec.value_columns
        )
        return ChartData(spec.key, spec.title, labels, series)

    def all_chart_data(self) -> tuple[ChartData, ...]:
        return tuple(self.chart_data(spec) for spec in self.charts)


def _number(value: Cell) -> float | None:
    """A bar's height: None only for a hidden (suppressed) cell; an empty cell draws no bar."""
    if isinstance(value, str):
        return None
    if value is None or isinstance(value, bool):
        return 0.0
    return float(value)


def _numbers(values: Sequence[Cell]) -> tuple[float | None, ...]:
    return tuple(_number(v) for v in values)
