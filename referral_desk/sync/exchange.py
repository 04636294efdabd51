"""Export, import and sync: moving bundles between this database and files or a shared store.

- export to a file (`export --out FILE`, for a USB drive) or to a shared store
  (`outbox/<site>/<bundle-id>.rdsync`): see `outgoing` for what each carries. The file is
  streamed from one read snapshot, without holding the write lock.
- import of one file, or of every other site's new files in a store: see `importer` (staged,
  checked, then applied in batches; a crash is finished next time). The store is known to hold
  what this site exported there and what it imported from there, so a site's bundle carries
  its own new work plus whatever it received by other routes (USB files), never its
  colleagues' store bundles back again. A site joining a store exports everything once.

Files in a store are read only if they are regular files (no links, pipes, devices), and a
store whose settings file is damaged or missing is refused, never re-keyed (`state`).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError
from referral_desk.files import OWNER_ONLY, SHARED, atomic_output
from referral_desk.store.changelog import utcnow
from referral_desk.store.database import Database
from referral_desk.store.models import LocalSetting, SiteState
from referral_desk.store.sync_models import SyncBundleSeen
from referral_desk.store.trust import (
    establish_team,
    pin_team_key,
    pinned_team_key,
    publish_own_key,
    sign_own_entries,
)
from referral_desk.sync import bundle as bfmt
from referral_desk.sync.bundle import (
    SUFFIX,
    BundleReader,
    BundleWriter,
    Manifest,
)
from referral_desk.sync.import_lock import ImportBusy
from referral_desk.sync.importer import (
    ClonedSite,
    Importer,
    ImportSummary,
    RefusedFile,
    Source,
    SyncTransaction,
)
from referral_desk.sync.keys import DEFAULT_KDF, SALT_BYTES, KdfParams, KeyCache
from referral_desk.sync.lifecycle import REJOINED, StoreLifecycle, combine
from referral_desk.sync.outgoing import Runs, count_entries, entry_batches, export_scope, scrub_dead
from referral_desk.sync.pruning import PruneSummary
from referral_desk.sync.receipts import BundleMeta, remember_meta
from referral_desk.sync.rotation import explain_refusal
from referral_desk.sync.site_identity import (
    Fingerprint,
    machine_fingerprint,
    own_bundle_files,
    own_bundle_proof,
    remember_own_bundles,
    settle_site,
)
from referral_desk.sync.snapshot import SnapshotSummary
from referral_desk.sync.state import (
    OUTBOX,
    ExportState,
    StoreError,
    StoreInfo,
    check_store_dir,
    knowledge_rows,
    load_export_state,
    merge_runs,
    open_store,
    outbox,
    save_export_state,
    seal_manager_key,
    store_manager_key,
    version_vector,
    write_store_file,
)
from referral_desk.sync.store_listing import list_store
from referral_desk.sync.store_repair import StoreRepair, remember_store, repair_store


@dataclass(frozen=True)
class ExportSummary:
    dry_run: bool = False
    path: str | None = None
    bundle_id: str | None = None
    entries: int = 0
    sites: int = 0
    new_site_id: str = ""  # why this site took a new site id before exporting ("": it did not)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SyncSummary:
    site_id: str
    exported: ExportSummary
    imported: ImportSummary = field(default_factory=ImportSummary)
    new_site_id: str = ""  # why this site took a new site id before syncing ("": it did not)
    caught_up: str = ""  # why the team snapshot was imported ("": it was not, or joining)
    snapshot: SnapshotSummary | None = None  # the snapshot this sync wrote (when due)
    pruned: PruneSummary = field(default_factory=PruneSummary)
    receipt: str = ""  # why this PC's receipt could not be written ("": it was)

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "exported": self.exported.to_dict(),
            "imported": self.imported.to_dict(),
            "new_site_id": self.new_site_id,
            "caught_up": self.caught_up,
            "snapshot": self.snapshot.to_dict() if self.snapshot is not None else None,
            "pruned": self.pruned.to_dict(),
            "receipt": self.receipt,
        }


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


SALT_SETTING = "sync_file_salt"


class SyncEngine:
    """Export/import/sync for one database. `keys` caches derived keys across calls."""

    def __init__(
        self,
        db: Database,
        keys: KeyCache | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
        now_ms: Callable[[], int] = _now_ms,
        kdf: KdfParams = DEFAULT_KDF,
        fingerprint: Fingerprint = machine_fingerprint,
    ) -> None:
        self.db = db
        self.fingerprint = fingerprint  # names this machine (`site_identity`)
        self.keys = keys or KeyCache()
        self.kdf = kdf  # cost of new salts (stores, files); readers follow each header
        self._now = now
        self._now_ms = now_ms
        self.lifecycle = StoreLifecycle(self)  # snapshots, pruning, receipts (`lifecycle`)

    # -- export --------------------------------------------------------------------------

    def export_file(
        self, path: Path, passphrase: str, *, salt: bytes | None = None
    ) -> ExportSummary:
        """Everything this site holds, to one file (streamed, written atomically)."""
        path = Path(path).expanduser()
        if not path.parent.is_dir():
            raise StoreError("The folder for the sync file does not exist.")
        salt = salt or self._site_salt()
        self.finish_interrupted()  # so that the file carries all of it
        new_site = self.settle_site()
        self._publish_key()
        with self._transaction() as session:  # short: erasure and signing before anything leaves
            sign_own_entries(session)
            scrub_dead(session, None)
        try:
            manifest, _runs, _top = self._write_bundle(path, None, passphrase, salt, self.kdf)
        except OSError as err:
            raise StoreError("The sync file could not be written there.") from err
        return ExportSummary(
            False,
            str(path),
            manifest.bundle_id,
            manifest.entry_count,
            len(manifest.covers),
            new_site,
        )

    def _write_to_outbox(
        self,
        store_dir: Path,
        site: str,
        state: ExportState | None,
        passphrase: str,
        info: StoreInfo,
        *,
        kind: str | None = None,
    ) -> tuple[Path, str, set[str], tuple[Manifest, Runs, int]]:
        """A new bundle (or snapshot) in this PC's own folder of the store: the path, its id,
        the bundle files that were there before (for the site-id clash record) and what
        `_write_bundle` returns. A linked folder or an unwritable store is one line."""
        folder = outbox(store_dir, site)
        present = own_bundle_files(store_dir, site)
        try:
            if folder.is_symlink():
                raise StoreError("This PC's folder in the shared store is a link: not written.")
            folder.mkdir(parents=True, exist_ok=True)
            bundle_id = str(uuid.uuid4())
            final = folder / f"{bundle_id}{SUFFIX}"
            written = self._write_bundle(
                final, state, passphrase, info.salt, info.kdf, bundle_id, kind=kind
            )
        except OSError as err:
            raise StoreError("The shared store folder is not writable.") from err
        return final, bundle_id, present, written

    def _write_bundle(
        self,
        path: Path,
        state: ExportState | None,
        passphrase: str,
        salt: bytes,
        kdf: KdfParams,
        bundle_id: str | None = None,
        *,
        kind: str | None = None,
    ) -> tuple[Manifest, Runs, int]:
        """Stream entries from one read snapshot into a new bundle file (the write lock is not
        held meanwhile: officers keep saving). Returns the manifest, the keys written and the
        highest knowledge id sent. `kind` "snapshot": everything, into the shared store."""
        runs = Runs()
        shared = state is not None or kind is not None
        with self.db.read() as session:
            site = _site_state(session).site_id
            # Only a pinned key is offered to a site joining by this file: a PC that has not
            # joined (or created) a team by a shared store speaks for no team.
            manager = pinned_team_key(session)[0] or ""
            scope = None if state is None else export_scope(session, state)
            vector = version_vector(session)
            knowledge, top = knowledge_rows(session, 0 if state is None else state.knowledge_id)
            # A file carried by hand is the officer's (owner-only); one in the shared store
            # is read by colleagues' accounts (it is encrypted either way).
            with atomic_output(path, mode=SHARED if shared else OWNER_ONLY) as fh:
                writer = BundleWriter(
                    fh,
                    site_id=site,
                    passphrase=passphrase,
                    keys=self.keys,
                    salt=salt,
                    kdf=kdf,
                    bundle_id=bundle_id,
                )
                for batch in entry_batches(session, scope):
                    writer.entries(batch)
                    if shared:
                        runs.add(batch)
                kind = kind or ("file" if state is None else "store")
                export_no = 0 if state is None else state.exports + 1
                manifest = writer.finish(
                    knowledge, vector=vector, kind=kind, export_no=export_no, manager=manager
                )
        return manifest, runs, top

    def _export_to_store(
        self, store_dir: Path, info: StoreInfo, passphrase: str, dry_run: bool
    ) -> ExportSummary:
        if not dry_run:
            with self._transaction() as session:  # the directory's changes leave signed
                sign_own_entries(session)
        with self.db.read() as session:
            site = _site_state(session).site_id
            state = load_export_state(session, info.store_id)
            scope = export_scope(session, state)
            entries, sites = count_entries(session, scope) if scope else (0, 0)
        if not entries or dry_run:
            return ExportSummary(dry_run, None, None, entries, sites)
        with self._transaction() as session:  # short: erasure before anything leaves
            scrub_dead(session, scope)
        out = self._write_to_outbox(store_dir, site, state, passphrase, info)
        final, bundle_id, present, (manifest, runs, top) = out
        stamp = self._now().isoformat()
        with self._transaction() as session:
            state = load_export_state(session, info.store_id)
            for s, site_runs in runs.runs.items():
                state.known[s] = merge_runs(state.known.get(s, []), site_runs)
            state.knowledge_id = max(state.knowledge_id, top)
            state.exports += 1
            save_export_state(session, state, exported=True, now=self._now())
            remember_own_bundles(session, info.store_id, present, bundle_id)
            remember_meta(session, info.store_id, BundleMeta.from_manifest(manifest, stamp))
        rel = f"{OUTBOX}/{site}/{final.name}"
        return ExportSummary(
            False, rel, manifest.bundle_id, manifest.entry_count, len(manifest.covers)
        )

    def _site_salt(self) -> bytes:
        """A per-site salt for files carried by hand, kept so repeated imports of this site's
        files cost one KDF. Stored in `local_setting` (a salt is not secret)."""
        with self.db.write(reason="sync salt") as session:
            row = session.get(LocalSetting, SALT_SETTING)
            if row is not None and isinstance(row.value, str):
                try:
                    salt = base64.b64decode(row.value, validate=True)
                except ValueError:
                    salt = b""
                if len(salt) == SALT_BYTES:
                    return salt
            salt = bfmt.new_salt()
            value = base64.b64encode(salt).decode("ascii")
            if row is None:
                session.add(LocalSetting(key=SALT_SETTING, value=value))
            else:
                row.value = value
            return salt

    # -- import --------------------------------------------------------------------------

    def unlock_file(
        self, path: Path, passphrase: str, follow_symlinks: bool = True
    ) -> BundleReader:
        """Open one file and derive its key (nothing authenticated yet). A path the user gave
        may be a link (to a regular file); a name found in a shared store never is."""
        return bfmt.open_bundle(
            Path(path).expanduser(), passphrase, self.keys, follow_symlinks=follow_symlinks
        )

    def import_file(self, path: Path, passphrase: str, *, dry_run: bool = False) -> ImportSummary:
        """Import one bundle file; any refusal raises and writes nothing."""
        path = Path(path)
        source = Source(path.name, lambda: self.unlock_file(path, passphrase))
        return self._importer(dry_run=dry_run, strict=True).run([source])

    def finish_interrupted(self) -> ImportSummary | None:
        """Finish an import that a crash or kill cut short (or undo one cut short while its
        files were still being read). None when there was none, or when another import is
        running right now (it will see to it)."""
        try:
            return self._importer(dry_run=False, strict=False).finish_interrupted()
        except ImportBusy:
            return None

    def _importer(self, *, dry_run: bool, strict: bool, store_id: str | None = None) -> Importer:
        return Importer(
            self.db,
            now=self._now,
            now_ms=self._now_ms,
            dry_run=dry_run,
            strict=strict,
            store_id=store_id,
        )

    # -- sync with a shared store --------------------------------------------------------

    def sync(self, store_dir: Path, passphrase: str, *, dry_run: bool = False) -> SyncSummary:
        """Export this site's new changes to the store, then import every other site's
        bundles not yet seen. A wrong passphrase refuses everything before anything is written.
        """
        store_dir = check_store_dir(Path(store_dir).expanduser())
        info = self.open_store(store_dir, passphrase)
        new_site = ""
        if not dry_run:  # before the store's folders are read: which one is this site's own
            self.finish_interrupted()
            new_site = self.settle_site(store_dir, info, passphrase)
        site = self.db.site_id
        sources, refused = self._read_store(store_dir, site, passphrase)
        if not info.exists and not dry_run:
            info = open_store(store_dir, passphrase, self.keys, create=True, kdf=self.kdf)
        life = self.lifecycle
        joined = rejoined = None
        if not dry_run:  # the passphrase is proven: from here on, writing is fine
            info = self._settle_team(store_dir, info, passphrase)
            self._publish_key()
            rejoined = life.notice_rotation(info)
            remember_store(self.db, store_dir, info)
            life.drop_stale_own(store_dir, info)  # this site's files under earlier settings
            self.finish_interrupted()  # so that the export carries all of it
            joined = life.join(store_dir, info, passphrase)
        exported = self._export_to_store(store_dir, info, passphrase, dry_run)
        view = life.view(store_dir, info, passphrase)  # imports leave the store as it is
        sources = life.select(sources, view, passphrase, dry_run=dry_run)
        importer = self._importer(dry_run=dry_run, strict=False, store_id=info.store_id)
        imported = importer.run(sources, refused)
        if dry_run:
            return SyncSummary(site, exported, imported, new_site)
        away, caught = life.catch_up(store_dir, info, passphrase, view)
        snap, pruned, receipt = life.maintain(store_dir, info, passphrase, view)
        return SyncSummary(
            site,
            exported,
            combine(joined, imported, caught),
            new_site,
            REJOINED if rejoined else away,
            snap,
            pruned,
            receipt,
        )

    def open_store(self, store_dir: Path, passphrase: str) -> StoreInfo:
        """The store's settings, the passphrase proved; a passphrase this PC used before that
        no longer opens the store is told apart from a wrong one (`rotation`)."""
        try:
            return open_store(store_dir, passphrase, self.keys, create=False, kdf=self.kdf)
        except StoreError as err:
            explain_refusal(self.db, self.keys, store_dir, passphrase, err)
            raise

    def settle_site(
        self,
        store_dir: Path | None = None,
        info: StoreInfo | None = None,
        passphrase: str | None = None,
    ) -> str:
        """Before anything leaves: take a new site id if this folder was copied to another
        machine, or another copy writes under this id in the store (a file in this site's
        folder counts only when it proves to be a bundle of this store under this site id,
        with `passphrase`). Returns why, or ""."""
        found = proves = None
        if store_dir is not None and info is not None and info.exists:
            found = own_bundle_files(store_dir, self.db.site_id)
            if passphrase is not None:
                proves = own_bundle_proof(store_dir, self.db.site_id, info, passphrase, self.keys)
        with self._transaction() as session:
            return settle_site(
                session,
                self.fingerprint(),
                self._now(),
                info.store_id if info is not None and info.exists else None,
                found,
                proves,
            )

    def _publish_key(self) -> None:
        """This officer's signing key goes out with the profile (a logged, synced change), so
        a manager can grant it a role; a site made before signed roles gets its key now."""
        with self.db.write(reason="signing key") as session:
            state = session.get(SiteState, 1)
            session.info["write_context"].officer_id = state.officer_id if state else None
            publish_own_key(session)

    def _settle_team(self, store_dir: Path, info: StoreInfo, passphrase: str) -> StoreInfo:
        """The team's root manager key: pinned from the store at first contact; a store without
        one (new, or from before signed roles) gets the key this PC trusts (its own when it has
        joined no team: whoever creates the store is the team's first manager)."""
        held = store_manager_key(info, passphrase, self.keys)
        with self._transaction() as session:
            pinned, _source = pinned_team_key(session)
            if held is not None:
                if pinned is None:
                    pin_team_key(session, held, "store")
                elif pinned != held:
                    raise StoreError(
                        "This shared store belongs to a team with another manager than the one "
                        "this PC trusts: nothing was exported or imported."
                    )
                return info
            key = establish_team(session)
        info = seal_manager_key(info, passphrase, self.keys, key)
        write_store_file(store_dir, info)
        return info

    def _read_store(
        self, store_dir: Path, site: str, passphrase: str
    ) -> tuple[list[Source], list[RefusedFile]]:
        """Other sites' files not imported yet (a file named like a bundle already imported,
        with the same size, is not read again; anything else is authenticated in full)."""
        files, refused = list_store(store_dir, site)
        with self.db.read() as session:
            known = (
                dict(
                    session.execute(
                        select(SyncBundleSeen.bundle_id, SyncBundleSeen.file_size).where(
                            SyncBundleSeen.bundle_id.in_([f.name[: -len(SUFFIX)] for f in files])
                        )
                    ).all()
                )
                if files
                else {}
            )
        sources: list[Source] = []
        for found in files:
            rel = f"{OUTBOX}/{Path(found.path).parent.name}/{found.name}"
            try:
                if (
                    found.is_file(follow_symlinks=False)
                    and known.get(found.name[: -len(SUFFIX)])
                    == found.stat(follow_symlinks=False).st_size
                ):
                    continue
            except OSError:
                pass
            sources.append(Source(rel, self._opener(Path(found.path), passphrase)))
        return sources, refused

    def _opener(self, path: Path, passphrase: str) -> Callable[[], BundleReader]:
        return lambda: self.unlock_file(path, passphrase, False)

    def repair_store(self, store_dir: Path, passphrase: str) -> StoreRepair:
        """Rewrite a lost or damaged store settings file from this site's memory of it."""
        return repair_store(self.db, self.keys, store_dir, passphrase)

    # -- plumbing ------------------------------------------------------------------------

    def _transaction(self) -> SyncTransaction:
        return SyncTransaction(self.db)


def _site_state(session: Session) -> SiteState:
    state = session.get(SiteState, 1)
    if state is None:  # pragma: no cover - Database.open always creates it
        raise DomainError("This database has no site id; open it with Referral Desk first.")
    return state


__all__ = [
    "ClonedSite",
    "ExportSummary",
    "ImportSummary",
    "RefusedFile",
    "SyncEngine",
    "SyncSummary",
]
