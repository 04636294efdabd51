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

Performance: the period's referrals go into a temporary table (in id order), which drives one
pass over the status history through its referral_id index; that pass is grouped per referral
and then per service in the same statement, returning one row per service with its counts and
short lists of days and decline reasons for the medians and the declines table.
"""

from __future__ import annotations

from collections import defaultdict
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
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from referral_desk.domain.states import Outcome, ReferralState
from referral_desk.reports.labels import NOT_RECORDED, OTHER, other_code
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
REPLIES = (
    S.ACKNOWLEDGED,
    S.ACCEPTED,
    S.WAITING_LIST,
    S.DECLINED,
    S.STARTED,
    S.COMPLETED,
    S.ENDED_EARLY,
)
"""States that show the provider answered (a later state implies an earlier answer)."""
_OTHER_REASON = "\x00other"
"""Stands for every decline reason that is not in the list (no real code holds a NUL)."""

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


def _period_table() -> Table:
    return _temp_table(
        "period",
        SAColumn("id", String(36), primary_key=True),
        SAColumn("service_id", String(36)),
        SAColumn("made_on", Date),
        SAColumn("outcome", String(30)),
    )


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
def _period_referrals(session: Session, period: Period) -> Iterator[Table]:
    """The period's referrals in a temporary table, in id order, to drive the history pass.

    Temporary tables live in this connection only and are dropped afterwards; they are not part
    of the database file, so a report writes nothing that syncs or persists.
    """
    table = _period_table()
    connection = session.connection()
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table.name}")
    table.create(connection)
    try:
        base = select(Referral.id, Referral.service_id, Referral.made_on, Referral.outcome).where(
            Referral.deleted_at.is_(None),
            Referral.made_on >= period.date_from,
            Referral.made_on <= period.date_to,
        )
        session.execute(insert(table).from_select(list(table.c.keys()), base))
        yield table
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table.name}")


def _reached(per: Any, state: ReferralState) -> ColumnElement:
    return per.c.reached.op("&")(BITS[state.value]) != 0


def _score(per: Any) -> ColumnElement:
    return case(
        *((per.c.outcome == o.value, literal(o.score, Float)) for o in Outcome),
        else_=None,
    )


def _numbers(text: str | None) -> list[int]:
    return [int(x) for x in text.split(",")] if text else []


def _list_median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    return round((ordered[(n - 1) // 2] + ordered[n // 2]) / 2, 1)


_SUMMED = ("made", "acknowledged", *(k for k, _ in FUNNEL[2:]), "outcomes", "score")


def _by_service(session: Session, in_period: Table) -> tuple[dict[str, dict], dict]:
    """Figures per service, and overall: one grouped query over the one history pass.

    Days to reply and to start, and decline reasons, come back per service as short
    comma-separated lists (group_concat) for the medians and the declines table, so no second
    pass over the referrals is needed.
    """
    per = _select_per_referral(in_period).subquery("per")
    score = _score(per)
    declined = case((_reached(per, S.DECLINED), func.coalesce(per.c.decline_reason, "")))
    stmt = select(
        per.c.service_id,
        func.count(),
        func.count(per.c.reply_days),
        *(func.sum(case((_reached(per, S(k)), 1), else_=0)) for k, _ in FUNNEL[2:]),
        func.count(score),
        func.total(score),
        func.min(per.c.made_on),
        func.max(per.c.made_on),
        func.group_concat(per.c.reply_days),
        func.group_concat(per.c.start_days),
        func.group_concat(declined),
    ).group_by(per.c.service_id)
    keys = (*_SUMMED, "first_made", "last_made")
    services: dict[str, dict] = {}
    all_replies: list[int] = []
    all_starts: list[int] = []
    sums = [0] * len(_SUMMED)
    for sid, *values, replies, starts, declines in session.execute(stmt).all():
        data = dict(zip(keys, values, strict=True))
        reply_days, start_days = _numbers(replies), _numbers(starts)
        data["median_ack"] = _list_median(reply_days)
        data["median_start"] = _list_median(start_days)
        all_replies += reply_days
        all_starts += start_days
        data["declines"] = declines.split(",") if declines is not None else []
        services[sid] = data
        for i, value in enumerate(values[: len(_SUMMED)]):
            sums[i] += value or 0
    overall: dict[str, Any] = dict(zip(_SUMMED, sums, strict=True))
    overall["median_ack"] = _list_median(all_replies)
    overall["median_start"] = _list_median(all_starts)
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


_FUNNEL_KEYS = tuple(k for k, _ in FUNNEL)


def _figures(data: dict) -> tuple[Cell, ...]:
    outcomes = int(data.get("outcomes") or 0)
    score = float(data.get("score") or 0.0)
    return (
        *(int(data[k] or 0) for k in _FUNNEL_KEYS),
        data.get("median_ack"),
        data.get("median_start"),
        outcomes,
        score if outcomes else None,
        round(score / outcomes, 2) if outcomes else None,
    )


def _names(session: Session) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Every service's (organisation id, name) and every organisation's name.

    One sequential read of each table: cheaper than looking up thousands of ids in chunks.
    """
    services = {
        sid: (org, name)
        for sid, org, name in session.execute(
            select(Service.id, Service.organisation_id, Service.name)
        ).all()
    }
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    return services, orgs


