"""Export, import and sync: moving bundles between this database and files or a shared store.

What an export holds — "everything the destination might lack":

- `export --out FILE` (a USB drive into a prison): the destination's state is unknown, so the
  bundle holds *every* entry this site has, from every site (its own and relayed ones), every
  quarantined entry and every knowledge checkpoint. Importing more than needed is harmless.
- export to a shared store (`outbox/<site>/<bundle-id>.rdsync`): every entry the store is not
  known to hold. The store is known to hold what this site exported there before and what it
  imported from there (kept as runs of (site, seq) per store id); so a site's bundle carries its
  own new work plus whatever it received by other routes (USB files), never its colleagues'
  store bundles back again. A site joining a store exports everything once.

Import authenticates whole files before deciding anything, then applies all new bundles in one
transaction (a crash leaves the database as before or as after). Entries already held are
skipped, so re-importing changes nothing; bundles already imported are reported as such.
A dry run does all the work and rolls it back, so a preview counts exactly what would change.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError
from referral_desk.domain.hlc import HybridClock
from referral_desk.store.changelog import utcnow
from referral_desk.store.database import Database
from referral_desk.store.models import LocalSetting, SiteState
from referral_desk.store.sync_models import (
    SyncBundleSeen,
)
from referral_desk.sync import bundle as bfmt
from referral_desk.sync.bundle import (
    SUFFIX,
    Bundle,
    BundleError,
    BundleWriter,
    Manifest,
    Unlocked,
    is_bundle_name,
    open_atomically,
)
from referral_desk.sync.keys import DEFAULT_KDF, SALT_BYTES, KdfParams, KeyCache
from referral_desk.sync.merge import apply_entries
from referral_desk.sync.outgoing import Runs, count_entries, entry_batches, export_scope, scrub_dead
from referral_desk.sync.quarantine import (
    ValidEntry,
    forget_parsed,
    quarantine,
    retry,
    validate,
)
from referral_desk.sync.state import (
    OUTBOX,
    ExportState,
    StoreError,
    StoreInfo,
    add_keys,
    check_store_dir,
    knowledge_rows,
    load_export_state,
    load_knowledge,
    merge_knowledge,
    merge_runs,
    open_store,
    outbox,
    raw_rows,
    save_export_state,
    version_vector,
)
from referral_desk.sync.store_repair import StoreRepair, remember_store, repair_store


class ClonedSite(BundleError):
    def __init__(self) -> None:
        super().__init__(
            "The file holds changes under this PC's own site id that this PC never made "
            "(was the data folder copied from another PC?). Nothing was imported."
        )


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
    refused: tuple[RefusedFile, ...] = ()

    @property
    def nothing_new(self) -> bool:
        return self.entries_new == 0 and self.released == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ExportSummary:
    dry_run: bool = False
    path: str | None = None
    bundle_id: str | None = None
    entries: int = 0
    sites: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SyncSummary:
    site_id: str
    exported: ExportSummary
    imported: ImportSummary = field(default_factory=ImportSummary)

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "exported": self.exported.to_dict(),
            "imported": self.imported.to_dict(),
        }


class _Rollback(Exception):
    """Carries a dry run's result out of the transaction it rolls back."""

    def __init__(self, result: Any) -> None:
        self.result = result


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class _Incoming:
    unlocked: Unlocked
    name: str
    bundle: Bundle | None = None


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
    ) -> None:
        self.db = db
        self.keys = keys or KeyCache()
        self.kdf = kdf  # cost of new salts (stores, files); readers follow each header
        self._now = now
        self._now_ms = now_ms

    # -- export --------------------------------------------------------------------------

    def export_file(
        self, path: Path, passphrase: str, *, salt: bytes | None = None
    ) -> ExportSummary:
        """Everything this site holds, to one file (streamed, written atomically)."""
        path = Path(path).expanduser()
        if not path.parent.is_dir():
            raise StoreError("The folder for the sync file does not exist.")
        salt = salt or self._site_salt()
        with self._transaction() as session:  # short: erasure before anything leaves
            scrub_dead(session, None)
        try:
            manifest, _runs, _top = self._write_bundle(path, None, passphrase, salt, self.kdf)
        except OSError as err:
            raise StoreError("The sync file could not be written there.") from err
        return ExportSummary(False, str(path), manifest.bundle_id, manifest.entry_count,
                             len(manifest.covers))  # fmt: skip

    def _write_bundle(
        self,
        path: Path,
        state: ExportState | None,
        passphrase: str,
        salt: bytes,
        kdf: KdfParams,
        bundle_id: str | None = None,
    ) -> tuple[Manifest, Runs, int]:
        """Stream entries from one read snapshot into a new bundle file (the write lock is not
        held meanwhile: officers keep saving). Returns the manifest, the keys written and the
        highest knowledge id sent."""
        runs = Runs()
        with self.db.read() as session:
            site = _site_state(session).site_id
            scope = None if state is None else export_scope(session, state)
            vector = version_vector(session)
            knowledge, top = knowledge_rows(session, 0 if state is None else state.knowledge_id)
            with open_atomically(path) as fh:
                writer = BundleWriter(fh, site_id=site, passphrase=passphrase, keys=self.keys,
                                      salt=salt, kdf=kdf, bundle_id=bundle_id)  # fmt: skip
                for batch in entry_batches(session, scope):
                    writer.entries(batch)
                    if state is not None:
                        runs.add(batch)
                kind = "file" if state is None else "store"
                export_no = 0 if state is None else state.exports + 1
                manifest = writer.finish(knowledge, vector=vector, kind=kind, export_no=export_no)
        return manifest, runs, top

    def _export_to_store(
        self, store_dir: Path, info: StoreInfo, passphrase: str, dry_run: bool
    ) -> ExportSummary:
        with self.db.read() as session:
            site = _site_state(session).site_id
            state = load_export_state(session, info.store_id)
            scope = export_scope(session, state)
            entries, sites = count_entries(session, scope) if scope else (0, 0)
        if not entries or dry_run:
            return ExportSummary(dry_run, None, None, entries, sites)
        with self._transaction() as session:  # short: erasure before anything leaves
            scrub_dead(session, scope)
        folder = outbox(store_dir, site)
        try:
            if folder.is_symlink():
                raise StoreError("This PC's folder in the shared store is a link: not written.")
            folder.mkdir(parents=True, exist_ok=True)
            bundle_id = str(uuid.uuid4())
            final = folder / f"{bundle_id}{SUFFIX}"
            manifest, runs, top = self._write_bundle(final, state, passphrase, info.salt,
                                                     info.kdf, bundle_id)  # fmt: skip
        except OSError as err:
            raise StoreError("The shared store folder is not writable.") from err
        with self._transaction() as session:
            state = load_export_state(session, info.store_id)
            for s, site_runs in runs.runs.items():
                state.known[s] = merge_runs(state.known.get(s, []), site_runs)
            state.knowledge_id = max(state.knowledge_id, top)
            state.exports += 1
            save_export_state(session, state, exported=True, now=self._now())
        rel = f"{OUTBOX}/{site}/{final.name}"
        return ExportSummary(False, rel, manifest.bundle_id, manifest.entry_count,
                             len(manifest.covers))  # fmt: skip

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

    def unlock_file(self, path: Path, passphrase: str, follow_symlinks: bool = True) -> Unlocked:
        """Open and authenticate one file. A path the user gave may be a link (to a regular
        file); a name found in a shared store never is."""
        return bfmt.open_bundle(Path(path).expanduser(), passphrase, self.keys,
                                follow_symlinks=follow_symlinks)  # fmt: skip

    def import_file(self, path: Path, passphrase: str, *, dry_run: bool = False) -> ImportSummary:
        """Import one bundle file; any refusal raises and writes nothing."""
        unlocked = self.unlock_file(path, passphrase)
        return self._import([_Incoming(unlocked, Path(path).name)], dry_run=dry_run, strict=True)

    def import_bytes(self, data: bytes, passphrase: str, *, dry_run: bool = False) -> ImportSummary:
        unlocked = bfmt.open_bytes(data, passphrase, self.keys)
        return self._import([_Incoming(unlocked, "bundle")], dry_run=dry_run, strict=True)

    def _import(
        self,
        incoming: list[_Incoming],
        *,
        dry_run: bool,
        strict: bool,
        store: StoreInfo | None = None,
        refused: Sequence[RefusedFile] = (),
    ) -> ImportSummary:
        refused = list(refused)
        with self.db.read() as session:
            seen = _seen_ids(session, [i.unlocked.header.bundle_id for i in incoming])
        fresh: list[_Incoming] = []
        ids: set[str] = set()
        already = 0
        for item in incoming:
            bid = item.unlocked.header.bundle_id
            try:
                if bid in seen or bid in ids:
                    item.unlocked.verify()  # "already seen" only once proved authentic
                    already += 1
                    continue
                item.bundle = item.unlocked.parse()
            except BundleError as err:
                if strict:
                    raise
                refused.append(RefusedFile(item.name, str(err)))
                continue
            finally:
                item.unlocked.close()
            ids.add(bid)
            fresh.append(item)
        if not fresh:
            return ImportSummary(dry_run=dry_run, already_seen=already, refused=tuple(refused))
        try:
            with self._transaction(dry_run=dry_run) as session:
                result = self._apply(session, fresh, already, store, refused, dry_run)
                if dry_run:
                    raise _Rollback(result)
                return result
        except _Rollback as rb:
            return rb.result
        finally:
            forget_parsed()

    def _apply(
        self,
        session: Session,
        fresh: list[_Incoming],
        already: int,
        store: StoreInfo | None,
        refused: list[RefusedFile],
        dry_run: bool,
    ) -> ImportSummary:
        state = _site_state(session)
        local = state.site_id
        # Re-check under the write lock: another window may have imported them meanwhile.
        seen = _seen_ids(session, [i.unlocked.header.bundle_id for i in fresh])
        racing = [i for i in fresh if i.unlocked.header.bundle_id in seen]
        fresh = [i for i in fresh if i.unlocked.header.bundle_id not in seen]
        already += len(racing)
        if not fresh:
            return ImportSummary(dry_run=dry_run, already_seen=already, refused=tuple(refused))
        by_key: dict[tuple[str, int], list[Any]] = {}
        knowledge: list[tuple[str, int, dict[str, int]]] = []
        total = 0
        for item in fresh:
            assert item.bundle is not None
            total += len(item.bundle.entries)
            for e in item.bundle.entries:
                if e[0] == local:
                    if e[1] >= state.next_seq:
                        raise ClonedSite()
                    continue
                by_key.setdefault((e[0], e[1]), e)
            knowledge.extend((k[0], k[1], k[2]) for k in item.bundle.knowledge)
        held = _held_keys(session, by_key)
        new_raw = [e for k, e in by_key.items() if k not in held]
        valid: list[ValidEntry] = []
        bad: list[tuple[list[Any], str]] = []
        good_sites: set[str] = set()
        for raw in new_raw:
            checked = validate(raw, good_sites)
            if isinstance(checked, str):
                bad.append((raw, checked))
            else:
                valid.append(checked)
        released, still = retry(session)
        quarantine(session, bad)
        merge_knowledge(session, knowledge)
        now = self._now()
        stats = apply_entries(session, valid + released, load_knowledge(session), now=now,
                              now_ms=self._now_ms())  # fmt: skip
        if new_raw or released:
            merge_knowledge(session, [(local, state.next_seq - 1, version_vector(session))])
        stamps = [e[6] for e in valid] + [e[6] for e in released]
        if stamps:
            hlc = HybridClock(last=state.hlc, now_ms=self._now_ms).receive(max(stamps))
            session.execute(text("UPDATE site_state SET hlc = :h WHERE key = 1"), {"h": hlc})
        new_keys = {(e[0], e[1]) for e in new_raw} if len(fresh) > 1 else set()
        session.execute(
            SyncBundleSeen.__table__.insert(),
            [
                {
                    "bundle_id": i.unlocked.header.bundle_id,
                    "site_id": i.unlocked.header.site_id,
                    "imported_at": now,
                    "entry_count": len(i.bundle.entries) if i.bundle else 0,
                    "new_count": len(new_raw)
                    if len(fresh) == 1
                    else sum(
                        (e[0], e[1]) in new_keys for e in (i.bundle.entries if i.bundle else ())
                    ),
                    "file_name": i.name[-200:],
                    "file_size": i.unlocked.size,
                }
                for i in fresh
            ],
        )
        if store is not None:
            st = load_export_state(session, store.store_id)
            st.known = add_keys(
                st.known, ((e[0], e[1]) for i in fresh if i.bundle for e in i.bundle.entries)
            )
            save_export_state(session, st, exported=False, now=now)
        counts = stats.counts()
        return ImportSummary(
            dry_run=dry_run, bundles=len(fresh), already_seen=already, entries_total=total,
            entries_new=len(new_raw), deleted=stats.deleted, conflicts=stats.conflicts,
            clock_reviews=stats.clock_reviews, future_stamped=stats.future_stamped,
            quarantined=len(bad), released=len(released), still_quarantined=still + len(bad),
            pending=stats.pending, refused=tuple(refused), **counts,
        )  # fmt: skip

    # -- sync with a shared store --------------------------------------------------------

    def sync(self, store_dir: Path, passphrase: str, *, dry_run: bool = False) -> SyncSummary:
        """Export this site's new changes to the store, then import every other site's
        bundles not yet seen. A wrong passphrase refuses everything before anything is written.
        """
        store_dir = check_store_dir(Path(store_dir).expanduser())
        info = open_store(store_dir, passphrase, self.keys, create=False, kdf=self.kdf)
        site = self.db.site_id
        incoming, refused = self._read_store(store_dir, site, passphrase)
        if not info.exists and not dry_run:
            info = open_store(store_dir, passphrase, self.keys, create=True, kdf=self.kdf)
        if not dry_run:
            remember_store(self.db, store_dir, info)
        exported = self._export_to_store(store_dir, info, passphrase, dry_run)
        imported = self._import(incoming, dry_run=dry_run, strict=False, store=info,
                                refused=refused)  # fmt: skip
        return SyncSummary(site, exported, imported)

    def _read_store(
        self, store_dir: Path, site: str, passphrase: str
    ) -> tuple[list[_Incoming], list[RefusedFile]]:
        files, refused = _list_store(store_dir, site)
        with self.db.read() as session:
            known = dict(
                session.execute(
                    select(SyncBundleSeen.bundle_id, SyncBundleSeen.file_size).where(
                        SyncBundleSeen.bundle_id.in_([f.name[: -len(SUFFIX)] for f in files])
                    )
                ).all()
            ) if files else {}  # fmt: skip
        incoming: list[_Incoming] = []
        for found in files:
            rel = f"{OUTBOX}/{Path(found.path).parent.name}/{found.name}"
            try:
                # Shortcut (never writes): a file named like a bundle already imported, with
                # the same size, is not read again. Anything else is authenticated in full.
                if (
                    found.is_file(follow_symlinks=False)
                    and known.get(found.name[: -len(SUFFIX)])
                    == found.stat(follow_symlinks=False).st_size
                ):
                    continue
                incoming.append(_Incoming(self.unlock_file(Path(found.path), passphrase, False),
                                          rel))  # fmt: skip
            except BundleError as err:
                refused.append(RefusedFile(rel, str(err)))
            except OSError:
                refused.append(RefusedFile(rel, str(bfmt.UnreadableBundle())))
        return incoming, refused

    def repair_store(self, store_dir: Path, passphrase: str) -> StoreRepair:
        """Rewrite a lost or damaged store settings file from this site's memory of it."""
        return repair_store(self.db, self.keys, store_dir, passphrase)

    # -- plumbing ------------------------------------------------------------------------

    def _transaction(self, *, dry_run: bool = False) -> Any:
        return _SyncTransaction(self.db, dry_run)


