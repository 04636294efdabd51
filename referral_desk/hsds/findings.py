"""What the checks of a package found: rejected rows, dropped links and notes for the preview.

Issues name tables, columns, row numbers and UUIDs, never cell contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The preview lists this many rejected rows and as many warnings; beyond, it only counts them.
MAX_LISTED_ISSUES = 10_000


@dataclass(frozen=True)
class Issue:
    """A rejected row or a dropped link: where it is and why (no cell contents)."""

    table: str
    file: str
    row: int
    record_id: str
    message: str


@dataclass
class Findings:
    """What the checks found: rejected rows, dropped links, and notes for the preview.

    `rejected` and `warnings` list the first `MAX_LISTED_ISSUES` of each; the totals count all.
    """

    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected_by_table: dict[str, int] = field(default_factory=dict)
    rejected_total: int = 0
    warnings_total: int = 0

    def add_rejected(self, issue: Issue) -> None:
        self.rejected_total += 1
        self.rejected_by_table[issue.table] = self.rejected_by_table.get(issue.table, 0) + 1
        if len(self.rejected) < MAX_LISTED_ISSUES:
            self.rejected.append(issue)

    def add_warning(self, issue: Issue) -> None:
        self.warnings_total += 1
        if len(self.warnings) < MAX_LISTED_ISSUES:
            self.warnings.append(issue)
