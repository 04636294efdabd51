"""What a site knows: version vectors, knowledge checkpoints, and what a shared store holds.

- The **version vector** maps each site to the highest seq n such that all of 1..n are held here
  (applied or quarantined). It is a contiguous prefix on purpose: entries can arrive out of order,
  and "has seen up to n" must never claim an entry that is missing.
- **Knowledge checkpoints** `(site, after_seq, vector)` say: site wrote its entries with seq
  greater than after_seq having seen `vector`. Each site records one after every import that
  brought something new, and they travel in bundles like entries. They let any site decide
  whether two writes of one field were concurrent (neither writer had seen the other) even when
  the entries were relayed by a third site.
- The **store file** (`referral-desk-store.json` in the shared store) holds the store's id, the
  team-wide KDF salt (one scrypt per sync instead of one per colleague) and a check value that
  tells a wrong passphrase at once — before this site writes a bundle nobody could read.
- The **export state** per store is the set of (site, seq) the store is known to hold, as runs:
  everything this site exported there or imported from there. An export to the store carries
  everything else.
"""

from __future__ import annotations

import base64
import bisect
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.errors import DomainError
from referral_desk.files import SHARED, NotRegularFile, read_regular, write_atomically
from referral_desk.store.changelog_sites import held_vector, merge_runs, seq_runs
from referral_desk.store.sync_models import SyncExportState, SyncKnowledge
from referral_desk.sync.bundle import SUFFIX, is_bundle_name, new_salt
from referral_desk.sync.keys import DEFAULT_KDF, KdfParams, KeyCache, subkey

STORE_FILE = "referral-desk-store.json"
OUTBOX = "outbox"
_CHECK_PURPOSE = b"referral-desk/store-check/v1"
_CHECK_TEXT = b"referral-desk shared store"
_MANAGER_PURPOSE = b"referral-desk/store-manager/v1"

Vector = dict[str, int]
Runs = dict[str, list[list[int]]]


class StoreError(DomainError):
    """The shared store folder cannot be used (missing, unreachable, wrong passphrase)."""


