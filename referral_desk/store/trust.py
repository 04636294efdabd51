"""Signing keys, role grants and signed directory changes, as the database keeps them.

- `signing_key` (local, never synced): this installation's Ed25519 key. The private half never
  leaves this table (the whole database is encrypted at rest); the public half is published with
  the officer's profile (`officer.public_key`, synced) so a manager can grant it a role.
- `role_grant` (local copy of synced statements): every grant or revoke whose signature is
  genuine, as received. Whether it *counts* (its issuer was a manager then) is decided by
  `domain.roles.RoleBook` over the whole set, so late arrivals settle the same way everywhere.
- `signed_entry` (local): for each change entry of a guarded table (the directory), the digest
  its author signed and the author's key. Filled from *signature runs*.

Grants and signature runs travel as change entries of two tables no model has
(`role_grant.grant` and `entry_signature.run`, value = the signed JSON), so they are relayed
like anything else and verified by every site on import (`sync.trust`).

A signature run is how directory changes carry their author's signature without an Ed25519
signature per field (verifying one costs ~0.15 ms; a 20 000-service import is ~400 000 field
changes): the author signs a list of (seq, SHA-256 digest) of up to RUN entries at once, when
they first leave this PC (`sign_own_entries`, called by every export). A receiving site checks
the run's signature once and each entry's digest (microseconds). Because the digest covers the
whole entry (site, seq, table, record, field, value, clock, tombstone), it survives relaying
unchanged and any alteration shows.

The team's root manager key is pinned in `local_setting` (`TEAM_KEY_SETTING`). Until this PC
is part of a team (it has neither created nor joined a shared store nor exchanged a file) its
own key stands in as root, so a lone installation (and the demo) can keep its directory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.hlc import HybridClock
from referral_desk.domain.roles import Grant, RoleBook
from referral_desk.store.changelog import utcnow
from referral_desk.store.changelog_rows import Entry, LogNames, insert_entries, site_rows
from referral_desk.store.changelog_sites import hold_runs
from referral_desk.store.changelog_values import resolve
from referral_desk.store.models import (
    LocalSetting,
    Officer,
    SiteState,
    new_id,
    put_local_setting,
)
from referral_desk.store.trust_models import RoleGrant, SignedEntry, SigningKey

__all__ = ["RoleGrant", "SignedEntry", "SigningKey"]

GRANT_TABLE, GRANT_FIELD = "role_grant", "grant"
RUN_TABLE, RUN_FIELD = "entry_signature", "run"
TRUST_TABLES = {GRANT_TABLE: GRANT_FIELD, RUN_TABLE: RUN_FIELD}
# Synced tables whose every change must be signed by a holder of the role named.
GUARDED = {
    "organisation": "directory_keeper",
    "location": "directory_keeper",
    "service": "directory_keeper",
    "service_category": "directory_keeper",
    "service_area": "directory_keeper",
}
RUN = 5_000  # entries signed by one run (its JSON stays far below a sync line's limit)
KEY_HEX = 64
TEAM_KEY_SETTING = "team_manager_key"
SIGNED_THROUGH_SETTING = "signed_through_seq"
_RUN_PREFIX = "referral-desk entry signature v1"


# --- keys ------------------------------------------------------------------------------------


# `cryptography` is imported where it is used: the window's start must not pay for it.


def _public_hex(private: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def own_key(session: Session) -> SigningKey | None:
    return session.get(SigningKey, 1)


def ensure_own_key(session: Session) -> SigningKey:
    """This installation's key, made on first use (inside the caller's write transaction)."""
    row = session.get(SigningKey, 1)
    if row is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        row = SigningKey(
            id=1, private_key=raw, public_key=_public_hex(private), created_at=utcnow()
        )
        session.add(row)
        session.flush()
    return row


def own_public_key(session: Session) -> str | None:
    row = session.get(SigningKey, 1)
    return row.public_key if row is not None else None


def sign(session: Session, message: bytes) -> tuple[str, str]:
    """(public key hex, signature hex) of `message` by this installation's key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    row = ensure_own_key(session)
    private = Ed25519PrivateKey.from_private_bytes(bytes(row.private_key))
    return row.public_key, private.sign(message).hex()


def is_key(text: object) -> bool:
    if type(text) is not str or len(text) != KEY_HEX:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def verify(key_hex: str, sig_hex: str, message: bytes) -> bool:
    """Is `sig_hex` a genuine signature of `message` by `key_hex`? Never raises."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
        key.verify(bytes.fromhex(sig_hex), message)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- the team's root key ------------------------------------------------------------------


def pinned_team_key(session: Session) -> tuple[str | None, str]:
    """(root key, how it was pinned: "created", "store" or "file"), or (None, "") when this PC
    is not part of a team yet."""
    row = session.get(LocalSetting, TEAM_KEY_SETTING)
    value = row.value if row is not None else None
    if isinstance(value, dict) and is_key(value.get("key")):
        return value["key"], str(value.get("source", ""))
    return None, ""


def team_key(session: Session) -> str | None:
    """The root manager key this PC trusts: the pinned one, else (no team yet) its own."""
    key, _source = pinned_team_key(session)
    return key if key is not None else own_public_key(session)


def pin_team_key(session: Session, key: str, source: str) -> None:
    """Pin `key` as the team's root manager key (first contact; never changed after)."""
    if not is_key(key):
        raise ValueError("not a key")
    put_local_setting(session, TEAM_KEY_SETTING, {"key": key, "source": source})


