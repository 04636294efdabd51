"""When this PC first saw each bundle file in a store, by its own clock.

Retention and "a snapshot is due" measure a bundle's age. The `created` stamp in a bundle's
manifest is the writer's clock: a colleague's PC whose clock is 100 days ahead would make its
new bundles look 100 days younger (and its snapshot "new" for 130 days, so nobody else writes
one), and this PC's clock 100 days ahead would make a colleague's new bundle look 100 days old.
Comparing two PCs' clocks is never safe, so the age of a bundle is measured only on this PC's
clock: from the moment this PC first listed the file in the store. A PC that first lists a
bundle late only keeps it longer (never shorter) than the retention period.

Kept in `local_setting` `sync_bundle_first_seen` as {store id: {bundle id: ISO time}}; only the
bundles still in the store are kept, so it is bounded by what pruning leaves. A time later than
this PC's clock now (its clock was ahead and has been put right) is brought back to now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from referral_desk.store.models import LocalSetting, put_local_setting

FIRST_SEEN = "sync_bundle_first_seen"


def _load(session: Session) -> dict[str, object]:
    row = session.get(LocalSetting, FIRST_SEEN)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


def first_seen(
    session: Session, store_id: str, bundle_ids: Iterable[str], now: datetime, *, save: bool
) -> dict[str, datetime]:
    """bundle id -> when this PC first saw it in this store (now for one never seen before).
    `save`: remember them (in the caller's transaction), forgetting bundles no longer listed."""
    record = _load(session)
    stored = record.get(store_id)
    before = dict(stored) if isinstance(stored, dict) else {}
    out: dict[str, datetime] = {}
    for bundle_id in sorted(set(bundle_ids)):
        when = _parse(before.get(bundle_id))
        out[bundle_id] = now if when is None or when > now else when
    if save:
        after = {k: v.isoformat() for k, v in out.items()}
        if after != before:
            record[store_id] = after
            put_local_setting(session, FIRST_SEEN, record)
    return out


__all__ = ["FIRST_SEEN", "first_seen"]
