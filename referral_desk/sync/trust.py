"""Import-time checks of signed statements: role grants, signature runs, directory changes.

Every site verifies what it imports (issue 12), so a role typed into one PC's database, or a
directory change made by someone without the role, never spreads:

- a **signature run** counts when its Ed25519 signature is genuine and it speaks for the site
  that published it; its (seq, digest) pairs are kept (`store.trust.SignedEntry`);
- a **role grant** counts when its signature is genuine and its issuer was the team's root or a
  manager just before the grant's time (`domain.roles.RoleBook`, decided over every grant held,
  so arrival order does not matter);
- a **directory change** (a table in `store.trust.GUARDED`) applies only when an entry with its
  exact digest was signed by a key holding the table's role at the change's clock time.

What fails is quarantined with the reason (`sync.quarantine`: kept verbatim, relayed onward,
retried at every import). So a keeper's change that arrives before the grant that makes them
keeper waits in quarantine and applies at the import that brings the grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from referral_desk.domain.roles import LABELS, NOT_BY_MANAGER, Grant, RoleBook
from referral_desk.store.trust import (
    GRANT_TABLE,
    GUARDED,
    RUN_TABLE,
    RoleGrant,
    check_run,
    entry_digest,
    grant_is_genuine,
    load_grants,
    role_book,
    signatures_of,
    store_grant,
    store_run,
    team_key,
)
from referral_desk.sync.quarantine import ValidEntry

UNSIGNED = "directory change without its author's signature"
ALTERED = "directory change altered after it was signed"
FORGED_GRANT = "role grant signature does not verify (forged or altered)"
MALFORMED_GRANT = "malformed role grant"

Refusal = tuple[list[Any], str]


def not_signed_by(role: str) -> str:
    return f"directory change not signed by a {LABELS.get(role, role)}"


class Gate:
    """The checks of one import. The role book is built when first needed and again after
    grants were taken in."""

    def __init__(self) -> None:
        self._book: RoleBook | None = None

    def book(self, session: Session) -> RoleBook:
        if self._book is None:
            self._book = role_book(session)
        return self._book

    def take_statements(
        self, session: Session, entries: Sequence[ValidEntry]
    ) -> tuple[list[ValidEntry], list[Refusal]]:
        """Signature runs and role grants: (accepted, refused with reasons). Accepted ones are
        stored; the caller logs them (they travel on like any entry)."""
        ok: list[ValidEntry] = []
        bad: list[Refusal] = []
        candidates: list[tuple[ValidEntry, Grant]] = []
        for e in entries:
            if e[2] == RUN_TABLE:
                found = check_run(e[0], e[3], e[8])
                if isinstance(found, str):
                    bad.append((list(e[:8]), found))
                else:
                    store_run(session, e[0], *found)
                    ok.append(e)
                continue
            if e[2] != GRANT_TABLE:  # pragma: no cover - the caller sorts
                continue
            try:
                grant = Grant.from_dict(e[8])
            except ValueError:
                bad.append((list(e[:8]), MALFORMED_GRANT))
                continue
            if grant.id != e[3]:
                bad.append((list(e[:8]), MALFORMED_GRANT))
            elif not grant_is_genuine(grant):
                bad.append((list(e[:8]), FORGED_GRANT))
            else:
                held = session.get(RoleGrant, grant.id)
                if held is None:
                    candidates.append((e, grant))
                elif held.to_grant() == grant:
                    ok.append(e)  # the same grant again (relayed, or replayed): no effect
                else:
                    bad.append((list(e[:8]), FORGED_GRANT))
        if candidates:
            book = RoleBook(
                team_key(session), [*load_grants(session), *(g for _e, g in candidates)]
            )
            for e, grant in candidates:
                if grant.id in book.refused:
                    bad.append((list(e[:8]), NOT_BY_MANAGER))
                else:
                    store_grant(session, grant)
                    ok.append(e)
            self._book = None
        return ok, bad

    def check_changes(
        self, session: Session, items: Sequence[tuple[Sequence[Any], ValidEntry]]
    ) -> tuple[list[ValidEntry], list[Refusal]]:
        """Directory changes (raw as received, checked entry): those signed by a holder of
        the table's role at their clock time, and the others with the reason."""
        sigs = signatures_of(session, [(v[0], v[1]) for _raw, v in items])
        book = self.book(session)
        ok: list[ValidEntry] = []
        bad: list[Refusal] = []
        for raw, v in items:
            role = GUARDED[v[2]]
            found = sigs.get((v[0], v[1]))
            if not found:
                bad.append((list(raw), UNSIGNED))
                continue
            digest = entry_digest(raw)
            keys = [k for k, d in found if d == digest]
            if not keys:
                bad.append((list(raw), ALTERED))
            elif not any(book.holds(k, role, v[6]) for k in keys):
                bad.append((list(raw), not_signed_by(role)))
            else:
                ok.append(v)
        return ok, bad


__all__ = ["ALTERED", "FORGED_GRANT", "UNSIGNED", "Gate", "not_signed_by"]
