"""The access log's reads (`store.access_queries`): live rows only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from referral_desk.store import access_queries as q
from referral_desk.store.access_models import RecordAccess

AT = datetime(2026, 2, 1, 12, 0)


def test_accesses_newest_first_and_deleted_ones_left_out(app: Any) -> None:
    pid = app.people.add(given_name="Ada", family_name="Read", date_of_birth="1980-01-02").id
    with app.db.write() as s:
        old = RecordAccess(person_id=pid, officer_id=None, at=AT, kind="open")
        new = RecordAccess(person_id=pid, officer_id="o1", at=AT + timedelta(hours=1), kind="show")
        s.add_all([old, new])
    with app.db.read() as s:
        assert [a.id for a in q.accesses_to(s, pid)] == [new.id, old.id]
        assert q.accessed_since(s, pid, None, "open", AT - timedelta(minutes=1))
        assert not q.accessed_since(s, pid, None, "open", AT)
        assert q.accessed_since(s, pid, "o1", "show", AT)
    with app.db.write() as s:
        s.get(RecordAccess, new.id).deleted_at = AT
    with app.db.read() as s:
        assert new.id not in {a.id for a in q.accesses_to(s, pid)}
        assert not q.accessed_since(s, pid, "o1", "show", AT)
