"""Changing the team passphrase (someone left the team): nothing written afterwards opens with
the old one.

`rotate` (a team manager; the use case checks the role):

1. syncs with the old passphrase, so this PC holds everything the store holds;
2. writes the store's settings file with a **new salt** and a new check value (same store id),
   the team's manager key sealed again under the new key — from here on only the new
   passphrase opens the store. The old settings are first remembered as an earlier
   generation (`generations`). **Compare, then swap**: the file is re-read just before it is
   replaced, and again after, and must still be the one this rotation opened (then wrote);
   else another manager changed the passphrase meanwhile and this rotation stops
   (`RotationRaced`), having written nothing under its new settings;
3. writes a **snapshot** of everything under the new passphrase, then re-reads the settings
   file once more: if another manager's switch replaced ours meanwhile, the snapshot (under
   settings nobody will hold) is removed and this rotation stops (`RotationRaced`);
4. removes every older bundle and receipt it can prove was written under the old passphrase
   (a file it cannot prove is left alone), then writes its own receipt under the new one.

A shared folder has no atomic compare-and-swap: a switch landing between the last re-read and
the end can still replace a finished rotation's settings. The files of the rotation that lost
are then the files of an earlier generation for their writer, which removes them at its next
sync with the passphrase that won (`generations`).

A kill after step 2 is finished by running the rotation again with the same two passphrases:
the old passphrase must open settings this PC remembers for the store that are not the
current ones — its memory of the store (refreshed last), or, once an ordinary sync with the new
passphrase has noticed the switch, the earlier generation that sync remembered. Run again
after it finished, it removes whatever still proves under the old settings (a bundle written
while it ran by a colleague who never syncs again, so never removes it itself).

Other sites, at their next sync with the old passphrase, are told the passphrase has changed
(`PassphraseChanged`: this PC remembers the store under a salt that the old passphrase opened,
and the store now has another). With the new one they forget what the store held, import the
snapshot and send again whatever it lacks, including their unsynced changes (`lifecycle`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from referral_desk.files import NotRegularFile, read_regular
from referral_desk.sync.bundle import new_salt
from referral_desk.sync.generations import earlier_settings, remember_earlier
from referral_desk.sync.keys import KeyCache, normalise_passphrase
from referral_desk.sync.pruning import StoredBundle, proves_bundle, read_view
from referral_desk.sync.receipts import RECEIPT_NAME, open_receipt, site_folders
from referral_desk.sync.snapshot import SnapshotSummary
from referral_desk.sync.state import (
    OUTBOX,
    STORE_FILE,
    STORE_FILE_LIMIT,
    StoreError,
    StoreInfo,
    StoreSettingsMissing,
    _check_value,
    _read_store_file,
    check_store_dir,
    open_store,
    passphrase_opens,
    seal_manager_key,
    store_manager_key,
    write_store_file,
    wrong_store_passphrase,
)
from referral_desk.sync.store_repair import remember_store, remembered_stores

if TYPE_CHECKING:
    from referral_desk.store.database import Database
    from referral_desk.sync.exchange import SyncEngine


class PassphraseChanged(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "The team passphrase has changed: ask your team manager for the new passphrase and "
            "enter it in Sync settings. Nothing was exported or imported."
        )


class RotationRaced(StoreError):
    """Another manager changed the passphrase while this rotation ran: this one is dropped."""

    def __init__(self) -> None:
        super().__init__(
            "Another team manager changed the team passphrase at the same time: this change "
            "was not made. Ask them for the new passphrase and sync with it."
        )


@dataclass(frozen=True)
class RotationSummary:
    store_id: str
    snapshot: SnapshotSummary | None
    removed: int  # bundle files and receipts written under the old passphrase
    left: int  # files the rotation could not prove were written under the old passphrase
    resumed: bool = False  # a rotation cut short was finished

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["snapshot"] = self.snapshot.to_dict() if self.snapshot is not None else None
        return data


def _store_id(store_dir: Path) -> str | None:
    try:
        raw = read_regular(Path(store_dir) / STORE_FILE, STORE_FILE_LIMIT)
        value = json.loads(raw or b"")["store_id"]
    except (OSError, NotRegularFile, ValueError, KeyError, TypeError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def remembered_info(db: Database, store_id: str | None) -> StoreInfo | None:
    for info, _path in remembered_stores(db):
        if info.store_id == store_id:
            return info
    return None


def explain_refusal(
    db: Database, keys: KeyCache, store_dir: Path, passphrase: str, err: StoreError
) -> None:
    """Raise PassphraseChanged when `err` refused a passphrase that opened this store before
    (this PC remembers it under other settings); otherwise return (the caller re-raises)."""
    if type(err) is not StoreError or str(err) != str(wrong_store_passphrase()):
        return
    before = remembered_info(db, _store_id(store_dir))
    if before is not None and passphrase_opens(before, passphrase, keys):
        raise PassphraseChanged() from None


def _switched_from(
    db: Database, current: StoreInfo, old_passphrase: str, keys: KeyCache
) -> StoreInfo | None:
    """The settings a rotation cut short switched away from: ones this PC remembers for the
    store (its memory of it, else an earlier generation, `generations`) that the old
    passphrase opens and that are not the current ones."""
    before = remembered_info(db, current.store_id)
    with db.read() as session:
        candidates = [before, *earlier_settings(session, current.store_id)]
    for info in candidates:
        if (
            info is not None
            and info.salt != current.salt
            and passphrase_opens(info, old_passphrase, keys)
        ):
            return info
    return None


def _still(store_dir: Path, expected: StoreInfo) -> None:
    """Refuse (`RotationRaced`) unless the store's settings file is still `expected`. A shared
    folder has no atomic compare-and-swap, so the switch re-reads the file just before
    replacing it and again after: of two managers rotating at once, the one whose settings
    were replaced learns it before its snapshot is relied on (and removes that snapshot). A
    file gone, damaged or unreadable meanwhile is refused with its own message."""
    found = _read_store_file(Path(store_dir) / STORE_FILE)
    if found is None:
        raise StoreSettingsMissing()
    want = (expected.store_id, expected.salt, expected.kdf, expected.check, expected.manager)
    if tuple(found[k] for k in _FIELDS) != want:
        raise RotationRaced()


_FIELDS = ("store_id", "salt", "kdf", "check", "manager")


def _new_info(info: StoreInfo, new: str, keys: KeyCache, manager: str | None) -> StoreInfo:
    """The store's settings under a new salt: new check value, manager key sealed again."""
    salt = new_salt()
    master = keys.master(new, salt, info.kdf)
    check = base64.b64decode(_check_value(master, info.store_id))
    fresh = StoreInfo(info.store_id, salt, info.kdf, True, check)
    if manager:
        fresh = seal_manager_key(fresh, new, keys, manager)
    assert passphrase_opens(fresh, new, keys)
    return fresh