def establish_team(session: Session) -> str:
    """This PC shares the team's data for the first time without having joined anyone: its
    own key becomes the root (it created the team). Returns the pinned key."""
    key, _source = pinned_team_key(session)
    if key is not None:
        return key
    own = ensure_own_key(session).public_key
    pin_team_key(session, own, "created")
    return own


# --- grants --------------------------------------------------------------------------------


def load_grants(session: Session) -> list[Grant]:
    return [row.to_grant() for row in session.scalars(select(RoleGrant))]


def role_book(session: Session, extra: Iterable[Grant] = ()) -> RoleBook:
    return RoleBook(team_key(session), [*load_grants(session), *extra])


def grant_is_genuine(grant: Grant) -> bool:
    return (
        is_key(grant.grantee_key)
        and is_key(grant.issuer_key)
        and verify(grant.issuer_key, grant.sig, grant.message())
    )


def store_grant(session: Session, grant: Grant) -> bool:
    """Keep a genuine grant (False when one with its id is already held)."""
    if session.get(RoleGrant, grant.id) is not None:
        return False
    session.add(
        RoleGrant(
            id=grant.id,
            grantee_id=grant.grantee_id,
            grantee_key=grant.grantee_key,
            role=grant.role,
            granted=grant.granted,
            issued_hlc=grant.at,
            issuer_id=grant.issuer_id,
            issuer_key=grant.issuer_key,
            sig=grant.sig,
            received_at=utcnow(),
        )
    )
    session.flush()
    return True


def _log_own(session: Session, table: str, record: str, field: str, value: str) -> None:
    """One change entry of this site's own (next seq, next clock tick), written with Core so
    it works inside a sync transaction too (the change-log listener is off there)."""
    state = session.get(SiteState, 1)
    if state is None:  # pragma: no cover - every database has one
        raise RuntimeError("site_state row missing: database was not initialised")
    clock = HybridClock(last=state.hlc)
    hlc = clock.tick()
    insert_entries(session, [(state.site_id, state.next_seq, table, record, field, value, hlc, 0)])
    hold_runs(session, {state.site_id: [[state.next_seq, state.next_seq]]})
    state.next_seq += 1
    state.hlc = hlc
    session.flush()


def issue_grant(
    session: Session, *, grantee_id: str, grantee_key: str, role: str, granted: bool
) -> Grant:
    """Sign and keep a grant (or revoke) by this installation's key, and log it to travel.
    The caller has checked that this officer is a manager."""
    state = session.get(SiteState, 1)
    assert state is not None
    at = HybridClock(last=state.hlc).tick()
    state.hlc = at
    key = ensure_own_key(session).public_key
    draft = Grant(
        id=new_id(),
        grantee_id=grantee_id,
        grantee_key=grantee_key,
        role=role,
        granted=granted,
        at=at,
        issuer_id=state.officer_id or "",
        issuer_key=key,
    )
    _key, sig = sign(session, draft.message())
    grant = Grant(**{**draft.__dict__, "sig": sig})
    store_grant(session, grant)
    _log_own(session, GRANT_TABLE, grant.id, GRANT_FIELD, grant_json(grant))
    return grant


def grant_json(grant: Grant) -> str:
    return json.dumps(grant.to_dict(), separators=(",", ":"), ensure_ascii=True, sort_keys=True)


# --- signed entries ------------------------------------------------------------------------


