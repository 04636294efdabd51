"""Unmet needs for commissioners: by category, reason, place, setting, cohort and equality group.

Why this report exists: gaps were never recorded, so nobody could commission for them (DESIGN.md
§1). It answers "which needs could we not meet, where, for whom, and is it getting better?".

When a need counts as unmet in a period (and in each month of the trend):
- it entered an unmet status (no service, full, not eligible, out of area) within the period, by
  its status history; or
- it was logged (identified) within the period and has been unmet at some point, even if the
  unmet status was recorded later or the need was met since. A need logged in the period but
  never unmet is not an unmet need.
Each need counts once per period, under the last unmet reason it entered in the period (or, when
it only counts because it was logged then, its first unmet reason). A need unmet in two months
counts in both months, so months can add up to more than the period.

Who: the person's current equality fields, setting and cohort flags (they have no history);
age band and place are taken at the time the need was logged. Free-text equality answers are
grouped into fixed buckets, and places and categories that are not in their reference lists
(typed in an older version, or synced) count as "Other", so a table never repeats what someone
typed.

Performance: one SQL statement finds the qualifying needs with window functions over the status
history and groups them by every dimension at once; Python only adds the grouped counts into
the tables (at most one row per distinct combination).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from referral_desk.domain.people import AGE_BANDS, age_band
from referral_desk.domain.states import NeedStatus
from referral_desk.reports.labels import NOT_RECORDED, OTHER, ListLabels, list_labels
from referral_desk.reports.model import (
    Cell,
    ChartSpec,
    Column,
    OtherDescription,
    Period,
    Report,
    ReportTable,
)
from referral_desk.store.models import Need, NeedStatusChange, Person

__all__ = ["NAME", "REASONS", "build"]

NAME = "unmet-needs"
TITLE = "Unmet needs"
OTHER_CATEGORY = "other"

REASONS: tuple[tuple[str, str, str], ...] = (
    (NeedStatus.UNMET_NO_SERVICE.value, "no_service", "No service found"),
    (NeedStatus.UNMET_SERVICE_FULL.value, "full", "Service full"),
    (NeedStatus.UNMET_NOT_ELIGIBLE.value, "not_eligible", "Not eligible"),
    (NeedStatus.UNMET_OUT_OF_AREA.value, "out_of_area", "Out of area"),
)
"""(status, column key, column title) in the order every table shows them."""
_REASON_KEY = {status: key for status, key, _ in REASONS}
_UNMET = tuple(status for status, _, _ in REASONS)

COHORTS = (
    ("cohort_iom", "Integrated Offender Management (IOM)"),
    ("cohort_ppo", "Prolific and Priority Offender (PPO)"),
    ("cohort_womens", "Women's service"),
    ("cohort_young_adult", "Young adults (18-25)"),
)
NO_COHORT = "None of these cohorts"

_GENDER = {
    "male": "Male",
    "m": "Male",
    "man": "Male",
    "female": "Female",
    "f": "Female",
    "woman": "Female",
    "non-binary": "Non-binary",
    "nonbinary": "Non-binary",
    "non binary": "Non-binary",
    "prefer not to say": "Prefer not to say",
    "prefer_not_to_say": "Prefer not to say",
}
_DISABILITY = {
    "yes": "Disabled",
    "y": "Disabled",
    "true": "Disabled",
    "disabled": "Disabled",
    "no": "Not disabled",
    "n": "Not disabled",
    "false": "Not disabled",
    "not disabled": "Not disabled",
    "none": "Not disabled",
    "prefer not to say": "Prefer not to say",
    "prefer_not_to_say": "Prefer not to say",
}
OTHER_ANSWER = "Other answer"
_TALLIES = ("category", "place", "cohort", "gender", "ethnicity", "age", "disability", "foreign")


# --- which needs count -----------------------------------------------------------------------


def unmet_hits(period: Period, *, by_month: bool) -> Select:
    """(need_id, bucket, reason): each need unmet in the period, or in each month of it.

    `bucket` is "YYYY-MM" with `by_month`, else the constant "period".
    """
    nsc = NeedStatusChange
    changes = (
        select(nsc.need_id, nsc.to_status, nsc.at, nsc.id)
        .join(Need, Need.id == nsc.need_id)
        .where(nsc.to_status.in_(_UNMET), nsc.deleted_at.is_(None), Need.deleted_at.is_(None))
        .cte("unmet_change")
    )
    change_bucket: ColumnElement = (
        func.strftime("%Y-%m", changes.c.at) if by_month else literal("period")
    )
    ranked = (
        select(
            changes.c.need_id,
            change_bucket.label("bucket"),
            changes.c.to_status.label("reason"),
            func.row_number()
            .over(
                partition_by=(changes.c.need_id, change_bucket),
                order_by=(changes.c.at.desc(), changes.c.id.desc()),
            )
            .label("rn"),
        )
        .where(changes.c.at >= period.start, changes.c.at < period.end)
        .subquery("ranked")
    )
    in_bucket = (
        select(ranked.c.need_id, ranked.c.bucket, ranked.c.reason)
        .where(ranked.c.rn == 1)
        .cte("in_bucket")
    )
    first_ranked = select(
        changes.c.need_id,
        changes.c.to_status,
        func.row_number()
        .over(partition_by=changes.c.need_id, order_by=(changes.c.at, changes.c.id))
        .label("rn"),
    ).subquery("first_ranked")
    need_bucket: ColumnElement = (
        func.strftime("%Y-%m", Need.identified_on) if by_month else literal("period")
    )
    logged = (
        select(
            Need.id.label("need_id"),
            need_bucket.label("bucket"),
            first_ranked.c.to_status.label("reason"),
        )
        .join(first_ranked, and_(first_ranked.c.need_id == Need.id, first_ranked.c.rn == 1))
        .where(
            Need.deleted_at.is_(None),
            Need.identified_on >= period.date_from,
            Need.identified_on <= period.date_to,
            ~exists().where(in_bucket.c.need_id == Need.id, in_bucket.c.bucket == need_bucket),
        )
    )
    return union_all(select(in_bucket.c.need_id, in_bucket.c.bucket, in_bucket.c.reason), logged)


def _age_on(dob: ColumnElement, on: ColumnElement) -> ColumnElement:
    """Completed years, as domain.people.age_on computes them, in SQL (NULL without a DOB)."""
    years = cast(func.strftime("%Y", on), Integer) - cast(func.strftime("%Y", dob), Integer)
    return years - case((func.strftime("%m-%d", on) < func.strftime("%m-%d", dob), 1), else_=0)


@cache
def _band(age: int) -> str:
    """The domain's age band for an age in years (one rule, shared with the person screen)."""
    born = date(2000, 1, 1)
    return age_band(born, date(2000 + age, 1, 1)) if age >= 0 else AGE_BANDS[0]