# --- the report -----------------------------------------------------------------------------


def build(session: Session, date_from: date, date_to: date, today: date) -> Report:
    period = Period(date_from, date_to)
    with _period_referrals(session, period) as in_period:
        by_service, overall = _by_service(session, in_period)
    services, org_names = _names(session)
    declines = _declines(session, by_service, services, org_names)

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
            "by_service",
            TITLE,
            _columns(),
            tuple(row[:-1] for row in rows),
            ("Total", "", *_figures(overall)),
            notes=(
                "Counts are of referrals that reached each state by the report date; "
                "a completed referral also counts as accepted and started.",
                "Acknowledged means any reply from the provider (acknowledged, waiting "
                "list, accepted or declined). Declines are in their own table, by reason.",
                "Outcome score: achieved 1, partly achieved 0.5, not achieved 0.",
            ),
            public=public,
        ),
        declines,
        _never_respond(by_service, services, silent, org_names, today),
    )
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
    by_service: dict[str, dict],
    services: dict[str, tuple[str, str]],
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
    other = other_code(reasons, _OTHER_REASON)
    for sid, data in by_service.items():
        for reason in data["declines"]:
            # A code not in the list (synced, or removed since) is never printed: "Other".
            code = reason if not reason or reason in reasons else other
            counts[(sid, code)] += 1
    used = {code for _, code in counts}
    codes = list(reasons) + [c for c in (_OTHER_REASON, "") if c in used]
    titles = {**reasons, _OTHER_REASON: OTHER, "": NOT_RECORDED}
    keys = [f"reason_{i}" for i in range(len(codes))]
    columns = (
        Column("label", "Provider", "label"),
        Column("service", "Service", "label"),
        *(Column(k, titles[code]) for k, code in zip(keys, codes, strict=True)),
        Column("total", "Total declined"),
    )
    rows = []
    for sid in {sid for sid, _ in counts}:
        org_id, name = services.get(sid, ("", ""))
        values = [counts.get((sid, code), 0) for code in codes]
        rows.append((org_names.get(org_id, ""), name, *values, sum(values)))
    rows.sort(key=lambda r: (-int(r[-1]), *(str(x).casefold() for x in r[:2]), *r[:2]))
    sums = [sum(int(r[i]) for r in rows) for i in range(2, len(codes) + 3)]  # type: ignore[arg-type]
    return ReportTable(
        "declined_by_reason",
        "Declined referrals by provider, service and reason",
        columns,
        tuple(rows),
        ("Total", "", *sums),
        row_total="total",
        parts=tuple(keys),
    )


def _never_respond(
    by_service: dict[str, dict],
    services: dict[str, tuple[str, str]],
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
    return never_respond_table(rows)


def never_respond_table(rows: list[tuple[str, int, int, int]]) -> ReportTable:
    """(provider, services referred to, days since the first and the latest referral), the
    longest-silent first: one table for the team's report and the hub's regional one."""
    rows.sort(key=lambda r: (-int(r[2]), str(r[0]).casefold(), str(r[0])))
    return ReportTable(
        "never_respond",
        "Providers that have not answered any referral",
        (
            Column("label", "Provider", "label"),
            Column("services", "Services referred to", "value"),
            Column("first", "Days since the first referral", "value"),
            Column("last", "Days since the latest referral", "value"),
        ),
        tuple(rows),
        None,
        notes=(
            "Providers sent referrals in the period that have not acknowledged, accepted, "
            "declined or put anyone on a waiting list.",
        ),
    )


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