class _SyncTransaction:
    """A write transaction that takes SQLite's write lock first (so nothing read here can be
    changed by another window before we write) and never mints local change entries."""

    def __init__(self, db: Database, dry_run: bool) -> None:
        self.db = db
        self.dry_run = dry_run
        self._cm: Any = None

    def __enter__(self) -> Session:
        self._cm = self.db.write(reason="sync")
        session = self._cm.__enter__()
        session.info["applying_sync"] = True
        try:
            session.execute(text("UPDATE site_state SET hlc = hlc WHERE key = 1"))
        except BaseException as err:  # busy, read-only…: roll back and translate the error
            if not self._cm.__exit__(type(err), err, err.__traceback__):
                raise
        return session

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return bool(self._cm.__exit__(exc_type, exc, tb))


LINKED_FOLDER = "This folder is a link, not a folder of the shared store: it was not read."
UNREADABLE_FOLDER = "This folder of the shared store cannot be read."


def _list_store(store_dir: Path, site: str) -> tuple[list[os.DirEntry[str]], list[RefusedFile]]:
    """Files named like bundles in other sites' outbox folders, without following links: a
    folder that is a link, or one that cannot be listed, is reported, not read."""
    root = store_dir / OUTBOX
    files: list[os.DirEntry[str]] = []
    refused: list[RefusedFile] = []
    try:
        if root.is_symlink():
            return [], [RefusedFile(OUTBOX, LINKED_FOLDER)]
        if not root.is_dir():
            return [], []
        with os.scandir(root) as it:
            folders = sorted(it, key=lambda e: e.name)
    except OSError as err:
        raise StoreError("The shared store folder cannot be read.") from err
    for folder in folders:
        if folder.name == site:
            continue
        rel = f"{OUTBOX}/{folder.name}"
        try:
            if folder.is_symlink():
                refused.append(RefusedFile(rel, LINKED_FOLDER))
                continue
            if not folder.is_dir(follow_symlinks=False):
                continue
            with os.scandir(folder.path) as it:
                names = sorted((e for e in it if is_bundle_name(e.name)), key=lambda e: e.name)
        except OSError:
            refused.append(RefusedFile(rel, UNREADABLE_FOLDER))
            continue
        files.extend(names)
    return files, refused


