"""Roles granted by the team's manager, checked here for the client, the CLI and sync alike.

An officer's role is no longer a profile setting: it is what signed grants say about this
installation's key (`domain.roles`, `store.trust`). Every use case that changes the directory,
the reference lists or team settings calls `require` inside its own transaction, so no path
(window, command line, script) can skip it; other sites check the same signatures again on
import (`sync.trust`), so editing one's own database proves nothing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_desk.domain.errors import NotFound, NotPermitted, ValidationError
from referral_desk.domain.roles import (
    COMMISSIONER,
    GRANTABLE,
    LABELS,
    MANAGER,
    OFFICER,
    RoleBook,
    highest,
    role_name,
)
from referral_desk.store.models import Officer
from referral_desk.store.reference_queries import officers, officers_named
from referral_desk.store.soft_delete import live
from referral_desk.store.trust import (
    issue_grant,
    own_public_key,
    pinned_team_key,
    publish_own_key,
    role_book,
)
from referral_desk.usecases.base import ServiceBase, Session
from referral_desk.usecases.dto import Record


@dataclass(frozen=True)
class OfficerRoles(Record):
    """One officer of the team and the roles their key holds now."""

    officer_id: str
    name: str
    role: str  # the one shown: highest held
    roles: tuple[str, ...]
    key: str  # short fingerprint of their signing key ("" when none is published yet)
    root: bool = False  # the team's first manager (set when the team was created)


def shown_role(book: RoleBook, key: str | None) -> str:
    """The role an officer is shown as: the highest ranked held, else commissioner, else
    officer."""
    held = book.roles(key)
    top = highest(held | ({MANAGER} if key and key == book.root else set()))
    if top == OFFICER and COMMISSIONER in held:
        return COMMISSIONER
    return top


def own_role_book(session: Session) -> tuple[RoleBook, str | None]:
    return role_book(session), own_public_key(session)


def holds(session: Session, role: str) -> bool:
    """Does this installation's officer hold `role` (or one above it) now?"""
    book, key = own_role_book(session)
    if key is None and pinned_team_key(session)[0] is None:
        return True  # no key yet and no team: this PC will be its own root once it signs
    return book.holds(key, role)


def require_in(session: Session, role: str) -> None:
    """Raise NotPermitted unless this installation's officer holds `role` (in the caller's
    transaction, so the answer cannot change before the write)."""
    if not holds(session, role):
        label = LABELS.get(role, role)
        raise NotPermitted(
            f"Only a {label} can do this: ask the team's manager to grant you the role "
            "(referral-desk role grant)."
        )


def _fingerprint(key: str) -> str:
    return " ".join(key[i : i + 4] for i in range(0, 16, 4)) if key else ""


class RoleService(ServiceBase):
    def current_role(self) -> str:
        """The role this officer is shown as (officer, directory_keeper, manager or
        commissioner)."""
        with self._read() as session:
            book, key = own_role_book(session)
            if key is None and pinned_team_key(session)[0] is None:
                return MANAGER
            return shown_role(book, key)

    def has(self, role: str) -> bool:
        with self._read() as session:
            return holds(session, role)

    def require(self, role: str) -> None:
        """Raise `NotPermitted` (one clear line) unless this officer holds `role`."""
        with self._read() as session:
            require_in(session, role)

    def grant(self, officer: str, role: str) -> OfficerRoles:
        """A manager grants `role` to an officer of the team (by id or exact name)."""
        return self._issue(officer, role, granted=True)

    def revoke(self, officer: str, role: str) -> OfficerRoles:
        return self._issue(officer, role, granted=False)

    def _issue(self, officer: str, role: str, *, granted: bool) -> OfficerRoles:
        code = role_name(role)
        if code not in GRANTABLE:
            raise ValidationError(
                "Role must be one of: " + ", ".join(r.replace("_", "-") for r in GRANTABLE)
            )
        with self._write(reason="role grant" if granted else "role revoke") as session:
            require_in(session, MANAGER)
            row = _find_officer(session, officer)
            if not row.public_key:
                raise ValidationError(
                    "That officer has no signing key yet: they need to open this version of "
                    "Referral Desk and sync once."
                )
            book = role_book(session)
            if row.public_key == book.root and code == MANAGER:
                raise ValidationError(
                    "That officer is the team's first manager: that role cannot change."
                )
            if granted and code in book.roles(row.public_key):
                raise ValidationError("That officer already holds that role.")
            if not granted and code not in book.roles(row.public_key):
                raise ValidationError("That officer does not hold that role.")
            issue_grant(
                session, grantee_id=row.id, grantee_key=row.public_key, role=code, granted=granted
            )
            return self._view(session, role_book(session), row)

    def team(self) -> list[OfficerRoles]:
        """Every officer of the team with their roles (a manager's view)."""
        with self._read() as session:
            require_in(session, MANAGER)
            book = role_book(session)
            rows = officers(session)
            return [self._view(session, book, o) for o in rows]

    def publish_key(self) -> None:
        """Make sure this installation has a signing key and its officer profile shows it."""
        with self._write(reason="signing key") as session:
            publish_own_key(session)

    @staticmethod
    def _view(session: Session, book: RoleBook, row: Officer) -> OfficerRoles:
        key = row.public_key or None
        held = sorted(r for r in book.roles(key) if r != OFFICER)
        return OfficerRoles(
            officer_id=row.id,
            name=row.name,
            role=shown_role(book, key),
            roles=tuple(held),
            key=_fingerprint(row.public_key),
            root=bool(key) and key == book.root,
        )


def _find_officer(session: Session, text: str) -> Officer:
    wanted = " ".join(str(text).split())
    row = live(session, Officer, wanted)
    if row is not None:
        return row
    found = officers_named(session, wanted)
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError("Two officers have that name: give the officer's id.")
    raise NotFound("No officer of the team has that id or name.")


__all__ = ["OfficerRoles", "RoleService", "holds", "require_in", "shown_role"]
