"""The sites a database knows and the seqs it holds of each (`store.changelog_sites`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine
from unlocking import open_test_database

from referral_desk.store.changelog import log_tombstones, utcnow
from referral_desk.store.changelog_sites import (
    HeldSeqs,
    SyncSite,
    held_runs,
    held_tops,
    held_vector,
    hold,
    hold_below,
    hold_runs,
)
from referral_desk.store.models import Organisation, SiteState
from referral_desk.store.trust import sign_own_entries

SITES = ("a", "b", "c")


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    with engine.begin() as c:
        SyncSite.__table__.create(c)
        yield c
    engine.dispose()


def _fresh() -> tuple[object, Connection]:
    engine = create_engine("sqlite://")
    c = engine.connect()
    SyncSite.__table__.create(c)
    return engine, c


def test_a_prefix_is_the_top_and_what_is_above_a_gap_is_a_run(conn: Connection) -> None:
    hold(conn, [("a", 1), ("a", 2), ("a", 4), ("b", 3)])
    assert held_vector(conn) == {"a": 2}
    assert held_tops(conn) == {"a": 4, "b": 3}
    assert held_runs(conn, "a") == [[1, 2], [4, 4]]
    hold(conn, [("a", 3), ("b", 1)])  # the gap filled: one prefix again
    assert held_vector(conn) == {"a": 4, "b": 1}
    assert conn.exec_driver_sql("SELECT runs FROM sync_site WHERE site_id = 'a'").scalar() is None
    assert held_runs(conn, "b") == [[1, 1], [3, 3]]


def test_each_site_is_interned_once(conn: Connection) -> None:
    hold(conn, [("a", 1)])
    hold(conn, [("b", 1)])
    hold(conn, [("a", 2)])
    rows = conn.exec_driver_sql("SELECT ord, site_id FROM sync_site ORDER BY ord").all()
    assert rows == [(1, "a"), (2, "b")]


def test_keys_that_are_not_text_and_a_positive_int_are_ignored(conn: Connection) -> None:
    hold(conn, [("a", 0), ("a", -1), (3, 1), ("a", "1"), ("a", True), ("a", 1.0)])
    assert held_tops(conn) == {}


def test_giving_up_a_site_id_keeps_only_what_is_below_the_cut(conn: Connection) -> None:
    hold_runs(conn, {"a": [[1, 10], [12, 15]]})
    hold_below(conn, "a", 13)
    assert held_runs(conn, "a") == [[1, 10], [12, 13]]
    hold_below(conn, "a", 4)
    assert held_runs(conn, "a") == [[1, 4]]
    hold_below(conn, "a", 0)
    assert held_runs(conn, "a") == [] and held_vector(conn) == {}


keys = st.lists(st.tuples(st.sampled_from(SITES), st.integers(1, 40)), max_size=60)


@given(
    batches=st.lists(keys, max_size=6), probe=st.tuples(st.sampled_from(SITES), st.integers(1, 45))
)
def test_held_is_the_union_of_what_was_held_in_any_order_and_batching(
    batches: list[list[tuple[str, int]]], probe: tuple[str, int]
) -> None:
    engine, c = _fresh()
    try:
        for batch in batches:
            hold(c, batch)
        every = {k for batch in batches for k in batch}
        for site in SITES:
            seqs = {q for s, q in every if s == site}
            got = {q for lo, hi in held_runs(c, site) for q in range(lo, hi + 1)}
            assert got == seqs
            prefix = 0
            while prefix + 1 in seqs:
                prefix += 1
            assert held_vector(c).get(site, 0) == prefix
            assert held_tops(c).get(site, 0) == max(seqs, default=0)
        held = HeldSeqs(c)
        assert (probe in held) == (probe in every)
        assert all(k in held for k in every)
    finally:
        c.close()
        engine.dispose()


def test_every_local_write_path_holds_the_seqs_it_takes(tmp_path: Path) -> None:
    """Capture (a flush), a logged tombstone and a signature run each take seqs of this site;
    each records them as held in the same transaction."""
    db = open_test_database(tmp_path / "d")
    try:
        with db.write() as session:
            session.add(Organisation(name="One"))
        with db.write() as session:
            log_tombstones(session, [("person", str(uuid.uuid4()))], utcnow(), reason="test")
        with db.write() as session:
            assert sign_own_entries(session) > 0  # logs a signature run of its own
        with db.read() as session:
            state = session.get(SiteState, 1)
            assert state is not None and state.next_seq > 3
            assert held_vector(session) == {state.site_id: state.next_seq - 1}
            assert held_tops(session) == held_vector(session)
    finally:
        db.close()
