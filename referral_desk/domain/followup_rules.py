"""When follow-ups fall due (DESIGN.md §5).

The numbers are team-wide settings (editable by a manager and synced), so they live in a small
value object that round-trips through a plain mapping. The functions only plan follow-ups; storing
them, and closing them when a referral ends, is the service layer's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.states import OPEN_REFERRAL_STATES, FollowUpKind, ReferralState
from referral_desk.domain.workdays import WorkingCalendar

__all__ = [
    "DEFAULT_RULES",
    "NEVER_CLOSED_BY_STATUS",
    "PROVIDER_ANSWERS",
    "Closing",
    "FollowUpRules",
    "PlannedFollowUp",
    "closed_by_transition",
    "next_progress_review",
    "on_accepted",
    "on_pre_release",
    "on_sent",
    "on_started",
    "on_transfer",
    "plan_for_transition",
    "pre_release_due",
]

# Sensible bounds so a typo in the settings screen (500 weeks) is caught, not obeyed.
_BOUNDS: dict[str, tuple[int, int]] = {
    "acceptance_working_days": (1, 60),
    "progress_interval_weeks": (1, 52),
    "pre_release_weeks": (1, 52),
    "transfer_working_days": (0, 20),
}


@dataclass(frozen=True)
class FollowUpRules:
    """The editable follow-up intervals; defaults are DESIGN.md §5."""

    acceptance_working_days: int = 5
    progress_interval_weeks: int = 4
    pre_release_weeks: int = 12
    transfer_working_days: int = 1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            low, high = _BOUNDS[f.name]
            if type(value) is not int or not low <= value <= high:
                raise ValidationError(_bad_value(f.name))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> FollowUpRules:
        """Build from a stored setting; missing keys take defaults, unknown keys are ignored.

        Whole numbers may arrive as ints or digit strings (from a form or an older JSON file).
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValidationError("Follow-up rules must be a mapping of setting names to numbers")
        values: dict[str, int] = {}
        for f in fields(cls):
            if f.name in data:
                values[f.name] = _parse_int(f.name, data[f.name])
        return cls(**values)

    def to_mapping(self) -> dict[str, int]:
        return asdict(self)


DEFAULT_RULES = FollowUpRules()


def _bad_value(name: str) -> str:
    low, high = _BOUNDS[name]
    return f"Follow-up rule {name} must be a whole number from {low} to {high}"


def _parse_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ValidationError(_bad_value(name))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValidationError(_bad_value(name))


@dataclass(frozen=True)
class PlannedFollowUp:
    """A follow-up to create. The note is generic text: no personal data."""

    kind: FollowUpKind
    due_on: date
    note: str


def on_sent(
    sent_on: date,
    response_days: int | None,
    calendar: WorkingCalendar,
    rules: FollowUpRules = DEFAULT_RULES,
) -> list[PlannedFollowUp]:
    """Check acceptance after the service's typical response time (working days).

    Falls back to the team default when the directory has no response time. A response time of
    0 still gives one working day: a check due the day it was sent would be overdue at once.
    """
    days = rules.acceptance_working_days if response_days is None else max(1, response_days)
    return [
        PlannedFollowUp(
            FollowUpKind.CHECK_ACCEPTANCE,
            calendar.add_working_days(sent_on, days),
            "Check whether the service has accepted the referral",
        )
    ]


def on_accepted(
    appointment_on: date | None,
    calendar: WorkingCalendar,
    rules: FollowUpRules = DEFAULT_RULES,
) -> list[PlannedFollowUp]:
    """Check attendance the working day after the first appointment (nothing without one)."""
    del rules  # the interval is fixed by DESIGN.md §5; kept for a uniform signature
    if appointment_on is None:
        return []
    return [
        PlannedFollowUp(
            FollowUpKind.CHECK_ATTENDANCE,
            calendar.next_working_day(appointment_on),
            "Check whether the person attended the first appointment",
        )
    ]


def _progress_review(after: date, rules: FollowUpRules) -> PlannedFollowUp:
    return PlannedFollowUp(
        FollowUpKind.REVIEW_PROGRESS,
        after + timedelta(weeks=rules.progress_interval_weeks),
        "Review progress with the provider and the person",
    )