def _site_state(session: Session) -> SiteState:
    state = session.get(SiteState, 1)
    if state is None:  # pragma: no cover - Database.open always creates it
        raise DomainError("This database has no site id; open it with Referral Desk first.")
    return state


def _seen_ids(session: Session, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return set(session.scalars(select(SyncBundleSeen.bundle_id)
                               .where(SyncBundleSeen.bundle_id.in_(ids))))  # fmt: skip


def _held_keys(session: Session, by_key: dict[tuple[str, int], Any]) -> set[tuple[str, int]]:
    """Which of these (site, seq) are already in the change log or the quarantine."""
    ranges: dict[str, list[int]] = {}
    for site, seq in by_key:
        r = ranges.get(site)
        if r is None:
            ranges[site] = [seq, seq]
        elif seq < r[0]:
            r[0] = seq
        elif seq > r[1]:
            r[1] = seq
    held: set[tuple[str, int]] = set()
    for site, (lo, hi) in ranges.items():
        for table in ("change_entry", "sync_quarantine"):
            rows = raw_rows(
                session, f"SELECT seq FROM {table} WHERE site_id = ? AND seq BETWEEN ? AND ?",
                (site, lo, hi),
            )  # fmt: skip
            held.update((site, s) for (s,) in rows)
    return held
