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

Tables: one row per service with its provider beside it (not a provider table as well: provider
rows would be sums of service rows, and suppression cannot protect sums across tables); the
declines by reason; and the providers that never answered (no counts, so nothing to hide).

Performance: the period's referrals are summarised once, in one pass over the status history,
into a temporary table; every figure is then a small grouped query on it (medians from a
histogram of days per service, not from one row per referral in Python).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
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

__all__ = ["FUNNEL", "NAME", "build"]

NAME = "outcomes"
TITLE = "Referral outcomes by provider and service"
S = ReferralState
REPLIES = (S.ACKNOWLEDGED, S.ACCEPTED, S.WAITING_LIST, S.DECLINED, S.STARTED, S.COMPLETED,
           S.ENDED_EARLY)  # fmt: skip
"""States that show the provider answered (a later state implies an earlier answer)."""
NOT_RECORDED = "Not recorded"

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
"""(key, title) of the count columns: referrals that ever reached each state."""

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


# --- the period's referrals, once ----------------------------------------------------------------


def _temp_table(name: str, *columns: SAColumn) -> Table:
    return Table(_TEMP_PREFIX + name, MetaData(), *columns, prefixes=["TEMPORARY"])


def _tables() -> tuple[Table, Table]:
    period = _temp_table(
        "period",
        SAColumn("id", String(36), primary_key=True),
        SAColumn("service_id", String(36)),
        SAColumn("made_on", Date),
        SAColumn("outcome", String(30)),
    )
    per = _temp_table(
        "referral",
        SAColumn("id", String(36), primary_key=True),
        SAColumn("service_id", String(36)),
        SAColumn("made_on", Date),
        SAColumn("outcome", String(30)),
        SAColumn("reply_days", Integer),
        SAColumn("start_days", Integer),
        SAColumn("reached", Integer),
        SAColumn("decline_reason", String(80)),
    )
    return period, per