def on_started(started_on: date, rules: FollowUpRules = DEFAULT_RULES) -> list[PlannedFollowUp]:
    """First progress review, progress_interval_weeks after the start."""
    return [_progress_review(started_on, rules)]


def next_progress_review(
    last_review_on: date, rules: FollowUpRules = DEFAULT_RULES
) -> list[PlannedFollowUp]:
    """The next review after one is done; the caller stops once the referral is closed."""
    return [_progress_review(last_review_on, rules)]


def pre_release_due(
    release_on: date | None, today: date, rules: FollowUpRules = DEFAULT_RULES
) -> bool:
    """True when the expected release is today or within pre_release_weeks from today."""
    if release_on is None:
        return False
    return today <= release_on <= today + timedelta(weeks=rules.pre_release_weeks)


def on_pre_release(
    release_on: date | None, today: date, rules: FollowUpRules = DEFAULT_RULES
) -> list[PlannedFollowUp]:
    """A pre-release check due today when `pre_release_due`; the caller checks for open needs."""
    if not pre_release_due(release_on, today, rules):
        return []
    return [
        PlannedFollowUp(
            FollowUpKind.PRE_RELEASE_CHECK,
            today,
            "Release is near: check open needs and referrals are ready for release",
        )
    ]


def on_transfer(
    today: date, calendar: WorkingCalendar, rules: FollowUpRules = DEFAULT_RULES
) -> list[PlannedFollowUp]:
    """Tell the provider about a transfer or release (one per open referral, by the caller)."""
    return [
        PlannedFollowUp(
            FollowUpKind.TELL_PROVIDER,
            calendar.add_working_days(today, rules.transfer_working_days),
            "Tell the provider the person has transferred or been released",
        )
    ]


def plan_for_transition(
    target: ReferralState,
    on: date,
    *,
    response_days: int | None = None,
    appointment_on: date | None = None,
    calendar: WorkingCalendar,
    rules: FollowUpRules = DEFAULT_RULES,
) -> list[PlannedFollowUp]:
    """Follow-ups to create when a referral moves to `target` on date `on` (may be empty)."""
    target = ReferralState(target)
    if target == ReferralState.SENT:
        return on_sent(on, response_days, calendar, rules)
    if target == ReferralState.ACCEPTED:
        return on_accepted(appointment_on, calendar, rules)
    if target == ReferralState.STARTED:
        return on_started(on, rules)
    return []


# --- which pending follow-ups a status change answers -------------------------------------------

# States in which the provider has answered, so "check acceptance" is no longer needed.
PROVIDER_ANSWERS = frozenset(
    {ReferralState.ACCEPTED, ReferralState.WAITING_LIST, ReferralState.ACKNOWLEDGED}
)
# Telling a provider that the person moved is owed whatever the referral does next: no status
# change closes it (the officer does it, or it stays overdue).
NEVER_CLOSED_BY_STATUS = frozenset({FollowUpKind.TELL_PROVIDER})


@dataclass(frozen=True)
class Closing:
    """The pending follow-ups of a referral that one status change answers, and the note they
    are closed with. One rule for the referral service and for the demo's invented history."""

    note: str
    kinds: frozenset[FollowUpKind] | None  # None: every kind but NEVER_CLOSED_BY_STATUS

    def closes(self, kind: str) -> bool:
        if kind in NEVER_CLOSED_BY_STATUS:
            return False
        return self.kinds is None or kind in self.kinds


def closed_by_transition(target: ReferralState) -> Closing | None:
    """What moving a referral to `target` closes: everything (bar telling the provider) when the
    referral ends, the acceptance check when the provider answers, otherwise nothing."""
    target = ReferralState(target)
    if target not in OPEN_REFERRAL_STATES:
        return Closing(f"Referral {target.label.lower()}", None)
    if target in PROVIDER_ANSWERS:
        return Closing(
            f"Provider answered: {target.label.lower()}",
            frozenset({FollowUpKind.CHECK_ACCEPTANCE}),
        )
    return None
