"""What an import reports: the journal keeps what a resumed import needs (and a damaged journal
entry starts again from zero), and a need changed in two batches is counted once."""

from __future__ import annotations

import json

import pytest

from referral_desk.sync.import_results import ImportSummary, RefusedFile, Totals
from referral_desk.sync.merge import MergeStats


def test_the_journal_keeps_what_a_resumed_import_needs() -> None:
    totals = Totals(new={"1": 4, "2": 0}, max_hlc=987654321, released=2, still=1, quarantined=3)
    totals.conflicts = 5  # summary only: not kept
    again = Totals.from_json(totals.to_json())
    assert (again.new, again.max_hlc, again.released, again.still, again.quarantined) == (
        {"1": 4, "2": 0},
        987654321,
        2,
        1,
        3,
    )
    assert again.conflicts == 0


@pytest.mark.parametrize(
    "text", ["", "not json", "[]", '{"new": [1, 2]}', '{"max_hlc": "lots"}', '{"new": {"1": null}}']
)
def test_a_damaged_journal_entry_reads_as_nothing_counted(text: str) -> None:
    assert Totals.from_json(text) == Totals()


def test_history_rows_count_once_for_the_record_they_belong_to() -> None:
    first, second = MergeStats(), MergeStats()
    first.changed["needs"].update({"n1", "n2"})
    first.changed["people"].add("p1")
    first.conflicts = 1
    second.changed["needs"].add("n1")  # its status change, in a later batch
    second.changed["people"].add("p2")
    second.deleted = 2
    totals = Totals()
    totals.add(first)
    totals.add(second)
    assert totals.counts() == {
        "people": 2,
        "needs": 2,
        "referrals": 0,
        "follow_ups": 0,
        "directory": 0,
        "other": 0,
    }
    assert (totals.conflicts, totals.deleted) == (1, 2)


def test_a_summary_is_plain_json_and_knows_when_nothing_is_new() -> None:
    assert ImportSummary().nothing_new
    assert not ImportSummary(released=1).nothing_new
    summary = ImportSummary(entries_new=3, refused=(RefusedFile("outbox/a/b.rdsync", "damaged"),))
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["refused"] == [{"name": "outbox/a/b.rdsync", "reason": "damaged"}]
    assert not summary.nothing_new
