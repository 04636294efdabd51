"""Which entry wins each field of a record, and the conflicts a merge records for review
(`sync.merge`): concurrent writes of one field (neither writer had seen the other's entry,
decided with the knowledge checkpoints of `sync.state`), and changes stamped more than a day
ahead of this PC's clock that overwrite a value here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referral_desk.domain.hlc import hlc_wall_ms
from referral_desk.sync.merge_rules import (
    DAY_MS,
    FIRST_WRITER,
    NOT_CONFLICTS,
    Ent,
    MergeStats,
    stamp_key,
)
from referral_desk.sync.state import Knowledge


class Conflicts:
    """Winner choice and conflict detection, as a base of `Merger` (which sets these)."""

    knowledge: Knowledge
    now: datetime
    now_ms: int
    stats: MergeStats
    _open: dict[tuple[str, str, str], list[tuple[int, str | None, int | None, str, int]]]
    _superseded: list[int]
    _conflicts: list[dict[str, Any]]

    def _winners(self, table: str, rid: str, fields: dict[str, list[Ent]]) -> dict[str, Ent]:
        winners: dict[str, Ent] = {}
        deleted_ents = fields.get("deleted_at", [])
        tombstones = [e for e in deleted_ents if e[1] != "null"]
        deleted = bool(tombstones)
        for fname, ents in fields.items():
            if len(ents) == 1:
                winners[fname] = ents[0]
                continue
            if fname == "deleted_at" and tombstones:
                winners[fname] = max(tombstones, key=stamp_key)
                continue
            if fname in FIRST_WRITER:
                winners[fname] = min(ents, key=stamp_key)
                continue
            winners[fname] = max(ents, key=stamp_key)
            if not deleted and fname not in NOT_CONFLICTS:
                self._detect(table, rid, fname, ents, winners[fname])
            if (table, rid, fname) in self._open and winners[fname][5]:
                self._supersede(table, rid, fname, ents, winners[fname])
        return winners

    def _supersede(self, table: str, rid: str, fname: str, ents: list[Ent], win: Ent) -> None:
        """A conflict listed here is settled once a newer write comes in from someone who had
        seen both sides (typically a colleague resolving it on their PC)."""
        by_stamp = {(e[3], e[2]): e for e in ents}
        for cid, lsite, lhlc, rsite, rhlc in self._open.pop((table, rid, fname)):
            sides = [by_stamp.get((rsite, rhlc))]
            if lsite is not None and lhlc is not None:
                sides.append(by_stamp.get((lsite, lhlc)))
            if all(
                side is not None
                and side is not win
                and self.knowledge.seen_by(win[3], win[4], side[3], side[4])
                for side in sides
            ):
                self._superseded.append(cid)

    def _is_future(self, e: Ent) -> bool:
        return hlc_wall_ms(e[2]) > self.now_ms + DAY_MS

    def _detect(self, table: str, rid: str, fname: str, ents: list[Ent], final: Ent) -> None:
        olds = [e for e in ents if not e[5]]
        news = sorted((e for e in ents if e[5]), key=stamp_key)
        if not news:
            return
        running = max(olds, key=stamp_key) if olds else None
        before = running
        flagged = False
        for e in news:
            if (
                running is not None
                and e[1] != running[1]
                and e[3] != running[3]
                and not self.knowledge.seen_by(e[3], e[4], running[3], running[4])
                and not self.knowledge.seen_by(running[3], running[4], e[3], e[4])
            ):
                self._conflict("concurrent", table, rid, fname, running, e)
                flagged = flagged or e is final
            if running is None or stamp_key(e) > stamp_key(running):
                running = e
        if (
            final[5]
            and before is not None
            and final[1] != before[1]
            and self._is_future(final)
            and not flagged
        ):
            self._conflict("clock", table, rid, fname, before, final)

    def _conflict(self, kind: str, table: str, rid: str, fname: str, a: Ent, b: Ent) -> None:
        self._conflicts.append(
            {
                "kind": kind,
                "table_name": table,
                "record_id": rid,
                "field": fname,
                "local_value": a[1],
                "local_site": a[3],
                "local_hlc": a[2],
                "remote_value": b[1],
                "remote_site": b[3],
                "remote_hlc": b[2],
                "winner": "remote" if stamp_key(b) > stamp_key(a) else "local",
                "detected_at": self.now,
                "resolved_at": None,
                "kept": "",
            }
        )
        if kind == "clock":
            self.stats.clock_reviews += 1
        else:
            self.stats.conflicts += 1


__all__ = ["Conflicts"]
