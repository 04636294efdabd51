"""A manager's tools check the role inside the change's own transaction (issue 13 §2)."""

from __future__ import annotations

from typing import Any

import pytest
from role_helpers import join_another_team

from referral_desk.domain.errors import NotPermitted
from referral_desk.usecases.permissions import require_manager_in


def _transactions(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every transaction opened from now on: "read" or "write"."""
    opened: list[str] = []
    for kind in ("read", "write"):
        real = getattr(app.db, kind)

        def counted(*args: Any, _real: Any = real, _kind: str = kind, **kwargs: Any) -> Any:
            opened.append(_kind)
            return _real(*args, **kwargs)

        monkeypatch.setattr(app.db, kind, counted)
    return opened


def test_a_manager_passes_and_an_officer_is_refused_in_one_line(app: Any) -> None:
    with app.db.read() as session:
        require_manager_in(session, "see who has opened a record")  # its own first manager
    join_another_team(app.db)
    with app.db.read() as session, pytest.raises(NotPermitted) as err:
        require_manager_in(session, "see who has opened a record")
    assert str(err.value).startswith("Only a manager may see who has opened a record: ask")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("use_case", "call"),
    [
        ("retention period", lambda app: app.retention.set_years(8)),
        ("retention", lambda app: app.retention.apply()),
    ],
)
def test_the_role_is_checked_in_the_same_transaction_as_the_change(
    app: Any, monkeypatch: pytest.MonkeyPatch, use_case: str, call: Any
) -> None:
    opened = _transactions(app, monkeypatch)
    call(app)
    assert opened[0] == "write"  # no separate read before it, whose answer could go stale
