"""Load one return at the hub: verified, key-pinned, atomic and idempotent.

Order of checks, all before anything is written: the signature and the payload's hash
(`returnfile.verify`), the payload's exact shape (`facts.validate`), then in one transaction
with the team's row locked: the pinned key, whether this return id was loaded already, and
whether it is newer than the team's last one.

- The first return under a team name registers the team and pins its signing key; a later one
  signed by another key is refused (`KeyMismatch`), so a team's figures cannot be overwritten
  by someone who only knows the region passphrase.
- A return is a snapshot of the team's live records: loading it replaces the team's facts in the
  same transaction (deletions at the team reach the hub; nothing counts twice). Loading the same
  return again changes nothing; an older return than the one loaded is recorded as superseded
  and changes no facts.
- Facts go in with COPY (the benchmark's 1 M referrals); a failure anywhere rolls the whole
  return back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from referral_desk.hub import schema
from referral_desk.hub.connection import HubDatabase
from referral_desk.hub.errors import KeyMismatch, ReturnRefused
from referral_desk.hub.facts import UNMET_STATES, validate
from referral_desk.hub.returnfile import SignedReturn, verify
from referral_desk.hub.summary import score, summarise

__all__ = ["LoadResult", "load"]

_NO_HISTORY = (None, None, None, 0, None)


@dataclass(frozen=True)
class LoadResult:
    team: str
    return_id: str
    status: str  # "loaded", "unchanged" (already loaded) or "superseded" (older than loaded)
    registered: bool
    needs: int
    referrals: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def load(hub: HubDatabase, signed: SignedReturn) -> LoadResult:
    statement = verify(signed)
    try:
        payload = json.loads(signed.payload)
    except (ValueError, RecursionError) as err:
        raise ReturnRefused("The return's contents are not in the expected form: refused.") from err
    rows = validate(payload)
    needs, referrals = len(rows["needs"]), len(rows["referrals"])
    with hub.connect() as conn:
        hub.check(conn)
        team_id, registered = _team(conn, statement.team, statement.signer)
        seen = conn.execute(
            select(schema.return_log.c.team_id).where(
                schema.return_log.c.return_id == statement.return_id
            )
        ).first()
        if seen is not None:
            if seen.team_id != team_id:
                raise ReturnRefused("This return id was already loaded for another team.")
            return LoadResult(
                statement.team, statement.return_id, "unchanged", False, needs, referrals
            )
        last = conn.execute(
            select(schema.team.c.last_created).where(schema.team.c.id == team_id)
        ).scalar_one()
        applied = statement.created > (last or "")
        if applied:
            _replace_facts(conn, team_id, rows, first_return=not last)
            conn.execute(
                update(schema.team)
                .where(schema.team.c.id == team_id)
                .values(last_created=statement.created)
            )
        conn.execute(
            insert(schema.return_log).values(
                return_id=statement.return_id,
                team_id=team_id,
                created=statement.created,
                schema=statement.schema,
                loaded_at=_now(),
                needs=needs,
                referrals=referrals,
                applied=applied,
            )
        )
    status = "loaded" if applied else "superseded"
    return LoadResult(statement.team, statement.return_id, status, registered, needs, referrals)


def _team(conn: Connection, name: str, signer: str) -> tuple[int, bool]:
    """The team's id (row locked for this transaction); registers it on its first return."""
    inserted = conn.execute(
        pg_insert(schema.team)
        .values(name=name, signer=signer, registered_at=_now(), last_created="")
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(schema.team.c.id)
    ).first()
    row = conn.execute(
        select(schema.team.c.id, schema.team.c.signer)
        .where(schema.team.c.name == name)
        .with_for_update()
    ).one()
    if row.signer != signer:
        raise KeyMismatch(
            "This return is signed with a different key from the one registered for its team: "
            "refused (ask the hub's administrator if the team has a new computer)."
        )
    return row.id, inserted is not None


def _replace_facts(
    conn: Connection, team_id: int, rows: dict[str, list[tuple[Any, ...]]], *, first_return: bool
) -> None:
    if not first_return:  # a team's first return has nothing to replace
        for table in reversed(schema.FACT_TABLES):
            conn.execute(delete(table).where(table.c.team_id == team_id))
    first = _first_unmet(rows["need_status"])
    _copy(conn, schema.need, ((team_id, *r, first.get(r[0])) for r in rows["needs"]))
    _copy(conn, schema.need_status, _sequenced(team_id, rows["need_status"]))
    summaries = summarise(rows["referral_status"])
    _copy(
        conn,
        schema.referral,
        ((team_id, *r, *summaries.get(r[0], _NO_HISTORY), score(r[6])) for r in rows["referrals"]),
    )
    _copy(conn, schema.follow_up, ((team_id, *r) for r in rows["follow_ups"]))
    _copy(conn, schema.service, ((team_id, i, *r[:4]) for i, r in enumerate(rows["services"])))
    _copy(
        conn,
        schema.service_category,
        ((team_id, i, label) for i, r in enumerate(rows["services"]) for label in set(r[4])),
    )


def _first_unmet(history: list[tuple[Any, ...]]) -> dict[str, str]:
    """need -> the first unmet status it entered (earliest time; ties in the order sent)."""
    first: dict[str, tuple[Any, str]] = {}
    for need, status, at in history:
        if status in UNMET_STATES and (need not in first or at < first[need][0]):
            first[need] = (at, status)
    return {need: status for need, (_, status) in first.items()}


def _sequenced(team_id: int, rows: list[tuple[Any, ...]]) -> Any:
    """(team, record, seq, rest…): seq numbers each record's history in the order sent."""
    counters: dict[str, int] = {}
    for record, *rest in rows:
        seq = counters.get(record, 0) + 1
        counters[record] = seq
        yield (team_id, record, seq, *rest)


def _copy(conn: Connection, table: Any, rows: Any) -> None:
    columns = ", ".join(c.name for c in table.c)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
