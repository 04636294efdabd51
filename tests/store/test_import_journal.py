"""The import journal at the store level: applied chunks leave nothing behind them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral_desk.store import import_journal
from referral_desk.store.database import Database
from referral_desk.store.import_journal import ImportOp, JournalWriter
from referral_desk.store.import_ops import Op


def _ops_left(db: Database, run_id: str) -> dict[int, int]:
    with db.read() as session:
        rows = session.execute(
            select(ImportOp.chunk, func.count())
            .where(ImportOp.run_id == run_id)
            .group_by(ImportOp.chunk)
        )
        return {chunk: count for chunk, count in rows}


def test_each_chunk_deletes_its_ops_as_it_is_applied(
    search_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_journal, "CHUNK_WEIGHT", 4)  # two organisations per chunk
    run_id = import_journal.begin(search_db, "test")
    writer = JournalWriter(search_db, run_id)
    for i in range(6):
        writer.add(
            Op(
                "organisation",
                "insert",
                f"00000000-0000-4000-8000-00000000000{i}",
                {"name": f"Trust {i}", "website": ""},
            )
        )
    writer.flush()
    import_journal.commit(search_db, run_id, writer.chunks)
    assert writer.chunks == 3
    seen: list[dict[int, int]] = []
    import_journal.apply_run(
        search_db,
        run_id,
        after_chunk=lambda _done, _total: seen.append(_ops_left(search_db, run_id)),
    )
    # After each committed chunk only the ops still to apply remain (the last chunk's too).
    assert seen == [{1: 2, 2: 2}, {2: 2}, {}]
