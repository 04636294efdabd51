"""Reference lists, team settings and officers (`store.reference_queries`): live rows only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referral_desk.store import reference_queries as q
from referral_desk.store.models import Officer, ReferenceItem, TeamSetting

WHEN = datetime(2026, 2, 1, 12, 0)


def test_deleted_and_deprecated_entries(app: Any) -> None:
    with app.db.read() as s:
        items = q.reference_items(s, "need_category")
        assert items
        first = items[0].id
    with app.db.write() as s:
        s.get(ReferenceItem, first).deprecated_at = WHEN
    with app.db.read() as s:
        assert first not in {i.id for i in q.reference_items(s, "need_category")}
        every = q.reference_items(s, "need_category", include_deprecated=True)
        assert first in {i.id for i in every}
    with app.db.write() as s:
        s.get(ReferenceItem, first).deleted_at = WHEN
    with app.db.read() as s:
        every = q.reference_items(s, "need_category", include_deprecated=True)
        assert first not in {i.id for i in every}


def test_team_settings_and_officers(app: Any) -> None:
    with app.db.write() as s:
        s.add(TeamSetting(key="x_test", value=5))
    with app.db.read() as s:
        assert q.team_setting_value(s, "x_test") == 5
        assert q.team_setting_value(s, "missing") is None
        officers = q.officers(s)
        assert [o.name for o in q.officers_named(s, officers[0].name)] == [officers[0].name]
    with app.db.write() as s:
        s.query(TeamSetting).filter_by(key="x_test").one().deleted_at = WHEN
        s.get(Officer, officers[0].id).deleted_at = WHEN
    with app.db.read() as s:
        assert q.team_setting_value(s, "x_test") is None
        assert officers[0].id not in {o.id for o in q.officers(s)}
        assert q.officers_named(s, officers[0].name) == []
