"""Use cases for commissioners' reports: run one for the screen, or export it to a file.

Why a service: the Reports screen and `referral-desk report` must produce the same figures
and the same protections. `run` gives the officer's on-screen view (exact counts, "Other"
descriptions for review); everything that becomes a file or leaves through the command line goes
through `reports.export`, which suppresses small counts and strips names and free text.

The suppression threshold is the team-wide setting "report_suppression_threshold" (default 5),
so every officer of a team suppresses alike. Values outside 2-100 are ignored in favour of the
default: a typing mistake must never switch suppression off.

Each report is built inside one read transaction, so its tables agree with each other even while
a sync is importing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.reports import export, followups, freshness, outcomes, unmet_needs
from referral_desk.reports.model import Report
from referral_desk.reports.suppression import DEFAULT_THRESHOLD
from referral_desk.store.reference_queries import team_setting_value
from referral_desk.usecases.base import FileWritingService, Session
from referral_desk.usecases.common import parse_date

__all__ = [
    "FORMATS",
    "REPORTS",
    "THRESHOLD_SETTING",
    "ReportService",
    "default_period",
]

Builder = Callable[[Session, date, date, date], Report]

REPORTS: dict[str, Builder] = {
    unmet_needs.NAME: unmet_needs.build,
    outcomes.NAME: outcomes.build,
    followups.NAME: followups.build,
    freshness.NAME: freshness.build,
}
"""Report names as the command line spells them, in menu order."""

FORMATS = ("csv", "xlsx", "pdf", "json")
THRESHOLD_SETTING = "report_suppression_threshold"
THRESHOLD_RANGE = (2, 100)
MAX_DAYS = 366 * 20


def default_period(today: date) -> tuple[date, date]:
    """The last twelve calendar months including the current one, up to today."""
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


def parse_report_name(name: str) -> str:
    key = (name or "").strip().lower().replace("_", "-")
    if key == "follow-ups":
        key = "followups"
    if key not in REPORTS:
        raise ValidationError("Unknown report; use one of: " + ", ".join(REPORTS))
    return key


def parse_format(fmt: str) -> str:
    key = (fmt or "").strip().lower().lstrip(".")
    if key not in FORMATS:
        raise ValidationError("Unknown report format; use one of: " + ", ".join(FORMATS))
    return key


def read_threshold(session: Session) -> int:
    value = team_setting_value(session, THRESHOLD_SETTING)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return DEFAULT_THRESHOLD
    try:
        number = int(str(value).strip())
    except ValueError:
        return DEFAULT_THRESHOLD
    low, high = THRESHOLD_RANGE
    return number if low <= number <= high else DEFAULT_THRESHOLD


class ReportService(FileWritingService):
    def names(self) -> tuple[str, ...]:
        return tuple(REPORTS)

    def threshold(self) -> int:
        """Counts below this are suppressed in anything that leaves the machine."""
        with self._read() as session:
            return read_threshold(session)

    def _period(
        self, date_from: str | date | None, date_to: str | date | None
    ) -> tuple[date, date]:
        today = self.clock.today()
        start, end = default_period(today)
        start = parse_date(date_from, "From date") or start
        end = parse_date(date_to, "To date") or end
        if start > end:
            raise ValidationError("The from date must be on or before the to date")
        if (end - start).days > MAX_DAYS:
            raise ValidationError("A report can cover at most 20 years")
        return start, end

    def _build(self, name: str, date_from: Any, date_to: Any) -> tuple[Report, int]:
        key = parse_report_name(name)
        start, end = self._period(date_from, date_to)
        with self._read() as session:
            report = REPORTS[key](session, start, end, self.clock.today())
            return report, read_threshold(session)

    def run(
        self,
        name: str,
        date_from: str | date | None = None,
        date_to: str | date | None = None,
        *,
        suppressed: bool = False,
    ) -> Report:
        """The report for the screen; with `suppressed`, exactly as an export would show it."""
        report, threshold = self._build(name, date_from, date_to)
        return export.prepare(report, threshold) if suppressed else report

    def data(
        self, name: str, date_from: str | date | None = None, date_to: str | date | None = None
    ) -> dict[str, Any]:
        """The suppressed, stripped report as JSON-ready data (the command line's json)."""
        report, threshold = self._build(name, date_from, date_to)
        return export.to_data(report, threshold)

    def render(
        self,
        name: str,
        date_from: str | date | None,
        date_to: str | date | None,
        fmt: str,
    ) -> bytes:
        """The export file's bytes (for a preview, or a save dialog that writes itself)."""
        fmt = parse_format(fmt)
        report, threshold = self._build(name, date_from, date_to)
        return render_bytes(report, threshold, fmt)

    def export(
        self,
        name: str,
        date_from: str | date | None,
        date_to: str | date | None,
        fmt: str,
        path: str | Path,
    ) -> Path:
        """Write the export to `path` (owner-only, replaced atomically: never a half-written
        file, never over the data folder). Returns `path` as given."""
        self.output_guard.check(path, what="report file")  # refuse before the work
        content = self.render(name, date_from, date_to, fmt)
        self.output_guard.write(path, content, what="report file")
        return Path(path)


def render_bytes(report: Report, threshold: int, fmt: str) -> bytes:
    if fmt == "csv":
        return export.to_csv_bytes(report, threshold)
    if fmt == "xlsx":
        return export.to_xlsx_bytes(report, threshold)
    if fmt == "pdf":
        from referral_desk.documents.report_pdf import render_report_pdf

        return render_report_pdf(export.to_data(report, threshold))
    import json

    text = json.dumps(export.to_data(report, threshold), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
