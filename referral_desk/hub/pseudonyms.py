"""Keyed pseudonyms: the same person is one pseudonym across a team's returns, never a person.

Why a keyed hash and not a plain one: record ids are UUIDs, but a plain hash of an id can be
recomputed by anyone who has a copy of the team's database (a lost laptop, a sync file and its
passphrase) and then matched to the hub. With HMAC-SHA256 under a team key that never leaves the
team, the hub (or anyone with the hub) cannot test a guess at all.

Where the key lives: a random 32-byte key in the team setting `hub_pseudonym_key`. Team settings
travel only inside the team's encrypted sync bundles, so every PC of the team computes the same
pseudonyms and the key never reaches the hub (returns carry only the hashes). It is created on
the first return; if two PCs create one before syncing, the last writer wins and later returns
use that key (counts of the same period stay right, because each return replaces the team's
earlier one at the hub).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.models import TeamSetting

__all__ = ["KEY_SETTING", "Pseudonymiser", "team_key"]

KEY_SETTING = "hub_pseudonym_key"
KEY_BYTES = 32


def team_key(session: Session) -> bytes:
    """The team's pseudonym key, created (in this write session) the first time."""
    row = session.scalar(
        select(TeamSetting).where(TeamSetting.key == KEY_SETTING, TeamSetting.deleted_at.is_(None))
    )
    if row is not None and isinstance(row.value, str):
        try:
            key = base64.b64decode(row.value.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            key = b""
        if len(key) == KEY_BYTES:
            return key
    key = os.urandom(KEY_BYTES)
    value = base64.b64encode(key).decode("ascii")
    if row is None:
        session.add(TeamSetting(key=KEY_SETTING, value=value))
    else:
        row.value = value
    session.flush()
    return key


class Pseudonymiser:
    """`of("person", id)` -> 32 hex characters; kinds keep a need and a person from colliding."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, kind: str, record_id: str | None) -> str | None:
        if not record_id:
            return None
        message = kind.encode("ascii") + b"\x00" + record_id.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