# --- labels ----------------------------------------------------------------------------------


def _bucket(value: str | None, known: dict[str, str]) -> str:
    text = " ".join((value or "").split()).casefold()
    if not text:
        return NOT_RECORDED
    return known.get(text, OTHER_ANSWER)


def _ethnic_group(code: str | None, labels: dict[str, str]) -> str:
    """The ONS 2021 high-level group ("Asian, Asian British or Asian Welsh"), from the list."""
    if not code:
        return NOT_RECORDED
    label = labels.get(code.strip())
    if label is None:
        return "Not in the ethnicity list"
    return label.split(":", 1)[0].strip()


def _setting(value: str | None) -> str:
    text = (value or "").strip().lower()
    return {"custody": "Custody", "community": "Community"}.get(text, NOT_RECORDED)


def _foreign(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return "Foreign national" if value else "Not a foreign national"


# --- tables ----------------------------------------------------------------------------------


def _reason_columns(labels: tuple[Column, ...]) -> tuple[Column, ...]:
    return (
        *labels,
        *(Column(key, title) for _, key, title in REASONS),
        Column("total", "Total"),
    )


def _reason_table(
    key: str,
    title: str,
    first: str | tuple[Column, ...],
    counts: Counter[tuple[Any, str]],
    order: Iterable[Any],
    *,
    additive: bool = True,
    notes: tuple[str, ...] = (),
) -> ReportTable:
    """Rows × unmet reasons with a Total column, and a Total row when rows do not overlap.

    With several label columns (`first` as columns), row labels in `order` are tuples.
    """
    labels = (Column("label", first, "label"),) if isinstance(first, str) else first
    rows: list[tuple[Cell, ...]] = []
    for label in order:
        values = [counts.get((label, status), 0) for status in _UNMET]
        names = label if isinstance(label, tuple) else (label,)
        rows.append((*names, *values, sum(values)))
    totals: tuple[Cell, ...] | None = None
    if additive:
        width = len(labels)
        sums = [sum(int(row[i]) for row in rows) for i in range(width, width + len(REASONS) + 1)]  # type: ignore[arg-type]
        totals = ("Total", *([""] * (width - 1)), *sums)
    return ReportTable(
        key=key,
        title=title,
        columns=_reason_columns(labels),
        rows=tuple(rows),
        totals=totals,
        notes=notes,
        row_total="total",
        parts=tuple(k for _, k, _ in REASONS),
    )


def _place_order(counts: Counter[tuple[Any, str]]) -> list[tuple[str, str]]:
    """Custody first, then community; places alphabetically, then "Other", "Not recorded"."""
    settings = {"Custody": 0, "Community": 1}
    last = {OTHER: 1, NOT_RECORDED: 2}
    present = {label for label, _ in counts}
    return sorted(
        present,
        key=lambda p: (settings.get(p[1], 2), last.get(p[0], 0), p[0].casefold(), p[0]),
    )


def _ordered(counts: Counter[tuple[str, str]], preferred: Iterable[str] = ()) -> list[str]:
    """Preferred labels first (in their order), then the rest alphabetically, odd ones last."""
    present = {label for label, _ in counts}
    first = [p for p in preferred if p in present]
    tail = (NOT_RECORDED, OTHER_ANSWER, "Not in the ethnicity list")
    rest = sorted(present - set(first) - set(tail))
    return first + rest + [t for t in tail if t in present and t not in first]


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    """The unmet-needs report for the whole team's data in [date_from, date_to]."""
    period = Period(date_from, date_to)
    hits = unmet_hits(period, by_month=False).cte("hits")
    age = _age_on(Person.date_of_birth, Need.identified_on)
    dims = (
        Need.category_code,
        hits.c.reason,
        Need.setting_at_time,
        Need.place_at_time,
        Person.gender,
        Person.ethnicity,
        Person.disability,
        Person.foreign_national,
        age,
        Person.cohort_iom,
        Person.cohort_ppo,
        Person.cohort_womens,
        Person.cohort_young_adult,
    )
    grouped = session.execute(
        select(*dims, func.count())
        .select_from(hits)
        .join(Need, Need.id == hits.c.need_id)
        .join(Person, Person.id == Need.person_id)
        .group_by(*dims)
    ).all()

    categories = list_labels(session, "need_category")
    active = list_labels(session, "need_category", active_only=True)
    ethnicities = list_labels(session, "ethnicity")
    place = ListLabels(session, "prison", "area")
    tally: dict[str, Counter[tuple[str, str]]] = {k: Counter() for k in _TALLIES}
    for row in grouped:
        (
            cat,
            reason,
            setting,
            place_at,
            gender,
            eth,
            disability,
            foreign,
            years,
            iom,
            ppo,
            womens,
            young,
            n,
        ) = row
        cat_label = categories.get(cat, OTHER)  # a code not in the list is never printed
        tally["category"][(cat_label, reason)] += n
        tally["place"][((place(place_at), _setting(setting)), reason)] += n
        tally["gender"][(_bucket(gender, _GENDER), reason)] += n
        tally["ethnicity"][(_ethnic_group(eth, ethnicities), reason)] += n
        tally["age"][(NOT_RECORDED if years is None else _band(int(years)), reason)] += n
        tally["disability"][(_bucket(disability, _DISABILITY), reason)] += n
        tally["foreign"][(_foreign(foreign), reason)] += n
        flags = (iom, ppo, womens, young)
        for (_, label), flag in zip(COHORTS, flags, strict=True):
            if flag:
                tally["cohort"][(label, reason)] += n
        if not any(flags):
            tally["cohort"][(NO_COHORT, reason)] += n

    # Active categories always show (a zero is news too); retired ones only when used.
    category_order = list(active.values()) + sorted(
        {label for label, _ in tally["category"]} - set(active.values())
    )
    tables = [
        _reason_table(
            "by_category",
            "Unmet needs by need category",
            "Need category",
            tally["category"],
            category_order,
            notes=(
                "Every category in the need list is shown, including those between the "
                "pathways (resettlement, family, bereavement, mentoring, women, other).",
            ),
        ),
        _reason_table(
            "by_place",
            "Unmet needs by setting and area or prison",
            (Column("label", "Area or prison", "label"), Column("setting", "Setting", "label")),
            tally["place"],
            _place_order(tally["place"]),
            notes=(
                "Where the person was when the need was logged. Settings are not given "
                "totals of their own: with the places beside them, a setting total could "
                "give a hidden count away.",
            ),
        ),
        _reason_table(
            "by_cohort",
            "Unmet needs by cohort",
            "Cohort",
            tally["cohort"],
            [label for _, label in COHORTS] + [NO_COHORT],
            additive=False,
            notes=(
                "A person can be in more than one cohort, so the rows do not add up to a total.",
            ),
        ),
        _reason_table(
            "by_gender",
            "Unmet needs by gender",
            "Gender",
            tally["gender"],
            _ordered(tally["gender"], ("Female", "Male", "Non-binary")),
        ),
        _reason_table(
            "by_ethnicity",
            "Unmet needs by ethnic group (ONS 2021)",
            "Ethnic group",
            tally["ethnicity"],
            _ordered(tally["ethnicity"]),
        ),
        _reason_table(
            "by_age",
            "Unmet needs by age band",
            "Age band",
            tally["age"],
            _ordered(tally["age"], AGE_BANDS),
            notes=("Age when the need was logged.",),
        ),
        _reason_table(
            "by_disability",
            "Unmet needs by disability",
            "Disability",
            tally["disability"],
            _ordered(tally["disability"], ("Disabled", "Not disabled")),
        ),
        _reason_table(
            "by_foreign_national",
            "Unmet needs by nationality",
            "Nationality",
            tally["foreign"],
            _ordered(tally["foreign"], ("Foreign national", "Not a foreign national")),
        ),
        _trend_table(session, period),
    ]
    return Report(
        name=NAME,
        title=TITLE,
        period=period,
        generated_on=today,
        tables=tuple(tables),
        charts=(
            ChartSpec("chart_category", "Unmet needs by need category", "by_category", ("total",)),
            ChartSpec(
                "chart_reason",
                "Unmet needs by reason",
                "by_category",
                tuple(k for _, k, _ in REASONS),
                source="totals",
            ),
            ChartSpec("chart_trend", "Unmet needs by month", "trend", ("total",)),
        ),
        other_descriptions=_other_descriptions(session, hits),
        notes=(
            "A need counts as unmet in the period if it entered an unmet status in the period, "
            "or was logged in the period and has been unmet. Each need counts once, under the "
            "last unmet reason it had in the period.",
            "Covers the whole team's data on this computer after the last sync.",
            "Equality fields, settings and cohorts are the person's current ones.",
        ),
    )


def _trend_table(session: Session, period: Period) -> ReportTable:
    hits = unmet_hits(period, by_month=True).subquery("month_hits")
    counts: Counter[tuple[str, str]] = Counter()
    for month, reason, n in session.execute(
        select(hits.c.bucket, hits.c.reason, func.count()).group_by(hits.c.bucket, hits.c.reason)
    ):
        counts[(month, reason)] += n
    return _reason_table(
        "trend",
        "Unmet needs by month",
        "Month",
        counts,
        period.months(),
        additive=False,
        notes=("A need unmet in two months counts in both, so months are not added up.",),
    )


def _other_descriptions(session: Session, hits: CTE) -> tuple[OtherDescription, ...]:
    rows = session.execute(
        select(Need.id, Need.identified_on, Need.description)
        .select_from(hits)
        .join(Need, Need.id == hits.c.need_id)
        .where(Need.category_code == OTHER_CATEGORY)
        .order_by(Need.identified_on, Need.id)
    )
    return tuple(
        OtherDescription(need_id, identified_on, description or "")
        for need_id, identified_on, description in rows
    )
