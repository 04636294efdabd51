"""What a sync import reports, and the counts it keeps while applying (part of them saved in
the import journal, so an import finished after a crash reports the same)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from referral_desk.sync.merge import MergeStats


@dataclass(frozen=True)
class RefusedFile:
    name: str  # relative to the store, e.g. outbox/<site>/<bundle-id>.rdsync
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    dry_run: bool = False
    bundles: int = 0  # new bundles applied (or previewed)
    already_seen: int = 0
    entries_total: int = 0
    entries_new: int = 0
    people: int = 0
    needs: int = 0
    referrals: int = 0
    follow_ups: int = 0
    directory: int = 0
    other: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    quarantined: int = 0
    released: int = 0
    still_quarantined: int = 0
    pending: int = 0
    pending_reasons: tuple[tuple[str, int], ...] = ()  # (what they wait for, how many)
    refused: tuple[RefusedFile, ...] = ()
    # Why entries are kept aside (all of them, not only this import's), e.g. "directory
    # change not signed by a directory keeper": shown, never a value.
    quarantine_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def nothing_new(self) -> bool:
        return self.entries_new == 0 and self.released == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StagedFile:
    """One file being imported, as the journal keeps it."""

    bundle_id: str
    site_id: str
    name: str
    size: int
    entries: int


@dataclass
class Totals:
    """Counts while applying. `new`, `max_hlc`, `released` and `still` are kept in the
    journal (a resumed import needs them); the per-category counts are for the summary."""

    new: dict[str, int] = field(default_factory=dict)  # bundle_no -> entries new here
    max_hlc: int = 0
    quarantined: int = 0
    released: int = 0
    still: int = 0
    deleted: int = 0
    conflicts: int = 0
    clock_reviews: int = 0
    future_stamped: int = 0
    counted: dict[str, int] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        keep = {
            "new": self.new,
            "max_hlc": self.max_hlc,
            "released": self.released,
            "still": self.still,
            "quarantined": self.quarantined,
        }
        return json.dumps(keep, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> Totals:
        try:
            raw = json.loads(data)
            return cls(
                new={str(k): int(v) for k, v in raw.get("new", {}).items()},
                max_hlc=int(raw.get("max_hlc", 0)),
                released=int(raw.get("released", 0)),
                still=int(raw.get("still", 0)),
                quarantined=int(raw.get("quarantined", 0)),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def add(self, stats: MergeStats) -> None:
        self.deleted += stats.deleted
        self.conflicts += stats.conflicts
        self.clock_reviews += stats.clock_reviews
        self.future_stamped += stats.future_stamped
        for category, ids in stats.changed.items():
            if category in ("needs", "referrals"):  # history rows count for their owner,
                self.owners.setdefault(category, set()).update(ids)  # which another batch has
            else:
                self.counted[category] = self.counted.get(category, 0) + len(ids)

    def counts(self) -> dict[str, int]:
        keys = ("people", "needs", "referrals", "follow_ups", "directory", "other")
        return {k: self.counted.get(k, 0) + len(self.owners.get(k, ())) for k in keys}


__all__ = ["ImportSummary", "RefusedFile", "StagedFile", "Totals"]
