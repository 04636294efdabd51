"""What every part of the demo generator shares: the dice, working days, the plain records it
passes around, and the generator's state with its small helpers.

The generator is one object (`generate.Generator`) whose jobs live in one module each
(directory, caseload, referrals, follow-ups) as mixins over `GeneratorBase`: they share one
random stream, drawn in a fixed order, so a seed and a "today" always give the same demo.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from referral_desk.domain.followup_rules import FollowUpRules
from referral_desk.domain.lifecycle import allowed_next
from referral_desk.domain.states import FollowUpKind, NeedStatus, Outcome, ReferralState
from referral_desk.domain.workdays import WorkingCalendar
from referral_desk.store.bulk import new_ids

S = ReferralState
ONE_DAY = timedelta(days=1)
HISTORY_DAYS = 270  # "the last nine months"
CASELOAD = 60  # people per offender manager; more people means colleagues' caseloads
# Open referrals are placed so their pending follow-up falls in one of these, in turn.
BUCKETS = ("today", "overdue", "this_week", "later")
BUCKET_WEIGHTS = (("today", 5), ("overdue", 10), ("this_week", 30), ("later", 55))
# Every demo of a dozen referrals or more has one of each of these final states (in order).
REQUIRED_FINALS: tuple[tuple[ReferralState, str], ...] = (
    (S.DRAFT, ""),
    (S.SENT, ""),
    (S.ACKNOWLEDGED, ""),
    (S.ACCEPTED, ""),
    (S.DECLINED, ""),
    (S.WAITING_LIST, ""),
    (S.STARTED, ""),
    (S.COMPLETED, Outcome.ACHIEVED.value),
    (S.COMPLETED, Outcome.PARTLY_ACHIEVED.value),
    (S.COMPLETED, Outcome.NOT_ACHIEVED.value),
    (S.ENDED_EARLY, ""),
    (S.WITHDRAWN, ""),
)
FINAL_WEIGHTS: tuple[tuple[ReferralState, int], ...] = (
    (S.DRAFT, 3),
    (S.SENT, 10),
    (S.ACKNOWLEDGED, 5),
    (S.ACCEPTED, 7),
    (S.WAITING_LIST, 5),
    (S.STARTED, 14),
    (S.COMPLETED, 22),
    (S.ENDED_EARLY, 8),
    (S.DECLINED, 14),
    (S.WITHDRAWN, 12),
)
FORCED_SERVICE_STATUS = {5: "temporarily closed", 11: "inactive", 17: "defunct"}
FORCED_NEED_KINDS = (
    NeedStatus.UNMET_NO_SERVICE,
    NeedStatus.UNMET_SERVICE_FULL,
    NeedStatus.UNMET_NOT_ELIGIBLE,
    NeedStatus.UNMET_OUT_OF_AREA,
    NeedStatus.CLOSED_NO_LONGER_NEEDED,
    NeedStatus.OPEN,
)
REFERRAL_NEED = "referral"  # a need that gets referrals (its status follows them)
NEED_KIND_WEIGHTS: tuple[tuple[str, int], ...] = (
    (REFERRAL_NEED, 70),
    (NeedStatus.OPEN.value, 10),
    (NeedStatus.CLOSED_NO_LONGER_NEEDED.value, 6),
    (NeedStatus.UNMET_NO_SERVICE.value, 6),
    (NeedStatus.UNMET_SERVICE_FULL.value, 3),
    (NeedStatus.UNMET_NOT_ELIGIBLE.value, 3),
    (NeedStatus.UNMET_OUT_OF_AREA.value, 2),
)
TIMES = [time(9 + m // 60, m % 60) for m in range(0, 451, 3)]  # 9:00 to 16:30
APPOINTMENT_TIMES = [time(10, 0), time(11, 30), time(13, 30), time(14, 0), time(15, 30)]


class Dice(random.Random):
    """`random.Random` with the hot draws made cheap (float-based, no rejection loops).

    The demo draws a few million numbers; `choice` and `randint` through `_randbelow` cost
    three times as much. Still fully determined by the seed.
    """

    def choice(self, seq: Sequence[Any]) -> Any:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None and step == 1:
            return int(self.random() * start)
        return super().randrange(start, stop, step)


class WorkingDays:
    """Working-day arithmetic by index over a fixed window (the demo does it 10⁵–10⁶ times).

    Agrees with `WorkingCalendar.add_working_days` for n ≥ 1; `back` is its inverse on working
    days, which the calendar does not offer.
    """

    def __init__(self, calendar: WorkingCalendar, start: date, end: date) -> None:
        self.days: list[date] = []
        self._at_or_before: dict[date, int] = {}
        d = start
        while d <= end:
            if calendar.is_working_day(d):
                self.days.append(d)
            self._at_or_before[d] = len(self.days) - 1
            d += ONE_DAY

    def _index(self, d: date) -> int:
        index = self._at_or_before.get(d)
        if index is None:
            index = 0 if d < self.days[0] else len(self.days) - 1
        return max(index, 0)

    def on_or_before(self, d: date) -> date:
        return self.days[self._index(d)]

    def back(self, d: date, n: int) -> date:
        """n working days before `d` (counting from the last working day on or before it)."""
        return self.days[max(0, self._index(d) - n)]

    def forward(self, d: date, n: int) -> date:
        """n (≥ 1) working days after `d`, like `WorkingCalendar.add_working_days`."""
        return self.days[min(len(self.days) - 1, self._index(d) + n)]


# --- plain records the generator passes around ------------------------------------------------


@dataclass
class Directory:
    organisations: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    # category code -> active services (the rows above) that meet it
    active_by_category: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Caseload:
    officers: list[dict[str, Any]] = field(default_factory=list)  # colleagues of the site's
    people: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    need_changes: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    referral_changes: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Event:
    state: ReferralState
    on: date
    at: datetime | None = None
    reason: str = ""
    channel: str = ""
    note: str = ""


@dataclass
class NeedInfo:
    row: dict[str, Any]
    person: dict[str, Any]
    kind: str  # REFERRAL_NEED or the NeedStatus it ends in
    first_referral_at: datetime | None = None
    met_at: datetime | None = None


ALLOWED = {state: frozenset(allowed_next(state)) for state in ReferralState}


def ordered_ids(count: int) -> list[str]:
    """Fresh random UUIDs, sorted: given out in creation order, parents and their children
    (people, needs, referrals, history) then sort alike, so the loader's inserts into every
    index and its foreign-key look-ups run in key order instead of at random places."""
    return sorted(new_ids(count))


def give_ids(rows: list[dict[str, Any]]) -> None:
    for row, row_id in zip(rows, ordered_ids(len(rows)), strict=True):
        row["id"] = row_id


# Plain-str values of the state enums: the enums' `.value` is a slow property, and the loader
# wants exact `str` objects (it binds and encodes them without a second look).
VALUE: dict[Any, str] = {m: m.value for m in (*ReferralState, *NeedStatus, *FollowUpKind)}


def web_slug(text: str) -> str:
    """ASCII web-address form of a name: 'Tŷ Newydd Trust' -> 'ty-newydd-trust'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = "".join(c if c.isalnum() else "-" for c in folded.lower())
    return "-".join(part for part in out.split("-") if part)


