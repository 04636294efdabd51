"""One writer per site id: noticing a copied data folder and taking a new site id.

A data folder copied to a second PC, or restored from a backup while the original carried on,
keeps its site id; two writers would then mint the same (site, seq) for different changes and
sync would silently diverge (an importer keeps the first entry it sees under a key). Before
any export or sync this site checks two things:

- **the machine**: a fingerprint of the machine (a hash: the machine id is not kept as such) is
  recorded with the site id in `local_setting` (never synced). A folder opened on another
  machine no longer matches. A folder from before this check records it and carries on.
- **the shared store**: the bundle files this site wrote to its own outbox folder are recorded
  (per store). A file there that this site never wrote, and that proves to be a bundle of
  this store written under this site id, means another writer uses this site id (a restored
  backup, or the original of a copy); anything else there (junk named like a bundle, a
  bundle of another store or from before a passphrase rotation) is no writer at all.

Recovery (`take_new_site_id`) keeps every record and the whole change history. Entries the
store is known to hold under the old id stay as they are (colleagues have them, and they are
the same on both writers); the old id's entries beyond that are re-keyed, in order, to the new
site id with fresh seqs, so the next export sends them and the other writer's entries under the
old id can be imported here. Signature runs among them are dropped and the re-keyed entries
signed again under the new id; knowledge checkpoints about re-keyed entries are dropped
(unknown only ever adds a conflict to review). The signing key stays: it is the officer's, and
role grants name it. An audit entry records the change and why.
"""

from __future__ import annotations

import hashlib
import os
import platform
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from referral_desk.files import NotRegularFile, read_regular
from referral_desk.store.changelog_edits import take_above
from referral_desk.store.changelog_rows import insert_entries
from referral_desk.store.changelog_sites import hold_below, hold_runs
from referral_desk.store.models import AuditEntry, LocalSetting, SiteState, put_local_setting
from referral_desk.store.sync_models import SyncKnowledge
from referral_desk.store.trust import RUN_TABLE, SIGNED_THROUGH_SETTING
from referral_desk.sync.bundle import SUFFIX, is_bundle_name
from referral_desk.sync.keys import KeyCache
from referral_desk.sync.pruning import StoredBundle, proves_bundle
from referral_desk.sync.state import StoreInfo, load_export_state, raw_rows

MACHINE_SETTING = "site_machine"
BUNDLES_SETTING = "site_own_bundles"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
_MACHINE_ID_LIMIT = 4096

MOVED = (
    "This data folder was copied from another PC, so this PC now writes under a new site id "
    "(nothing was lost; colleagues receive its changes at the next sync)."
)
SHARED_ID = (
    "Another copy of this data folder (a restored backup or a copied folder) has been syncing "
    "under this PC's site id, so this PC now writes under a new site id (nothing was lost)."
)


def machine_fingerprint() -> str:
    """A stable hash naming this machine: the OS machine id when there is one, else the
    network address and host name (a hash, so the machine id itself is not kept)."""
    raw = _machine_id() or f"{uuid.getnode():012x}/{platform.node()}"
    data = b"referral-desk/machine/v1\0" + raw.encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()


def _machine_id() -> str:
    for name in _MACHINE_ID_FILES:
        try:  # a small regular file (often a link to /etc/machine-id), read bounded
            data = read_regular(Path(name), _MACHINE_ID_LIMIT, follow_symlinks=True)
        except (OSError, NotRegularFile):
            continue
        text = (data or b"").decode("ascii", "replace").strip()
        if text and text.isprintable():
            return text
    if os.name == "nt":  # pragma: no cover - Windows only
        try:
            import winreg

            with winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography"
            ) as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0])
        except OSError:
            return ""
    return ""


Fingerprint = Callable[[], str]
Proves = Callable[[str], bool]  # is this bundle id in the site's folder its own genuine bundle?


def machine_clash(session: Session, fingerprint: str) -> bool:
    """True when this site id was recorded on another machine; records it when not recorded
    (a new site, or a folder from before this check)."""
    site = _state(session).site_id
    row = session.get(LocalSetting, MACHINE_SETTING)
    value = row.value if row is not None else None
    if isinstance(value, dict) and value.get("site") == site and value.get("machine"):
        return value["machine"] != fingerprint
    put_local_setting(session, MACHINE_SETTING, {"site": site, "machine": fingerprint})
    return False


def own_bundle_files(store_dir: Path, site: str) -> set[str] | None:
    """Bundle ids in this site's outbox folder of the store (None: it cannot be listed)."""
    folder = store_dir / "outbox" / site
    try:
        if folder.is_symlink() or not folder.is_dir():
            return set()
        with os.scandir(folder) as it:
            return {e.name[: -len(SUFFIX)] for e in it if is_bundle_name(e.name)}
    except OSError:
        return None


def own_bundle_proof(
    store_dir: Path, site: str, info: StoreInfo, passphrase: str, keys: KeyCache
) -> Proves:
    """Proves a bundle id in this site's outbox folder is a bundle of this store written under
    this site id (header and first segment, `pruning.proves_bundle`)."""
    folder = store_dir / "outbox" / site

    def proves(bundle_id: str) -> bool:
        bundle = StoredBundle(site, bundle_id, folder / f"{bundle_id}{SUFFIX}", None)
        return proves_bundle(bundle, info, passphrase, keys)

    return proves


