"""Who may do what: roles granted by a manager's signature, never chosen locally (issue 12).

A role belongs to a signing key (one per officer's installation). A *grant* is a statement
"key K holds (or no longer holds) role R from clock time T", signed by a manager's key. The
team's first manager is its *root* key, pinned when the team is created (whoever creates the
team's shared store) and at first contact by every site that joins.

`RoleBook` turns a set of grants (already checked for a valid signature) into role timelines.
It depends only on the set, never on the order grants arrived in, so every site holding the
same grants agrees on every role at every moment:

- grants are taken in (issued time, id) order; a grant counts only if its issuer was the root
  or held the manager role strictly before the grant's time (so nobody bootstraps themselves);
- for one key and role, the statement with the latest time wins: a grant re-sent after a later
  revoke changes nothing;
- roles are ranked: a manager may do everything a directory keeper may, and a keeper everything
  an officer may. `commissioner` (the regional hub's reader) stands apart.

Plain Python: signatures are checked by the store layer, which hands only genuine grants here.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass

OFFICER = "officer"
KEEPER = "directory_keeper"
MANAGER = "manager"
COMMISSIONER = "commissioner"
ROLES = (OFFICER, KEEPER, MANAGER, COMMISSIONER)
GRANTABLE = (KEEPER, MANAGER, COMMISSIONER)
RANK = {OFFICER: 0, KEEPER: 1, MANAGER: 2}
LABELS = {
    OFFICER: "officer",
    KEEPER: "directory keeper",
    MANAGER: "manager",
    COMMISSIONER: "commissioner",
}
NOT_BY_MANAGER = "role grant not issued by a manager of the team at that time"


def role_name(text: str) -> str | None:
    """A role as typed (`directory-keeper`, `Directory keeper`…) in its code form, or None."""
    code = "_".join(str(text).strip().lower().replace("-", " ").split())
    return code if code in ROLES else None


def implies(held: str, wanted: str) -> bool:
    """Does holding `held` allow what `wanted` allows?"""
    if held == wanted:
        return True
    return held in RANK and wanted in RANK and RANK[held] >= RANK[wanted]


def highest(roles: Iterable[str]) -> str:
    """The role an officer is shown as: the highest ranked one held (officer if none)."""
    ranked = [r for r in roles if r in RANK]
    return max(ranked, key=RANK.__getitem__, default=OFFICER)


@dataclass(frozen=True)
class Grant:
    """One signed statement about one key and one role. `at` is the issuer's hybrid logical
    clock when it was issued; `sig` the issuer's Ed25519 signature (hex) of `message()`."""

    id: str
    grantee_id: str
    grantee_key: str
    role: str
    granted: bool
    at: int
    issuer_id: str
    issuer_key: str
    sig: str = ""

    def message(self) -> bytes:
        """What the issuer signs: every field but the signature, in one canonical form."""
        body = [
            "referral-desk role grant v1",
            self.id,
            self.grantee_id,
            self.grantee_key,
            self.role,
            bool(self.granted),
            int(self.at),
            self.issuer_id,
            self.issuer_key,
        ]
        return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "grantee": self.grantee_id,
            "key": self.grantee_key,
            "role": self.role,
            "granted": bool(self.granted),
            "at": int(self.at),
            "issuer": self.issuer_id,
            "issuer_key": self.issuer_key,
            "sig": self.sig,
        }

    @classmethod
    def from_dict(cls, data: object) -> Grant:
        """A grant from its travelling form; ValueError when anything is missing or odd."""
        if not isinstance(data, dict):
            raise ValueError("grant")
        try:
            grant = cls(
                id=data["id"],
                grantee_id=data["grantee"],
                grantee_key=data["key"],
                role=data["role"],
                granted=data["granted"],
                at=data["at"],
                issuer_id=data["issuer"],
                issuer_key=data["issuer_key"],
                sig=data["sig"],
            )
        except KeyError as err:
            raise ValueError("grant") from err
        texts = (
            grant.id,
            grant.grantee_id,
            grant.grantee_key,
            grant.issuer_id,
            grant.issuer_key,
            grant.sig,
        )
        if not all(type(t) is str and 0 < len(t) <= 200 for t in texts):
            raise ValueError("grant")
        if grant.role not in GRANTABLE or type(grant.granted) is not bool:
            raise ValueError("grant")
        if type(grant.at) is not int or not 0 < grant.at < 1 << 63:
            raise ValueError("grant")
        return grant


class RoleBook:
    """Role timelines of every key, from genuine grants and the team's root key."""

    def __init__(self, root_key: str | None, grants: Iterable[Grant]) -> None:
        self.root = root_key
        self.refused: dict[str, str] = {}  # grant id -> why it does not count
        # (key, role) -> sorted [(at, id, granted)]
        self._lines: dict[tuple[str, str], list[tuple[int, str, bool]]] = {}
        seen: set[str] = set()
        for g in sorted(grants, key=lambda g: (g.at, g.id)):
            if g.id in seen:
                continue
            seen.add(g.id)
            if not self._state(g.issuer_key, MANAGER, g.at, strict=True):
                self.refused[g.id] = NOT_BY_MANAGER
                continue
            self._lines.setdefault((g.grantee_key, g.role), []).append((g.at, g.id, g.granted))

    def _state(self, key: str, role: str, at: int | None, *, strict: bool = False) -> bool:
        """Does `key` hold exactly `role` at `at` (None: now, after every grant)?"""
        if key == self.root and role == MANAGER:
            return True
        line = self._lines.get((key, role))
        if not line:
            return False
        if at is None:
            return line[-1][2]
        # Statements at `at` itself count unless strict (a grant never authorises itself).
        cut = (
            bisect.bisect_left(line, (at,))
            if strict
            else bisect.bisect_right(line, (at, "\U0010ffff"))
        )
        return cut > 0 and line[cut - 1][2]

    def holds(self, key: str | None, role: str, at: int | None = None) -> bool:
        """May `key` act as `role` at clock time `at` (None: now)? Ranks count."""
        if not key:
            return False
        if role == OFFICER:
            return True
        return any(implies(r, role) and self._state(key, r, at) for r in GRANTABLE)

    def roles(self, key: str | None, at: int | None = None) -> frozenset[str]:
        """Roles granted to `key` (not counting what they imply), plus officer for everyone."""
        if not key:
            return frozenset({OFFICER})
        return frozenset({OFFICER} | {r for r in GRANTABLE if self._state(key, r, at)})

    def keys(self) -> set[str]:
        """Every key some grant (counted) speaks of, and the root."""
        found = {k for k, _r in self._lines}
        if self.root:
            found.add(self.root)
        return found


__all__ = [
    "COMMISSIONER",
    "GRANTABLE",
    "KEEPER",
    "LABELS",
    "MANAGER",
    "NOT_BY_MANAGER",
    "OFFICER",
    "RANK",
    "ROLES",
    "Grant",
    "RoleBook",
    "highest",
    "implies",
    "role_name",
]
