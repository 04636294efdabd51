"""Validation of incoming change entries, and the quarantine for those that fail.

Every entry from another site is checked against this version's idea of its table and field
(known names, value of the column's type, null only where allowed, ids that look like ids) before
it may touch a row. One bad entry must not block the rest (DESIGN.md §6), and skipping it must
not break convergence: it is stored verbatim in `sync_quarantine`, still counts as known (so it is
relayed onward and never asked for again), and is re-validated on every later import — after an
upgrade that understands it, it applies like any other entry.

Reasons name tables and fields, never values: they are shown and may be logged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text, inspect, tuple_
from sqlalchemy.orm import Session

from referral_desk.domain.fields import FIELDS
from referral_desk.domain.hlc import HLC_MAX, hlc_wall_ms
from referral_desk.domain.states import NeedStatus, ReferralState
from referral_desk.domain.text import clean_line, clean_text
from referral_desk.store.changelog import logged_columns, utcnow
from referral_desk.store.changelog_sites import hold
from referral_desk.store.sync_models import SyncQuarantine, models_version, synced_models
from referral_desk.store.timestamps import is_canonical, timestamp_text
from referral_desk.store.trust import TRUST_TABLES

MAX_TRUST_VALUE = 1 << 20  # a signature run of 5 000 entries is about 400 kB

# Latest wall time accepted in a stamp (year 3000): a clock that followed anything later could
# run out of its 63 bits. Later stamps are quarantined (kept, relayed), never applied.
MAX_WALL_MS = 32_503_680_000_000
_NO_DEFAULT = object()

# A few fields whose values are code, not reference data: anything else would break the app.
CHOICES: dict[tuple[str, str], frozenset[str]] = {
    ("need_status_change", "to_status"): frozenset(s.value for s in NeedStatus),
    ("need_status_change", "from_status"): frozenset(s.value for s in NeedStatus),
    ("referral_status_change", "to_status"): frozenset(s.value for s in ReferralState),
    ("referral_status_change", "from_status"): frozenset(s.value for s in ReferralState),
    ("person", "setting"): frozenset({"custody", "community"}),
}


@dataclass(frozen=True)
class FieldSpec:
    """What this version knows about one synced column."""

    table: str
    name: str
    kind: str  # str | int | float | bool | date | datetime | json
    nullable: bool
    default: Callable[[], Any] | None  # model default (a factory), None when there is none
    fk_table: str | None
    personal: bool
    choices: frozenset[str] | None
    multiline: bool = False
    """Free text that keeps its line breaks (domain.fields says which); other text is one line."""

    def clean(self, value: str) -> str:
        """The text as a local write would store it (domain.text), so every site stores the
        same value and sync converges; a control character is taken out, never quarantined."""
        if _is_clean(value, self.multiline):
            return value
        return clean_text(value) if self.multiline else clean_line(value)

    @property
    def required(self) -> bool:
        """A row cannot be written until this field is known."""
        return not self.nullable and self.default is None

    @property
    def blank(self) -> Any:
        return None if self.nullable else ""


def _kind(coltype: Any) -> str:
    for cls, name in (
        (Boolean, "bool"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Integer, "int"),
        (Float, "float"),
        (JSON, "json"),
        (String, "str"),
        (Text, "str"),
    ):
        if isinstance(coltype, cls):
            return name
    return "json"  # pragma: no cover - every current column is one of the above


def _factory(col: Any) -> Callable[[], Any] | None:
    if col.default is None:
        return None
    arg = col.default.arg
    if not callable(arg):
        return lambda: arg

    def call() -> Any:
        try:
            return arg(None)
        except TypeError:
            return arg()

    return call


def _multiline(table: str, name: str, coltype: Any) -> bool:
    """Typed fields follow domain.fields; other long text (Text columns) keeps line breaks."""
    rule = FIELDS.get(table, {}).get(name)
    if rule is not None:
        return rule.multiline
    return isinstance(coltype, Text)


def _is_clean(value: str, multiline: bool) -> bool:
    """True when cleaning would return `value` unchanged (the common case, checked fast).

    Printable text has no controls, no line breaks and no white space but the plain space, so
    the cleaners could only trim its ends or (one line) collapse a run of spaces.
    """
    if not value.isprintable() or value != value.strip():
        return False
    return multiline or "  " not in value


def table_specs() -> dict[str, dict[str, FieldSpec]]:
    """Specs of every logged column of every synced table (built on first use, not at import,
    and again if another model module was imported since)."""
    return _table_specs(models_version())


@cache
def _table_specs(_version: int) -> dict[str, dict[str, FieldSpec]]:
    out: dict[str, dict[str, FieldSpec]] = {}
    for table, model in synced_models().items():
        cols = inspect(model).columns
        specs = {}
        for name in logged_columns(model):
            col = cols[name]
            fks = list(col.foreign_keys)
            specs[name] = FieldSpec(
                table=table,
                name=name,
                kind=_kind(col.type),
                nullable=bool(col.nullable),
                default=_factory(col),
                fk_table=fks[0].column.table.name if fks else None,
                personal=name in model.__personal__,
                choices=CHOICES.get((table, name)),
                multiline=_multiline(table, name, col.type),
            )
        out[table] = specs
    return out


def forget_specs() -> None:
    """Rebuild the specs on next use (after an upgrade changes what is valid; tests)."""
    _table_specs.cache_clear()


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_uuid(text: object) -> bool:
    """Canonical UUID text (what every site writes); faster than uuid.UUID for bulk checks."""
    return type(text) is str and len(text) == 36 and _UUID.fullmatch(text) is not None


def decode(spec: FieldSpec, value: Any) -> Any:
    """A JSON-decoded value as the column's Python value; ValueError if it does not fit."""
    if value is None:
        if not spec.nullable:
            raise ValueError("null not allowed")
        return None
    kind = spec.kind
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError("not text")
        if spec.fk_table is not None and not _is_uuid(value):
            raise ValueError("not an id")
        if spec.choices is not None and value not in spec.choices:
            raise ValueError("unknown code")
        return spec.clean(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("not true/false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 1 << 63:
            raise ValueError("not a whole number")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return float(value)
    if kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError("not a date")
        return date.fromisoformat(value)
    if kind == "datetime":
        if not isinstance(value, str) or not 10 <= len(value) <= 32:
            raise ValueError("not a date and time")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            raise ValueError("not a UTC date and time")
        return parsed
    return value  # json: any JSON value


def decode_text(spec: FieldSpec, text: str) -> Any:
    return decode(spec, json.loads(text))


# (site, seq, table, record, field, value JSON text, hlc, tombstone, decoded value)
ValidEntry = tuple[str, int, str, str, str, str, int, bool, Any]


_SCALARS = (str, int, float, bool, type(None))


@lru_cache(maxsize=8192)
def _parsed_scalar(text: str) -> Any:
    return json.loads(text)


def forget_parsed() -> None:
    """Drop memoised values (they may be personal data) once an import is done."""
    _parsed_scalar.cache_clear()


def _parsed(text: str) -> Any:
    """json.loads, memoised for short texts: values repeat a lot ("", null, false, codes, ids).
    Only immutable results are shared; lists and dicts are parsed afresh each time."""
    if len(text) > 64 or text[:1] in ("[", "{"):
        return json.loads(text)
    return _parsed_scalar(text)


def validate(raw: Any, good_sites: set[str] | None = None) -> ValidEntry | str:
    """A checked entry, or the reason it cannot be applied (names only, never values).
    `good_sites` caches site ids already found valid (a bundle has few, and many entries)."""
    if not isinstance(raw, list | tuple) or len(raw) != 8:
        return "malformed entry"
    site, seq, table, record, fname, value, hlc, tomb = raw
    if type(site) is not str:
        return "bad site id"
    if good_sites is None or site not in good_sites:
        if not _is_uuid(site):
            return "bad site id"
        if good_sites is not None:
            good_sites.add(site)
    if type(seq) is not int or not 0 < seq < 1 << 63:
        return "bad sequence number"
    specs = table_specs().get(table) if type(table) is str else None
    if specs is None:
        if type(table) is str and table in TRUST_TABLES:
            return _validate_trust(site, seq, table, record, fname, value, hlc, tomb)
        return "unknown table"
    if not _is_uuid(record):
        return f"bad record id in {table}"
    spec = specs.get(fname) if type(fname) is str else None
    if spec is None:
        return f"unknown field of {table}"
    if type(hlc) is not int or not 0 < hlc <= HLC_MAX:
        return "bad timestamp"
    if hlc_wall_ms(hlc) > MAX_WALL_MS:
        return "timestamp too far in the future"
    if tomb not in (0, 1) or (type(tomb) is not bool and type(tomb) is not int):
        return "bad tombstone flag"
    if tomb and fname != "deleted_at":
        return "bad tombstone flag"
    if type(value) is not str:
        return f"bad value for {table}.{fname}"
    try:
        parsed = _parsed(value)
        decoded = decode(spec, parsed)
    except (ValueError, TypeError, RecursionError):
        return f"bad value for {table}.{fname}"
    if tomb and decoded is None:
        return "bad tombstone flag"
    if spec.kind == "datetime" and decoded is not None and not is_canonical(parsed):
        # An older version's text (`…T16:21:00`): stored and relayed in the one canonical form.
        value = json.dumps(timestamp_text(decoded))
    return (site, seq, table, record, fname, value, hlc, bool(tomb), decoded)


def _validate_trust(
    site: str, seq: int, table: str, record: Any, fname: Any, value: Any, hlc: Any, tomb: Any
) -> ValidEntry | str:
    """A role grant or signature run: one entry whose value is the whole signed statement
    (its signature is checked by `sync.trust`, with the roles known at the time)."""
    if not _is_uuid(record):
        return f"bad record id in {table}"
    if fname != TRUST_TABLES[table]:
        return f"unknown field of {table}"
    if type(hlc) is not int or not 0 < hlc <= HLC_MAX or hlc_wall_ms(hlc) > MAX_WALL_MS:
        return "bad timestamp"
    if tomb not in (0, 1) or tomb:
        return "bad tombstone flag"
    if type(value) is not str or len(value) > MAX_TRUST_VALUE:
        return f"bad value for {table}.{fname}"
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return f"bad value for {table}.{fname}"
    if not isinstance(decoded, dict):
        return f"bad value for {table}.{fname}"
    return (site, seq, table, record, fname, value, hlc, False, decoded)


def raw_text(raw: Any) -> str:
    text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: keep it escaped
        return json.dumps(raw, separators=(",", ":"))
    return text


def quarantine(session: Session, items: Iterable[tuple[list[Any], str]]) -> int:
    """Store failing entries verbatim (keyed by site and seq); returns how many were added."""
    now = utcnow()
    rows = []
    for raw, reason in items:
        rows.append(
            {
                "site_id": raw[0],
                "seq": raw[1],
                "table_name": raw[2] if len(raw) > 2 and isinstance(raw[2], str) else "",
                "record_id": raw[3] if len(raw) > 3 and isinstance(raw[3], str) else "",
                "field": raw[4] if len(raw) > 4 and isinstance(raw[4], str) else "",
                "raw": raw_text(raw),
                "reason": reason,
                "first_seen_at": now,
                "last_tried_at": now,
                "tries": 1,
            }
        )
    if rows:  # an entry kept aside already stays as it was (one (site, seq), one entry)
        session.execute(SyncQuarantine.__table__.insert().prefix_with("OR IGNORE"), rows)
        hold(session, ((r["site_id"], r["seq"]) for r in rows))  # kept aside is held
    return len(rows)


def retry_some(
    session: Session, after: tuple[str, int] | None, limit: int = 1000
) -> tuple[list[ValidEntry], int, tuple[str, int] | None]:
    """Re-validate up to `limit` quarantined entries, in (site, seq) order after `after`: those
    that now pass leave the quarantine and are returned for applying; the rest stay, with
    their reason and try count updated. Returns (passed, still there, last key seen or None
    when there were no more)."""
    table = SyncQuarantine.__table__
    query = table.select().order_by(table.c.site_id, table.c.seq).limit(limit)
    if after is not None:
        query = query.where(tuple_(table.c.site_id, table.c.seq) > tuple_(*after))
    rows = session.execute(query).mappings().all()
    passed: list[ValidEntry] = []
    still = 0
    now = utcnow()
    for row in rows:
        try:
            raw = json.loads(row["raw"])
        except ValueError:
            raw = None
        result = validate(raw) if raw is not None else "malformed entry"
        key = (table.c.site_id == row["site_id"]) & (table.c.seq == row["seq"])
        if isinstance(result, tuple) and (result[0], result[1]) == (row["site_id"], row["seq"]):
            passed.append(result)
            session.execute(table.delete().where(key))
        else:
            still += 1
            reason = result if isinstance(result, str) else "malformed entry"
            if reason != row["reason"]:  # untouched otherwise: a no-op import writes nothing
                session.execute(
                    table.update()
                    .where(key)
                    .values(reason=reason, last_tried_at=now, tries=row["tries"] + 1)
                )
    last = (rows[-1]["site_id"], rows[-1]["seq"]) if rows else None
    return passed, still, last


def retry(session: Session) -> tuple[list[ValidEntry], int]:
    """Re-validate every quarantined entry (see `retry_some`; this holds all that pass)."""
    passed: list[ValidEntry] = []
    still = 0
    after: tuple[str, int] | None = None
    while True:
        got, left, after = retry_some(session, after)
        if after is None:
            return passed, still
        passed.extend(got)
        still += left
