"""Realistic demo data: a provider directory and a caseload with a believable history.

Used by `referral-desk --demo`, by tests and by the benchmarks (DESIGN.md §9 sizes the large
data set at 5 000 people, 20 000 services and 50 000 referrals). Everything is fiction shaped
like England and Wales (see `demo.content`: word lists in `resources/demo/`), generated from
a seeded `random.Random`, so the same seed and the same "today" give the same names, services
and histories (record ids are fresh UUIDs each time).

The history is built the way the application would have built it: every referral moves only
along `domain.lifecycle`, its follow-ups are planned with `domain.followup_rules` on the day of
each transition and closed by the rule `ReferralService.record_status` applies
(`followup_rules.closed_by_transition`), and the cached
statuses of needs and referrals equal the last row of their history. Timelines are laid
backwards from where they should stand today, so that there are always follow-ups overdue, due
today, due this week and later, and plenty done.

All rows go through `store.bulk.BulkLoader` in one transaction: fast, and logged for sync like
any other write. The generator only adds: it never deletes or changes what is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.demo import content
from referral_desk.demo.base import Context, Dice, WorkingDays
from referral_desk.demo.caseload import CaseloadMaker
from referral_desk.demo.directory import DirectoryMaker
from referral_desk.demo.followups import FollowUpMaker
from referral_desk.demo.referrals import ReferralMaker
from referral_desk.domain.errors import ValidationError
from referral_desk.domain.lifecycle import REASON_LISTS
from referral_desk.store.bulk import BulkLoader
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
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.reference import (
    ensure_items,
    follow_up_rules,
    reference_items,
    working_calendar,
)

__all__ = ["DemoSummary", "generate_demo"]


class Generator(DirectoryMaker, CaseloadMaker, ReferralMaker, FollowUpMaker):
    """Makes the rows of a demo: each job in its own module, one random stream for all."""


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
        gen = Generator(Dice(seed), today, officer.id, load_context(session, today))
        directory = gen.directory(services)
        caseload = gen.caseload(people, wanted_referrals, directory)
        summary = DemoSummary(
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
                    rows.clear()  # loaded: the memory goes back before the next table
    return summary


def load_context(session: Session, today: date) -> Context:
    """What the generator needs to know about the database (read once, in the transaction)."""

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
    return Context(
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
        days=WorkingDays(calendar, today - timedelta(days=4 * 365), today + timedelta(366)),
    )
