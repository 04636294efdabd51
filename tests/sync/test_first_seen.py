"""When this PC first saw each bundle (`sync/first_seen.py`): the age pruning and "a snapshot is
due" measure on this PC's clock only, never the writer's."""

from __future__ import annotations

from datetime import datetime, timedelta

from referral_desk.sync.first_seen import first_seen

STORE = "store-1"
DAY0 = datetime(2026, 1, 5, 9, 0)


def test_a_bundle_keeps_the_time_this_pc_first_saw_it(make_site):
    site = make_site("a")
    with site.db.write(reason="test") as session:
        assert first_seen(session, STORE, ["x"], DAY0, save=True) == {"x": DAY0}
    later = DAY0 + timedelta(days=10)
    with site.db.write(reason="test") as session:
        got = first_seen(session, STORE, ["x", "y"], later, save=True)
    assert got == {"x": DAY0, "y": later}


def test_a_bundle_gone_from_the_store_is_forgotten(make_site):
    site = make_site("a")
    with site.db.write(reason="test") as session:
        first_seen(session, STORE, ["x", "y"], DAY0, save=True)
    later = DAY0 + timedelta(days=10)
    with site.db.write(reason="test") as session:
        first_seen(session, STORE, ["y"], later, save=True)
    with site.db.write(reason="test") as session:  # x again: a new file as far as we know
        assert first_seen(session, STORE, ["x", "y"], later, save=True) == {"x": later, "y": DAY0}


def test_a_time_ahead_of_this_pcs_clock_is_brought_back_to_now(make_site):
    """The clock was 100 days ahead and has been put right: the bundle is new, not "seen in
    the future" (which would keep it 100 days past the retention period)."""
    site = make_site("a")
    ahead = DAY0 + timedelta(days=100)
    with site.db.write(reason="test") as session:
        first_seen(session, STORE, ["x"], ahead, save=True)
    with site.db.write(reason="test") as session:
        assert first_seen(session, STORE, ["x"], DAY0, save=True) == {"x": DAY0}


def test_without_save_nothing_is_remembered_and_stores_are_kept_apart(make_site):
    site = make_site("a")
    with site.db.read() as session:
        first_seen(session, STORE, ["x"], DAY0, save=False)
    later = DAY0 + timedelta(days=3)
    with site.db.write(reason="test") as session:
        assert first_seen(session, STORE, ["x"], later, save=True) == {"x": later}
        assert first_seen(session, "store-2", ["x"], DAY0, save=True) == {"x": DAY0}
        assert first_seen(session, STORE, ["x"], later, save=False) == {"x": later}
