"""Demo data: realistic, complete (every state, category and follow-up situation), consistent
with the domain rules, deterministic for a seed, logged for sync, and additive."""

from __future__ import annotations

import itertools
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from unlocking import open_test_services as open_services

from referral_desk.demo import DemoSummary, generate_demo
from referral_desk.domain.errors import ValidationError
from referral_desk.domain.followup_rules import DEFAULT_RULES, on_sent
from referral_desk.domain.identifiers import normalise_crn, normalise_nomis, normalise_reference
from referral_desk.domain.lifecycle import REASON_LISTS, allowed_next
from referral_desk.domain.search_query import SearchQuery
from referral_desk.domain.states import NeedStatus, Outcome, ReferralState
from referral_desk.store import changelog
from referral_desk.store.database import DB_FILENAME
from referral_desk.store.models import (
    ChangeEntry,
    FollowUp,
    Location,
    Need,
    NeedStatusChange,
    Organisation,
    Person,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceArea,
    ServiceCategory,
)
from referral_desk.usecases.app_services import AppServices
from referral_desk.usecases.base import Clock

TODAY = date(2026, 3, 2)  # a Monday, clear of bank holidays (as tests/conftest.py)
PEOPLE, SERVICES = 40, 60


def _open_copy(template_db: Path, folder: Path) -> AppServices:
    folder.mkdir(mode=0o700, parents=True)
    shutil.copy2(template_db, folder / DB_FILENAME)
    return open_services(folder, Clock(fixed_today=TODAY))


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> Iterator[tuple[AppServices, DemoSummary]]:
    """One small demo shared by the read-only tests of this module."""
    app = _open_copy(template_db, tmp_path_factory.mktemp("demo") / "data")
    summary = generate_demo(app, people=PEOPLE, services=SERVICES, seed=3)
    yield app, summary
    app.close()


def _rows(app: AppServices, model: type) -> list[Any]:
    with app.db.read() as session:
        return list(session.scalars(select(model)))


def _reference_codes(app: AppServices, list_name: str) -> set[str]:
    return {item.code for item in app.reference.list(list_name)}


