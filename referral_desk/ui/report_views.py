"""A report's tables and bar charts on screen: the table model (totals sorted last) and the
chart widget the Reports page shows them in."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QToolTip,
    QWidget,
)

from referral_desk.reports.model import ChartData, ReportTable
from referral_desk.ui import palette
from referral_desk.ui.elided import full_text_tip
from referral_desk.ui.tables import SORT_ROLE, TOTAL_ROLE

__all__ = ["SORT_ROLE", "BarChart", "ReportTableModel", "TotalsLastProxy"]


SERIES_COLOURS = palette.SERIES


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


class ReportTableModel(QAbstractTableModel):
    """One ReportTable: rows, then its totals row (kept last whatever the sort)."""

    def __init__(self, table: ReportTable, parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table
        self._rows = list(table.rows) + ([table.totals] if table.totals is not None else [])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.table.columns[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        column = self.table.columns[index.column()]
        is_total = self.table.totals is not None and index.row() == len(self._rows) - 1
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(value)
        if role == SORT_ROLE:
            if column.kind == "label":
                return str(value or "").casefold()
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            return -1.0  # hidden ("<5", "[c]") or empty: sorts below zero
        if role == TOTAL_ROLE:
            return is_total
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind != "label":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and is_total:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) and value[:1] in "<[":
            return "Hidden: a small count, or one that would give a small count away"
        return None


class TotalsLastProxy(QSortFilterProxyModel):
    def lessThan(
        self,
        left: QModelIndex | QPersistentModelIndex,
        right: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        lt, rt = left.data(TOTAL_ROLE), right.data(TOTAL_ROLE)
        if lt != rt:  # the totals row stays at the bottom in both directions
            return bool(rt) != (self.sortOrder() == Qt.SortOrder.DescendingOrder)
        return bool(left.data(SORT_ROLE) < right.data(SORT_ROLE))


class BarChart(QWidget):
    """Horizontal bar chart of a ChartData: one group per label, one bar per series, labelled."""

    BAR = 18
    GAP = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: ChartData | None = None
        self._label_rects: list[tuple[QRectF, str, str]] = []  # where, whole, as drawn
        self.setAccessibleName("Report chart")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)

    def set_data(self, data: ChartData | None) -> None:
        self.data = data
        if data is None:
            self.setAccessibleDescription("")
        else:
            lines = [
                f"{label}: "
                + ", ".join(f"{s.name} {self._value_text(s.values[i])}" for s in data.series)
                for i, label in enumerate(data.labels)
            ]
            self.setAccessibleDescription(f"{data.title}. " + "; ".join(lines))
        self.setMinimumHeight(self._needed_height())
        self.updateGeometry()
        self.update()

    def bar_count(self) -> int:
        """Bars actually drawn (a value above zero), for tests and screen readers."""
        if self.data is None:
            return 0
        return sum(1 for s in self.data.series for v in s.values if v)

    def _value_text(self, value: float | None) -> str:
        return "hidden" if value is None else _text(value)

    def _header_height(self) -> int:
        lines = 1 + (1 if self.data and len(self.data.series) > 1 else 0)
        return lines * (self.fontMetrics().height() + 6) + 6

    def _group_height(self) -> int:
        n = len(self.data.series) if self.data else 1
        return max(n * self.BAR, self.fontMetrics().height()) + self.GAP

    def _needed_height(self) -> int:
        if self.data is None:
            return 80
        return self._header_height() + len(self.data.labels) * self._group_height() + 24

    def sizeHint(self) -> QSize:
        return QSize(520, self._needed_height())

    def label_tip(self, pos: QPointF) -> str:
        """The whole label under `pos` when the chart had to shorten it, else ""."""
        for rect, whole, shown in self._label_rects:
            if rect.contains(pos) and shown != whole:
                return whole
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            tip = self.label_tip(QPointF(event.pos()))
            if tip:
                QToolTip.showText(event.globalPos(), full_text_tip(tip), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_colour = self.palette().color(QPalette.ColorRole.Text)
        fm = self.fontMetrics()
        width = self.width()
        if self.data is None or not self.data.labels:
            painter.setPen(text_colour)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No chart data")
            return
        data = self.data
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_colour)
        y = 6
        painter.drawText(QRectF(8, y, width - 16, fm.height() + 4), data.title)
        painter.setFont(self.font())
        y += fm.height() + 6
        if len(data.series) > 1:  # legend
            x = 8
            for i, series in enumerate(data.series):
                painter.fillRect(QRectF(x, y + 3, 12, 12), QColor(SERIES_COLOURS[i % 6]))
                painter.setPen(text_colour)
                painter.drawText(int(x + 16), y + fm.ascent() + 2, series.name)
                x += 16 + fm.horizontalAdvance(series.name) + 16
            y += fm.height() + 6
        y += 6
        label_w = min(max(fm.horizontalAdvance(lbl) for lbl in data.labels) + 12, width * 0.38)
        value_w = fm.horizontalAdvance("hidden") + 12
        left = 8 + label_w
        plot_w = max(width - left - value_w - 8, 20)
        peak = max((v for s in data.series for v in s.values if v), default=0.0) or 1.0
        group = self._group_height()
        self._label_rects = []
        grid = QColor(text_colour)
        grid.setAlpha(60)
        painter.setPen(grid)
        painter.drawLine(int(left), y - 2, int(left), y + len(data.labels) * group)
        for row, label in enumerate(data.labels):
            top = y + row * group
            painter.setPen(text_colour)
            shown = fm.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 8))
            rows_h = len(data.series) * self.BAR
            label_rect = QRectF(8, top, label_w - 8, rows_h)
            self._label_rects.append((label_rect, label, shown))
            painter.drawText(
                label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, shown
            )
            for i, series in enumerate(data.series):
                value = series.values[row]
                bar_top = top + i * self.BAR + 2
                length = 0.0 if not value else plot_w * value / peak
                if length:
                    painter.fillRect(
                        QRectF(left + 1, bar_top, max(length, 2), self.BAR - 4),
                        QColor(SERIES_COLOURS[i % 6]),
                    )
                painter.setPen(text_colour)
                painter.drawText(
                    QRectF(left + length + 6, bar_top - 2, value_w, self.BAR),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    self._value_text(value),
                )
        painter.end()
