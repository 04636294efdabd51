"""Realistic demo data: a provider directory and a caseload with a believable history.

Used by `referral-desk --demo`, by tests and by the benchmarks (DESIGN.md §9 sizes the large
data set at 5 000 people, 20 000 services and 50 000 referrals). Everything is fiction shaped
like England and Wales (see `demo_content`), generated from a seeded `random.Random`, so the
same seed and the same "today" give the same names, services and histories (record ids are
fresh UUIDs each time).

The history is built the way the application would have built it: every referral moves only
along `domain.lifecycle`, its follow-ups are planned with `domain.followup_rules` on the day of
each transition and closed as `ReferralService.record_status` closes them, and the cached
statuses of needs and referrals equal the last row of their history. Timelines are laid
backwards from where they should stand today, so that there are always follow-ups overdue, due
today, due this week and later, and plenty done.

All rows go through `store.bulk.BulkLoader` in one transaction: fast, and logged for sync like
any other write. The generator only adds: it never deletes or changes what is there.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.followup_rules import (
    FollowUpRules,
    next_progress_review,
    on_accepted,
    on_pre_release,
    on_sent,
    on_started,
)
from referral_desk.domain.identifiers import new_reference
from referral_desk.domain.lifecycle import REASON_LISTS, allowed_next
from referral_desk.domain.states import (
    OPEN_REFERRAL_STATES,
    FollowUpKind,
    NeedStatus,
    Outcome,
    ReferralState,
)
from referral_desk.domain.vocabularies import (
    CAPACITY_ACCEPTING,
    CAPACITY_FULL,
    CAPACITY_WAITING_LIST,
)
from referral_desk.domain.workdays import WorkingCalendar
from referral_desk.services import demo_content as content
from referral_desk.services.app_services import AppServices
from referral_desk.services.reference import (
    ensure_items,
    follow_up_rules,
    reference_items,
    working_calendar,
)
from referral_desk.services.referrals import PROVIDER_ANSWERS
from referral_desk.store.bulk import BulkLoader, new_ids
from referral_desk.store.models import (
    FollowUp,
    Location,
    Need,
    NeedStatusChange,
    Officer,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceArea,
    ServiceCategory,
)

__all__ = ["DemoSummary", "generate_demo"]

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
_TIMES = [time(9 + m // 60, m % 60) for m in range(0, 451, 3)]  # 9:00 to 16:30
_APPOINTMENT_TIMES = [time(10, 0), time(11, 30), time(13, 30), time(14, 0), time(15, 30)]


class _Dice(random.Random):
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


@dataclass(frozen=True)
class DemoSummary:
    """How many records of each kind one `generate_demo` call added."""

    officers: int = 0  # colleagues added (the site's own profile is not counted)
    organisations: int = 0
    locations: int = 0
    services: int = 0
    service_categories: int = 0
    service_areas: int = 0
    people: int = 0
    needs: int = 0
    need_status_changes: int = 0
    referrals: int = 0
    referral_status_changes: int = 0
    follow_ups: int = 0


def generate_demo(
    app: AppServices,
    *,
    people: int = 50,
    services: int = 150,
    referrals: int | None = None,
    seed: int = 0,
) -> DemoSummary:
    """Add a demo directory and caseload; returns how many records of each kind were added.

    Referrals default to two per person and go only to active services (none without them).
    People beyond one caseload (60) belong to generated colleagues of the site's officer, who
    is set up as Alex Morgan of Leeds North if the site has no profile yet.
    """
    for name, value in (("people", people), ("services", services), ("referrals", referrals)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationError(f"Demo size {name} must be a whole number.")
        if value is not None and value < 0:
            raise ValidationError(f"Demo size {name} cannot be negative.")
    officer = app.profile.get() or app.profile.set(**content.DEMO_OFFICER)
    wanted_referrals = people * 2 if referrals is None else referrals
    today = app.clock.today()
    with app.db.write(officer_id=officer.id, reason="demo data") as session:
        # The demo's teams are its offices: listed, so the follow-ups report can name them.
        ensure_items(session, "team", [t for towns in content.OFFICES.values() for t in towns])
        gen = _Generator(_Dice(seed), today, officer.id, _Context.load(session, today))
        directory = gen.directory(services)
        caseload = gen.caseload(people, wanted_referrals, directory)
        with BulkLoader(session, reason="demo data") as loader:
            for model, rows in (
                (Officer, caseload.officers),
                (Organisation, directory.organisations),
                (Location, directory.locations),
                (Service, directory.services),
                (ServiceCategory, directory.categories),
                (ServiceArea, directory.areas),
                (Person, caseload.people),
                (Need, caseload.needs),
                (NeedStatusChange, caseload.need_changes),
                (Referral, caseload.referrals),
                (ReferralStatusChange, caseload.referral_changes),
                (FollowUp, caseload.follow_ups),
            ):
                if rows:
                    loader.add(model, rows)
    return DemoSummary(
        officers=len(caseload.officers),
        organisations=len(directory.organisations),
        locations=len(directory.locations),
        services=len(directory.services),
        service_categories=len(directory.categories),
        service_areas=len(directory.areas),
        people=len(caseload.people),
        needs=len(caseload.needs),
        need_status_changes=len(caseload.need_changes),
        referrals=len(caseload.referrals),
        referral_status_changes=len(caseload.referral_changes),
        follow_ups=len(caseload.follow_ups),
    )


# --- what the generator needs to know about the database ------------------------------------


@dataclass
class _Context:
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
    days: _WorkingDays

    @classmethod
    def load(cls, session: Session, today: date) -> _Context:
        def codes(list_name: str) -> list[str]:
            return [i.code for i in reference_items(session, list_name)]

        calendar = working_calendar(session)
        crns: set[str] = set()
        nomis: set[str] = set()
        for crn, number in session.execute(select(Person.crn, Person.nomis)):
            if crn:
                crns.add(crn)
            if number:
                nomis.add(number)
        return cls(
            categories=codes("need_category"),
            ethnicities=codes("ethnicity"),
            methods=codes("referral_method") or ["phone"],
            reasons={state: codes(list_name) for state, list_name in REASON_LISTS.items()},
            calendar=calendar,
            rules=follow_up_rules(session),
            used_crns=crns,
            used_nomis=nomis,
            used_references=set(session.scalars(select(Referral.reference))),
            used_org_names=set(session.scalars(select(Organisation.name))),
            days=_WorkingDays(calendar, today - timedelta(days=4 * 365), today + timedelta(366)),
        )


class _WorkingDays:
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
class _Directory:
    organisations: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    # category code -> active services (the rows above) that meet it
    active_by_category: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _Caseload:
    officers: list[dict[str, Any]] = field(default_factory=list)  # colleagues of the site's
    people: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)
    need_changes: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    referral_changes: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Event:
    state: ReferralState
    on: date
    at: datetime | None = None
    reason: str = ""
    channel: str = ""
    note: str = ""


@dataclass
class _NeedInfo:
    row: dict[str, Any]
    person: dict[str, Any]
    kind: str  # REFERRAL_NEED or the NeedStatus it ends in
    first_referral_at: datetime | None = None
    met_at: datetime | None = None


_ALLOWED = {state: frozenset(allowed_next(state)) for state in ReferralState}


def _ordered_ids(count: int) -> list[str]:
    """Fresh random UUIDs, sorted: given out in creation order, parents and their children
    (people, needs, referrals, history) then sort alike, so the loader's inserts into every
    index and its foreign-key look-ups run in key order instead of at random places."""
    return sorted(new_ids(count))


def _give_ids(rows: list[dict[str, Any]]) -> None:
    for row, row_id in zip(rows, _ordered_ids(len(rows)), strict=True):
        row["id"] = row_id


def _risk_note(referral_id: str) -> str:
    """A risk note picked by the referral's id, so the seeded random stream stays as it was."""
    return content.RISK_NOTES[int(referral_id.replace("-", "")[:8], 16) % len(content.RISK_NOTES)]


