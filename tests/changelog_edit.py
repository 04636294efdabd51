"""Alter an entry's stored value behind the app's back, as an older version or an attacker
could: the log keeps a record write's values as one JSON array (`store.changelog_rows`)."""

from __future__ import annotations

import sqlite3

_SET = (
    "UPDATE change_write SET vals = json_set(coalesce(vals, (SELECT '[' || "
    "substr(replace(hex(zeroblob(width)), '00', ',null'), 2) || ']' FROM sync_shape "
    "WHERE ord = shape)), '$[' || (? - seq) || ']', ?) "
    "WHERE site = (SELECT ord FROM sync_site WHERE site_id = ?) AND seq <= ? "
    "AND seq + (SELECT width FROM sync_shape WHERE ord = shape) > ?"
)


def set_logged_value(conn: sqlite3.Connection, site: str, seq: int, value: str) -> None:
    """Replace the value text of entry (site, seq) on a raw connection (caller commits)."""
    conn.execute(_SET, (seq, value, site, seq, seq))
