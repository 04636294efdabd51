"""The JSON text a logged value travels as (`encode_value`): capture encodes with it, and the
change log reads values back from the records' rows with it (`store.changelog_values`), so both
must give the same text for the same value. A module of its own so both can import it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from referral_desk.store.timestamps import timestamp_text

# One encoder, made once: `json.dumps` with these options builds a new one per call, and this
# runs for every value an export reads from a row.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
_PLAIN: dict[type, Any] = {
    str: json.encoder.encode_basestring,  # what the encoder itself calls for a string
    int: str,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _v: "null",
}


def encode_value(value: Any) -> str:
    """JSON text of a column value: dates as `YYYY-MM-DD`, datetimes in the canonical form of
    `store.timestamps` (the same text as the column holds)."""
    plain = _PLAIN.get(type(value))
    if plain is not None:
        return plain(value)
    if isinstance(value, datetime):
        value = timestamp_text(value)
    elif isinstance(value, date):
        value = value.isoformat()
    return _ENCODER.encode(value)


__all__ = ["encode_value"]