@dataclass
class Context:
    """Reference lists, rules and identifiers already in use (read once, in the transaction)."""

    categories: list[str]
    ethnicities: list[str]
    methods: list[str]
    reasons: dict[ReferralState, list[str]]
    calendar: WorkingCalendar
    rules: FollowUpRules
    used_crns: set[str]
    used_nomis: set[str]
    used_references: set[str]
    used_org_names: set[str]
    days: WorkingDays


class GeneratorBase:
    """The generator's state; all randomness comes from `rng`, drawn in a fixed order."""

    def __init__(self, rng: random.Random, today: date, officer_id: str, ctx: Context) -> None:
        self.rng = rng
        self.today = today
        self.site_officer_id = officer_id
        self.officer_id = officer_id  # whose work is being generated at the moment
        self.ctx = ctx
        self.days = ctx.days
        self.working_today = ctx.days.on_or_before(today)
        self._bucket = 0
        self._done_count = 0
        self._location_ids: Iterator[str] = iter(())

    # --- small helpers ---------------------------------------------------------------------

    def _pick(self, weighted: Sequence[tuple[Any, int]]) -> Any:
        """A value drawn with the weights given next to it."""
        left = self.rng.random() * sum(w for _, w in weighted)
        for value, weight in weighted:
            left -= weight
            if left < 0:
                return value
        return weighted[-1][0]

    def _at(self, on: date) -> datetime:
        return datetime.combine(on, self.rng.choice(TIMES))

    def _done_at(self, on: date) -> datetime:
        """A working-hours time for a follow-up done on `on`, without drawing from the dice
        (the rest of the demo stays what it was for a given seed)."""
        self._done_count += 1
        return datetime.combine(on, TIMES[self._done_count * 37 % len(TIMES)])

    def _phone(self, prefix: str) -> str:
        """A number in an Ofcom drama range: the prefix lacks only the last three digits."""
        return f"{prefix}{self.rng.randrange(1000):03d}"

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))
