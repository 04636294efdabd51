"""Reading reference lists, team settings and the team's officers.

Normal reads see live rows only (`store.soft_delete`); a setting is read by its derived id
with `Session.get`, which sees a tombstone, so callers that revive a setting can.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.models import Officer, ReferenceItem, TeamSetting


def reference_items(
    session: Session, list_name: str, include_deprecated: bool = False
) -> list[ReferenceItem]:
    """Live entries of one list in display order, deprecated ones only if asked."""
    stmt = select(ReferenceItem).where(ReferenceItem.list_name == list_name)
    if not include_deprecated:
        stmt = stmt.where(ReferenceItem.deprecated_at.is_(None))
    return list(session.scalars(stmt.order_by(ReferenceItem.sort_order, ReferenceItem.label)))


def team_setting_value(session: Session, key: str) -> Any:
    """The value of a live team setting, or None."""
    return session.scalar(select(TeamSetting.value).where(TeamSetting.key == key))


def officers(session: Session) -> list[Officer]:
    """The team's live officers by name."""
    return list(session.scalars(select(Officer).order_by(Officer.name)))


def officers_named(session: Session, name: str, limit: int = 2) -> list[Officer]:
    """Live officers with exactly this name (at most `limit`: two tell it is ambiguous)."""
    return list(session.scalars(select(Officer).where(Officer.name == name).limit(limit)))
