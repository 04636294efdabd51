"""Fast encoding for bulk loads (`store.bulk_encoding`): the same bytes as the change-log
listener, and ids that are real version-4 UUIDs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from referral_desk.store import changelog
from referral_desk.store.bulk_encoding import encode_column, fast_encode, new_ids


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "Siân Llŷr Gwenllïan Łukasz Zoë",
        'quote " and \\ backslash',
        "tab\tnew\nline",
        "\x00\x1f\x7f control",
        "\u2028 separators \u2029",
        "emoji 🚀",
        "",
        None,
        True,
        False,
        0,
        -17,
        2**62,
        45.5,
        0.1 + 0.2,
        date(2025, 3, 1),
        datetime(2025, 3, 1, 9, 30),
        datetime(2025, 3, 1, 9, 30, 0, 123),
        [],
        {},
        ["English", "Cymraeg"],
        {"b": 1, "a": [2]},
    ],
)
def test_fast_encoding_matches_the_change_log_listener(value: object) -> None:
    assert fast_encode(value) == changelog.encode_value(value)


def test_new_ids_are_version_4_uuids() -> None:
    ids = new_ids(2000)
    assert len(set(ids)) == 2000
    for text_id in ids[:200]:
        parsed = uuid.UUID(text_id)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text_id


@pytest.mark.parametrize(
    "column", [["a", "b\n"], [True, None, False], [1, "x", None, date(2025, 1, 2)]]
)
def test_a_column_is_encoded_value_by_value_alike(column: list[object]) -> None:
    assert encode_column(column, fast_encode) == [changelog.encode_value(v) for v in column]
