"""Retention: erase a person's record a set number of years after their case was closed.

A team setting (`retention_years`, synced like the follow-up rules) says how long a closed
case is kept; the README gives the default and its source. `due` lists what would be erased
(ids and closing dates, never names: the list may be printed or shown to anyone); `apply`
(a manager only) erases them through the ordinary delete path (`usecases.common.erase`), so the
tombstones travel to every PC of the team and the personal fields are blanked everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from referral_desk.domain.errors import ValidationError
from referral_desk.store.models import Person, TeamSetting
from referral_desk.store.people_queries import people_closed_by
from referral_desk.store.seed import team_setting_id
from referral_desk.store.soft_delete import live
from referral_desk.usecases.base import ServiceBase, Session
from referral_desk.usecases.common import erase
from referral_desk.usecases.dto import Record
from referral_desk.usecases.permissions import require_manager_in

SETTING_KEY = "retention_years"
DEFAULT_YEARS = 7
MIN_YEARS = 1
MAX_YEARS = 100


@dataclass(frozen=True)
class RetentionItem(Record):
    """One person due for erasure: no name, only the id and the dates."""

    person_id: str
    closed_on: date
    erase_from: date


@dataclass(frozen=True)
class RetentionResult(Record):
    years: int
    erased: tuple[RetentionItem, ...]


def years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retention_years(session: Session) -> int:
    row = live(session, TeamSetting, team_setting_id(SETTING_KEY))
    value = row.value if row is not None else None
    if isinstance(value, int) and not isinstance(value, bool) and MIN_YEARS <= value <= MAX_YEARS:
        return value
    return DEFAULT_YEARS


def check_years(value: object) -> int:
    try:
        years = int(str(value).strip())
    except ValueError:
        raise ValidationError("The retention period must be a whole number of years.") from None
    if not MIN_YEARS <= years <= MAX_YEARS:
        raise ValidationError(
            f"The retention period must be between {MIN_YEARS} and {MAX_YEARS} years."
        )
    return years


def due_people(session: Session, today: date, years: int) -> list[tuple[Person, date]]:
    """Live people whose case closed at least `years` ago, oldest closure first."""
    latest = years_after(today, -years)
    rows = people_closed_by(session, latest)
    return [(p, years_after(p.closed_on, years)) for p in rows if p.closed_on is not None]


class RetentionService(ServiceBase):
    def years(self) -> int:
        with self._read() as session:
            return retention_years(session)

    def set_years(self, value: object) -> int:
        """Change the team's retention period (a manager only); it travels with the next sync."""
        years = check_years(value)
        with self._write(reason="retention period") as session:
            require_manager_in(session, "change the retention period")
            row = session.get(TeamSetting, team_setting_id(SETTING_KEY))
            if row is None:
                session.add(
                    TeamSetting(id=team_setting_id(SETTING_KEY), key=SETTING_KEY, value=years)
                )
            else:
                row.value = years
                row.deleted_at = None
        return years

    def due(self) -> list[RetentionItem]:
        """What `apply` would erase today (the dry run)."""
        with self._read() as session:
            years = retention_years(session)
            return [
                RetentionItem(p.id, p.closed_on, when)  # type: ignore[arg-type]
                for p, when in due_people(session, self.clock.today(), years)
            ]

    def apply(self, expected: int | None = None) -> RetentionResult:
        """Erase everyone due, in one transaction (a manager only). With `expected` (the count
        the officer confirmed), refuse if the list has changed since the dry run."""
        with self._write(reason="retention") as session:
            require_manager_in(session, "erase records under the retention period")
            years = retention_years(session)
            due = due_people(session, self.clock.today(), years)
            if expected is not None and expected != len(due):
                raise ValidationError(
                    f"The list changed since it was shown ({len(due)} people are due now, not "
                    f"{expected}); nothing was erased. Look at it again."
                )
            items = tuple(
                RetentionItem(p.id, p.closed_on, when)  # type: ignore[arg-type]
                for p, when in due
            )
            if due:
                erase(session, [p for p, _ in due], self.clock.now())
        if items:
            self.db.checkpoint()  # the erased pages leave the WAL now, not at close
        return RetentionResult(years=years, erased=items)
