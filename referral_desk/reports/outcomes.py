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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Column as SAColumn
from sqlalchemy import (
    Date,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

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
    ("started", "Started"),
    ("completed", "Completed"),
    ("ended_early", "Ended early"),
    ("withdrawn", "Withdrawn"),
)


# Bits of `reached`: which states a referral has ever entered (sum of distinct bits).
BITS: dict[str, int] = {
    S.ACCEPTED.value: 1,
    S.WAITING_LIST.value: 2,
    S.DECLINED.value: 4,
    S.STARTED.value: 8,
    S.COMPLETED.value: 16,
    S.ENDED_EARLY.value: 32,
    S.WITHDRAWN.value: 64,
}
_TEMP_PREFIX = "report_outcome_"


def _temp_table(name: str, *columns: SAColumn) -> Table:
    return Table(_TEMP_PREFIX + name, MetaData(), *columns, prefixes=["TEMPORARY"])


def _tables() -> tuple[Table, Table, Table]:
    period = _temp_table(
        "period",
        SAColumn("id", String(36), primary_key=True),
        SAColumn("service_id", String(36)),
        SAColumn("status", String(30)),
        SAColumn("made_on", Date),
        SAColumn("outcome", String(30)),
    )
    per = _temp_table(
        "referral",
        SAColumn("id", String(36), primary_key=True),
        SAColumn("service_id", String(36)),
        SAColumn("organisation_id", String(36)),
        SAColumn("status", String(30)),
        SAColumn("made_on", Date),
        SAColumn("outcome", String(30)),
        SAColumn("reply_days", Integer),
        SAColumn("start_days", Integer),
        SAColumn("reached", Integer),
        SAColumn("decline_reason", String(80)),
    )
    owners = _temp_table(
        "owner",
        SAColumn("service_id", String(36), primary_key=True),
        SAColumn("organisation_id", String(36)),
    )
    return period, per, owners


def _select_per_referral(period: Table) -> Select:
    """One row per referral of `period` that was sent, with what it has reached so far.

    Five aggregates over the history (three first-times, a bit set of states reached and the
    decline reason) rather than one per state: this is the only pass over the large history
    table, and its cost grows with the number of aggregates. Driving it from the period's
    referrals walks the history through its referral_id index in id order, with no sort.
    """
    c = ReferralStatusChange

    def first_at(states: Sequence[str]) -> ColumnElement:
        return func.min(case((c.to_status.in_([str(s) for s in states]), c.at)))

    def days_from_sent(states: Sequence[str]) -> ColumnElement:
        later = func.julianday(func.date(first_at(states)))
        return cast(later - func.julianday(func.date(first_at([S.SENT]))), Integer)

    bit = case(*((c.to_status == state, value) for state, value in BITS.items()), else_=None)
    return (
        select(
            period.c.id,
            period.c.service_id,
            period.c.status,
            period.c.made_on,
            period.c.outcome,
            days_from_sent(REPLIES).label("reply_days"),
            days_from_sent([S.STARTED]).label("start_days"),
            func.sum(bit.distinct()).label("reached"),
            func.max(case((c.to_status == S.DECLINED.value, c.reason_code))).label(
                "decline_reason"
            ),
        )
        .join(c, and_(c.referral_id == period.c.id, c.deleted_at.is_(None)))
        .group_by(period.c.id)
        .having(first_at([S.SENT]).is_not(None))
    )


@contextmanager
def _per_referral(session: Session, period: Period) -> Iterator[Table]:
    """The period's referrals, computed once into a temporary table every table reads from.

    Temporary tables live in this connection only and are dropped afterwards; they are not part
    of the database file, so a report writes nothing that syncs or persists.
    """
    tables = _tables()
    in_period, per, owners = tables
    connection = session.connection()

    def drop() -> None:
        for table in tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table.name}")

    drop()
    for table in tables:
        table.create(connection)
    try:
        base = select(
            Referral.id, Referral.service_id, Referral.status, Referral.made_on, Referral.outcome
        ).where(
            Referral.deleted_at.is_(None),
            Referral.made_on >= period.date_from,
            Referral.made_on <= period.date_to,
        )
        session.execute(insert(in_period).from_select(list(in_period.c.keys()), base))
        source = _select_per_referral(in_period)
        names = [c.name for c in source.selected_columns]
        session.execute(insert(per).from_select(names, source))
        # One look-up per service, not per referral: service rows are wide and scattered.
        session.execute(
            insert(owners).from_select(
                ["service_id", "organisation_id"],
                select(Service.id, Service.organisation_id).where(
                    Service.id.in_(select(per.c.service_id).distinct())
                ),
            )
        )
        owner = select(owners.c.organisation_id).where(owners.c.service_id == per.c.service_id)
        session.execute(update(per).values(organisation_id=owner.scalar_subquery()))
        yield per
    finally:
        drop()


