"""The shared store's lifecycle during a sync: catch up from a snapshot, write one when due,
prune, and leave a receipt. `SyncEngine.sync` calls these steps in order:

1. `notice_rotation` — the team passphrase was changed since this PC last synced (the store's
   salt is not the one remembered): every bundle this PC knew the store held is gone, so it
   forgets what the store holds and joins again (2), keeping its unsynced changes (they go out
   in the export that follows, with everything the new snapshot lacks). Then, at every sync,
   `drop_stale_own` removes this site's own files written under an earlier settings
   generation (`generations`: a sync racing the rotation, a rotation cut short).
2. `join` — a PC that has never exchanged with this store (a new colleague, or one after a
   rotation) imports the snapshot first, before exporting, then only the bundles the snapshot
   does not cover.
3. `select` — which bundle files the import reads: never a snapshot (joining and catching up
   read them on purpose), never a bundle this PC already holds that the reference snapshot
   (`pruning`: the fullest) covers.
4. `catch_up` — after the import, a PC whose version vector is still behind a colleague's
   snapshot lacks entries no remaining bundle holds (pruned while it was away): it is told so
   in one line and imports the snapshot (the fullest first, then any other still ahead).
5. `maintain` — a snapshot when the reference one is older than `snapshot_days` and older
   bundles wait to be covered; pruning (`pruning`); this site's receipt (`receipts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from referral_desk.store.models import LocalSetting
from referral_desk.sync.bundle import SUFFIX
from referral_desk.sync.first_seen import first_seen
from referral_desk.sync.generations import (
    earlier_settings,
    own_bundle_record,
    remember_earlier,
    remove_files,
    stale_own_files,
)
from referral_desk.sync.import_results import ImportSummary
from referral_desk.sync.importer import Source
from referral_desk.sync.pruning import (
    RETENTION_DAYS,
    PruneSummary,
    StoredBundle,
    StoreView,
    prune,
    read_view,
    verify_whole,
)
from referral_desk.sync.receipts import (
    BundleMeta,
    Receipt,
    ReceiptBlocked,
    forget_store_metas,
    own_metas,
    save_metas,
    write_receipt,
)
from referral_desk.sync.snapshot import SnapshotSummary, vector_covers, write_snapshot
from referral_desk.sync.state import (
    StoreError,
    StoreInfo,
    check_store_dir,
    load_export_state,
    save_export_state,
    version_vector,
)
from referral_desk.sync.store_repair import remembered_stores

if TYPE_CHECKING:
    from referral_desk.sync.exchange import SyncEngine

SNAPSHOT_DAYS = 30
RETENTION_SETTING = "sync_retention_days"
AWAY = "This PC has been away longer than the store keeps history: the team snapshot was imported."
REJOINED = (
    "The team passphrase was changed since this PC last synced: the team snapshot was "
    "imported and this PC's own changes were sent again."
)


def combine(*parts: ImportSummary | None) -> ImportSummary:
    """Several imports of one sync, reported as one."""
    found = [p for p in parts if p is not None]
    if not found:
        return ImportSummary()
    out: dict[str, Any] = {}
    for f in fields(ImportSummary):
        values = [getattr(p, f.name) for p in found]
        if f.name == "dry_run":
            out[f.name] = any(values)
        elif f.name in ("pending", "still_quarantined", "pending_reasons", "quarantine_reasons"):
            out[f.name] = values[-1]  # a state after the import, not a count of it
        elif f.name == "refused":
            out[f.name] = tuple(r for v in values for r in v)
        else:
            out[f.name] = sum(values)
    return ImportSummary(**out)


def _bundle_id(source: Source) -> str:
    name = Path(source.name).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name


class StoreLifecycle:
    """The lifecycle steps for one engine; settings are days (a test moves the clock)."""

    def __init__(
        self,
        engine: SyncEngine,
        *,
        retention_days: int = RETENTION_DAYS,
        snapshot_days: int = SNAPSHOT_DAYS,
    ) -> None:
        self.engine = engine
        self.retention_days = retention_days
        self.snapshot_days = snapshot_days
        # snapshot id -> (file signature, receipt's meta) when it was authenticated whole
        self._trusted: dict[str, tuple[tuple[int, ...], BundleMeta | None]] = {}

    # -- reading -------------------------------------------------------------------------

    def view(self, store_dir: Path, info: StoreInfo, passphrase: str) -> StoreView:
        db = self.engine.db
        with db.read() as session:
            own = (db.site_id, own_metas(session, info.store_id))
        return read_view(store_dir, info, passphrase, self.engine.keys, own)

    def vector(self) -> dict[str, int]:
        with self.engine.db.read() as session:
            return version_vector(session)

    def _joining(self, store_id: str) -> bool:
        with self.engine.db.read() as session:
            return not load_export_state(session, store_id).known

    def _import(self, info: StoreInfo, bundle: StoredBundle, passphrase: str) -> ImportSummary:
        source = Source(bundle.rel, self._opener(bundle.path, passphrase))
        importer = self.engine._importer(dry_run=False, strict=False, store_id=info.store_id)
        return importer.run([source])

    def _opener(self, path: Path, passphrase: str) -> Any:
        return lambda: self.engine.unlock_file(path, passphrase, False)

    # -- on demand (the command line's `sync snapshot` and `sync prune`) -----------------

    def opened(self, store_dir: Path, passphrase: str) -> tuple[Path, StoreInfo]:
        """An existing store, the passphrase proved (a changed one is told as such)."""
        store_dir = check_store_dir(Path(store_dir).expanduser())
        info = self.engine.open_store(store_dir, passphrase)
        if not info.exists:
            raise StoreError("There is no shared store in that folder yet: sync first.")
        return store_dir, info

    def snapshot_now(self, store_dir: Path, passphrase: str) -> SnapshotSummary:
        """A snapshot of everything this PC holds, then its receipt. Changes not yet sent
        (this PC's unsynced work, or what it received by hand) first go out in an ordinary
        bundle: colleagues that hold everything skip snapshots, so a change carried by the
        snapshot alone would reach them only as "away too long" (`write_snapshot`)."""
        store_dir, info = self.opened(store_dir, passphrase)
        self.engine.finish_interrupted()  # so that it carries all of it
        self.engine.settle_site(store_dir, info, passphrase)  # not under a copied folder's id
        self.engine._export_to_store(store_dir, info, passphrase, False)
        summary = self.write_snapshot(store_dir, info, passphrase)
        self.write_receipt(store_dir, info, passphrase)
        return summary

    def prune_now(self, store_dir: Path, passphrase: str, *, dry_run: bool) -> PruneSummary:
        store_dir, info = self.opened(store_dir, passphrase)
        if not dry_run and self._replaces_damaged(
            self.view(store_dir, info, passphrase), passphrase
        ):
            self.write_snapshot(store_dir, info, passphrase)
        summary = self.prune(store_dir, info, passphrase, dry_run=dry_run)
        if not dry_run:
            self.write_receipt(store_dir, info, passphrase)
        return summary

    # -- steps ---------------------------------------------------------------------------

    def notice_rotation(self, info: StoreInfo) -> bool:
        """Step 1 (before this sync's memory of the store is refreshed). The settings it
        remembered become an earlier generation (`generations`), and the record of the bundles
        it wrote is kept: one written under the old settings while the rotation ran is still in
        its folder until `drop_stale_own` removes it, and is not another writer's."""
        before = [
            i for i, _path in remembered_stores(self.engine.db) if i.store_id == info.store_id
        ]
        if not before or (before[0].salt, before[0].check) == (info.salt, info.check):
            return False
        with self.engine._transaction() as session:
            state = load_export_state(session, info.store_id)
            state.known, state.knowledge_id = {}, 0
            save_export_state(session, state, exported=False, now=self.engine._now())
            forget_store_metas(session, info.store_id)
            remember_earlier(session, before[0])
        return True

    def drop_stale_own(self, store_dir: Path, info: StoreInfo) -> int:
        """Step 1b: remove this site's own files written under an earlier settings generation
        of the store (the rule in `generations`); how many went."""
        db = self.engine.db
        with db.read() as session:
            earlier = earlier_settings(session, info.store_id)
            mine = own_bundle_record(session, info.store_id) - set(
                own_metas(session, info.store_id)
            )
        return remove_files(stale_own_files(store_dir, db.site_id, info, earlier, mine))

    def join(self, store_dir: Path, info: StoreInfo, passphrase: str) -> ImportSummary | None:
        """Step 2: the snapshot, imported before anything else, by a joining PC."""
        if not self._joining(info.store_id):
            return None
        return self._from_snapshots(store_dir, info, passphrase)

    def _behind(
        self, view: StoreView, vector: dict[str, int], passphrase: str
    ) -> list[StoredBundle]:
        """Colleagues' snapshots holding entries this PC lacks, the fullest first. What one
        holds is its receipt's claim: only a snapshot whose own manifest says the same
        (`_trust`) counts, or a receipt overstating it would tell this PC at every sync that it
        was away (and a damaged one would be tried before a sound one)."""
        own = self.engine.db.site_id
        return [
            s
            for s in view.snapshots()
            if s.site != own
            and s.meta is not None
            and not vector_covers(vector, s.meta.vector)
            and self._trust(s, passphrase)
        ]

    def _from_snapshots(
        self, store_dir: Path, info: StoreInfo, passphrase: str, first: StoreView | None = None
    ) -> ImportSummary | None:
        """Import the fullest snapshot holding what this PC lacks, then any other still ahead
        of it (a colleague that had not caught up may have written a newer, smaller one)."""
        tried: set[str] = set()
        done: list[ImportSummary] = []
        while True:
            view = first if first is not None and not done else None
            view = view or self.view(store_dir, info, passphrase)
            behind = [
                s for s in self._behind(view, self.vector(), passphrase) if s.bundle_id not in tried
            ]
            if not behind:
                return combine(*done) if done else None
            tried.add(behind[0].bundle_id)
            done.append(self._import(info, behind[0], passphrase))

    def select(
        self,
        sources: Sequence[Source],
        view: StoreView,
        passphrase: str,
        *,
        dry_run: bool = False,
    ) -> list[Source]:
        """Step 3. A preview by a joining PC lists the snapshot first (it would be read). A
        file gone since the store was listed (a colleague pruned it) is not read, so a sync
        racing a colleague's pruning is not told of a refused file."""
        newest = view.reference_snapshot()
        vector = self.vector()
        cover = newest.meta.vector if newest is not None and newest.meta is not None else None
        chosen = []
        for source in sources:
            bundle = view.bundles.get(_bundle_id(source))
            if bundle is None:
                continue  # pruned by a colleague since the store was listed
            meta = bundle.meta
            if meta is not None and meta.is_snapshot:
                continue
            if (
                meta is not None
                and cover is not None
                and meta.covered_by(cover)
                and meta.covered_by(vector)
            ):
                continue
            chosen.append(source)
        behind = self._behind(view, vector, passphrase) if dry_run else []
        if behind:
            chosen.insert(0, Source(behind[0].rel, self._opener(behind[0].path, passphrase)))
        return chosen

    def catch_up(
        self, store_dir: Path, info: StoreInfo, passphrase: str, view: StoreView | None = None
    ) -> tuple[str, ImportSummary | None]:
        """Step 4: (the line to tell, the snapshots' import) — ("", None) when not away.
        `view`: the store as listed after this sync's export (an import does not change it)."""
        imported = self._from_snapshots(store_dir, info, passphrase, view)
        return (AWAY, imported) if imported is not None else ("", None)

    def snapshot_due(self, view: StoreView, now: datetime) -> bool:
        """A snapshot is due when none is newer than `snapshot_days` and a bundle older than
        that is not covered by the reference one (so steady work keeps the store bounded)."""
        cutoff = now - timedelta(days=self.snapshot_days)
        newest = view.reference_snapshot()
        cover = newest.meta.vector if newest is not None and newest.meta is not None else {}
        if newest is not None and newest.meta is not None:
            when = view.seen.get(newest.bundle_id)  # this PC's clock, never the writer's
            if when is not None and when >= cutoff:
                return False
        for bundle in view.bundles.values():
            meta = bundle.meta
            if meta is None or meta.is_snapshot or meta.covered_by(cover):
                continue
            when = view.seen.get(bundle.bundle_id)
            if when is not None and when < cutoff:
                return True
        return False

    def write_snapshot(self, store_dir: Path, info: StoreInfo, passphrase: str) -> SnapshotSummary:
        return write_snapshot(self.engine, store_dir, info, passphrase)

    def _ages(self, info: StoreInfo, view: StoreView, *, save: bool) -> StoreView:
        """Fill `view.seen` (when this PC first saw each bundle, by its own clock: a bundle's
        age is never the writer's clock compared with ours) and, `save`, remember it."""
        now = self.engine._now()
        if save:
            with self.engine._transaction() as session:
                view.seen = first_seen(session, info.store_id, view.bundles, now, save=True)
        else:
            with self.engine.db.read() as session:
                view.seen = first_seen(session, info.store_id, view.bundles, now, save=False)
        return view

    def prune(
        self,
        store_dir: Path,
        info: StoreInfo,
        passphrase: str,
        *,
        dry_run: bool = False,
        view: StoreView | None = None,
    ) -> PruneSummary:
        view = self._ages(info, view or self.view(store_dir, info, passphrase), save=not dry_run)
        return prune(
            view,
            info,
            passphrase,
            self.engine.keys,
            now=self.engine._now(),
            retention_days=self.retention(),
            dry_run=dry_run,
            trusted=lambda b: self._trust(b, passphrase),
        )

    def retention(self) -> int:
        """Days a bundle covered by a snapshot is kept: this PC's setting, else the default."""
        with self.engine.db.read() as session:
            row = session.get(LocalSetting, RETENTION_SETTING)
        value = row.value if row is not None else None
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3650:
            return value
        return self.retention_days

    def _trust(self, bundle: StoredBundle, passphrase: str) -> bool:
        """The reference snapshot is relied on only once it authenticates whole and its own
        manifest says what its receipt says (`verify_whole`) — this site's own snapshot too:
        the file in the store may have been truncated or replaced since this PC wrote it. Kept
        for this process while the file (inode, size, mtime) and the receipt's claim are the
        same, so a sync does not read the whole snapshot again."""
        try:
            st = bundle.path.stat(follow_symlinks=False)
        except OSError:
            return False
        sign = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._trusted.get(bundle.bundle_id) == (sign, bundle.meta):
            return True
        self._trusted.pop(bundle.bundle_id, None)
        if verify_whole(bundle, passphrase, self.engine.keys):
            self._trusted[bundle.bundle_id] = (sign, bundle.meta)
            return True
        return False

    def _replaces_damaged(self, view: StoreView, passphrase: str) -> bool:
        """Does this PC write a snapshot because the reference one does not authenticate (or
        its receipt overstates it)? Colleagues may already have pruned the bundles it covers
        on its strength and their export state says the store holds their entries, so nobody
        would send them again: a PC that holds all the damaged one claims writes a new one,
        unless a sound snapshot covering it is already there (so this happens once)."""
        ref = view.reference_snapshot()
        if ref is None or ref.meta is None or self._trust(ref, passphrase):
            return False
        claimed = ref.meta.vector
        if not vector_covers(self.vector(), claimed):
            return False
        return not any(
            s.bundle_id != ref.bundle_id
            and s.meta is not None
            and vector_covers(s.meta.vector, claimed)
            and self._trust(s, passphrase)
            for s in view.snapshots()
        )

    def maintain(
        self, store_dir: Path, info: StoreInfo, passphrase: str, view: StoreView | None = None
    ) -> tuple[SnapshotSummary | None, PruneSummary, str]:
        """Step 5: snapshot when due, prune, then this site's receipt. `view`: the store as
        listed after this sync's export (reused until this step writes or removes a file).
        The third item is why the receipt could not be written ("": it was): the sync itself
        has succeeded by then, so a folder in the receipt's place is told, not raised."""
        snap = None
        view = self._ages(info, view or self.view(store_dir, info, passphrase), save=True)
        if self.snapshot_due(view, self.engine._now()) or self._replaces_damaged(view, passphrase):
            snap = self.write_snapshot(store_dir, info, passphrase)
            view = self.view(store_dir, info, passphrase)
        pruned = self.prune(store_dir, info, passphrase, view=view)
        gone = {Path(rel).name[: -len(SUFFIX)] for rel in pruned.removed}
        try:
            self.write_receipt(store_dir, info, passphrase, view=view, gone=gone)
        except ReceiptBlocked as err:
            return snap, pruned, str(err)
        return snap, pruned, ""

    def write_receipt(
        self,
        store_dir: Path,
        info: StoreInfo,
        passphrase: str,
        *,
        view: StoreView | None = None,
        gone: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """This site's receipt: what it holds now and its bundles still in the store."""
        site = self.engine.db.site_id
        view = view or self.view(store_dir, info, passphrase)
        with self.engine._transaction() as session:
            mine = {
                k: v
                for k, v in own_metas(session, info.store_id).items()
                if k in view.bundles and view.bundles[k].site == site and k not in gone
            }
            save_metas(session, info.store_id, mine)
            held = version_vector(session)
        receipt = Receipt(site, self.engine._now().isoformat(), held, mine)
        write_receipt(store_dir, info, passphrase, self.engine.keys, receipt)


__all__ = ["AWAY", "REJOINED", "SNAPSHOT_DAYS", "StoreLifecycle", "combine"]
