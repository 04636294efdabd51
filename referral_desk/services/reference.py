"""Reference lists (need categories, reason codes, bank holidays…) and team-wide settings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.followup_rules import FollowUpRules
from referral_desk.domain.workdays import WorkingCalendar
from referral_desk.services.base import ServiceBase
from referral_desk.services.dto import ReferenceItemView
from referral_desk.store.models import ReferenceItem, TeamSetting
from referral_desk.store.seed import (
    reference_data_missing,
    seed_reference_data,
    team_setting_id,
)


def reference_items(
    session: Session, list_name: str, include_deprecated: bool = False
) -> list[ReferenceItem]:
    stmt = select(ReferenceItem).where(
        ReferenceItem.list_name == list_name, ReferenceItem.deleted_at.is_(None)
    )
    if not include_deprecated:
        stmt = stmt.where(ReferenceItem.deprecated_at.is_(None))
    return list(session.scalars(stmt.order_by(ReferenceItem.sort_order, ReferenceItem.label)))


def require_code(session: Session, list_name: str, code: str, what: str) -> ReferenceItem:
    """The active entry for `code`, or a ValidationError listing the valid codes."""
    items = reference_items(session, list_name)
    for item in items:
        if item.code == code:
            return item
    codes = ", ".join(i.code for i in items)
    raise ValidationError(f"Unknown {what}; use one of: {codes}")


def working_calendar(session: Session) -> WorkingCalendar:
    return WorkingCalendar(
        date.fromisoformat(i.code) for i in reference_items(session, "bank_holiday")
    )


def follow_up_rules(session: Session) -> FollowUpRules:
    row = session.get(TeamSetting, team_setting_id("follow_up_rules"))
    return FollowUpRules.from_mapping(row.value if row else None)


class ReferenceService(ServiceBase):
    def seed_defaults(self) -> int:
        """Add missing defaults. Runs at every start, so it looks before taking the write lock:
        a start (or a read-only command) need not queue behind another window's save."""
        with self._read() as session:
            if not reference_data_missing(session):
                return 0
        with self._write(reason="seed reference data") as session:
            return seed_reference_data(session)

    def list(self, list_name: str, include_deprecated: bool = False) -> list[ReferenceItemView]:
        with self._read() as session:
            return [
                ReferenceItemView.from_row(i)
                for i in reference_items(session, list_name, include_deprecated)
            ]

    def categories(self) -> list[ReferenceItemView]:
        return self.list("need_category")

    def calendar(self) -> WorkingCalendar:
        with self._read() as session:
            return working_calendar(session)

    def follow_up_rules(self) -> FollowUpRules:
        with self._read() as session:
            return follow_up_rules(session)