def _reached(per: Table, state: ReferralState) -> ColumnElement:
    return per.c.reached.op("&")(BITS[state.value]) != 0


def _score(per: Table) -> ColumnElement:
    return case(
        *((per.c.outcome == o.value, literal(o.score, Float)) for o in Outcome),
        else_=None,
    )


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


def _aggregate(session: Session, per: Table, key: ColumnElement | None) -> dict[Any, dict]:
    """Funnel counts, outcome score and medians per `key` (None: one overall row)."""
    group = key if key is not None else literal(None)
    score = _score(per)
    cols = [
        func.count().label("made"),
        func.count(per.c.reply_days).label("acknowledged"),
        *(
            func.sum(case((_reached(per, S(k)), 1), else_=0)).label(k)
            for k, _ in FUNNEL
            if k not in ("made", "acknowledged")
        ),
        func.count(score).label("outcomes"),
        func.total(score).label("score"),
    ]
    stmt = select(group.label("g"), *cols).select_from(per)
    if key is not None:
        stmt = stmt.group_by(key)
    out: dict[Any, dict] = {}
    for row in session.execute(stmt).mappings():
        data = dict(row)
        out[data.pop("g")] = data
    ack = _medians(session, key, per.c.reply_days, per.c.reply_days.is_not(None))
    start = _medians(session, key, per.c.start_days, per.c.start_days.is_not(None))
    for g, data in out.items():
        data["median_ack"] = ack.get(g)
        data["median_start"] = start.get(g)
    return out


def _columns() -> tuple[Column, ...]:
    return (
        Column("label", "Provider", "label"),
        Column("service", "Service", "label"),
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
        score if outcomes else None,
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
    with _per_referral(session, period) as per:
        return _build(session, per, period, today)


def _build(session: Session, per: Table, period: Period, today: date) -> Report:
    overall = _aggregate(session, per, None).get(None)
    totals = ("Total", "", *_figures(overall)) if overall else None
    by_service = _aggregate(session, per, per.c.service_id)
    services = _rows_by_id(
        session, (Service.id, Service.organisation_id, Service.name), set(by_service)
    )
    org_ids = {org for org, _ in services.values()}
    org_names = {
        k: v[0]
        for k, v in _rows_by_id(session, (Organisation.id, Organisation.name), org_ids).items()
    }
    replied: dict[str, int] = {}
    for sid, data in by_service.items():
        org = services.get(sid, ("", ""))[0]
        replied[org] = replied.get(org, 0) + int(data["acknowledged"] or 0)
    silent = {org for org, n in replied.items() if n == 0}

    service_rows = []
    for sid, data in by_service.items():
        org_id, service_name = services.get(sid, ("", ""))
        service_rows.append((org_names.get(org_id, ""), service_name, *_figures(data), org_id))
    # Busiest first: a reader (and the PDF, which prints the first rows) sees volume first.
    service_rows.sort(key=lambda r: (-int(r[2]), *(str(x).casefold() for x in r[:2]), *r[:2]))
    # The "never answered" table tells everyone these providers' reply columns are zero, so
    # those zeros are public: suppression must not lean on them to hide another cell.
    public = tuple(
        (i, key)
        for i, row in enumerate(service_rows)
        if row[-1] in silent
        for key, _ in FUNNEL
        if key not in ("made", "withdrawn")
    )
    empty_totals = ("Total", "", *(0 for _ in FUNNEL), None, None, 0, None, None)
    tables = [
        ReportTable(
            "by_service", "Referral outcomes by provider and service", _columns(),
            tuple(row[:-1] for row in service_rows), totals or empty_totals,
            notes=("Counts are of referrals that reached each state by the report date; "
                   "a completed referral also counts as accepted and started.",
                   "Acknowledged means any reply from the provider (acknowledged, waiting "
                   "list, accepted or declined). Declines are in their own table, by reason.",
                   "Outcome score: achieved 1, partly achieved 0.5, not achieved 0."),
            public=public,
        ),
        _declines(session, per, services, org_names),
        _never_respond(session, per, silent, org_names, today),
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
                "by_service",
                ("made", "acknowledged", "accepted", "started", "completed"),
                source="totals",
            ),
            ChartSpec(
                "chart_declines",
                "Declines by reason",
                "declined_by_reason",
                tables[1].parts,
                source="totals",
            ),
        ),
        notes=(
            "Referrals made in the period and sent to the provider, followed to the report "
            "date. Drafts never sent are left out.",
            "Covers the whole team's data on this computer after the last sync.",
        ),
    )


