"""A team's commissioning return: the de-identified facts the hub may hold, read from the store.

What goes in (and why nothing else): per need — its category, where the person was (setting and
a listed area or prison), cohort flags, and the equality fields as the fixed buckets the team's
own unmet-needs report uses (gender, ONS ethnic group, age band at the time, disability,
nationality); its status history as (state, time). Per referral — the service and provider
(directory data), the day it was made, its outcome code and its status history with reason
codes. Per follow-up — its kind and the days it was due and done. The team's live directory
(provider, service, verification date, pre-checked, categories) for the freshness report. Every
record is keyed by a keyed pseudonym (`pseudonyms`).

Data minimisation: the hub's question about needs is which could not be met, so only needs
that have been unmet at some point are sent, with their unmet status changes; a need met at
once tells a commissioner nothing and stays with the team. Referral histories are sent whole
(states and their dates) and summarised at the hub on loading (`summary`).

What never goes in: names, dates of birth (only the age band), CRN/NOMIS/PNC, descriptions,
notes, risk notes, free-text answers (a typed place or equality answer not in the team's lists
becomes "Other place"/"Other answer"), officers, addresses or record ids.

The payload is plain JSON-ready data; `validate` checks a received one field by field, so the
hub refuses anything that does not have exactly this shape (a hostile or buggy client must not
be able to slip a name into a text column).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from referral_desk.domain.people import age_band
from referral_desk.domain.states import NeedStatus, ReferralState
from referral_desk.hub.errors import ReturnRefused
from referral_desk.hub.pseudonyms import Pseudonymiser
from referral_desk.reports import unmet_needs as um
from referral_desk.reports.labels import NOT_RECORDED, list_labels
from referral_desk.store.models import (
    FollowUp,
    Need,
    NeedStatusChange,
    Organisation,
    Person,
    ReferenceItem,
    Referral,
    ReferralStatusChange,
    Service,
    ServiceCategory,
)

__all__ = ["RETURN_SCHEMA", "collect", "validate"]

RETURN_SCHEMA = 1
"""Meaning of a return's payload. Bump when it changes; the hub refuses schemas it lacks."""

OTHER_PLACE = "Other place"
UNMET_STATES = tuple(status for status, _, _ in um.REASONS)
MAX_ROWS = 5_000_000

NEED_FIELDS = (
    "need",
    "person",
    "category",
    "category_label",
    "identified_on",
    "setting",
    "place",
    "gender",
    "ethnic_group",
    "age_band",
    "disability",
    "nationality",
    "iom",
    "ppo",
    "womens",
    "young_adult",
)
NEED_STATUS_FIELDS = ("need", "status", "at")
REFERRAL_FIELDS = ("referral", "need", "person", "provider", "service", "made_on", "outcome")
REFERRAL_STATUS_FIELDS = ("referral", "status", "at", "reason")
FOLLOW_UP_FIELDS = ("follow_up", "kind", "due_on", "done_on")
SERVICE_FIELDS = ("provider", "service", "assured_on", "prechecked", "categories")


