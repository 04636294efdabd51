"""`encode_value` takes short cuts for plain values (it runs for every value an export reads
from a row); they must give exactly the text the general JSON encoding gives."""

from __future__ import annotations

import json
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from referral_desk.store.value_text import encode_value

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_every_value_encodes_as_the_canonical_json_text(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert encode_value(value) == expected


def test_dates_and_datetimes_encode_as_the_text_their_columns_hold() -> None:
    assert encode_value(date(2026, 3, 1)) == '"2026-03-01"'
    assert encode_value(datetime(2026, 3, 10, 14, 0)) == '"2026-03-10 14:00:00.000000"'
