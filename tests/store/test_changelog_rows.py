"""The change log's storage (`store.changelog_rows`): whatever entries are stored, in whatever
order and grouping, every one of them reads back exactly."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unlocking import open_test_database

from referral_desk.store.changelog_rows import (
    MAX_WIDTH,
    LogNames,
    entries_of_records,
    insert_entries,
    record_key,
    record_text,
    site_rows,
)

SITES = ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b", "x"]
RECORDS = [str(uuid.UUID(int=n)) for n in range(3)] + ["r-1", str(uuid.UUID(int=9)).upper(), ""]


@given(
    st.one_of(st.text(max_size=40), st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()))
)
def test_a_record_id_is_stored_and_read_back_as_it_was(record: str) -> None:
    key = record_key(record)
    assert record_text(key) == record
    assert (type(key) is bytes) == (record == str(uuid.UUID(record)) if _is_uuid(record) else False)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


# A write: consecutive seqs and stamps of one record (fields distinct); writes then shuffled
# into a log with runs broken by other sites, stamps that jump and fields written twice.
write = st.tuples(
    st.sampled_from(SITES),
    st.sampled_from(["person", "need", "service"]),
    st.sampled_from(RECORDS),
    st.lists(st.sampled_from([f"f{k}" for k in range(80)]), min_size=1, max_size=75, unique=True),
    st.integers(min_value=1, max_value=3),  # gap to the previous write's seq
    st.integers(min_value=0, max_value=2),  # jump of the stamp
    st.lists(st.one_of(st.none(), st.text(max_size=8).map(lambda t: f'"{t}"')), max_size=80),
    st.integers(min_value=0, max_value=(1 << 62) - 1),  # tombstone bits
)


def _entries(writes: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    seqs: dict[str, int] = {}
    out = []
    hlc = 1 << 40
    for site, table, record, fields, gap, jump, values, tombs in writes:
        seq = seqs.get(site, 0) + gap
        hlc += 1 + jump
        for k, f in enumerate(fields):
            value = values[k] if k < len(values) else "1"
            out.append((site, seq + k, table, record, f, value, hlc + k, (tombs >> k) & 1))
        seqs[site] = seq + len(fields) - 1
        hlc += len(fields)
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(write, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_every_entry_reads_back_exactly(tmp_path: Path, writes: list[Any], rnd: Any) -> None:
    entries = _entries(writes)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    db = open_test_database(tmp_path / uuid.uuid4().hex)  # a fresh one per example
    try:
        with db.write() as session:
            half = len(shuffled) // 2
            insert_entries(session, shuffled[:half])  # stored in two goes
            insert_entries(session, shuffled[half:])
            insert_entries(session, shuffled[:3])  # again: ignored
        with db.read() as session:
            names = LogNames(session)
            back = [e for site in SITES for row in site_rows(session, names, site) for e in row]
            assert sorted(back, key=repr) == sorted(entries, key=repr)
            for row in (r for site in SITES for r in site_rows(session, names, site)):
                assert len(row) <= MAX_WIDTH
            for table in ("person", "need", "service"):
                held = entries_of_records(session, table, RECORDS)
                assert sorted(held, key=repr) == sorted(
                    (e for e in entries if e[2] == table), key=repr
                )
            site = SITES[0]
            mine = sorted((e for e in entries if e[0] == site), key=lambda e: e[1])
            if mine:
                lo, hi = mine[len(mine) // 3][1], mine[2 * len(mine) // 3][1]
                clipped = [e for row in site_rows(session, names, site, lo, hi) for e in row]
                assert clipped == [e for e in mine if lo <= e[1] <= hi]
    finally:
        db.close()
