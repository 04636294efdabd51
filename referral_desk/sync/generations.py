"""Earlier settings generations of a shared store, and the files a rotation leaves behind.

A passphrase rotation (`rotation`) gives the store a new salt and check value: a new
**settings generation**. A file written under an earlier generation opens with the old
passphrase only (whoever left the team can read it) and with the new one not at all
(colleagues' syncs refuse it). The rotation removes every such file it can prove under the old
passphrase, but three ways leave some behind:

- a colleague's sync that opened the store just before the switch writes its bundle and
  receipt under the old settings after the rotation has finished;
- a rotation killed after the switch, then an ordinary sync with the new passphrase;
- two managers rotating at once: the one whose settings file was overwritten (the loser) has
  written its snapshot under settings nobody will hold.

So each site remembers (`local_setting` `sync_store_generations`, never synced; nothing secret:
salt, KDF cost, check value) the **earlier settings** of each store it has seen replaced: when
its sync notices a rotation (`lifecycle.notice_rotation`) and when its own rotation switches.
At most `KEEP` per store.

**Rule** (every sync, `StoreLifecycle.drop_stale_own`): a file in this site's **own** outbox
folder is removed when it is a regular file named `<uuid>.rdsync` (never a link), this site
recorded writing it (`site_identity`'s record of its own bundles), its header names that bundle
id and this site, and its salt and KDF cost are those of an **earlier** generation of this
store that this site remembers (never the current ones). Nobody holding the current passphrase
can read such a file, so removing it loses nothing; only its writer removes it, since only the
writer knows it wrote it (a colleague's folder is left to that colleague, or to a rotation that
proves its files under the old passphrase). The header is not authenticated without the old
passphrase: a file altered to look old is one that anyone able to alter it could delete
anyway. A file whose manifest this site remembers for the store was written under the current
settings (noticing a rotation forgets them all), so its header is not read. A removal that
fails is tried again at the next sync. This site's old receipt is replaced by every sync.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.orm import Session

from referral_desk.files import NotRegularFile, open_regular
from referral_desk.store.models import LocalSetting, put_local_setting
from referral_desk.sync.bundle import SUFFIX, BundleError, is_bundle_name
from referral_desk.sync.container import HEADER_READ, parse_header
from referral_desk.sync.keys import KdfParams
from referral_desk.sync.site_identity import BUNDLES_SETTING
from referral_desk.sync.state import OUTBOX, StoreInfo

GENERATIONS_SETTING = "sync_store_generations"
KEEP = 8  # earlier generations remembered per store (each rotation adds one)


def earlier_settings(session: Session, store_id: str) -> list[StoreInfo]:
    """The earlier settings this site remembers for a store, the most recent first."""
    row = session.get(LocalSetting, GENERATIONS_SETTING)
    record = row.value if row is not None and isinstance(row.value, dict) else {}
    found = []
    for data in record.get(store_id) or []:
        info = StoreInfo.from_memory(data)
        if info is not None and info.store_id == store_id:
            found.append(info)
    return found


def remember_earlier(session: Session, info: StoreInfo) -> None:
    """Record `info` as an earlier generation of its store (in the caller's transaction)."""
    known = [i for i in earlier_settings(session, info.store_id) if i.salt != info.salt]
    row = session.get(LocalSetting, GENERATIONS_SETTING)
    record = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    record[info.store_id] = [i.to_memory(Path()) for i in [info, *known][:KEEP]]
    put_local_setting(session, GENERATIONS_SETTING, record)


def own_bundle_record(session: Session, store_id: str) -> set[str]:
    """The bundle ids this site recorded writing to a store (`site_identity`)."""
    row = session.get(LocalSetting, BUNDLES_SETTING)
    record = row.value if row is not None and isinstance(row.value, dict) else {}
    mine = record.get(store_id)
    return {str(b) for b in mine} if isinstance(mine, list) else set()


def _written_under(path: Path, bundle_id: str, site: str) -> tuple[bytes, KdfParams] | None:
    """(salt, KDF cost) from the header of a regular file naming this bundle and site."""
    try:
        fh, _size = open_regular(path, follow_symlinks=False)
    except (OSError, NotRegularFile):
        return None
    with fh:
        try:
            header = parse_header(fh.read(HEADER_READ))[0]
        except (BundleError, OSError):
            return None
    if (header.bundle_id, header.site_id) != (bundle_id, site):
        return None
    return header.salt, header.kdf


def stale_own_files(
    store_dir: Path,
    site: str,
    current: StoreInfo,
    earlier: list[StoreInfo],
    mine: set[str],
) -> list[Path]:
    """This site's files written under an earlier generation (the rule in the docstring).
    `mine`: the bundle ids this site recorded writing and whose manifest it does not hold."""
    folder = Path(store_dir) / OUTBOX / site
    old = {(i.salt, i.kdf) for i in earlier} - {(current.salt, current.kdf)}
    if not old or not mine:
        return []
    try:
        if folder.is_symlink() or not folder.is_dir():
            return []
        with os.scandir(folder) as it:
            names = [e.name for e in it if is_bundle_name(e.name)]
    except OSError:
        return []
    found = []
    for name in sorted(names):
        bundle_id = name[: -len(SUFFIX)]
        if bundle_id in mine and _written_under(folder / name, bundle_id, site) in old:
            found.append(folder / name)
    return found


def remove_files(paths: list[Path]) -> int:
    """Unlink each (regular files: `stale_own_files` never lists a link); how many went. One
    that fails (gone already, or held open on a share) is tried again at the next sync."""
    removed = 0
    for path in paths:
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            continue
    return removed


__all__ = [
    "GENERATIONS_SETTING",
    "KEEP",
    "earlier_settings",
    "own_bundle_record",
    "remember_earlier",
    "remove_files",
    "stale_own_files",
]