def collect(session: Session, pseudonyms: Pseudonymiser) -> dict[str, list[list[Any]]]:
    """Every live need and referral of the team, de-identified (one read transaction)."""
    ethnicities = list_labels(session, "ethnicity")
    categories = list_labels(session, "need_category")
    places = _listed_places(session)
    pid = pseudonyms.of

    needs: list[list[Any]] = []
    rows = session.execute(
        select(
            Need.id,
            Need.person_id,
            Need.category_code,
            Need.identified_on,
            Need.setting_at_time,
            Need.place_at_time,
            Person.gender,
            Person.ethnicity,
            Person.date_of_birth,
            Person.disability,
            Person.foreign_national,
            Person.cohort_iom,
            Person.cohort_ppo,
            Person.cohort_womens,
            Person.cohort_young_adult,
        )
        .join(Person, Person.id == Need.person_id)
        .where(Need.deleted_at.is_(None), Person.deleted_at.is_(None), _ever_unmet())
        .order_by(Need.id)
    )
    for (
        need_id,
        person_id,
        cat,
        identified,
        setting,
        place,
        gender,
        eth,
        dob,
        disability,
        foreign,
        iom,
        ppo,
        womens,
        young,
    ) in rows:
        needs.append(
            [
                pid("need", need_id),
                pid("person", person_id),
                cat,
                categories.get(cat) or cat,
                identified.isoformat(),
                um._setting(setting),
                _place(place, places),
                um._bucket(gender, um._GENDER),
                um._ethnic_group(eth, ethnicities),
                age_band(dob, identified) if dob else NOT_RECORDED,
                um._bucket(disability, um._DISABILITY),
                um._foreign(foreign),
                bool(iom),
                bool(ppo),
                bool(womens),
                bool(young),
            ]
        )

    need_status = [
        [pid("need", need_id), status, _at(at)]
        for need_id, status, at in session.execute(
            select(NeedStatusChange.need_id, NeedStatusChange.to_status, NeedStatusChange.at)
            .join(Need, Need.id == NeedStatusChange.need_id)
            .join(Person, Person.id == Need.person_id)
            .where(
                NeedStatusChange.deleted_at.is_(None),
                Need.deleted_at.is_(None),
                Person.deleted_at.is_(None),
                NeedStatusChange.to_status.in_(UNMET_STATES),
            )
            .order_by(NeedStatusChange.need_id, NeedStatusChange.at, NeedStatusChange.id)
        )
    ]

    referrals = [
        [
            pid("referral", ref_id),
            pid("need", need_id),
            pid("person", person_id),
            provider or "",
            service or "",
            made_on.isoformat(),
            outcome or "",
        ]
        for ref_id, need_id, person_id, provider, service, made_on, outcome in session.execute(
            select(
                Referral.id,
                Referral.need_id,
                Referral.person_id,
                Organisation.name,
                Service.name,
                Referral.made_on,
                Referral.outcome,
            )
            .join(Service, Service.id == Referral.service_id)
            .join(Organisation, Organisation.id == Service.organisation_id)
            .where(Referral.deleted_at.is_(None))
            .order_by(Referral.id)
        )
    ]
    referral_status = [
        [pid("referral", ref_id), status, _at(at), reason or ""]
        for ref_id, status, at, reason in session.execute(
            select(
                ReferralStatusChange.referral_id,
                ReferralStatusChange.to_status,
                ReferralStatusChange.at,
                ReferralStatusChange.reason_code,
            )
            .join(Referral, Referral.id == ReferralStatusChange.referral_id)
            .where(ReferralStatusChange.deleted_at.is_(None), Referral.deleted_at.is_(None))
            .order_by(ReferralStatusChange.referral_id, ReferralStatusChange.at)
        )
    ]
    # Histories only of records sent (a referral to a service no longer in the directory, say).
    sent_needs = {row[0] for row in needs}
    need_status = [row for row in need_status if row[0] in sent_needs]
    sent_referrals = {row[0] for row in referrals}
    referral_status = [row for row in referral_status if row[0] in sent_referrals]
    follow_ups = [
        [pid("follow_up", fid), kind, due.isoformat(), done.isoformat() if done else None]
        for fid, kind, due, done in session.execute(
            select(FollowUp.id, FollowUp.kind, FollowUp.due_on, FollowUp.done_on)
            .where(FollowUp.deleted_at.is_(None))
            .order_by(FollowUp.id)
        )
    ]
    return {
        "needs": needs,
        "need_status": need_status,
        "referrals": referrals,
        "referral_status": referral_status,
        "follow_ups": follow_ups,
        "services": _services(session, categories),
    }


def _services(session: Session, categories: dict[str, str]) -> list[list[Any]]:
    """The team's live directory for the freshness report (directory data, not personal)."""
    cats: dict[str, list[str]] = {}
    for sid, code in session.execute(
        select(ServiceCategory.service_id, ServiceCategory.category_code).where(
            ServiceCategory.deleted_at.is_(None)
        )
    ):
        cats.setdefault(sid, []).append(categories.get(code) or code)
    rows = session.execute(
        select(
            Service.id,
            Organisation.name,
            Service.name,
            Service.assured_date,
            Service.isp_agreed,
            Service.reports_attendance,
        )
        .join(Organisation, Organisation.id == Service.organisation_id)
        .where(Service.deleted_at.is_(None), Service.status != "defunct")
        .order_by(Service.id)
    )
    return [
        [
            provider or "",
            name or "",
            assured.isoformat() if assured else None,
            bool(isp and attendance),
            sorted(set(cats.get(sid, ()))),
        ]
        for sid, provider, name, assured, isp, attendance in rows
    ]


def _ever_unmet() -> Any:
    """Needs that have been unmet at some point: the only needs the hub's question is about."""
    return exists().where(
        NeedStatusChange.need_id == Need.id,
        NeedStatusChange.deleted_at.is_(None),
        NeedStatusChange.to_status.in_(UNMET_STATES),
    )


def _listed_places(session: Session) -> dict[str, str]:
    lookup: dict[str, str] = {}
    rows = session.execute(
        select(ReferenceItem.code, ReferenceItem.label).where(
            ReferenceItem.list_name.in_(("prison", "area")), ReferenceItem.deleted_at.is_(None)
        )
    )
    for code, label in rows:
        lookup.setdefault(code.casefold(), label)
        lookup.setdefault(label.casefold(), label)
    return lookup


