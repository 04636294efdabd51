"""Encoding values fast for `store.bulk`: the change log's JSON and the columns' bind values.

A bulk load repeats the same few kinds of value hundreds of thousands of times, so the common
cases (strings, booleans, dates, empty lists) skip `json.dumps` and the generic processors;
anything else goes through `changelog.encode_value`, so the output is always the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime

from referral_desk.store import changelog
from referral_desk.store.timestamps import timestamp_text

_CACHE_LIMIT = 200_000
_ONLY_STR = {str}
_BOOL_KINDS = {bool, type(None)}
_BOOL_TEXT = {True: "true", False: "false", None: "null"}
# RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_UUID_VARIANT = {c: format(8 | (int(c, 16) & 3), "x") for c in "0123456789abcdef"}

_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _encode_scalar(value: Any, kind: type) -> str | None:
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if (kind is list or kind is dict) and not value:
        return "[]" if kind is list else "{}"
    return None


def fast_encode(value: Any) -> str:
    """`changelog.encode_value`, with the common types short-cut (same output).

    `json.dumps(s, ensure_ascii=False)` is exactly `encode_basestring(s)`; anything that is not
    a plain scalar, a date or an empty list or dict (floats, non-empty lists and dicts) goes
    through `encode_value` itself.
    """
    kind = type(value)
    text = _encode_scalar(value, kind)
    if text is not None:
        return text
    if kind is datetime:
        return '"' + timestamp_text(value) + '"'
    if kind is date:
        return '"' + value.isoformat() + '"'
    return changelog.encode_value(value)


def caching_encoder(limit: int = _CACHE_LIMIT) -> Callable[[Any], str]:
    """`fast_encode` remembering dates and datetimes (a load repeats them thousands of times)."""
    cache: dict[Any, str] = {}

    def encode(value: Any) -> str:
        kind = type(value)
        if kind is str:
            return _encode_str(value)
        if kind is date or kind is datetime:
            text = cache.get(value)
            if text is None:
                text = fast_encode(value)
                if len(cache) < limit:
                    cache[value] = text
            return text
        return fast_encode(value)

    return encode


def fast_processor(processor: Callable[[Any], Any], column_type: Any) -> Callable[[Any], Any]:
    """The column's bind processor, short-cut for what a load repeats thousands of times.

    Dates and datetimes are remembered (the stored text depends on the value only); empty lists
    and dicts in JSON columns skip `json.dumps`. Other values go to the processor as they are.
    """
    if isinstance(column_type, JSON):

        def process_json(value: Any) -> Any:
            kind = type(value)
            if (kind is list or kind is dict) and not value:
                return "[]" if kind is list else "{}"
            return processor(value)

        return process_json
    if not isinstance(column_type, Date | DateTime):
        return processor
    cache: dict[Any, Any] = {}

    def process_date(value: Any) -> Any:
        result = cache.get(value)
        if result is None:
            result = processor(value)
            if len(cache) < _CACHE_LIMIT:
                cache[value] = result
        return result

    return process_date


def new_ids(count: int) -> list[str]:
    """`count` random UUIDs (version 4), as `str(uuid.uuid4())` spells them, made in one go.

    About three times faster than calling `uuid4` per record, which shows at 400 000 records.
    """
    raw = os.urandom(16 * count).hex()
    variant = _UUID_VARIANT
    return [
        f"{raw[i : i + 8]}-{raw[i + 8 : i + 12]}-4{raw[i + 13 : i + 16]}-"
        f"{variant[raw[i + 16]]}{raw[i + 17 : i + 20]}-{raw[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def encode_column(column: list[Any], encode: Callable[[Any], str]) -> list[str]:
    """Encode one column's values; a column of one plain type takes a C-level path."""
    kinds = set(map(type, column))
    if kinds == _ONLY_STR:
        return list(map(_encode_str, column))
    if kinds <= _BOOL_KINDS:
        return list(map(_BOOL_TEXT.__getitem__, column))
    return list(map(encode, column))
