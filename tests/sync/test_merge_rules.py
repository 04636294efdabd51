"""The vocabulary of a merge: tables merged parents first, entries ordered by their stamp,
records counted by what an officer calls them, and reasons for waiting counted by kind."""

from __future__ import annotations

from referral_desk.store.models import Base
from referral_desk.store.sync_models import synced_models
from referral_desk.sync.merge_rules import (
    CATEGORY,
    PARENT_FIELD,
    STATUS_CACHES,
    MergeStats,
    chunks,
    pending_reason,
    stamp_key,
    table_of,
    table_order,
)


def test_every_synced_table_is_merged_after_the_tables_it_points_at() -> None:
    order = table_order()
    assert set(order) == set(synced_models())
    position = {name: i for i, name in enumerate(order)}
    for name in order:
        for fk in table_of(name).foreign_keys:
            parent = fk.column.table.name
            if parent in position and parent != name:
                assert position[parent] < position[name], (parent, name)


def test_the_categories_history_links_and_status_caches_name_real_tables() -> None:
    tables = Base.metadata.tables
    for name in [*CATEGORY, *PARENT_FIELD]:
        assert name in tables, name
    for child, link in PARENT_FIELD.items():
        assert link in tables[child].columns
    for table, history, link, _default in STATUS_CACHES:
        assert table in tables and link in tables[history].columns


def test_entries_order_by_clock_then_site_then_sequence() -> None:
    entries = [
        ("name", "b", 5, "site-b", 1, True, None),
        ("name", "a", 5, "site-a", 9, True, None),
        ("name", "c", 4, "site-z", 1, True, None),
        ("name", "d", 5, "site-a", 2, True, None),
    ]
    assert [e[1] for e in sorted(entries, key=stamp_key)] == ["c", "d", "a", "b"]


def test_reasons_for_waiting_are_counted_by_kind() -> None:
    assert pending_reason("waiting for person") == "person"
    assert pending_reason("incomplete") == "incomplete"
    assert pending_reason("duplicate key") == "duplicate key"
    assert pending_reason("anything else") == "refused"


def test_counts_say_how_many_records_changed_not_how_many_rows() -> None:
    stats = MergeStats()
    stats.changed["people"].update(["p1", "p1", "p2"])
    stats.changed["directory"].add("s1")
    assert stats.counts() == {
        "people": 2,
        "needs": 0,
        "referrals": 0,
        "follow_ups": 0,
        "directory": 1,
        "other": 0,
    }


def test_chunks_cover_every_item_once_in_order() -> None:
    items = list(range(1003))
    parts = list(chunks(items, 500))
    assert [len(p) for p in parts] == [500, 500, 3]
    assert [x for p in parts for x in p] == items
    assert list(chunks([], 500)) == []