def _place(value: str | None, places: dict[str, str]) -> str:
    """A listed area or prison; anything typed that is not in the lists is not sent."""
    text = " ".join((value or "").split())
    if not text:
        return NOT_RECORDED
    return places.get(text.casefold(), OTHER_PLACE)


def _at(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


# --- checking a received payload -------------------------------------------------------------

_PID = re.compile(r"[0-9a-f]{32}")
_CODE = re.compile(r"[A-Za-z0-9_.\-]{0,80}")  # codes of reference lists: no spaces, no text
_NEED_STATES = frozenset(s.value for s in NeedStatus)
_REFERRAL_STATES = frozenset(s.value for s in ReferralState)
_OUTCOMES = frozenset({"", "achieved", "partly_achieved", "not_achieved"})


def _label(value: object, limit: int = 200) -> str:
    """A list label (category, place, provider, service): printable, short, one line."""
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise ValueError("label")
    return value


def _pid(value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _PID.fullmatch(value):
        raise ValueError("pseudonym")
    return value


def _code(value: object, allowed: frozenset[str] | None = None) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValueError("code")
    if allowed is not None and value not in allowed:
        raise ValueError("state")
    return value


def _day(value: object) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("date")
    return date.fromisoformat(value)


def _time(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 26:
        raise ValueError("time")
    return datetime.fromisoformat(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("flag")
    return value


def _rows(payload: dict[str, Any], key: str, width: int) -> list[list[Any]]:
    rows = payload.get(key)
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValueError(key)
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise ValueError(key)
    return rows


def validate(payload: object) -> dict[str, list[tuple[Any, ...]]]:
    """A received payload as typed rows, or ReturnRefused (nothing half-accepted)."""
    try:
        if not isinstance(payload, dict):
            raise ValueError("payload")
        needs = [
            (
                _pid(r[0]),
                _pid(r[1]),
                _code(r[2]),
                _label(r[3]),
                _day(r[4]),
                _label(r[5]),
                _label(r[6]),
                _label(r[7]),
                _label(r[8]),
                _label(r[9]),
                _label(r[10]),
                _label(r[11]),
                _flag(r[12]),
                _flag(r[13]),
                _flag(r[14]),
                _flag(r[15]),
            )
            for r in _rows(payload, "needs", len(NEED_FIELDS))
        ]
        need_status = [
            (_pid(r[0]), _code(r[1], _NEED_STATES), _time(r[2]))
            for r in _rows(payload, "need_status", len(NEED_STATUS_FIELDS))
        ]
        referrals = [
            (
                _pid(r[0]),
                _pid(r[1], optional=True),
                _pid(r[2]),
                _label(r[3], 300),
                _label(r[4], 300),
                _day(r[5]),
                _code(r[6], _OUTCOMES),
            )
            for r in _rows(payload, "referrals", len(REFERRAL_FIELDS))
        ]
        referral_status = [
            (_pid(r[0]), _code(r[1], _REFERRAL_STATES), _time(r[2]), _code(r[3]))
            for r in _rows(payload, "referral_status", len(REFERRAL_STATUS_FIELDS))
        ]
        follow_ups = [
            (_pid(r[0]), _code(r[1]), _day(r[2]), None if r[3] is None else _day(r[3]))
            for r in _rows(payload, "follow_ups", len(FOLLOW_UP_FIELDS))
        ]
        services = [
            (
                _label(r[0], 300),
                _label(r[1], 300),
                None if r[2] is None else _day(r[2]),
                _flag(r[3]),
                _labels_list(r[4]),
            )
            for r in _rows(payload, "services", len(SERVICE_FIELDS))
        ]
    except (ValueError, TypeError, IndexError) as err:
        raise ReturnRefused("The return's contents are not in the expected form: refused.") from err
    _unique(needs, "needs")
    _unique(referrals, "referrals")
    _unique(follow_ups, "follow-ups")
    known_needs = {r[0] for r in needs}
    known_referrals = {r[0] for r in referrals}
    if any(r[0] not in known_needs for r in need_status) or any(
        r[0] not in known_referrals for r in referral_status
    ):
        raise ReturnRefused("The return's history names records it does not contain: refused.")
    return {
        "needs": needs,
        "need_status": need_status,
        "referrals": referrals,
        "referral_status": referral_status,
        "follow_ups": follow_ups,
        "services": services,
    }


def _labels_list(value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > 50:
        raise ValueError("labels")
    return [_label(v) for v in value]


def _unique(rows: list[tuple[Any, ...]], what: str) -> None:
    if len({r[0] for r in rows}) != len(rows):
        raise ReturnRefused(f"The return lists some {what} twice: refused.")
