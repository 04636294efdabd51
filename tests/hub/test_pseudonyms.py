"""Keyed pseudonyms: stable within a team, different across teams and kinds, key kept once."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from referral_desk.hub.pseudonyms import KEY_BYTES, KEY_SETTING, Pseudonymiser, team_key
from referral_desk.store.models import TeamSetting

PERSON = "5a0c3a3e-0000-4000-8000-000000000abc"


def test_the_same_record_is_the_same_pseudonym_under_one_key() -> None:
    one, two = Pseudonymiser(b"k" * KEY_BYTES), Pseudonymiser(b"k" * KEY_BYTES)
    assert one.of("person", PERSON) == two.of("person", PERSON)
    assert len(one.of("person", PERSON) or "") == 32
    assert PERSON not in (one.of("person", PERSON) or "")


def test_another_key_or_kind_gives_another_pseudonym() -> None:
    ours, theirs = Pseudonymiser(b"a" * KEY_BYTES), Pseudonymiser(b"b" * KEY_BYTES)
    assert ours.of("person", PERSON) != theirs.of("person", PERSON)
    assert ours.of("person", PERSON) != ours.of("need", PERSON)


def test_no_record_has_no_pseudonym() -> None:
    assert Pseudonymiser(b"a" * KEY_BYTES).of("person", None) is None
    assert Pseudonymiser(b"a" * KEY_BYTES).of("person", "") is None


def test_the_team_key_is_made_once_and_then_kept(app: Any) -> None:
    with app.db.write(reason="test") as session:
        first = team_key(session)
    with app.db.write(reason="test") as session:
        assert team_key(session) == first
    assert len(first) == KEY_BYTES


def test_a_damaged_stored_key_is_replaced_by_a_whole_one(app: Any) -> None:
    with app.db.write(reason="test") as session:
        team_key(session)
        row = session.scalar(select(TeamSetting).where(TeamSetting.key == KEY_SETTING))
        row.value = base64.b64encode(b"short").decode("ascii")
    with app.db.write(reason="test") as session:
        key = team_key(session)
        stored = session.scalar(select(TeamSetting).where(TeamSetting.key == KEY_SETTING))
        assert len(key) == KEY_BYTES
        assert base64.b64decode(stored.value) == key