def _declines(
    session: Session,
    per: Table,
    services: dict[str, tuple],
    org_names: dict[str, str],
) -> ReportTable:
    """Declined referrals by provider, service and reason (reasons are reference data).

    A table of its own rather than columns beside the funnel: with the reasons, the total
    declined and the column totals in one place, secondary suppression sees every sum.
    """
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
    for sid, reason, n in session.execute(
        select(per.c.service_id, per.c.decline_reason, func.count())
        .where(_reached(per, S.DECLINED))
        .group_by(per.c.service_id, per.c.decline_reason)
    ):
        code = reason or ""
        counts[(sid, code)] = counts.get((sid, code), 0) + n
    used = {code for _, code in counts}
    codes = list(reasons) + sorted(used - set(reasons) - {""}) + ([""] if "" in used else [])
    keys = [f"reason_{i}" for i in range(len(codes))]
    columns = (
        Column("label", "Provider", "label"),
        Column("service", "Service", "label"),
        *(Column(k, reasons.get(code, code) or NOT_RECORDED)
          for k, code in zip(keys, codes, strict=True)),
        Column("total", "Total declined"),
    )  # fmt: skip
    rows = []
    for sid in {sid for sid, _ in counts}:
        org_id, name = services.get(sid, ("", ""))
        values = [counts.get((sid, code), 0) for code in codes]
        rows.append((org_names.get(org_id, ""), name, *values, sum(values)))
    rows.sort(key=lambda r: (-int(r[-1]), *(str(x).casefold() for x in r[:2]), *r[:2]))
    sums = [sum(int(r[i]) for r in rows) for i in range(2, len(codes) + 3)]  # type: ignore[arg-type]
    return ReportTable(
        "declined_by_reason", "Declined referrals by provider, service and reason", columns,
        tuple(rows), ("Total", "", *sums), row_total="total", parts=tuple(keys),
    )  # fmt: skip


def _never_respond(
    session: Session, per: Table, silent: set[str], org_names: dict[str, str], today: date
) -> ReportTable:
    """Providers sent referrals in the period that have answered none of them.

    No counts here (they are in the main table): only how long the silence has lasted, so
    this table adds nothing that suppression would have to hide.
    """
    rows = []
    if silent:
        stmt = (
            select(
                per.c.organisation_id,
                func.count(per.c.service_id.distinct()),
                func.min(per.c.made_on),
                func.max(per.c.made_on),
            )
            .where(per.c.organisation_id.in_(sorted(silent)))
            .group_by(per.c.organisation_id)
        )
        for org_id, n_services, first, last in session.execute(stmt):
            first_day = date.fromisoformat(first) if isinstance(first, str) else first
            last_day = date.fromisoformat(last) if isinstance(last, str) else last
            rows.append((org_names.get(org_id, ""), int(n_services),
                         (today - first_day).days, (today - last_day).days))  # fmt: skip
    rows.sort(key=lambda r: (-int(r[2]), str(r[0]).casefold(), str(r[0])))
    return ReportTable(
        "never_respond", "Providers that have not answered any referral", (
            Column("label", "Provider", "label"),
            Column("services", "Services referred to", "value"),
            Column("first", "Days since the first referral", "value"),
            Column("last", "Days since the latest referral", "value"),
        ), tuple(rows), None,
        notes=("Providers sent referrals in the period that have not acknowledged, accepted, "
               "declined or put anyone on a waiting list.",),
    )  # fmt: skip
