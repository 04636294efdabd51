"""Needs are tackled in order: a new need placed before others moves them down, in the same
one transaction that logs it (issue 13 §2: it took three transactions composed in the dialog)."""

from __future__ import annotations

from typing import Any

import pytest

from referral_desk.domain.errors import ValidationError


@pytest.fixture
def person(app: Any) -> Any:
    return app.people.add(
        given_name="Zoë",
        family_name="Ward",
        date_of_birth="1999-09-09",
        consent_given_on="2026-01-01",
    )


def _order(app: Any, person: Any) -> list[tuple[str, int]]:
    return [(n.category, n.priority) for n in app.needs.list(person.id)]


def _count_writes(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every write transaction opened from now on, by reason."""
    real = app.db.write
    opened: list[str] = []

    def write(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs.get("reason", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(app.db, "write", write)
    return opened


def test_a_need_logged_first_moves_the_others_down(app: Any, person: Any) -> None:
    app.needs.log(person.id, "finance", "Rent arrears")
    app.needs.log(person.id, "ete", "Wants work")
    need = app.needs.log(person.id, "accommodation", "Needs a flat", priority=1)
    assert need.priority == 1
    assert _order(app, person) == [("accommodation", 1), ("finance", 2), ("ete", 3)]
    middle = app.needs.log(person.id, "health", "Dentist", priority=3)
    assert middle.priority == 3
    assert _order(app, person) == [
        ("accommodation", 1),
        ("finance", 2),
        ("health", 3),
        ("ete", 4),
    ]


def test_without_a_priority_or_beyond_the_end_a_need_goes_last(app: Any, person: Any) -> None:
    app.needs.log(person.id, "finance", "Rent arrears")
    assert app.needs.log(person.id, "ete", "Wants work").priority == 2
    assert app.needs.log(person.id, "health", "Dentist", priority=9).priority == 3
    assert _order(app, person) == [("finance", 1), ("ete", 2), ("health", 3)]


@pytest.mark.parametrize("bad", [0, -1, "first", True])
def test_a_priority_that_is_not_a_place_changes_nothing(app: Any, person: Any, bad: Any) -> None:
    app.needs.log(person.id, "finance", "Rent arrears")
    with pytest.raises(ValidationError, match="Priority must be a whole number"):
        app.needs.log(person.id, "ete", "Wants work", priority=bad)
    assert _order(app, person) == [("finance", 1)]


def test_placing_a_new_need_is_one_transaction(
    app: Any, person: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.needs.log(person.id, "finance", "Rent arrears")
    app.needs.log(person.id, "ete", "Wants work")
    opened = _count_writes(app, monkeypatch)
    app.needs.log(person.id, "accommodation", "Needs a flat", priority=1)
    assert opened == ["log need"]