def _old_files(
    store_dir: Path, old: StoreInfo, old_passphrase: str, keys: KeyCache, keep: set[str]
) -> tuple[list[Path], int]:
    """Every bundle and receipt provably written under the old settings (`keep`: bundle ids
    never removed), and how many files named like them could not be proved."""
    view = read_view(store_dir, old, old_passphrase, keys)
    found: list[Path] = []
    left = 0
    for bundle in view.bundles.values():
        if bundle.bundle_id in keep:
            continue
        probe = StoredBundle(bundle.site, bundle.bundle_id, bundle.path, None)
        if proves_bundle(probe, old, old_passphrase, keys):
            found.append(bundle.path)
        else:
            left += 1
    for site in site_folders(store_dir):
        path = Path(store_dir) / OUTBOX / site / RECEIPT_NAME
        try:
            data = read_regular(path, 4 << 20)
        except (OSError, NotRegularFile):
            continue
        if data is None:
            continue
        if open_receipt(data, old, old_passphrase, keys, site) is not None:
            found.append(path)
        else:
            left += 1
    return found, left


def rotate(
    engine: SyncEngine, store_dir: Path, old_passphrase: str, new_passphrase: str
) -> RotationSummary:
    """Steps 1-4 of the module docstring; run again after a kill, it finishes the job."""
    normalise_passphrase(new_passphrase)
    if new_passphrase == old_passphrase:
        raise StoreError("The new team passphrase is the same as the old one: nothing changed.")
    store_dir = check_store_dir(Path(store_dir).expanduser())
    keys = engine.keys
    resumed = False
    try:
        old = open_store(store_dir, old_passphrase, keys, create=False, kdf=engine.kdf)
    except StoreError:
        # Cut short after the switch? The store opens with the new passphrase and the old one
        # opens settings this PC remembers for it: its memory of the store (nothing synced
        # since), or an earlier generation (an ordinary sync since noticed the switch).
        current = open_store(store_dir, new_passphrase, keys, create=False, kdf=engine.kdf)
        before = _switched_from(engine.db, current, old_passphrase, keys)
        if before is None:
            raise
        old, fresh, resumed = before, current, True
    if not old.exists:
        raise StoreError("There is no shared store in that folder yet: nothing to change.")
    if not resumed:
        engine.sync(store_dir, old_passphrase)  # hold everything before anything is removed
        old = open_store(store_dir, old_passphrase, keys, create=False, kdf=engine.kdf)
        manager = store_manager_key(old, old_passphrase, keys)
        fresh = _new_info(old, new_passphrase, keys, manager)
        with engine._transaction() as session:  # a kill after the switch can still be finished
            remember_earlier(session, old)
        _still(store_dir, old)  # compare, then swap: another manager's switch is not undone
        write_store_file(store_dir, fresh)  # the switch: the old passphrase opens no more
    _still(store_dir, fresh)  # no other manager's switch since ours
    life = engine.lifecycle
    view = life.view(store_dir, fresh, new_passphrase)
    snapshot = None
    keep: set[str] = set()  # files under the new settings never prove under the old ones
    if not resumed or not any(
        b.meta is not None and b.meta.is_snapshot for b in view.bundles.values()
    ):
        snapshot = life.write_snapshot(store_dir, fresh, new_passphrase)
        keep.add(snapshot.bundle_id)
        try:
            _still(store_dir, fresh)
        except StoreError:  # lost while writing it: under settings nobody will hold
            with contextlib.suppress(OSError):
                os.unlink(Path(store_dir) / snapshot.path)
            raise
    files, left = _old_files(store_dir, old, old_passphrase, keys, keep)
    removed = 0
    for path in files:
        try:
            os.unlink(path)
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as err:
            raise StoreError(
                "A file written under the old passphrase could not be removed from the shared "
                "store: run the passphrase change again to finish it."
            ) from err
    life.write_receipt(store_dir, fresh, new_passphrase)
    remember_store(engine.db, store_dir, fresh)
    return RotationSummary(fresh.store_id, snapshot, removed, left, resumed)


__all__ = ["PassphraseChanged", "RotationRaced", "RotationSummary", "explain_refusal", "rotate"]