def test_counts_match_the_summary_and_the_sizes_asked_for(demo) -> None:
    app, summary = demo
    assert summary.people == PEOPLE and summary.services == SERVICES
    assert summary.organisations == max(2, SERVICES * 80 // 150)
    assert summary.referrals == 2 * PEOPLE
    with app.db.read() as session:
        for model, expected in (
            (Person, summary.people),
            (Organisation, summary.organisations),
            (Location, summary.locations),
            (Service, summary.services),
            (ServiceCategory, summary.service_categories),
            (ServiceArea, summary.service_areas),
            (Need, summary.needs),
            (NeedStatusChange, summary.need_status_changes),
            (Referral, summary.referrals),
            (ReferralStatusChange, summary.referral_status_changes),
            (FollowUp, summary.follow_ups),
        ):
            assert session.scalar(select(func.count()).select_from(model)) == expected


def test_every_need_category_is_met_by_several_services(demo) -> None:
    app, _ = demo
    covered = Counter(row.category_code for row in _rows(app, ServiceCategory))
    for code in _reference_codes(app, "need_category"):
        assert covered[code] >= 3, code


def test_every_lifecycle_state_and_outcome_is_present(demo) -> None:
    app, _ = demo
    referrals = _rows(app, Referral)
    assert {r.status for r in referrals} == {s.value for s in ReferralState}
    outcomes = {r.outcome for r in referrals if r.status == "completed"}
    assert outcomes == {o.value for o in Outcome}
    assert all(r.outcome == "" for r in referrals if r.status != "completed")


def test_referral_histories_follow_the_lifecycle(demo) -> None:
    app, _ = demo
    reasons = {state: _reference_codes(app, name) for state, name in REASON_LISTS.items()}
    history: dict[str, list[ReferralStatusChange]] = defaultdict(list)
    for change in _rows(app, ReferralStatusChange):
        history[change.referral_id].append(change)
    for ref in _rows(app, Referral):
        steps = sorted(history[ref.id], key=lambda c: c.at)
        assert len({c.at for c in steps}) == len(steps), "history times must be distinct"
        assert steps[0].from_status is None and steps[0].to_status == "draft"
        assert steps[0].at.date() == ref.made_on
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status
            assert ReferralState(after.to_status) in allowed_next(ReferralState(before.to_status))
        for step in steps:
            state = ReferralState(step.to_status)
            if state in reasons:
                assert step.reason_code in reasons[state], (state, step.reason_code)
            assert step.at.date() <= TODAY
        assert steps[-1].to_status == ref.status  # the cached status is the latest history row
        if ref.status in ("accepted", "started", "completed"):
            assert ref.appointment_at is not None


def test_need_statuses_follow_their_history_and_every_status_occurs(demo) -> None:
    app, _ = demo
    history: dict[str, list[NeedStatusChange]] = defaultdict(list)
    for change in _rows(app, NeedStatusChange):
        history[change.need_id].append(change)
    needs = _rows(app, Need)
    for need in needs:
        steps = sorted(history[need.id], key=lambda c: c.at)
        assert steps[0].from_status is None and steps[0].to_status == "open"
        assert steps[0].at.date() == need.identified_on
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status != after.to_status
        assert steps[-1].to_status == need.status
    statuses = {n.status for n in needs}
    assert {s.value for s in NeedStatus if s.is_unmet} <= statuses
    assert {"open", "referred", "met", "closed_no_longer_needed"} <= statuses
    referred = {r.need_id for r in _rows(app, Referral)}
    for need in needs:
        assert (need.id in referred) == (need.status in ("referred", "met"))


def test_follow_ups_are_overdue_due_today_this_week_later_and_done(demo) -> None:
    app, _ = demo
    follow_ups = _rows(app, FollowUp)
    pending = [f for f in follow_ups if f.done_on is None]
    assert any(f.due_on < TODAY for f in pending), "overdue"
    assert any(f.due_on == TODAY for f in pending), "due today"
    assert any(TODAY < f.due_on <= TODAY + timedelta(days=7) for f in pending), "this week"
    assert any(f.due_on > TODAY + timedelta(days=7) for f in pending), "later"
    done = [f for f in follow_ups if f.done_on is not None]
    assert len(done) > len(follow_ups) // 3
    assert all(f.result_note and f.done_on <= TODAY for f in done)
    kinds = {f.kind for f in follow_ups}
    assert {"check_acceptance", "check_attendance", "review_progress", "pre_release_check"} <= kinds
    # The home screen's query sees the overdue and today's ones.
    due_now = app.follow_ups.list(due_by=TODAY)
    assert due_now and all(f.due_on <= TODAY for f in due_now)


def test_follow_ups_are_planned_by_the_rules_and_closed_with_the_referral(demo) -> None:
    app, _ = demo
    calendar = app.reference.calendar()
    services = {s.id: s for s in _rows(app, Service)}
    referrals = {r.id: r for r in _rows(app, Referral)}
    sent_on: dict[str, date] = {}
    for change in _rows(app, ReferralStatusChange):
        if change.to_status == "sent":
            sent_on[change.referral_id] = change.at.date()
    acceptance = {f.referral_id: f for f in _rows(app, FollowUp) if f.kind == "check_acceptance"}
    assert set(acceptance) == set(sent_on)
    for ref_id, on in sent_on.items():
        rd = services[referrals[ref_id].service_id].response_days
        (planned,) = on_sent(on, rd, calendar, DEFAULT_RULES)
        assert acceptance[ref_id].due_on == planned.due_on
    for fu in _rows(app, FollowUp):
        if fu.referral_id and fu.done_on is None:
            assert referrals[fu.referral_id].status in ("sent", "accepted", "started")


def test_identifiers_are_valid_and_unique(demo) -> None:
    app, _ = demo
    people = _rows(app, Person)
    crns = [p.crn for p in people]
    assert all(normalise_crn(c) == c for c in crns) and len(set(crns)) == len(crns)
    nomis = [p.nomis for p in people if p.nomis]
    assert all(normalise_nomis(n) == n for n in nomis) and len(set(nomis)) == len(nomis)
    assert all(p.nomis for p in people if p.setting == "custody")
    refs = [r.reference for r in _rows(app, Referral)]
    assert all(normalise_reference(r) == r for r in refs) and len(set(refs)) == len(refs)


def test_people_are_diverse_and_plausible(demo) -> None:
    app, _ = demo
    people = _rows(app, Person)
    names = {f"{p.given_name} {p.family_name}" for p in people}
    for name in (
        "Siân Pritchard",
        "Llŷr Evans",
        "Gwenllïan Jones",
        "Dafydd ap Rhys",
        "Zoë Clarke",
        "José Fernandes",
        "Łukasz Wiśniewski",
    ):
        assert name in names
    ethnicities = _reference_codes(app, "ethnicity") | {""}
    for p in people:
        age = (TODAY - p.date_of_birth).days / 365.25
        assert 18 <= age < 71
        assert p.ethnicity in ethnicities
        assert p.consent_given_on is not None and p.consent_given_on <= TODAY
        assert p.cohort_young_adult == (age < 26)
    custody = [p for p in people if p.setting == "custody"]
    assert custody and all(p.prison and p.expected_release_date for p in custody)
    assert any(p.expected_release_date <= TODAY + timedelta(weeks=12) for p in custody)
    assert any(p.setting == "community" and p.office for p in people)


def test_directory_is_realistic_fiction(demo) -> None:
    app, _ = demo
    orgs = _rows(app, Organisation)
    services = _rows(app, Service)
    drama = re.compile(r"(0113 496 0|0161 496 0|029 2018 0|07700 900)\d{3}")
    assert all(drama.fullmatch(s.phone) for s in services)
    assert all(drama.fullmatch(o.phone) for o in orgs)
    assert all(re.fullmatch(r"https://www\.[a-z0-9-]+\.example\.org\.uk", o.website) for o in orgs)
    assert "Lighthouse Trust" in {o.name for o in orgs}
    assert {s.status for s in services} == {"active", "temporarily closed", "inactive", "defunct"}
    refuges = [s for s in services if s.confidential_address]
    assert refuges and all(s.location_id is None and s.gender == "female" for s in refuges)
    prisons = _reference_codes(app, "prison")
    labels = {i.label for i in app.reference.list("prison")} or prisons
    assert {p for s in services for p in s.prisons} <= labels
    assert {a.name for a in _rows(app, ServiceArea)} <= {
        i.label for i in app.reference.list("area")
    }
    assert any(s.min_age == 18 and s.max_age == 25 for s in services)
    assert any(not s.free and s.unit_cost for s in services)
    assert any(s.isp_agreed and s.precheck_date and s.precheck_by for s in services)
    assured = [s.assured_date for s in services]
    assert min(assured) < TODAY - timedelta(days=365) < max(assured)


def test_search_finds_the_lighthouse(demo) -> None:
    app, _ = demo
    results = app.directory.search(SearchQuery(text="Lighthouse"))
    assert "Lighthouse Housing Advice" in [r.name for r in results]


def test_everything_is_in_the_change_log(demo) -> None:
    app, summary = demo
    with app.db.read() as session:
        for model, count in (
            (Person, summary.people),
            (Referral, summary.referrals),
            (FollowUp, summary.follow_ups),
        ):
            logged = session.scalar(
                select(func.count())
                .select_from(ChangeEntry)
                .where(ChangeEntry.table_name == model.__tablename__)
            )
            assert logged == count * len(changelog.logged_columns(model))


def _content(app: AppServices) -> tuple[list[tuple], list[tuple], list[tuple]]:
    people = sorted(
        (p.crn, p.given_name, p.family_name, p.date_of_birth) for p in _rows(app, Person)
    )
    services = sorted((s.name, s.phone, s.description, s.status) for s in _rows(app, Service))
    referrals = sorted((r.reference, r.status, r.made_on) for r in _rows(app, Referral))
    return people, services, referrals


def test_the_same_seed_gives_the_same_content(tmp_path: Path, template_db: Path) -> None:
    first = _open_copy(template_db, tmp_path / "a")
    second = _open_copy(template_db, tmp_path / "b")
    third = _open_copy(template_db, tmp_path / "c")
    try:
        for app, seed in ((first, 11), (second, 11), (third, 12)):
            generate_demo(app, people=12, services=20, seed=seed)
        assert _content(first) == _content(second)
        assert _content(first)[0] != _content(third)[0]
    finally:
        for app in (first, second, third):
            app.close()


def test_running_twice_adds_more_without_clashes(app: AppServices) -> None:
    generate_demo(app, people=10, services=20, referrals=15)
    generate_demo(app, people=10, services=20, referrals=15)
    people = _rows(app, Person)
    referrals = _rows(app, Referral)
    assert len(people) == 20 and len(referrals) == 30
    assert len({p.crn for p in people}) == 20
    assert len({r.reference for r in referrals}) == 30
    assert len(app.people.list()) == 20
    org_names = [o.name for o in _rows(app, Organisation)]
    assert len(set(org_names)) == len(org_names) == 2 * max(2, 20 * 80 // 150)


def test_an_existing_profile_is_kept(app: AppServices) -> None:
    app.profile.set(name="Priya Sharma")
    generate_demo(app, people=3, services=5)
    officer = app.profile.get()
    assert officer is not None and officer.name == "Priya Sharma"
    assert {p.owner_officer_id for p in _rows(app, Person)} == {officer.id}


def test_a_demo_officer_is_set_up_when_there_is_none(tmp_path: Path) -> None:
    app = open_services(tmp_path / "fresh", Clock(fixed_today=TODAY))
    try:
        assert app.profile.get() is None
        generate_demo(app, people=2, services=3)
        officer = app.profile.get()
        assert officer is not None
        assert (officer.name, officer.team) == ("Alex Morgan", "Leeds North")
    finally:
        app.close()


@pytest.mark.parametrize("sizes", [{"people": -1}, {"services": -5}, {"referrals": 1.5}])
def test_bad_sizes_are_refused(app: AppServices, sizes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        generate_demo(app, **sizes)
    assert _rows(app, Person) == []


def test_a_large_caseload_is_shared_with_colleagues(app: AppServices) -> None:
    me = app.profile.get()
    assert me is not None
    summary = generate_demo(app, people=130, services=20, referrals=150)
    assert summary.officers == 2
    owners = Counter(p.owner_officer_id for p in _rows(app, Person))
    assert owners[me.id] == 60 and sorted(owners.values()) == [10, 60, 60]
    colleagues = {o.id for o in app.profile.officers()} - {me.id}
    assert set(owners) - {me.id} == colleagues
    owner_of = {p.id: p.owner_officer_id for p in _rows(app, Person)}
    for fu in _rows(app, FollowUp):
        assert fu.officer_id == owner_of[fu.person_id]
    for ref in _rows(app, Referral):
        assert ref.made_by_officer_id == owner_of[ref.person_id]
    mine = app.follow_ups.list(officer_id=me.id)
    assert mine and all(owner_of[f.person_id] == me.id for f in mine)
