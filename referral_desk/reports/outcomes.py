"""Referral outcomes by provider and service: what happened to the referrals made in a period.

Why: commissioners fund providers and need to see which ones accept, start and complete work
with people on probation, which decline and why, how long replies take, what "distance
travelled" results (achieved 1, partly 0.5, not 0), and which providers never answer at all.

Which referrals: those made (made_on) in the period and actually sent; drafts never sent are
left out. Each is followed to today, through its insert-only status history, so the funnel
columns count referrals that *ever reached* a state (a completed referral also counts as
accepted and started). "Acknowledged" is any reply from the provider: acknowledged, waiting
list, accepted or declined, because many providers answer straight away with a decision.
Medians are of whole calendar days from sending to the first reply and to starting.

Performance: one grouped pass over the status history per level (service, provider), medians
with window functions in SQL; Python only formats the aggregated rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Float, and_, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from referral_desk.domain.states import Outcome, ReferralState
from referral_desk.reports.model import Cell, ChartSpec, Column, Period, Report, ReportTable
from referral_desk.store.models import (
    Organisation,
    ReferenceItem,
    Referral,
    ReferralStatusChange,
    Service,
)

__all__ = ["NAME", "build"]

NAME = "outcomes"
TITLE = "Referral outcomes by provider and service"
S = ReferralState
REPLIES = (S.ACKNOWLEDGED, S.ACCEPTED, S.WAITING_LIST, S.DECLINED, S.STARTED, S.COMPLETED,
           S.ENDED_EARLY)  # fmt: skip
"""States that show the provider answered (a later state implies an earlier answer)."""
NOT_RECORDED = "Not recorded"

# (key, title, flag column in the per-referral rows); the funnel and end states.
FUNNEL: tuple[tuple[str, str], ...] = (
    ("made", "Made"),
    ("acknowledged", "Acknowledged"),
    ("accepted", "Accepted"),
    ("waiting_list", "Waiting list"),
    ("declined", "Declined"),
    ("started", "Started"),
    ("completed", "Completed"),
    ("ended_early", "Ended early"),
    ("withdrawn", "Withdrawn"),
)


def _per_referral(period: Period) -> CTE:
    """One row per referral made and sent in the period, with what it has reached so far."""
    c = ReferralStatusChange

    def first_at(states: Sequence[str]) -> ColumnElement:
        return func.min(case((c.to_status.in_([str(s) for s in states]), c.at)))

    def reached(state: ReferralState) -> ColumnElement:
        return func.max(case((c.to_status == state.value, 1), else_=0))

    score = case(
        *((Referral.outcome == o.value, literal(o.score, Float)) for o in Outcome),
        else_=None,
    )
    return (
        select(
            Referral.id,
            Referral.service_id,
            Service.organisation_id,
            Referral.status,
            Referral.made_on,
            first_at([S.SENT]).label("sent_at"),
            first_at(REPLIES).label("reply_at"),
            first_at([S.STARTED]).label("started_at"),
            reached(S.ACCEPTED).label("accepted"),
            reached(S.WAITING_LIST).label("waiting_list"),
            reached(S.DECLINED).label("declined"),
            reached(S.STARTED).label("started"),
            reached(S.COMPLETED).label("completed"),
            reached(S.ENDED_EARLY).label("ended_early"),
            reached(S.WITHDRAWN).label("withdrawn"),
            func.max(case((c.to_status == S.DECLINED.value, c.reason_code))).label(
                "decline_reason"
            ),
            func.max(score).label("score"),
        )
        .join(c, and_(c.referral_id == Referral.id, c.deleted_at.is_(None)))
        .join(Service, Service.id == Referral.service_id)
        .where(
            Referral.deleted_at.is_(None),
            Referral.made_on >= period.date_from,
            Referral.made_on <= period.date_to,
        )
        .group_by(Referral.id)
        .having(first_at([S.SENT]).is_not(None))
        .cte("per_referral")
    )


def _days(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    return func.julianday(func.date(later)) - func.julianday(func.date(earlier))


def _medians(
    session: Session, key: ColumnElement | None, value: ColumnElement, present: ColumnElement
) -> dict[Any, float]:
    """Median of `value` per `key` (or overall, under None) over rows where `present` holds."""
    group = key if key is not None else literal(None)
    partition = {"partition_by": key} if key is not None else {}
    inner = (
        select(
            group.label("g"),
            value.label("v"),
            func.row_number().over(order_by=value, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .where(present)
        .subquery("ordered")
    )
    stmt = (
        select(inner.c.g, func.avg(inner.c.v))
        .where(inner.c.rn.in_([(inner.c.n + 1) // 2, (inner.c.n + 2) // 2]))
        .group_by(inner.c.g)
    )
    return {g: round(float(v), 1) for g, v in session.execute(stmt)}


def _aggregate(session: Session, per: CTE, key: ColumnElement | None) -> dict[Any, dict]:
    """Funnel counts, outcome score and medians per `key` (None: one overall row)."""
    group = key if key is not None else literal(None)
    cols = [
        func.count().label("made"),
        func.count(per.c.reply_at).label("acknowledged"),
        *(func.sum(per.c[k]).label(k) for k, _ in FUNNEL if k not in ("made", "acknowledged")),
        func.count(per.c.score).label("outcomes"),
        func.total(per.c.score).label("score"),
        func.sum(case((per.c.status == S.SENT.value, 1), else_=0)).label("awaiting"),
        func.min(per.c.made_on).label("first_made"),
    ]
    stmt = select(group.label("g"), *cols).select_from(per)
    if key is not None:
        stmt = stmt.group_by(key)
    out: dict[Any, dict] = {}
    for row in session.execute(stmt).mappings():
        data = dict(row)
        out[data.pop("g")] = data
    ack = _medians(session, key, _days(per.c.reply_at, per.c.sent_at), per.c.reply_at.is_not(None))
    start = _medians(
        session, key, _days(per.c.started_at, per.c.sent_at), per.c.started_at.is_not(None)
    )
    for g, data in out.items():
        data["median_ack"] = ack.get(g)
        data["median_start"] = start.get(g)
    return out


def _columns(with_service: bool) -> tuple[Column, ...]:
    labels = [Column("label", "Provider", "label")]
    if with_service:
        labels.append(Column("service", "Service", "label"))
    return (
        *labels,
        *(Column(k, t) for k, t in FUNNEL),
        Column("median_ack", "Median days to acknowledge", "value", depends_on="acknowledged"),
        Column("median_start", "Median days to start", "value", depends_on="started"),
        Column("outcomes", "Outcomes recorded"),
        Column("score", "Outcome score", "value", depends_on="outcomes"),
        Column("mean_score", "Mean score", "value", depends_on="outcomes"),
    )


def _figures(data: dict) -> tuple[Cell, ...]:
    outcomes = int(data["outcomes"] or 0)
    score = float(data["score"] or 0.0)
    return (
        *(int(data[k] or 0) for k, _ in FUNNEL),
        data["median_ack"],
        data["median_start"],
        outcomes,
        score,
        round(score / outcomes, 2) if outcomes else None,
    )


def _rows_by_id(session: Session, columns: Sequence[Any], ids: set[str]) -> dict[str, tuple]:
    """id -> the other columns, looked up in chunks (SQLite limits bound parameters)."""
    out: dict[str, tuple] = {}
    id_list = sorted(i for i in ids if i is not None)
    id_column = columns[0]
    for start in range(0, len(id_list), 500):
        chunk = id_list[start : start + 500]
        for row in session.execute(select(*columns).where(id_column.in_(chunk))):
            out[row[0]] = tuple(row[1:])
    return out


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    per = _per_referral(period)
    overall = _aggregate(session, per, None).get(None)
    totals = ("Total", *_figures(overall)) if overall else None

    by_org = _aggregate(session, per, per.c.organisation_id)
    by_service = _aggregate(session, per, per.c.service_id)
    org_names = {
        k: v[0]
        for k, v in _rows_by_id(session, (Organisation.id, Organisation.name), set(by_org)).items()
    }
    services = _rows_by_id(
        session, (Service.id, Service.organisation_id, Service.name), set(by_service)
    )
    provider_rows = sorted(
        ((org_names.get(oid, ""), *_figures(data)) for oid, data in by_org.items()),
        key=lambda r: (str(r[0]).casefold(), str(r[0])),
    )
    service_rows = sorted(
        (
            (org_names.get(services.get(sid, ("", ""))[0], ""), services.get(sid, ("", ""))[1],
             *_figures(data))
            for sid, data in by_service.items()
        ),
        key=lambda r: (str(r[0]).casefold(), str(r[1]).casefold(), str(r[0]), str(r[1])),
    )  # fmt: skip
    empty_totals = ("Total", *(0 for _ in FUNNEL), None, None, 0, 0.0, None)
    tables = [
        ReportTable(
            "by_provider", "Referral outcomes by provider", _columns(False),
            tuple(provider_rows), totals or empty_totals,
            notes=("Counts are of referrals that reached each state by the report date; "
                   "a completed referral also counts as accepted and started.",
                   "Acknowledged means any reply from the provider (acknowledged, waiting "
                   "list, accepted or declined).",
                   "Outcome score: achieved 1, partly achieved 0.5, not achieved 0."),
        ),
        ReportTable(
            "by_service", "Referral outcomes by service", _columns(True),
            tuple(service_rows), ("Total", "", *(totals or empty_totals)[1:]),
        ),
        _declines(session, per, org_names),
        _never_respond(by_org, org_names, today),
        _status_now(session, per),
    ]  # fmt: skip
    return Report(
        name=NAME,
        title=TITLE,
        period=period,
        generated_on=today,
        tables=tuple(tables),
        charts=(
            ChartSpec(
                "chart_funnel",
                "Referrals made in the period: how far they got",
                "by_provider",
                ("made", "acknowledged", "accepted", "started", "completed"),
                source="totals",
            ),
            ChartSpec("chart_status", "Where the referrals are now", "status_now", ("count",)),
            ChartSpec(
                "chart_declines",
                "Declines by reason",
                "declined_by_reason",
                _decline_keys(tables[2]),
                source="totals",
            ),
        ),
        notes=(
            "Referrals made in the period and sent to the provider, followed to the report "
            "date. Drafts never sent are left out.",
            "Covers the whole team's data on this computer after the last sync.",
        ),
    )


def _decline_keys(table: ReportTable) -> tuple[str, ...]:
    return tuple(table.parts)


def _declines(session: Session, per: CTE, org_names: dict[str, str]) -> ReportTable:
    """Declined referrals by provider and reason (reasons are reference data)."""
    reasons = dict(
        session.execute(
            select(ReferenceItem.code, ReferenceItem.label)
            .where(
                ReferenceItem.list_name == "decline_reason",
                ReferenceItem.deleted_at.is_(None),
            )
            .order_by(ReferenceItem.sort_order, ReferenceItem.label)
        ).all()
    )
    counts: dict[tuple[str, str], int] = {}
    for org_id, reason, n in session.execute(
        select(per.c.organisation_id, per.c.decline_reason, func.count())
        .where(per.c.declined == 1)
        .group_by(per.c.organisation_id, per.c.decline_reason)
    ):
        code = reason or ""
        counts[(org_id, code)] = counts.get((org_id, code), 0) + n
    used = {code for _, code in counts}
    codes = list(reasons) + sorted(used - set(reasons) - {""}) + ([""] if "" in used else [])
    keys = [f"reason_{i}" for i in range(len(codes))]
    columns = (
        Column("label", "Provider", "label"),
        *(Column(k, reasons.get(code, code) or NOT_RECORDED)
          for k, code in zip(keys, codes, strict=True)),
        Column("total", "Total declined"),
    )  # fmt: skip
    orgs = sorted({org for org, _ in counts}, key=lambda o: org_names.get(o, "").casefold())
    rows = []
    for org in orgs:
        values = [counts.get((org, code), 0) for code in codes]
        rows.append((org_names.get(org, ""), *values, sum(values)))
    sums = [sum(int(r[i]) for r in rows) for i in range(1, len(codes) + 2)]  # type: ignore[arg-type]
    return ReportTable(
        "declined_by_reason", "Declined referrals by provider and reason", columns, tuple(rows),
        ("Total", *sums), row_total="total", parts=tuple(keys),
    )  # fmt: skip


def _never_respond(by_org: dict[Any, dict], org_names: dict[str, str], today: date) -> ReportTable:
    """Providers that were sent referrals in the period and have answered none of them."""
    rows = []
    for org_id, data in by_org.items():
        if data["acknowledged"]:
            continue
        first = data["first_made"]
        first_day = date.fromisoformat(first) if isinstance(first, str) else first
        rows.append((
            org_names.get(org_id, ""), int(data["made"]), int(data["awaiting"] or 0),
            int(data["withdrawn"] or 0), (today - first_day).days if first_day else None,
        ))  # fmt: skip
    rows.sort(key=lambda r: (-int(r[1]), str(r[0]).casefold()))
    totals = ("Total", sum(r[1] for r in rows), sum(r[2] for r in rows),
              sum(r[3] for r in rows), None)  # fmt: skip
    return ReportTable(
        "never_respond", "Providers that have not answered any referral", (
            Column("label", "Provider", "label"),
            Column("sent", "Referrals sent"),
            Column("awaiting", "Still awaiting a reply"),
            Column("withdrawn", "Withdrawn without a reply"),
            Column("days", "Days since the first", "value", depends_on="sent"),
        ), tuple(rows), totals,
        notes=("Providers sent referrals in the period that have not acknowledged, accepted, "
               "declined or put anyone on a waiting list.",),
    )  # fmt: skip


def _status_now(session: Session, per: CTE) -> ReportTable:
    """Where the period's referrals are today: a partition, waiting list included."""
    counts = dict(session.execute(select(per.c.status, func.count()).group_by(per.c.status)).all())
    order = [s for s in ReferralState if s != S.DRAFT]
    rows = tuple((s.label, int(counts.get(s.value, 0))) for s in order)
    return ReportTable(
        "status_now", "Referrals made in the period by current status",
        (Column("label", "Status", "label"), Column("count", "Referrals")),
        rows, ("Total", sum(int(r[1]) for r in rows)),
    )  # fmt: skip