def _slug(text: str) -> str:
    """ASCII web-address form of a name: 'Tŷ Newydd Trust' -> 'ty-newydd-trust'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = "".join(c if c.isalnum() else "-" for c in folded.lower())
    return "-".join(part for part in out.split("-") if part)


class _Generator:
    """Makes the rows; all randomness comes from `rng`, drawn in a fixed order."""

    def __init__(self, rng: random.Random, today: date, officer_id: str, ctx: _Context) -> None:
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
        return datetime.combine(on, self.rng.choice(_TIMES))

    def _done_at(self, on: date) -> datetime:
        """A working-hours time for a follow-up done on `on`, without drawing from the dice
        (the rest of the demo stays what it was for a given seed)."""
        self._done_count += 1
        return datetime.combine(on, _TIMES[self._done_count * 37 % len(_TIMES)])

    def _phone(self, prefix: str) -> str:
        """A number in an Ofcom drama range: the prefix lacks only the last three digits."""
        return f"{prefix}{self.rng.randrange(1000):03d}"

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # --- directory -------------------------------------------------------------------------

    def directory(self, count: int) -> _Directory:
        out = _Directory()
        if count <= 0:
            return out
        n_orgs = max(2, count * 80 // 150)
        org_ids = _ordered_ids(n_orgs)
        self._location_ids = iter(_ordered_ids(n_orgs + count))  # at most one per org and service
        orgs = [self._organisation(i, org_ids[i], out) for i in range(n_orgs)]
        service_ids = _ordered_ids(count)
        for i in range(count):
            org = orgs[i] if i < n_orgs else orgs[self.rng.randrange(n_orgs)]
            self._service(i, service_ids[i], org, out)
        for rows in (out.categories, out.areas):
            _give_ids(rows)
        return out

    def _organisation(self, i: int, org_id: str, out: _Directory) -> dict[str, Any]:
        rng = self.rng
        area = rng.choice(list(content.TOWNS))
        town = rng.choice(content.TOWNS[area])
        faith = False
        if i == 0:
            area, town = "West Yorkshire", content.TOWNS["West Yorkshire"][0]
            name, stem, kind = "Lighthouse Trust", "Lighthouse", "Trust"
        elif rng.random() < 0.08:
            faith = True
            name = f"{rng.choice(content.FAITH_ORGS)}, {town[0]}"
            stem, kind = name.split(",")[0], "Trust"
        else:
            stem, kind = rng.choice(content.ORG_STEMS), rng.choice(content.ORG_KINDS)
            name = f"{stem} {kind}" if rng.random() < 0.5 else f"{town[0]} {stem} {kind}"
        name = self._unique_org_name(name, town[0])
        slug = _slug(name)
        is_cic = "CIC" in kind or "Community Interest" in kind
        org = {
            "id": org_id,
            "name": name,
            "charity_number": "" if is_cic else f"11{rng.randrange(100000):05d}",
            "company_number": f"{rng.randrange(10**7):08d}" if is_cic or rng.random() < 0.3 else "",
            "description": rng.choice(content.ORG_DESCRIPTIONS),
            "website": f"https://www.{slug}.example.org.uk",
            "email": f"info@{slug}.example.org.uk",
            "phone": self._phone(town[2]),
            "faith_based": faith,
            "uses_volunteers": rng.random() < 0.6,
            "lived_experience": rng.random() < 0.35,
            "extra": {},
        }
        out.organisations.append(org)
        location = self._location(org, area, town, out)
        return {
            **org,
            "_area": area,
            "_town": town,
            "_stem": stem,
            "_slug": slug,
            "_location": location,
        }

    def _unique_org_name(self, name: str, town: str) -> str:
        used = self.ctx.used_org_names
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name} ({town})" if n == 2 else f"{name} ({town} {n})"
        used.add(candidate)
        return candidate

    def _location(
        self, org: dict[str, Any], area: str, town: tuple[Any, ...], out: _Directory
    ) -> dict[str, Any]:
        rng = self.rng
        streets = content.WELSH_STREETS if area == "Wales" and rng.random() < 0.5 else None
        street = rng.choice(streets or content.STREETS)
        if rng.random() < 0.3:
            line1 = f"{rng.choice(content.BUILDINGS)}, {rng.randint(1, 180)} {street}"
        else:
            line1 = f"{rng.randint(1, 240)} {street}"
        letters = content.POSTCODE_LETTERS
        postcode = (
            f"{rng.choice(town[1])} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        )
        location = {
            "id": next(self._location_ids),
            "organisation_id": org["id"],
            "name": org["name"],
            "address_1": line1,
            "address_2": rng.choice(content.DISTRICT_SUFFIXES),
            "city": town[0],
            "region": area,
            "postcode": postcode,
            "latitude": round(town[3] + rng.uniform(-0.03, 0.03), 4),
            "longitude": round(town[4] + rng.uniform(-0.05, 0.05), 4),
            "extra": {},
        }
        out.locations.append(location)
        return location

    def _service(self, i: int, service_id: str, org: dict[str, Any], out: _Directory) -> None:
        rng, _today = self.rng, self.today
        codes = self.ctx.categories
        category = codes[i % len(codes)] if i < 3 * len(codes) else rng.choice(codes)
        stems, descriptions = content.CATEGORY_SERVICES.get(
            category, content.CATEGORY_SERVICES["other"]
        )
        stem = stems[0] if i == 0 else rng.choice(stems)
        if category == "women" and i < len(codes):
            stem = content.REFUGE_STEM  # the first women's service is always a refuge
        area, town, location = org["_area"], org["_town"], org["_location"]
        if i >= len(out.organisations) and rng.random() < 0.2:
            town = rng.choice(content.TOWNS[area])
            location = self._location(org, area, town, out)
        name = f"{org['_stem']} {stem}"
        if location["city"] != org["_town"][0]:
            name = f"{name} ({location['city']})"
        refuge = stem == content.REFUGE_STEM
        status = (
            "active"
            if i == 0
            else FORCED_SERVICE_STATUS.get(i)
            or self._pick(
                (("active", 90), ("temporarily closed", 4), ("inactive", 3), ("defunct", 3))
            )
        )
        women = category == "women" or refuge
        gender = "female" if women else self._pick((("any", 80), ("male", 12), ("female", 8)))
        min_age, max_age = self._pick(
            (((None, None), 70), ((18, 25), 12), ((18, None), 8), ((50, None), 5), ((21, 65), 5))
        )
        cohorts = []
        if max_age == 25:
            cohorts.append("young_adult")
        if women:
            cohorts.append("womens")
        if rng.random() < 0.08:
            cohorts.append(rng.choice(["iom", "ppo"]))
        prisons: list[str] = []
        if i == 0:
            prisons = ["HMP Leeds"]
        elif category == "resettlement" or rng.random() < 0.3:
            local = {
                "Greater Manchester": "HMP Manchester",
                "West Yorkshire": "HMP Leeds",
                "Wales": "HMP Cardiff",
            }[area]
            prisons = [content.WOMENS_PRISON] if gender == "female" else [local]
            if rng.random() < 0.2 and gender != "female":
                prisons.append(rng.choice(content.PRISONS))
            prisons = list(dict.fromkeys(prisons))
        community = not prisons or rng.random() < 0.6
        through_gate = bool(prisons) and (
            i == 0 or category == "resettlement" or rng.random() < 0.25
        )
        free = rng.random() < 0.85
        method = self._pick((("phone", 40), ("email", 25), ("form", 20), ("drop_in", 15)))
        slug = org["_slug"]
        phone = self._phone(town[2] if rng.random() < 0.85 else content.MOBILE_PREFIX)
        hours = rng.choice(content.OPENING_TIMES)
        contact = {
            "phone": phone,
            "email": f"referrals@{slug}.example.org.uk",
            "form": f"https://www.{slug}.example.org.uk/refer",
            "drop_in": f"Drop in at {location['address_1']}, {location['city']}: {hours}",
        }[method]
        if refuge:
            method, contact = "phone", f"24-hour line {phone}; address given once a place is agreed"
        languages = ["English"]
        if (area == "Wales" and rng.random() < 0.7) or rng.random() < 0.03:
            languages.append("Welsh")
        languages += rng.sample(content.LANGUAGES_EXTRA, rng.choice((0, 0, 1, 1, 2)))
        prechecked = i == 0 or rng.random() < 0.35
        assured = self._pick((((30, 180), 50), ((181, 540), 30), ((541, 1095), 20)))
        extra_categories = rng.sample(codes, rng.choice((0, 0, 0, 1, 1, 2)))
        categories = list(dict.fromkeys([category, *extra_categories]))
        description = rng.choice(descriptions)
        if i == 0:
            name = "Lighthouse Housing Advice"
            description = (
                "Housing advice for people leaving HMP Leeds or on probation in Leeds: "
                "homelessness applications, rent deposits and help to keep a tenancy."
            )
        service = {
            "id": service_id,
            "organisation_id": org["id"],
            "location_id": None if refuge else location["id"],
            "name": name,
            "description": description,
            "status": status,
            "gender": gender,
            "min_age": min_age,
            "max_age": max_age,
            "offence_exclusions": rng.choice(content.OFFENCE_EXCLUSIONS)
            if rng.random() < 0.15
            else [],
            "risk_levels": list(rng.choice(content.RISK_LEVEL_SETS)),
            "cohorts": cohorts,
            "prisons": prisons,
            "community": community,
            "through_the_gate": through_gate,
            "free": free,
            "unit_cost": None if free else rng.choice((35.0, 45.0, 60.0, 95.0, 120.0, 350.0)),
            "referral_method": method,
            "referral_contact": contact,
            "contact_name": rng.choice(content.CONTACT_NAMES),
            "phone": phone,
            "email": f"referrals@{slug}.example.org.uk",
            "response_days": 3 if i == 0 else rng.randint(1, 10),
            "waiting_weeks": None if rng.random() < 0.5 else rng.randint(0, 12),
            "capacity": CAPACITY_ACCEPTING
            if i == 0
            else self._pick(
                ((CAPACITY_ACCEPTING, 70), (CAPACITY_WAITING_LIST, 20), (CAPACITY_FULL, 10))
            ),
            "capacity_as_of": self._days_ago(0, 60),
            "languages": languages,
            "accessibility": rng.choice(content.ACCESSIBILITY),
            "opening_times": hours,
            "what_to_bring": rng.choice(content.WHAT_TO_BRING),
            "isp_agreed": prechecked,
            "reports_attendance": prechecked and rng.random() < 0.9,
            "reports_progress": prechecked and rng.random() < 0.7,
            "precheck_date": self._days_ago(7, 730) if prechecked else None,
            "precheck_by": rng.choice(content.PRECHECK_PEOPLE) if prechecked else "",
            "assured_date": self._days_ago(*assured),
            "assurer": rng.choice(content.ASSURERS),
            "confidential_address": refuge,
            "extra": {},
        }
        out.services.append(service)
        out.categories += [{"service_id": service_id, "category_code": c} for c in categories]
        if community:
            areas = [area]
            if rng.random() < 0.15:
                areas.append(rng.choice(list(content.TOWNS)))
            out.areas += [{"service_id": service_id, "name": a} for a in dict.fromkeys(areas)]
        if status == "active":
            for c in categories:
                out.active_by_category.setdefault(c, []).append(service)

    # --- caseload --------------------------------------------------------------------------

    def caseload(self, count: int, wanted_referrals: int, directory: _Directory) -> _Caseload:
        out = _Caseload()
        if count <= 0:
            return out
        out.officers = self._colleagues(max(0, count - CASELOAD))
        owners = [self.site_officer_id] + [o["id"] for o in out.officers]
        ids = iter(_ordered_ids(count))
        people = [self._person(i, next(ids), owners[i // CASELOAD]) for i in range(count)]
        needs = self._needs(people)
        active = [s for s in directory.services if s["status"] == "active"]
        slots = self._referral_slots(needs, wanted_referrals if active else 0)
        referral_ids = iter(_ordered_ids(len(slots)))
        for need, final, outcome, end_on, reason in slots:
            service = self._choose_service(need, directory.active_by_category, active)
            self._referral(next(referral_ids), need, service, final, outcome, end_on, reason, out)
        for need in needs:
            self._need_history(need, out)
        by_person: dict[str, list[_NeedInfo]] = {}
        for need in needs:
            by_person.setdefault(need.person["id"], []).append(need)
        for person in people:
            self._person_follow_ups(person, by_person.get(person["id"], []), out)
        out.people = people
        out.needs = [n.row for n in needs]
        for rows in (out.need_changes, out.referral_changes, out.follow_ups):
            _give_ids(rows)
        return out

    def _unique(self, used: set[str], make: Any) -> str:
        value = make()
        while value in used:
            value = make()
        used.add(value)
        return value

    def _colleagues(self, people: int) -> list[dict[str, Any]]:
        """Officers of the same probation delivery unit, for people beyond one caseload."""
        rng, out = self.rng, []
        for officer_id in _ordered_ids(-(-people // CASELOAD)):
            background = self._pick(
                (("english", 60), ("welsh", 15), ("south_asian", 15), ("black", 10))
            )
            males, females, families, _ = content.NAME_POOLS[background]
            given = rng.choice(rng.choice((males, females)))
            family = rng.choice(families)
            area = rng.choice(list(content.OFFICES))
            office = rng.choice(content.OFFICES[area])
            prefix = content.TOWNS[area][0][2]
            out.append(
                {
                    "id": officer_id,
                    "name": f"{given} {family}",
                    "role": "officer",
                    "team": office,
                    "office": f"{office} Probation Office",
                    "office_phone": self._phone(prefix),
                    "email": f"{_slug(given)}.{_slug(family)}@probation.example.gov.uk",
                }
            )
        return out

    def _person(self, i: int, person_id: str, owner: str) -> dict[str, Any]:
        rng, today = self.rng, self.today
        area = self._pick((("Greater Manchester", 35), ("West Yorkshire", 40), ("Wales", 25)))
        if i < len(content.SHOWCASE_PEOPLE):
            given, family, gender, background = content.SHOWCASE_PEOPLE[i]
            if background == "welsh":
                area = "Wales"
        else:
            gender = self._pick((("male", 80), ("female", 19), ("non-binary", 1)))
            background = self._pick(
                [(b, w[1] if area == "Wales" else w[0]) for b, w in content.BACKGROUNDS.items()]
            )
            males, females, families, female_families = content.NAME_POOLS[background]
            pool = {"male": males, "female": females}.get(gender) or rng.choice((males, females))
            given = rng.choice(pool)
            family = rng.choice(
                female_families if gender == "female" and female_families else families
            )
        age = 18 + min(51, int(rng.betavariate(2.0, 4.5) * 52))
        dob = today - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
        letters = "ABCDEFGHJKLMNPRSTVWXY"
        crn = self._unique(
            self.ctx.used_crns, lambda: f"{rng.choice(letters)}{rng.randrange(10**6):06d}"
        )
        custody = i == 1 or (i != 0 and rng.random() < 0.35)
        release: date | None = None
        if custody:
            soon = i == 1 or rng.random() < 0.25
            release = today + timedelta(
                days=84 if i == 1 else rng.randint(1, 84) if soon else rng.randint(85, 720)
            )
        elif rng.random() < 0.4:
            release = today - timedelta(days=rng.randint(20, 900))
        nomis = None
        if release is not None:
            nomis = self._unique(
                self.ctx.used_nomis,
                lambda: (
                    f"{rng.choice('AG')}{rng.randrange(10**4):04d}"
                    f"{rng.choice(letters)}{rng.choice(letters)}"
                ),
            )
        local_prison = {
            "Greater Manchester": "HMP Manchester",
            "West Yorkshire": "HMP Leeds",
            "Wales": "HMP Cardiff",
        }[area]
        codes = content.BACKGROUNDS[background][2]
        ethnicity = rng.choice(codes) if rng.random() < 0.88 else rng.choice(self.ctx.ethnicities)
        if ethnicity not in self.ctx.ethnicities:
            ethnicity = ""
        foreign_odds = {
            "polish": 0.6,
            "romanian": 0.7,
            "iberian_french": 0.5,
            "arab": 0.4,
            "chinese": 0.4,
        }.get(background, 0.03)
        withdrawn = None
        if i >= 10 and rng.random() < 0.03:
            withdrawn = self.days.back(self.working_today, rng.randint(2, 30))
        pnc = None
        if rng.random() < 0.5:
            year = rng.randint(max(1995, dob.year + 12), today.year - 1)
            pnc = f"{year}/{rng.randrange(10**7):07d}{rng.choice(letters)}"
        return {
            "id": person_id,
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "crn": crn,
            "nomis": nomis,
            "pnc": pnc,
            "gender": gender,
            "ethnicity": ethnicity,
            "disability": self._pick((("yes", 22), ("no", 65), ("prefer_not_to_say", 5), ("", 8))),
            "religion": rng.choices(content.RELIGIONS, content.RELIGION_WEIGHTS)[0],
            "foreign_national": None if rng.random() < 0.05 else rng.random() < foreign_odds,
            "setting": "custody" if custody else "community",
            "prison": (content.WOMENS_PRISON if gender == "female" else local_prison)
            if custody
            else "",
            "area": area,
            "office": "" if custody else rng.choice(content.OFFICES[area]),
            "expected_release_date": release,
            "cohort_iom": rng.random() < 0.15,
            "cohort_ppo": rng.random() < 0.05,
            "cohort_womens": gender == "female",
            "cohort_young_adult": age <= 25,
            "owner_officer_id": owner,
            "contact_preferences": rng.choice(content.CONTACT_PREFERENCES),
            "consent_given_on": None,  # set once the history is known
            "consent_scope": rng.choice(content.CONSENT_SCOPES),
            "consent_withdrawn_on": withdrawn,
        }

    def _needs(self, people: list[dict[str, Any]]) -> list[_NeedInfo]:
        rng = self.rng
        weights = [
            (c, content.NEED_DETAILS.get(c, (1, [""], ["Other need"]))[0])
            for c in self.ctx.categories
        ]
        infos: list[_NeedInfo] = []
        for person in people:
            wanted = self._pick(((1, 15), (2, 30), (3, 30), (4, 15), (5, 10)))
            allowed = [(c, w) for c, w in weights if c != "women" or person["gender"] == "female"]
            chosen: list[str] = []
            for _ in range(4 * wanted):
                category = self._pick(allowed)
                if category not in chosen:
                    chosen.append(category)
                if len(chosen) == wanted:
                    break
            for priority, category in enumerate(chosen, start=1):
                n = len(infos)
                kind = (
                    FORCED_NEED_KINDS[n].value
                    if n < len(FORCED_NEED_KINDS)
                    else self._pick(NEED_KIND_WEIGHTS)
                )
                _, subtypes, descriptions = content.NEED_DETAILS.get(
                    category, (1, [""], ["Other need, described in the case notes"])
                )
                row = {
                    "id": None,
                    "person_id": person["id"],
                    "category_code": category,
                    "subtype": rng.choice(subtypes),
                    "description": rng.choice(descriptions),
                    "priority": priority,
                    "identified_on": None,
                    "setting_at_time": person["setting"],
                    "place_at_time": person["prison"] or person["area"],
                    "status": "",
                }
                infos.append(_NeedInfo(row, person, kind))
        for info, need_id in zip(infos, _ordered_ids(len(infos)), strict=True):
            info.row["id"] = need_id
        return infos

    def _referral_slots(
        self, needs: list[_NeedInfo], wanted: int
    ) -> list[tuple[_NeedInfo, ReferralState, str, date | None, str | None]]:
        """Which need each referral is for and where its history must end."""
        rng = self.rng
        eligible = [n for n in needs if n.kind == REFERRAL_NEED]
        if not eligible and wanted:  # a tiny caseload: refer some of the open needs instead
            eligible = [n for n in needs if n.kind == NeedStatus.OPEN.value]
            for need in eligible:
                need.kind = REFERRAL_NEED
        if not eligible:
            return []
        counts = [0] * len(eligible)
        for i in range(min(wanted, len(eligible))):
            counts[i] = 1
        for _ in range(max(0, wanted - len(eligible))):
            counts[rng.randrange(len(eligible))] += 1
        for need, n in zip(eligible, counts, strict=True):
            if n == 0:
                need.kind = NeedStatus.OPEN.value  # no referral after all: an open need
        slots = []
        required = iter(REQUIRED_FINALS)
        for need, n in zip(eligible, counts, strict=True):
            for _ in range(n):
                withdrawn_on = need.person["consent_withdrawn_on"]
                if withdrawn_on is not None:
                    slots.append((need, S.WITHDRAWN, "", withdrawn_on, "consent_withdrawn"))
                    continue
                final, outcome = next(required, (None, ""))
                if final is None:
                    final = self._pick(FINAL_WEIGHTS)
                    if final == S.COMPLETED:
                        outcome = self._pick(
                            (
                                (Outcome.ACHIEVED.value, 50),
                                (Outcome.PARTLY_ACHIEVED.value, 30),
                                (Outcome.NOT_ACHIEVED.value, 20),
                            )
                        )
                slots.append((need, final, outcome, None, None))
        return slots

    def _choose_service(
        self,
        need: _NeedInfo,
        by_category: dict[str, list[dict[str, Any]]],
        active: list[dict[str, Any]],
    ) -> dict[str, Any]:
        pool = by_category.get(need.row["category_code"]) or active
        service = self.rng.choice(pool)
        for _ in range(3):
            if service["gender"] in ("any", need.person["gender"]):
                break
            service = self.rng.choice(pool)
        return service

    # --- one referral's history --------------------------------------------------------------

    def _path_to(self, state: ReferralState) -> list[ReferralState]:
        rng = self.rng
        if state == S.DRAFT:
            return [S.DRAFT]
        path = [S.DRAFT, S.SENT]
        if state == S.SENT:
            return path
        if state == S.ACKNOWLEDGED:
            return [*path, S.ACKNOWLEDGED]
        if state == S.WAITING_LIST:
            return path + ([S.ACKNOWLEDGED] if rng.random() < 0.4 else []) + [S.WAITING_LIST]
        if rng.random() < 0.45:
            path.append(S.ACKNOWLEDGED)
        if rng.random() < 0.15:
            path.append(S.WAITING_LIST)
        path.append(S.ACCEPTED)
        return path if state == S.ACCEPTED else [*path, S.STARTED]

    def _path(self, final: ReferralState) -> list[ReferralState]:
        if final in OPEN_REFERRAL_STATES:
            path = self._path_to(final)
        elif final == S.COMPLETED:
            path = [*self._path_to(S.STARTED), S.COMPLETED]
        elif final == S.ENDED_EARLY:
            before = S.STARTED if self.rng.random() < 0.7 else S.ACCEPTED
            path = [*self._path_to(before), S.ENDED_EARLY]
        elif final == S.DECLINED:
            before = self._pick(((S.SENT, 50), (S.ACKNOWLEDGED, 30), (S.WAITING_LIST, 20)))
            path = [*self._path_to(before), S.DECLINED]
        else:
            before = self._pick(
                (
                    (S.DRAFT, 5),
                    (S.SENT, 35),
                    (S.ACKNOWLEDGED, 15),
                    (S.ACCEPTED, 15),
                    (S.WAITING_LIST, 15),
                    (S.STARTED, 15),
                )
            )
            path = [*self._path_to(before), S.WITHDRAWN]
        for a, b in itertools.pairwise(path):
            if b not in _ALLOWED[a]:  # pragma: no cover - a bug in the paths above
                raise RuntimeError(f"demo path breaks the lifecycle: {a} -> {b}")
        return path

    def _gap(self, before: ReferralState, after: ReferralState, appointment_gap: int) -> int:
        """Working days between two consecutive states."""
        r = self.rng.randint
        if before == S.DRAFT:
            return 0 if self.rng.random() < 0.9 else r(1, 3)
        if after == S.ACKNOWLEDGED:
            return r(1, 3)
        if after == S.ACCEPTED:
            return r(10, 35) if before == S.WAITING_LIST else r(1, 6)
        if after == S.WAITING_LIST:
            return r(1, 5)
        if after == S.DECLINED:
            return r(1, 8)
        if after == S.STARTED:
            return appointment_gap
        if after == S.COMPLETED:
            return r(20, 55)
        if after == S.ENDED_EARLY:
            return appointment_gap + r(1, 5) if before == S.ACCEPTED else r(5, 30)
        return r(1, appointment_gap) if before == S.ACCEPTED else r(1, 12)  # withdrawn

    def _next_bucket(self) -> str:
        """Each bucket once, then mostly later: officers keep on top of most follow-ups."""
        self._bucket += 1
        if self._bucket <= len(BUCKETS):
            return BUCKETS[self._bucket - 1]
        return self._pick(BUCKET_WEIGHTS)

    def _target(self, bucket: str, later_max: int) -> date:
        """A working day for an open referral's pending follow-up to fall due."""
        r, days = self.rng.randint, self.days
        if bucket == "today":
            return self.today
        if bucket == "overdue":
            return days.back(self.working_today, r(1, 10))
        if bucket == "this_week":
            return days.forward(self.today, r(1, 4))
        return days.forward(self.today, r(6, later_max))

    def _end_date(
        self,
        path: list[ReferralState],
        gaps: list[int],
        response_days: int,
        appointment_gap: int,
        end_on: date | None,
    ) -> tuple[date, date | None, date | None]:
        """Date of the last event; and for open accepted/started ones the appointment and
        pending follow-up dates that were aimed at."""
        r, days, last = self.rng.randint, self.days, path[-1]
        if end_on is not None:
            return days.on_or_before(end_on), None, None
        if last == S.DRAFT:
            return days.back(self.working_today, r(0, 8)), None, None
        if last in (S.ACKNOWLEDGED, S.WAITING_LIST):
            return days.back(self.working_today, r(0, 20)), None, None
        if last == S.SENT:
            bucket = self._next_bucket()
            lag = {
                "today": response_days,
                "overdue": response_days + r(1, 10),
                "this_week": max(0, response_days - r(1, 4)),
                "later": 0,
            }[bucket]
            return days.back(self.working_today, lag), None, None
        if last == S.ACCEPTED:
            due = self._target(self._next_bucket(), 15)
            appointment = days.back(due, 1)
            accepted = min(days.back(appointment, appointment_gap), self.working_today)
            return accepted, appointment, due
        if last == S.STARTED:
            due = min(self._target(self._next_bucket(), 18), self.today + timedelta(days=27))
            interval = self.ctx.rules.progress_interval_weeks
            started = due - timedelta(weeks=interval * (r(0, 3) + 1))
            return started, started, due
        span = sum(gaps)
        return days.back(self.working_today, r(1, max(1, 185 - span))), None, None

    def _method(self) -> str:
        weighted = [
            (m, w)
            for m, w in (
                ("phone", 35),
                ("email", 30),
                ("form", 15),
                ("slip", 10),
                ("letter", 5),
                ("in_person", 5),
            )
            if m in self.ctx.methods
        ]
        return self._pick(weighted) if weighted else self.ctx.methods[0]

    def _reason(self, state: ReferralState, forced: str | None) -> str:
        codes = self.ctx.reasons.get(state)
        if not codes:
            return ""
        if state == S.WITHDRAWN:
            if forced:
                return forced
            usual = [c for c in codes if c not in ("consent_withdrawn", "died")]
            if usual and self.rng.random() > 0.01:
                return self.rng.choice(usual)
        return self.rng.choice(codes)

    def _channel(self, state: ReferralState, method: str) -> str:
        if state in (S.DRAFT, S.SENT):
            return method  # as ReferralService.make records them
        if state == S.WITHDRAWN:
            return self.rng.choice(("phone", "in_person", "email"))
        return self.rng.choice(("provider_feedback", "email", "phone"))

    def _referral(
        self,
        referral_id: str,
        need: _NeedInfo,
        service: dict[str, Any],
        final: ReferralState,
        outcome: str,
        end_on: date | None,
        reason: str | None,
        out: _Caseload,
    ) -> None:
        rng, ctx = self.rng, self.ctx
        self.officer_id = need.person["owner_officer_id"]  # the history is the owner's work
        response_days = service["response_days"]
        lag = ctx.rules.acceptance_working_days if response_days is None else max(1, response_days)
        path = self._path(final)
        appointment_gap = rng.randint(3, 12)
        gaps = [self._gap(a, b, appointment_gap) for a, b in itertools.pairwise(path)]
        end, appointment, target = self._end_date(path, gaps, lag, appointment_gap, end_on)
        dates = [end]
        for gap in reversed(gaps):
            dates.append(self.days.back(dates[-1], gap))
        dates.reverse()
        if S.ACCEPTED in path and appointment is None:
            a = path.index(S.ACCEPTED)
            followed_by_start = a + 1 < len(path) and path[a + 1] == S.STARTED
            appointment = (
                dates[a + 1] if followed_by_start else self.days.forward(dates[a], appointment_gap)
            )
        method = self._method()
        events: list[_Event] = []
        previous: datetime | None = None
        for state, on in zip(path, dates, strict=True):
            at = self._at(on)
            if previous is not None and at <= previous:
                at = previous + timedelta(minutes=rng.randint(1, 20))
            previous = at
            notes = content.STATUS_NOTES.get(_V[state])
            events.append(
                _Event(
                    state,
                    on,
                    at,
                    self._reason(state, reason),
                    self._channel(state, method),
                    rng.choice(notes) if notes else "",
                )
            )
        person = need.person
        from_status = None
        for ev in events:
            out.referral_changes.append(
                {
                    "referral_id": referral_id,
                    "from_status": from_status,
                    "to_status": _V[ev.state],
                    "at": ev.at,
                    "by_officer_id": self.officer_id,
                    "channel": ev.channel,
                    "reason_code": ev.reason,
                    "note": ev.note,
                }
            )
            from_status = _V[ev.state]
        self._referral_follow_ups(
            referral_id, person["id"], events, response_days, appointment, target, out
        )
        if need.first_referral_at is None or events[0].at < need.first_referral_at:
            need.first_referral_at = events[0].at
        if outcome == Outcome.ACHIEVED.value and (
            need.met_at is None or events[-1].at < need.met_at
        ):
            need.met_at = events[-1].at
        info = ["name", "needs", *(x for x in _OPTIONAL_SHARED if rng.random() < 0.35)]
        risk = rng.random() < 0.05
        if risk:
            info.append("risk")
        answered = len(path) > 2
        out.referrals.append(
            {
                "id": referral_id,
                "reference": self._unique(ctx.used_references, lambda: new_reference(rng)),
                "person_id": person["id"],
                "need_id": need.row["id"],
                "service_id": service["id"],
                "made_by_officer_id": self.officer_id,
                "made_on": events[0].on,
                "method": method,
                "consent_confirmed": True,
                "shared_info": info,
                "share_risk": risk,
                "risk_note": _risk_note(referral_id) if risk else "",
                "accessibility_needs": rng.choice(content.ACCESSIBILITY_NEEDS)
                if rng.random() < 0.08
                else "",
                "interpreter_language": rng.choice(content.LANGUAGES_EXTRA[:6])
                if rng.random() < 0.04
                else "",
                "availability": rng.choice(content.AVAILABILITY) if rng.random() < 0.4 else "",
                "appointment_at": datetime.combine(appointment, rng.choice(_APPOINTMENT_TIMES))
                if appointment
                else None,
                "appointment_place": (
                    "At the prison (legal visits)"
                    if person["setting"] == "custody"
                    else rng.choice(content.APPOINTMENT_PLACES[:4])
                )
                if appointment
                else "",
                "provider_contact": service["contact_name"] if answered else "",
                "outcome": outcome,
                "outcome_note": rng.choice(content.OUTCOME_NOTES[outcome]) if outcome else "",
                "status": _V[final],
            }
        )

    def _referral_follow_ups(
        self,
        referral_id: str,
        person_id: str,
        events: list[_Event],
        response_days: int | None,
        appointment: date | None,
        target: date | None,
        out: _Caseload,
    ) -> None:
        """Plan and close follow-ups transition by transition, as the services would have."""
        calendar, rules = self.ctx.calendar, self.ctx.rules
        pending: list[dict[str, Any]] = []
        last = len(events) - 1
        for i, ev in enumerate(events):
            state = ev.state
            if state == S.SENT:
                planned = on_sent(ev.on, response_days, calendar, rules)
            elif state == S.ACCEPTED:
                planned = on_accepted(appointment, calendar, rules)
            elif state == S.STARTED:
                planned = on_started(ev.on, rules)
            else:
                planned = []
            for item in planned:
                pending.append(
                    self._follow_up(referral_id, person_id, item.kind, item.due_on, item.note, out)
                )
            if state not in OPEN_REFERRAL_STATES:
                for fu in pending:
                    fu["done_on"], fu["result_note"] = ev.on, _CLOSED_NOTE[state]
                    fu["done_at"], fu["done_by_officer_id"] = ev.at, self.officer_id
                pending.clear()
            elif state in PROVIDER_ANSWERS:
                for fu in [f for f in pending if f["kind"] == FollowUpKind.CHECK_ACCEPTANCE]:
                    pending.remove(fu)
                    fu["done_on"] = ev.on
                    fu["done_at"], fu["done_by_officer_id"] = ev.at, self.officer_id
                    fu["result_note"] = _ANSWERED_NOTE[state]
            if i < last:
                self._officer_work(pending, events[i + 1].on, events[i + 1].state, out)
            elif target is not None:
                self._officer_work(pending, target, state, out)
            elif state in (S.ACKNOWLEDGED, S.WAITING_LIST):
                self._officer_work(pending, self.today + ONE_DAY, state, out)

    def _follow_up(
        self,
        referral_id: str | None,
        person_id: str,
        kind: FollowUpKind,
        due_on: date,
        note: str,
        out: _Caseload,
    ) -> dict[str, Any]:
        row = {
            "referral_id": referral_id,
            "person_id": person_id,
            "kind": _V[kind],
            "due_on": due_on,
            "note": note,
            "officer_id": self.officer_id,
            "done_on": None,
            "done_at": None,
            "done_by_officer_id": None,
            "result_note": "",
        }
        out.follow_ups.append(row)
        return row

    def _officer_work(
        self, pending: list[dict[str, Any]], until: date, next_state: ReferralState, out: _Caseload
    ) -> None:
        """The officer does, on the day they fall due, the follow-ups due before `until`."""
        rng, rules = self.rng, self.ctx.rules
        while True:
            due = [f for f in pending if f["due_on"] < until and f["due_on"] <= self.today]
            if not due:
                return
            for fu in due:
                pending.remove(fu)
                kind = fu["kind"]
                fu["done_on"] = fu["due_on"]
                fu["done_at"] = self._done_at(fu["done_on"])
                fu["done_by_officer_id"] = self.officer_id
                if kind == FollowUpKind.CHECK_ACCEPTANCE:
                    fu["result_note"] = rng.choice(content.CHASE_NOTES)
                elif kind == FollowUpKind.CHECK_ATTENDANCE:
                    attended = next_state in (S.STARTED, S.COMPLETED)
                    notes = content.ATTENDED_NOTES if attended else content.MISSED_NOTES
                    fu["result_note"] = rng.choice(notes)
                else:
                    fu["result_note"] = rng.choice(content.REVIEW_NOTES)
                    for item in next_progress_review(fu["done_on"], rules):
                        pending.append(
                            self._follow_up(
                                fu["referral_id"],
                                fu["person_id"],
                                item.kind,
                                item.due_on,
                                item.note,
                                out,
                            )
                        )

    # --- needs' and people's history ---------------------------------------------------------

    def _need_history(self, need: _NeedInfo, out: _Caseload) -> None:
        rng, row = self.rng, need.row
        self.officer_id = need.person["owner_officer_id"]
        first = need.first_referral_at
        if first is not None:
            identified = first.date() - timedelta(days=rng.randint(0, 21))
        else:
            identified = self._days_ago(0, HISTORY_DAYS)
        row["identified_on"] = identified
        opened = self._at(identified)
        if first is not None and opened >= first:
            opened = first - timedelta(minutes=5)
        changes: list[tuple[NeedStatus, datetime, str]] = [(NeedStatus.OPEN, opened, "")]
        if first is not None:
            changes.append((NeedStatus.REFERRED, first, "referral made"))
            if need.met_at is not None:
                changes.append((NeedStatus.MET, need.met_at, "referral achieved"))
        elif need.kind != NeedStatus.OPEN.value:
            status = NeedStatus(need.kind)
            if status.is_unmet and rng.random() < 0.5:
                at = opened + timedelta(minutes=1)  # logged as unmet straight away
            else:
                on = min(self.today, identified + timedelta(days=rng.randint(1, 30)))
                at = max(self._at(on), opened + timedelta(minutes=1))
            note = "" if status.is_unmet else "No longer needed"
            changes.append((status, at, note))
        previous = None
        for status, at, note in changes:
            out.need_changes.append(
                {
                    "need_id": row["id"],
                    "from_status": previous,
                    "to_status": _V[status],
                    "at": at,
                    "by_officer_id": self.officer_id,
                    "reason_code": "",
                    "note": note,
                }
            )
            previous = _V[status]
        row["status"] = previous

    def _person_follow_ups(
        self, person: dict[str, Any], needs: list[_NeedInfo], out: _Caseload
    ) -> None:
        rng, today, rules = self.rng, self.today, self.ctx.rules
        self.officer_id = person["owner_officer_id"]
        first = min((n.row["identified_on"] for n in needs), default=self._days_ago(0, 200))
        consent = first - timedelta(days=rng.randint(0, 14))
        withdrawn = person["consent_withdrawn_on"]
        if withdrawn is not None and consent >= withdrawn:
            consent = withdrawn - timedelta(days=rng.randint(30, 200))
        person["consent_given_on"] = consent
        release = person["expected_release_date"]
        open_needs = any(n.row["status"] not in _SETTLED_NEEDS for n in needs)
        if person["setting"] == "custody" and open_needs and release is not None:
            became_due = release - timedelta(weeks=rules.pre_release_weeks)
            for item in on_pre_release(release, became_due, rules):
                fu = self._follow_up(None, person["id"], item.kind, item.due_on, item.note, out)
                if item.due_on < today - timedelta(days=7) and rng.random() < 0.6:
                    fu["done_on"] = min(today, item.due_on + timedelta(days=rng.randint(0, 3)))
                    fu["done_at"] = self._done_at(fu["done_on"])
                    fu["done_by_officer_id"] = self.officer_id
                    fu["result_note"] = rng.choice(content.PRE_RELEASE_NOTES)
        if rng.random() < 0.08:
            due = today + timedelta(days=rng.randint(-10, 20))
            fu = self._follow_up(
                None,
                person["id"],
                FollowUpKind.CUSTOM,
                due,
                rng.choice(content.CUSTOM_FOLLOW_UPS),
                out,
            )
            if due < today and rng.random() < 0.4:
                fu["done_on"], fu["done_by_officer_id"] = due, self.officer_id
                fu["done_at"] = self._done_at(due)
                fu["result_note"] = "Done"


# Plain-str values of the state enums: the enums' `.value` is a slow property, and the loader
# wants exact `str` objects (it binds and encodes them without a second look).
_V: dict[Any, str] = {m: m.value for m in (*ReferralState, *NeedStatus, *FollowUpKind)}
_CLOSED_NOTE = {s: f"Referral {s.label.lower()}" for s in ReferralState}
_ANSWERED_NOTE = {s: f"Provider answered: {s.label.lower()}" for s in ReferralState}
_OPTIONAL_SHARED = ["date_of_birth", "contact_details", "release_date", "accessibility"]
_SETTLED_NEEDS = frozenset({NeedStatus.MET.value, NeedStatus.CLOSED_NO_LONGER_NEEDED.value})
