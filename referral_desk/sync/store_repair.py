"""Rebuilding a shared store's settings file from what a site remembers of the store.

The settings file (`referral-desk-store.json`) holds the store's id, its KDF salt and cost, and
a check value. If it is lost or damaged, making a new one silently would give the store a new id
(every site would export its whole history again) and a new salt (every colleague's key cache
misses). So sync refuses instead, and each site keeps, after every sync, what it knows of each
store it synced with (nothing secret: the passphrase is never stored). `repair_store` writes the
file back from that memory, once the team passphrase is proved against the remembered check
value *and* against a sync file already in the store that was written with the same salt.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from referral_desk.files import NotRegularFile, open_regular
from referral_desk.store.database import Database
from referral_desk.store.models import LocalSetting, put_local_setting
from referral_desk.sync import bundle as bfmt
from referral_desk.sync.keys import KeyCache
from referral_desk.sync.state import (
    OUTBOX,
    STORE_FILE,
    StoreError,
    StoreInfo,
    StoreSettingsDamaged,
    StoreSettingsMissing,
    check_store_dir,
    open_store,
    passphrase_opens,
    write_store_file,
    wrong_store_passphrase,
)

STORES_SETTING = "sync_stores"


@dataclass(frozen=True)
class StoreRepair:
    store_id: str
    repaired: bool  # False: the settings file was fine, nothing was written
    files_checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def remembered_stores(db: Database) -> list[tuple[StoreInfo, str]]:
    """Every store this site has synced with: (settings, folder it was reached at)."""
    with db.read() as session:
        row = session.get(LocalSetting, STORES_SETTING)
        value = row.value if row is not None else None
    found = []
    if isinstance(value, dict):
        for data in value.values():
            info = StoreInfo.from_memory(data)
            if info is not None:
                found.append((info, str(data.get("path", ""))))
    return found


def remember_store(db: Database, store_dir: Path, info: StoreInfo) -> None:
    """Keep (or refresh) this site's memory of a store; writes only when something changed."""
    entry = info.to_memory(store_dir)
    with db.read() as session:
        row = session.get(LocalSetting, STORES_SETTING)
        known = row.value if row is not None and isinstance(row.value, dict) else {}
        if known.get(info.store_id) == entry:
            return
    with db.write(reason="shared store settings") as session:
        row = session.get(LocalSetting, STORES_SETTING)
        stores = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        stores[info.store_id] = entry
        put_local_setting(session, STORES_SETTING, stores)


def _bundles_in(store_dir: Path) -> list[Path]:
    root = store_dir / OUTBOX
    out: list[Path] = []
    try:
        if root.is_symlink() or not root.is_dir():
            return []
        with os.scandir(root) as sites:
            folders = [s for s in sites if not s.is_symlink() and s.is_dir(follow_symlinks=False)]
        for folder in folders:
            with os.scandir(folder.path) as names:
                out.extend(Path(n.path) for n in names if bfmt.is_bundle_name(n.name))
    except OSError as err:
        raise StoreError("The shared store folder cannot be read.") from err
    return sorted(out)


def _header(path: Path) -> bfmt.BundleHeader | None:
    try:
        fh, _size = open_regular(path)
    except (NotRegularFile, OSError):
        return None
    with fh:
        try:
            return bfmt.parse_header(fh.read(bfmt.HEADER_READ))[0]
        except (bfmt.BundleError, OSError):
            return None


def repair_store(db: Database, keys: KeyCache, store_dir: Path, passphrase: str) -> StoreRepair:
    """Write the store's settings file back from this site's memory of that store."""
    store_dir = check_store_dir(Path(store_dir).expanduser())
    try:
        info = open_store(store_dir, passphrase, keys, create=False)
    except (StoreSettingsDamaged, StoreSettingsMissing):
        pass
    else:
        if info.exists:
            return StoreRepair(info.store_id, repaired=False)
    candidates = remembered_stores(db)
    if not candidates:
        raise StoreError(
            "This PC has no record of that shared store: repair it on a PC that has synced "
            "with it. Nothing was written."
        )
    here = str(store_dir)
    candidates.sort(key=lambda c: c[1] != here)  # the store last reached at this folder first
    headers = [(p, h) for p in _bundles_in(store_dir) if (h := _header(p)) is not None]
    opened = [info for info, _path in candidates if passphrase_opens(info, passphrase, keys)]
    if not opened:
        raise wrong_store_passphrase()
    for info in opened:
        mine = [p for p, h in headers if (h.salt, h.kdf) == (info.salt, info.kdf)]
        if headers and not mine:
            continue  # this store's files are not the ones in that folder
        if mine and not _one_opens(mine, passphrase, keys):
            raise StoreError(
                "None of the sync files in that folder could be checked (damaged or "
                f"unreadable): {STORE_FILE} was not rewritten."
            )
        write_store_file(store_dir, info)
        return StoreRepair(info.store_id, repaired=True, files_checked=len(mine))
    raise StoreError(
        "The sync files in that folder were not written for any shared store this PC has "
        f"synced with: {STORE_FILE} was not rewritten."
    )


def _one_opens(paths: list[Path], passphrase: str, keys: KeyCache) -> bool:
    """One file authenticated in full proves both the folder and the passphrase."""
    for path in paths:
        try:
            with bfmt.open_bundle(path, passphrase, keys, follow_symlinks=False) as reader:
                reader.verify()
        except bfmt.WrongPassphrase:
            raise wrong_store_passphrase() from None
        except bfmt.BundleError:
            continue
        return True
    return False


__all__ = ["StoreRepair", "remember_store", "remembered_stores", "repair_store"]