def entry_digest(entry: Sequence[Any]) -> str:
    """SHA-256 (hex) of one change entry exactly as it travels: site, seq, table, record,
    field, clock and tombstone (0/1), then the value's JSON text. The fields before the value
    are ids, names and numbers (never a separator character); the value comes last, so the
    encoding is unambiguous. Cheap on purpose: every directory change is digested twice."""
    site, seq, table, record, field, value, hlc, tomb = entry[:8]
    head = f"{site}\x1f{seq}\x1f{table}\x1f{record}\x1f{field}\x1f{hlc}\x1f{1 if tomb else 0}\x1f"
    text = head + value if type(value) is str else head + repr(value)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def run_message(run_id: str, site: str, officer: str, key: str, entries: list[list[Any]]) -> bytes:
    body = [_RUN_PREFIX, run_id, site, officer, key, entries]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign_own_entries(session: Session) -> int:
    """Sign this site's guarded change entries not signed yet, in runs of RUN, before they
    leave (every export calls this in its short write transaction). Returns entries signed."""
    state = session.get(SiteState, 1)
    if state is None:  # pragma: no cover
        return 0
    row = session.get(LocalSetting, SIGNED_THROUGH_SETTING)
    through = row.value if row is not None and type(row.value) is int else 0
    top = state.next_seq - 1
    if top <= through:
        return 0
    signed = 0
    key = ensure_own_key(session).public_key
    officer = state.officer_id or ""
    site = state.site_id
    after = through
    while True:  # a run at a time (bounded memory), never a cursor open across writes
        rows = _guarded_entries(session, site, after + 1, top)
        if not rows:
            break
        after = rows[-1][1]
        entries = [[r[1], entry_digest(r)] for r in rows]
        run_id = new_id()
        _key, sig = sign(session, run_message(run_id, site, officer, key, entries))
        value = {"site": site, "officer": officer, "key": key, "entries": entries, "sig": sig}
        _log_own(
            session,
            RUN_TABLE,
            run_id,
            RUN_FIELD,
            json.dumps(value, separators=(",", ":"), ensure_ascii=True, sort_keys=True),
        )
        signed += len(rows)
        if len(rows) < RUN:
            break  # the last run: no need to scan the rest again
    new_top = session.get(SiteState, 1).next_seq - 1  # type: ignore[union-attr]
    put_local_setting(session, SIGNED_THROUGH_SETTING, new_top)
    return signed


def _guarded_entries(session: Session, site: str, lo: int, hi: int) -> list[Entry]:
    """Up to RUN of this site's entries of guarded tables with seq in [lo, hi], in seq order."""
    out: list[Entry] = []
    for row in site_rows(session, LogNames(session), site, lo, hi):
        if row[0][2] in GUARDED:
            out.extend(row)
            if len(out) >= RUN:
                break
    return resolve(session, out[:RUN])  # type: ignore[return-value]


def check_run(site: str, run_id: str, value: object) -> tuple[str, list[tuple[int, str]]] | str:
    """(signer key, [(seq, digest)]) of a genuine signature run published by `site`, or the
    reason it is refused."""
    if not isinstance(value, dict):
        return "malformed signature run"
    key, officer, entries, sig = (value.get(k) for k in ("key", "officer", "entries", "sig"))
    if value.get("site") != site:
        return "signature run for another site's changes"
    if not is_key(key) or type(officer) is not str or type(sig) is not str:
        return "malformed signature run"
    if not isinstance(entries, list) or len(entries) > RUN * 4:
        return "malformed signature run"
    pairs: list[tuple[int, str]] = []
    for e in entries:
        if not (
            isinstance(e, list)
            and len(e) == 2
            and type(e[0]) is int
            and 0 < e[0] < 1 << 63
            and type(e[1]) is str
            and len(e[1]) == 64
        ):
            return "malformed signature run"
        pairs.append((e[0], e[1]))
    if not verify(key, sig, run_message(run_id, site, officer, key, entries)):  # type: ignore[arg-type]
        return "signature run does not verify (forged or altered)"
    return key, pairs  # type: ignore[return-value]


def store_run(session: Session, site: str, key: str, pairs: list[tuple[int, str]]) -> None:
    if pairs:
        cursor = _cursor(session)
        try:
            cursor.executemany(
                "INSERT OR IGNORE INTO signed_entry (site_id, seq, key, digest) "
                "VALUES (?, ?, ?, ?)",
                [(site, s, key, d) for s, d in pairs],
            )
        finally:
            cursor.close()


def _cursor(session: Session) -> Any:
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def signatures_of(
    session: Session, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """(site, seq) -> [(key, digest)] for the entries given (those signed at all): one
    primary-key lookup each (a row-value IN list would scan the table)."""
    out: dict[tuple[str, int], list[tuple[str, str]]] = {}
    cursor = _cursor(session)
    try:
        for site, seq in keys:
            rows = cursor.execute(
                "SELECT key, digest FROM signed_entry WHERE site_id = ? AND seq = ?", (site, seq)
            ).fetchall()
            if rows:
                out[(site, seq)] = [(k, d) for k, d in rows]
    finally:
        cursor.close()
    return out


def publish_own_key(session: Session) -> None:
    """Put this installation's public key on its officer's profile (synced), if missing."""
    state = session.get(SiteState, 1)
    if state is None or state.officer_id is None:
        return
    officer = session.get(Officer, state.officer_id)
    key = ensure_own_key(session).public_key
    if officer is not None and officer.public_key != key:
        officer.public_key = key


__all__ = [
    "GRANT_FIELD",
    "GRANT_TABLE",
    "GUARDED",
    "RUN_FIELD",
    "RUN_TABLE",
    "TRUST_TABLES",
    "RoleGrant",
    "SignedEntry",
    "SigningKey",
    "check_run",
    "ensure_own_key",
    "entry_digest",
    "establish_team",
    "grant_is_genuine",
    "issue_grant",
    "load_grants",
    "own_public_key",
    "pin_team_key",
    "pinned_team_key",
    "publish_own_key",
    "role_book",
    "sign_own_entries",
    "signatures_of",
    "store_grant",
    "store_run",
    "team_key",
    "verify",
]