def _select_per_referral(period: Table) -> Select:
    """One row per referral of `period` that was sent, with what it has reached so far.

    Few aggregates over the history (three first-times, a bit set of states reached and the
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
    """The period's referrals, computed once into a temporary table every figure reads from.

    Temporary tables live in this connection only and are dropped afterwards; they are not part
    of the database file, so a report writes nothing that syncs or persists.
    """
    tables = _tables()
    in_period, per = tables
    connection = session.connection()

    def drop() -> None:
        for table in tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table.name}")

    drop()
    for table in tables:
        table.create(connection)
    try:
        base = select(Referral.id, Referral.service_id, Referral.made_on, Referral.outcome).where(
            Referral.deleted_at.is_(None),
            Referral.made_on >= period.date_from,
            Referral.made_on <= period.date_to,
        )
        session.execute(insert(in_period).from_select(list(in_period.c.keys()), base))
        source = _select_per_referral(in_period)
        names = [c.name for c in source.selected_columns]
        session.execute(insert(per).from_select(names, source))
        yield per
    finally:
        drop()


# --- figures per service --------------------------------------------------------------------


def _reached(per: Table, state: ReferralState) -> ColumnElement:
    return per.c.reached.op("&")(BITS[state.value]) != 0


def _score(per: Table) -> ColumnElement:
    return case(
        *((per.c.outcome == o.value, literal(o.score, Float)) for o in Outcome),
        else_=None,
    )


def median(histogram: Iterable[tuple[int, int]]) -> float | None:
    """Median of values given as (value, how many), in any order; None when empty."""
    pairs = sorted(histogram)
    total = sum(n for _, n in pairs)
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found: list[int] = []
    seen = 0
    for value, n in pairs:
        found.extend(value for index in wanted if seen <= index < seen + n)
        seen += n
    return round(sum(found) / len(found), 1)


def _histograms(
    session: Session, per: Table, column: ColumnElement
) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    stmt = (
        select(per.c.service_id, column, func.count())
        .where(column.is_not(None))
        .group_by(per.c.service_id, column)
    )
    for sid, days, n in session.execute(stmt):
        out[sid].append((int(days), int(n)))
    return out


_SUMMED = ("made", "acknowledged", *(k for k, _ in FUNNEL[2:]), "outcomes", "score")


def _by_service(session: Session, per: Table) -> tuple[dict[str, dict], dict]:
    """Figures per service, and overall (sums, and medians over every referral)."""
    score = _score(per)
    stmt = select(
        per.c.service_id,
        func.count().label("made"),
        func.count(per.c.reply_days).label("acknowledged"),
        *(func.sum(case((_reached(per, S(k)), 1), else_=0)).label(k) for k, _ in FUNNEL[2:]),
        func.count(score).label("outcomes"),
        func.total(score).label("score"),
        func.min(per.c.made_on).label("first_made"),
        func.max(per.c.made_on).label("last_made"),
    ).group_by(per.c.service_id)
    services: dict[str, dict] = {}
    overall: dict[str, Any] = dict.fromkeys(_SUMMED, 0)
    for row in session.execute(stmt).mappings():
        data = dict(row)
        services[data.pop("service_id")] = data
        for key in _SUMMED:
            overall[key] += data[key] or 0
    for key, column in (("median_ack", per.c.reply_days), ("median_start", per.c.start_days)):
        histograms = _histograms(session, per, column)
        everything: dict[int, int] = defaultdict(int)
        for sid, histogram in histograms.items():
            services[sid][key] = median(histogram)
            for days, n in histogram:
                everything[days] += n
        overall[key] = median(everything.items())
    return services, overall


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
    outcomes = int(data.get("outcomes") or 0)
    score = float(data.get("score") or 0.0)
    return (
        *(int(data.get(k) or 0) for k, _ in FUNNEL),
        data.get("median_ack"),
        data.get("median_start"),
        outcomes,
        score if outcomes else None,
        round(score / outcomes, 2) if outcomes else None,
    )


def _rows_by_id(session: Session, columns: Sequence[Any], ids: set[str]) -> dict[str, tuple]:
    """id -> the other columns, looked up in chunks (SQLite limits bound parameters)."""
    out: dict[str, tuple] = {}
    id_list = sorted(i for i in ids if i is not None)
    id_column = columns[0]
    for start in range(0, len(id_list), 900):
        chunk = id_list[start : start + 900]
        for row in session.execute(select(*columns).where(id_column.in_(chunk))):
            out[row[0]] = tuple(row[1:])
    return out


# --- the report -----------------------------------------------------------------------------


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    with _per_referral(session, period) as per:
        by_service, overall = _by_service(session, per)
        services = _rows_by_id(
            session, (Service.id, Service.organisation_id, Service.name), set(by_service)
        )
        org_names = {
            k: v[0]
            for k, v in _rows_by_id(
                session, (Organisation.id, Organisation.name), {o for o, _ in services.values()}
            ).items()
        }
        declines = _declines(session, per, services, org_names)

    replied: dict[str, int] = defaultdict(int)
    for sid, data in by_service.items():
        replied[services.get(sid, ("", ""))[0]] += int(data["acknowledged"] or 0)
    silent = {org for org, n in replied.items() if n == 0}
    rows = []
    for sid, data in by_service.items():
        org_id, service_name = services.get(sid, ("", ""))
        rows.append((org_names.get(org_id, ""), service_name, *_figures(data), org_id))
    # Busiest first: a reader (and the PDF, which prints the first rows) sees volume first.
    rows.sort(key=lambda r: (-int(r[2]), *(str(x).casefold() for x in r[:2]), *r[:2]))
    # The "never answered" table tells everyone these providers' reply columns are zero, so
    # those zeros are public: suppression must not lean on them to hide another cell.
    public = tuple(
        (i, key)
        for i, row in enumerate(rows)
        if row[-1] in silent
        for key, _ in FUNNEL
        if key not in ("made", "withdrawn")
    )
    tables = (
        ReportTable(
            "by_service", TITLE, _columns(), tuple(row[:-1] for row in rows),
            ("Total", "", *_figures(overall)),
            notes=("Counts are of referrals that reached each state by the report date; "
                   "a completed referral also counts as accepted and started.",
                   "Acknowledged means any reply from the provider (acknowledged, waiting "
                   "list, accepted or declined). Declines are in their own table, by reason.",
                   "Outcome score: achieved 1, partly achieved 0.5, not achieved 0."),
            public=public,
        ),
        declines,
        _never_respond(by_service, services, silent, org_names, today),
    )  # fmt: skip
    return Report(
        name=NAME,
        title=TITLE,
        period=period,
        generated_on=today,
        tables=tables,
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
                declines.parts,
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
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for sid, reason, n in session.execute(
        select(per.c.service_id, per.c.decline_reason, func.count())
        .where(_reached(per, S.DECLINED))
        .group_by(per.c.service_id, per.c.decline_reason)
    ):
        counts[(sid, reason or "")] += n
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
    by_service: dict[str, dict],
    services: dict[str, tuple],
    silent: set[str],
    org_names: dict[str, str],
    today: date,
) -> ReportTable:
    """Providers sent referrals in the period that have answered none of them.

    No counts here (they are in the main table): only how long the silence has lasted, so
    this table adds nothing that suppression would have to hide.
    """
    spans: dict[str, list] = {}
    for sid, data in by_service.items():
        org = services.get(sid, ("", ""))[0]
        if org not in silent:
            continue
        first, last = (_as_date(data["first_made"]), _as_date(data["last_made"]))
        span = spans.setdefault(org, [0, first, last])
        span[0] += 1
        span[1], span[2] = min(span[1], first), max(span[2], last)
    rows = [
        (org_names.get(org, ""), n, (today - first).days, (today - last).days)
        for org, (n, first, last) in spans.items()
    ]
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


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
