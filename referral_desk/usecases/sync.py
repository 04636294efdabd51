"""Use cases of sync through a shared store or a carried file (DESIGN.md §6).

The passphrase is passed in by the caller (the UI asks for it or takes it from the OS keyring;
the CLI reads --passphrase-file or $REFERRAL_DESK_PASSPHRASE) and is never stored here. Derived
keys are cached in this service for the life of the process, so a daily sync pays the slow KDF
once. Everything returned is a plain frozen dataclass.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.domain.hlc import hlc_to_datetime
from referral_desk.files import OutputGuard
from referral_desk.store.changelog import utcnow
from referral_desk.store.database import Database
from referral_desk.store.models import LocalSetting, Officer
from referral_desk.store.sync_models import (
    SyncConflict,
    SyncPending,
    SyncQuarantine,
    synced_models,
)
from referral_desk.sync.exchange import (
    ExportSummary,
    ImportSummary,
    RefusedFile,
    SyncEngine,
    SyncSummary,
)
from referral_desk.sync.importer import quarantine_reasons
from referral_desk.sync.keys import DEFAULT_KDF, KdfParams, KeyCache, normalise_passphrase
from referral_desk.sync.merge import decoded, pending_reason
from referral_desk.sync.pruning import PruneSummary
from referral_desk.sync.rotation import PassphraseChanged, RotationSummary, rotate
from referral_desk.sync.snapshot import SnapshotSummary
from referral_desk.sync.state import STORE_FILE, check_store_dir
from referral_desk.sync.store_repair import StoreRepair
from referral_desk.usecases.base import Clock, FileWritingService
from referral_desk.usecases.permissions import require_manager_in

STORE_SETTING = "shared_store"
KEEP = ("local", "remote")

__all__ = [
    "ConflictView",
    "ExportSummary",
    "ImportSummary",
    "PassphraseChanged",
    "PruneSummary",
    "QuarantineView",
    "RefusedFile",
    "RotationSummary",
    "SnapshotSummary",
    "StoreRepair",
    "SyncService",
    "SyncStatus",
    "SyncSummary",
    "pending_text",
]

# What records wait for, in an officer's words: (what it is to them, when it arrives).
_PARENTS = {
    "person": ("the person they belong to", "when that person's record arrives"),
    "need": ("the need they belong to", "when that need arrives"),
    "referral": ("the referral they belong to", "when that referral arrives"),
    "service": ("the service they are about", "when that service arrives with the directory"),
    "organisation": ("the organisation that runs them", "when that organisation arrives"),
    "location": ("the address they use", "when that address arrives"),
}


def _records(count: int) -> str:
    return f"{count} record{'s' if count != 1 else ''}"


def pending_text(reasons: dict[str, int] | tuple[tuple[str, int], ...] | list[Any]) -> list[str]:
    """Sentences saying what is waiting, why, and what happens next (empty when nothing is).

    "3 records arrived before the person they belong to; they will be added when that
    person's record arrives." Used by the client and the command line alike.
    """
    out = []
    for reason, count in dict(reasons).items():
        if not count:
            continue
        if reason in _PARENTS:
            what, when = _PARENTS[reason]
            out.append(f"{_records(count)} arrived before {what}; they will be added {when}.")
        elif reason == "incomplete":
            out.append(
                f"{_records(count)} arrived in part; they will be added when the rest "
                "arrives from the same colleague."
            )
        elif reason == "duplicate key":
            out.append(
                f"{_records(count)} use a code or reference already used here by another "
                "record; they will be added once one of the two is changed."
            )
        elif reason == "refused":
            out.append(
                f"{_records(count)} could not be saved on this computer; they are tried "
                "again at every sync."
            )
        else:
            out.append(
                f"{_records(count)} arrived before a record they depend on; they will be "
                "added when it arrives."
            )
    return out


def _json_value(text: str | None) -> Any:
    """A stored JSON value as plain JSON data (dates stay ISO strings) for showing."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ConflictView:
    id: int
    kind: str  # concurrent | clock (a change stamped more than a day ahead)
    table_name: str
    record_id: str
    field: str
    local_value: Any
    local_site: str | None
    local_by: str
    local_at: datetime | None
    remote_value: Any
    remote_site: str
    remote_by: str
    remote_at: datetime
    winner: str  # which one currently applies: local | remote
    detected_at: datetime
    resolved_at: datetime | None = None
    kept: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("local_at", "remote_at", "detected_at", "resolved_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass(frozen=True)
class QuarantineView:
    """An entry kept aside: where it is from and why, never its value."""

    site_id: str
    seq: int
    table_name: str
    field: str
    reason: str
    first_seen_at: datetime
    tries: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_seen_at"] = self.first_seen_at.isoformat()
        return data


@dataclass(frozen=True)
class SyncStatus:
    site_id: str
    store: str | None
    open_conflicts: int
    quarantined: int
    pending_records: int
    pending_reasons: tuple[tuple[str, int], ...] = ()
    quarantine_reasons: tuple[tuple[str, int], ...] = ()  # (why kept aside, entries)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quarantine_text(reasons: tuple[tuple[str, int], ...] | list[Any]) -> list[str]:
    """Why entries are kept aside, one sentence each (client and command line alike)."""
    return [f"{n} kept aside: {why}." for why, n in reasons if n]


class SyncService(FileWritingService):
    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        keys: KeyCache | None = None,
        kdf: KdfParams = DEFAULT_KDF,
        *,
        output_guard: OutputGuard | None = None,
    ) -> None:
        super().__init__(db, clock, output_guard=output_guard)
        self.engine = SyncEngine(db, keys or KeyCache(), kdf=kdf)

    # -- set-up --------------------------------------------------------------------------

    def site_id(self) -> str:
        return self.db.site_id

    def get_store(self) -> str | None:
        with self._read() as session:
            row = session.get(LocalSetting, STORE_SETTING)
            return row.value if row is not None and isinstance(row.value, str) else None

    def set_store(self, path: str | Path | None) -> str | None:
        """Remember the shared store folder for this machine (None forgets it)."""
        value = None
        if path is not None and str(path).strip():
            value = str(check_store_dir(Path(str(path).strip())))
        with self.db.write(reason="shared store") as session:
            row = session.get(LocalSetting, STORE_SETTING)
            if row is None and value is not None:
                session.add(LocalSetting(key=STORE_SETTING, value=value))
            elif row is not None and value is None:
                session.delete(row)
            elif row is not None:
                row.value = value
        return value

    def status(self) -> SyncStatus:
        with self._read() as session:
            open_conflicts = session.scalar(
                select(func.count())
                .select_from(SyncConflict)
                .where(SyncConflict.resolved_at.is_(None))
            )
            quarantined = session.scalar(select(func.count()).select_from(SyncQuarantine))
            reasons: dict[str, int] = {}
            for why, count in session.execute(
                select(SyncPending.reason, func.count()).group_by(SyncPending.reason)
            ):
                key = pending_reason(why)
                reasons[key] = reasons.get(key, 0) + count
            kept = quarantine_reasons(session) if quarantined else ()
        return SyncStatus(
            self.site_id(),
            self.get_store(),
            open_conflicts or 0,
            quarantined or 0,
            sum(reasons.values()),
            tuple(sorted(reasons.items())),
            kept,
        )

    def store_has_passphrase(self, store_dir: str | Path | None = None) -> bool:
        """True when the shared store already holds the team's passphrase check: False means
        the next sync sets the passphrase for everyone (so the client asks for it twice)."""
        folder = store_dir if store_dir not in (None, "") else self.get_store()
        if not folder:
            return False
        try:
            return (Path(str(folder)) / STORE_FILE).is_file()
        except OSError:
            return False

    # -- sync ----------------------------------------------------------------------------

    def sync_now(
        self, store_dir: str | Path | None, passphrase: str, *, dry_run: bool = False
    ) -> SyncSummary:
        """Export new changes to the store and import colleagues' bundles (or preview both)."""
        folder = store_dir if store_dir not in (None, "") else self.get_store()
        if not folder:
            raise ValidationError(
                "No shared store folder is set: choose one (or give --store DIR)."
            )
        # Checked first, preview included: a new store checks nothing until it is written, so
        # a too-short passphrase was refused only after the preview and Apply.
        normalise_passphrase(passphrase)
        return self.engine.sync(Path(str(folder)), passphrase, dry_run=dry_run)

    def repair_store(self, store_dir: str | Path | None, passphrase: str) -> StoreRepair:
        """Rewrite a lost or damaged store settings file from what this PC remembers of that
        store, after proving the team passphrase against it (never a new store id)."""
        folder = store_dir if store_dir not in (None, "") else self.get_store()
        if not folder:
            raise ValidationError("No shared store folder is set: give --store DIR.")
        return self.engine.repair_store(Path(str(folder)), passphrase)

    def _folder(self, store_dir: str | Path | None) -> Path:
        folder = store_dir if store_dir not in (None, "") else self.get_store()
        if not folder:
            raise ValidationError("No shared store folder is set: give --store DIR.")
        return Path(str(folder))

    def write_snapshot(self, store_dir: str | Path | None, passphrase: str) -> SnapshotSummary:
        """Write the team snapshot (everything this PC holds) to the shared store, so a new
        colleague or a PC away too long imports it instead of the whole history."""
        normalise_passphrase(passphrase)
        return self.engine.lifecycle.snapshot_now(self._folder(store_dir), passphrase)

    def prune_store(
        self, store_dir: str | Path | None, passphrase: str, *, dry_run: bool = False
    ) -> PruneSummary:
        """Remove (or list, dry run) the bundles no site needs any more (`sync.pruning`)."""
        normalise_passphrase(passphrase)
        return self.engine.lifecycle.prune_now(self._folder(store_dir), passphrase, dry_run=dry_run)

    def rotate_passphrase(
        self, store_dir: str | Path | None, old_passphrase: str, new_passphrase: str
    ) -> RotationSummary:
        """A team manager changes the team passphrase (someone left the team): a new snapshot
        under the new one, everything older removed (`sync.rotation`)."""
        normalise_passphrase(old_passphrase)
        normalise_passphrase(new_passphrase)
        with self._read() as session:
            require_manager_in(session, "change the team passphrase")
        return rotate(self.engine, self._folder(store_dir), old_passphrase, new_passphrase)

    def finish_interrupted_import(self) -> ImportSummary | None:
        """Finish a sync import that a crash or kill cut short (no passphrase needed: its
        files were read and checked before anything was applied)."""
        return self.engine.finish_interrupted()

    def preview_file(self, path: str | Path, passphrase: str) -> ImportSummary:
        normalise_passphrase(passphrase)
        return self.engine.import_file(Path(path), passphrase, dry_run=True)

    def import_file(
        self, path: str | Path, passphrase: str, *, dry_run: bool = False
    ) -> ImportSummary:
        normalise_passphrase(passphrase)
        return self.engine.import_file(Path(path), passphrase, dry_run=dry_run)

    def export_file(self, path: str | Path, passphrase: str) -> ExportSummary:
        """Everything this site holds, sealed into one owner-only file (never into the data
        folder: `--out` at the database would otherwise replace it)."""
        normalise_passphrase(passphrase)
        target = self.output_guard.check(path, what="sync file")
        summary = self.engine.export_file(target, passphrase)
        return replace(summary, path=str(Path(path).expanduser()))

    # -- conflicts and quarantine --------------------------------------------------------

    def list_conflicts(self, include_resolved: bool = False) -> list[ConflictView]:
        with self._read() as session:
            stmt = select(SyncConflict)
            if not include_resolved:
                stmt = stmt.where(SyncConflict.resolved_at.is_(None))
            rows = list(session.scalars(stmt.order_by(SyncConflict.detected_at, SyncConflict.id)))
            names = _officer_names_by_site(session)
            return [_conflict_view(c, names) for c in rows]

    def resolve_conflict(self, conflict_id: int | str, keep: str) -> ConflictView:
        """Keep one side: it is written again as a new local change, so it wins everywhere."""
        keep = (keep or "").strip().lower()
        if keep not in KEEP:
            raise ValidationError("Keep must be local or remote.")
        try:
            cid = int(conflict_id)
        except (TypeError, ValueError):
            raise NotFound("No conflict with that id.") from None
        with self._write(reason="resolve sync conflict") as session:
            conflict = session.get(SyncConflict, cid)
            if conflict is None:
                raise NotFound("No conflict with that id.")
            if conflict.resolved_at is not None:
                raise ValidationError("That conflict is already resolved.")
            model = synced_models().get(conflict.table_name)
            obj = session.get(model, conflict.record_id) if model is not None else None
            if obj is None or obj.deleted_at is not None:
                raise NotFound("The record was deleted or is not here yet; nothing to keep.")
            text = conflict.local_value if keep == "local" else conflict.remote_value
            if text is None:
                raise ValidationError("There is no earlier value to keep.")
            try:
                value = decoded(conflict.table_name, conflict.field, text)
            except (KeyError, ValueError, TypeError):
                raise ValidationError("That value cannot be used by this version.") from None
            setattr(obj, conflict.field, value)
            flag_modified(obj, conflict.field)  # log it even if it is the current value
            now = utcnow()
            for other in session.scalars(
                select(SyncConflict).where(
                    SyncConflict.table_name == conflict.table_name,
                    SyncConflict.record_id == conflict.record_id,
                    SyncConflict.field == conflict.field,
                    SyncConflict.resolved_at.is_(None),
                )
            ):
                other.resolved_at = now
                other.kept = keep if other.id == conflict.id else "superseded"
            session.flush()
            return _conflict_view(conflict, _officer_names_by_site(session))

    def list_quarantine(self) -> list[QuarantineView]:
        with self._read() as session:
            rows = session.scalars(
                select(SyncQuarantine).order_by(SyncQuarantine.site_id, SyncQuarantine.seq)
            )
            return [
                QuarantineView(
                    q.site_id,
                    q.seq,
                    q.table_name[:40],
                    q.field[:60],
                    q.reason,
                    q.first_seen_at,
                    q.tries,
                )
                for q in rows
            ]


def _officer_names_by_site(session: Any) -> dict[str, str]:
    """Who works at a site: the officer whose profile was created there (one PC, one person)."""
    names: dict[str, str] = {}
    for site, name in session.execute(
        select(Officer.site_id, Officer.name)
        .where(Officer.deleted_at.is_(None))
        .order_by(Officer.created_at)
    ):
        names.setdefault(site, name)
    return names


def _conflict_view(c: SyncConflict, names: dict[str, str]) -> ConflictView:
    return ConflictView(
        id=c.id,
        kind=c.kind,
        table_name=c.table_name,
        record_id=c.record_id,
        field=c.field,
        local_value=_json_value(c.local_value),
        local_site=c.local_site,
        local_by=names.get(c.local_site or "", ""),
        local_at=hlc_to_datetime(c.local_hlc).replace(tzinfo=None) if c.local_hlc else None,
        remote_value=_json_value(c.remote_value),
        remote_site=c.remote_site,
        remote_by=names.get(c.remote_site, ""),
        remote_at=hlc_to_datetime(c.remote_hlc).replace(tzinfo=None),
        winner=c.winner,
        detected_at=c.detected_at,
        resolved_at=c.resolved_at,
        kept=c.kept,
    )