def raw_rows(session: Session, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Plain tuples straight from sqlite3 inside the session's transaction: bulk reads of the
    change log are several times faster without per-row result processing."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.execute(sql, tuple(params)).fetchall()
    finally:
        cursor.close()


# --- version vectors -------------------------------------------------------------------------


def version_vector(session: Session) -> Vector:
    """Highest contiguous seq held per site (change log and quarantine together, and what
    they superseded), as `sync_site` keeps it."""
    return held_vector(session)


# --- knowledge checkpoints -------------------------------------------------------------------


class Knowledge:
    """Checkpoints by site, sorted by after_seq, for "had this writer seen that entry?"."""

    def __init__(self, rows: Iterable[tuple[str, int, Vector]]) -> None:
        self._by_site: dict[str, tuple[list[int], list[Vector]]] = {}
        for site, after, vector in sorted(rows, key=lambda r: (r[0], r[1])):
            afters, vectors = self._by_site.setdefault(site, ([], []))
            afters.append(after)
            vectors.append(vector)

    def seen_by(self, writer_site: str, writer_seq: int, other_site: str, other_seq: int) -> bool:
        """Had `writer_site`, when writing its entry `writer_seq`, seen (other_site, other_seq)?
        Unknown means no: a missing checkpoint can only add a conflict to review, never hide one.
        """
        if writer_site == other_site:
            return other_seq < writer_seq
        found = self._by_site.get(writer_site)
        if not found:
            return False
        afters, vectors = found
        i = bisect.bisect_left(afters, writer_seq)  # rows with after_seq < writer_seq
        return any(vectors[j].get(other_site, 0) >= other_seq for j in range(i))


def load_knowledge(session: Session) -> Knowledge:
    rows = session.execute(
        select(SyncKnowledge.site_id, SyncKnowledge.after_seq, SyncKnowledge.vector)
    )
    return Knowledge((s, a, json.loads(v)) for s, a, v in rows)


def merge_knowledge(session: Session, items: Iterable[tuple[str, int, Vector]]) -> int:
    """Add checkpoints (element-wise max on the same (site, after_seq)); changed rows get a new
    id so that the next export to a store relays them. Returns how many rows changed."""
    incoming: dict[tuple[str, int], Vector] = {}
    for site, after, vector in items:
        cur = incoming.setdefault((site, after), {})
        for k, v in vector.items():
            if v > cur.get(k, 0):
                cur[k] = v
    if not incoming:
        return 0
    existing = {
        (s, a): (rid, json.loads(v))
        for rid, s, a, v in session.execute(
            select(
                SyncKnowledge.id,
                SyncKnowledge.site_id,
                SyncKnowledge.after_seq,
                SyncKnowledge.vector,
            )
        )
    }
    table = SyncKnowledge.__table__
    changed = 0
    for (site, after), vector in incoming.items():
        old = existing.get((site, after))
        merged = dict(old[1]) if old else {}
        for k, v in vector.items():
            if v > merged.get(k, 0):
                merged[k] = v
        if old is not None and merged == old[1]:
            continue
        if old is not None:
            session.execute(table.delete().where(table.c.id == old[0]))
        session.execute(
            table.insert(),
            {"site_id": site, "after_seq": after, "vector": json.dumps(merged, sort_keys=True)},
        )
        changed += 1
    return changed


def knowledge_rows(session: Session, after_id: int = 0) -> tuple[list[list[Any]], int]:
    """Checkpoints with a local id above `after_id`, as bundle items, and the highest id."""
    rows = session.execute(
        select(
            SyncKnowledge.id, SyncKnowledge.site_id, SyncKnowledge.after_seq, SyncKnowledge.vector
        )
        .where(SyncKnowledge.id > after_id)
        .order_by(SyncKnowledge.id)
    ).all()
    top = max((r[0] for r in rows), default=after_id)
    return [[s, a, json.loads(v)] for _id, s, a, v in rows], top


# --- runs of (site, seq) ---------------------------------------------------------------------


def add_keys(known: Runs, keys: Iterable[tuple[str, int]]) -> Runs:
    by_site: dict[str, list[int]] = {}
    for site, seq in keys:
        by_site.setdefault(site, []).append(seq)
    out = {k: [list(r) for r in v] for k, v in known.items()}
    for site, seqs in by_site.items():
        out[site] = merge_runs(out.get(site, []), seq_runs(seqs))
    return out


def missing_ranges(runs: list[list[int]], top: int) -> list[tuple[int, int]]:
    """The seq ranges in 1..top not covered by `runs`."""
    gaps: list[tuple[int, int]] = []
    nxt = 1
    for lo, hi in runs:
        if lo > nxt:
            gaps.append((nxt, min(lo - 1, top)))
        nxt = max(nxt, hi + 1)
        if nxt > top:
            break
    if nxt <= top:
        gaps.append((nxt, top))
    return [(lo, hi) for lo, hi in gaps if lo <= hi]


# --- export state per store ------------------------------------------------------------------


@dataclass
class ExportState:
    store_id: str
    known: Runs
    knowledge_id: int
    exports: int


def load_export_state(session: Session, store_id: str) -> ExportState:
    row = session.get(SyncExportState, store_id)
    if row is None:
        return ExportState(store_id, {}, 0, 0)
    return ExportState(store_id, json.loads(row.known), row.knowledge_id, row.exports)


def save_export_state(session: Session, state: ExportState, *, exported: bool, now: Any) -> None:
    table = SyncExportState.__table__
    values = {
        "known": json.dumps(state.known, separators=(",", ":"), sort_keys=True),
        "knowledge_id": state.knowledge_id,
        "exports": state.exports,
    }
    if exported:
        values["last_export_at"] = now
    if session.get(SyncExportState, state.store_id) is None:
        session.execute(table.insert(), {"store_id": state.store_id, **values})
    else:
        session.execute(table.update().where(table.c.store_id == state.store_id).values(values))


# --- the store folder ------------------------------------------------------------------------

STORE_FILE_LIMIT = 64 << 10  # the settings file is a few hundred bytes
REPAIR_HINT = (
    "Repair it on a PC that has synced with this store: "
    "referral-desk sync repair-store --store FOLDER (see the README)."
)


class StoreSettingsDamaged(StoreError):
    """The store's settings file is there but unusable. Never replaced silently: a new one
    would mean a new store id, and every site would export its whole history again."""

    def __init__(self) -> None:
        super().__init__(
            f"The shared store's settings file ({STORE_FILE}) is damaged: nothing was exported "
            f"or imported. {REPAIR_HINT}"
        )


class StoreSettingsMissing(StoreError):
    """The settings file is gone but the store holds sync files: not a new store."""

    def __init__(self) -> None:
        super().__init__(
            f"The shared store's settings file ({STORE_FILE}) is missing but the store holds "
            f"sync files: nothing was exported or imported. {REPAIR_HINT}"
        )


@dataclass(frozen=True)
class StoreInfo:
    store_id: str
    salt: bytes
    kdf: KdfParams
    exists: bool = True
    check: bytes = b""  # proves a passphrase; kept by each site so the file can be rebuilt
    # The team's root manager key (issue 12), sealed with the team passphrase so that only a
    # member can set it: whoever created the store. b"" in stores made before signed roles.
    manager: bytes = b""

    def to_memory(self, path: Path) -> dict[str, Any]:
        """What a site remembers of a store it synced with (nothing secret: ids, salt,
        cost, check value) so that a lost or damaged settings file can be rebuilt."""
        return {
            "store_id": self.store_id,
            "salt": base64.b64encode(self.salt).decode("ascii"),
            "kdf": self.kdf.to_dict(),
            "check": base64.b64encode(self.check).decode("ascii"),
            "manager": base64.b64encode(self.manager).decode("ascii"),
            "path": str(path),
        }

    @classmethod
    def from_memory(cls, data: object) -> StoreInfo | None:
        try:
            found = _store_fields(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(
            found["store_id"], found["salt"], found["kdf"], True, found["check"], found["manager"]
        )


def seal_manager_key(info: StoreInfo, passphrase: str, keys: KeyCache, key_hex: str) -> StoreInfo:
    """The store's settings with `key_hex` as the team's root manager key, sealed."""
    master = keys.master(passphrase, info.salt, info.kdf)
    key = subkey(master, _MANAGER_PURPOSE, info.store_id.encode("ascii"))
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, key_hex.encode("ascii"), info.store_id.encode("ascii"))
    return StoreInfo(info.store_id, info.salt, info.kdf, info.exists, info.check, nonce + sealed)


def store_manager_key(info: StoreInfo, passphrase: str, keys: KeyCache) -> str | None:
    """The team's root manager key held by the store (None: a store from before signed roles).
    A sealed key that does not open was tampered with: refused."""
    if not info.manager:
        return None
    master = keys.master(passphrase, info.salt, info.kdf)
    key = subkey(master, _MANAGER_PURPOSE, info.store_id.encode("ascii"))
    try:
        text = AESGCM(key).decrypt(
            info.manager[:12], info.manager[12:], info.store_id.encode("ascii")
        )
        value = text.decode("ascii")
        int(value, 16)
    except (InvalidTag, ValueError, UnicodeDecodeError):
        raise StoreSettingsDamaged() from None
    if len(value) != 64:
        raise StoreSettingsDamaged()
    return value


def _check_value(master: bytes, store_id: str, nonce: bytes | None = None) -> str:
    key = subkey(master, _CHECK_PURPOSE, store_id.encode("ascii"))
    nonce = nonce or os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, _CHECK_TEXT, store_id.encode("ascii"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def passphrase_opens(info: StoreInfo, passphrase: str, keys: KeyCache) -> bool:
    """Does `passphrase` open this store's check value?"""
    master = keys.master(passphrase, info.salt, info.kdf)
    key = subkey(master, _CHECK_PURPOSE, info.store_id.encode("ascii"))
    try:
        AESGCM(key).decrypt(info.check[:12], info.check[12:], info.store_id.encode("ascii"))
    except InvalidTag:
        return False
    return True


def _store_fields(data: Any) -> dict[str, Any]:
    kdf = KdfParams.from_dict(data.get("kdf"))
    salt = base64.b64decode(data["salt"], validate=True)
    check = base64.b64decode(data["check"], validate=True)
    store_id = str(uuid.UUID(data["store_id"]))
    if store_id != data["store_id"] or kdf is None or not 16 <= len(salt) <= 64:
        raise ValueError("store settings")
    if len(check) < 12 + 16:
        raise ValueError("check")
    manager = base64.b64decode(data.get("manager") or "", validate=True)
    if manager and len(manager) != 12 + 64 + 16:
        raise ValueError("manager")
    return {"store_id": store_id, "salt": salt, "kdf": kdf, "check": check, "manager": manager}


def _read_store_file(path: Path) -> dict[str, Any] | None:
    """The store's settings, or None when there is no file. A file that is there but cannot
    be used (not a regular file, too big, not JSON, wrong fields) is damaged."""
    try:
        raw = read_regular(path, STORE_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise StoreSettingsDamaged() from None
    except OSError as err:
        raise StoreError("The shared store's settings file cannot be read.") from err
    if raw is None:
        raise StoreSettingsDamaged()
    try:
        return _store_fields(json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise StoreSettingsDamaged() from None


def store_holds_bundles(store_dir: Path) -> bool:
    """Is anything named like a sync file in any site's outbox (links are not followed)?"""
    root = Path(store_dir) / OUTBOX
    try:
        if root.is_symlink() or not root.is_dir():
            return False
        with os.scandir(root) as sites:
            for site in sites:
                if site.is_symlink() or not site.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(site.path) as names:
                    if any(n.name.endswith(SUFFIX) and is_bundle_name(n.name) for n in names):
                        return True
    except OSError as err:
        raise StoreError("The shared store folder cannot be read.") from err
    return False


def check_store_dir(store_dir: Path) -> Path:
    store_dir = Path(store_dir).expanduser()
    if not store_dir.is_dir():
        raise StoreError("The shared store folder does not exist or cannot be reached.")
    return store_dir


def wrong_store_passphrase() -> StoreError:
    return StoreError("Wrong passphrase for this shared store: nothing was exported or imported.")


def open_store(
    store_dir: Path,
    passphrase: str,
    keys: KeyCache,
    *,
    create: bool,
    kdf: KdfParams = DEFAULT_KDF,
) -> StoreInfo:
    """Read (or, when `create`, make) the store file and prove the passphrase against it.

    A new file is made only for a store that holds no sync files yet: a damaged settings file,
    or a missing one beside existing sync files, is refused (see `write_store_file` to repair).
    """
    store_dir = check_store_dir(store_dir)
    path = store_dir / STORE_FILE
    found = _read_store_file(path)
    if found is not None:
        info = StoreInfo(
            found["store_id"], found["salt"], found["kdf"], True, found["check"], found["manager"]
        )
        if not passphrase_opens(info, passphrase, keys):
            raise wrong_store_passphrase()
        return info
    if store_holds_bundles(store_dir):
        raise StoreSettingsMissing()
    info = StoreInfo(str(uuid.uuid4()), new_salt(), kdf, exists=False)
    if not create:
        return info
    master = keys.master(passphrase, info.salt, info.kdf)
    check = base64.b64decode(_check_value(master, info.store_id))
    info = StoreInfo(info.store_id, info.salt, info.kdf, True, check)
    write_store_file(store_dir, info)
    # Two sites may have created it at once: whichever file won, use it.
    again = _read_store_file(path)
    if again is not None and again["store_id"] != info.store_id:
        return open_store(store_dir, passphrase, keys, create=False)
    return info


def write_store_file(store_dir: Path, info: StoreInfo) -> None:
    """Write the settings file (atomically): a new store's, or a repaired one."""
    body = json.dumps(
        {
            "format": 1,
            "store_id": info.store_id,
            "salt": base64.b64encode(info.salt).decode("ascii"),
            "kdf": info.kdf.to_dict(),
            "check": base64.b64encode(info.check).decode("ascii"),
            **({"manager": base64.b64encode(info.manager).decode("ascii")} if info.manager else {}),
        },
        indent=1,
    ).encode("utf-8")
    try:
        # every site of the team reads it
        write_atomically(Path(store_dir) / STORE_FILE, body, mode=SHARED)
    except OSError as err:
        raise StoreError("The shared store folder is not writable.") from err


def outbox(store_dir: Path, site_id: str) -> Path:
    return Path(store_dir) / OUTBOX / site_id