def store_clash(
    session: Session, store_id: str, found: set[str], proves: Proves | None = None
) -> bool:
    """True when this site's outbox folder holds a bundle this site never wrote. A folder
    from before this check (no record, but exports made) adopts what is there.

    Only a file that `proves(bundle_id)` is a bundle of this store written under this site id
    (`pruning.proves_bundle`: its header names the bundle and this site, and it authenticates
    under the store's key) counts: anyone who can write to the share can drop a file named like
    a bundle, and that must not cost this PC its site id. Only unknown files are proved."""
    row = session.get(LocalSetting, BUNDLES_SETTING)
    record = row.value if row is not None and isinstance(row.value, dict) else {}
    mine = record.get(store_id)
    if isinstance(mine, list):
        return _any_proved(found - set(mine), proves)
    if load_export_state(session, store_id).exports == 0:
        return _any_proved(found, proves)
    remember_own_bundles(session, store_id, found)
    return False


def _any_proved(unknown: set[str], proves: Proves | None) -> bool:
    return any(proves is None or proves(bundle_id) for bundle_id in sorted(unknown))


def remember_own_bundles(
    session: Session, store_id: str, present: set[str] | None, added: str | None = None
) -> None:
    """Record the bundles this site wrote to a store (only those still there: bounded; all
    of them when the folder could not be listed, `present` None)."""
    row = session.get(LocalSetting, BUNDLES_SETTING)
    record = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    mine = set(record.get(store_id) or [])
    if present is not None:
        mine = mine & present if store_id in record else set(present)
    if added:
        mine.add(added)
    record[store_id] = sorted(mine)
    put_local_setting(session, BUNDLES_SETTING, record)


def settle_site(
    session: Session,
    fingerprint: str,
    now: datetime,
    store_id: str | None = None,
    found: set[str] | None = None,
    proves: Proves | None = None,
) -> str:
    """Check this site id is this writer's alone (the machine; the store's own folder, when
    `found` lists it; `proves`: see `store_clash`) and take a new one if not. Returns the line
    to tell the user, or ""."""
    reason = ""
    if machine_clash(session, fingerprint):
        reason = MOVED
    elif (
        store_id is not None and found is not None and store_clash(session, store_id, found, proves)
    ):
        reason = SHARED_ID
    if not reason:
        return ""
    take_new_site_id(session, reason, now)
    machine_clash(session, fingerprint)  # records this machine with the new id
    return reason


def take_new_site_id(session: Session, reason: str, now: datetime) -> str:
    """Give this installation a new site id in the caller's transaction (see the module
    docstring). Returns the new id. `reason` is the one line the user is told."""
    state = _state(session)
    old, new = state.site_id, str(uuid.uuid4())
    cut = _exported_prefix(session, old)
    # Signature runs are dropped (they name the old id); the rest move, in order.
    moved = [e for e in take_above(session, old, cut) if e[2] != RUN_TABLE]
    keep = [(new, i, *e[2:]) for i, e in enumerate(moved, start=1)]
    if keep:
        insert_entries(session, keep)
    # The old id keeps what the store holds; the moved entries are held under the new id.
    hold_below(session, old, cut)
    if keep:
        hold_runs(session, {new: [[1, len(keep)]]})
    table = SyncKnowledge.__table__
    session.execute(table.delete().where(table.c.site_id == old, table.c.after_seq >= cut))
    state.site_id = new
    state.next_seq = len(keep) + 1
    put_local_setting(session, SIGNED_THROUGH_SETTING, 0)
    put_local_setting(session, MACHINE_SETTING, None)
    put_local_setting(session, BUNDLES_SETTING, {})
    session.add(
        AuditEntry(
            at=now,
            site_id=new,
            officer_id=state.officer_id,
            action="sync",
            table_name="site_state",
            record_id=new,
            fields="site_id",
            reason=f"new site id (was {old}): {reason}",
        )
    )
    session.flush()
    return new


def _exported_prefix(session: Session, site: str) -> int:
    """The highest n such that a shared store is known to hold all of this site's 1..n."""
    best = 0
    for (store_id,) in raw_rows(session, "SELECT store_id FROM sync_export_state"):
        runs = load_export_state(session, store_id).known.get(site, [])
        if runs and runs[0][0] <= 1:
            best = max(best, runs[0][1])
    return best


def _state(session: Session) -> SiteState:
    state = session.get(SiteState, 1)
    if state is None:  # pragma: no cover - Database.open always creates it
        raise LookupError("no site state")
    return state


__all__ = [
    "MOVED",
    "SHARED_ID",
    "Fingerprint",
    "Proves",
    "machine_clash",
    "machine_fingerprint",
    "own_bundle_files",
    "own_bundle_proof",
    "remember_own_bundles",
    "settle_site",
    "store_clash",
    "take_new_site_id",
]
