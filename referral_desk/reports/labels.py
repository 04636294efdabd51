"""Row and column labels from reference lists, and "Other" for anything that is not in them.

Why: a report row's label is printed for commissioners and leaves the machine. New input only
accepts list entries (services refuse anything else), but a value can still arrive that is not
in the list: typed freely in an older version, synced from a site that allowed it, or a code
retired and then removed. Such a value is counted under "Other" and never printed as typed,
in every format, because it may hold anything (a cell number, a name).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.store.models import ReferenceItem

__all__ = ["NOT_RECORDED", "OTHER", "ListLabels", "list_labels", "other_code"]

OTHER = "Other"
NOT_RECORDED = "Not recorded"


def list_labels(session: Session, list_name: str, *, active_only: bool = False) -> dict[str, str]:
    """code -> label of a reference list, in list order (retired codes too, unless asked)."""
    stmt = select(ReferenceItem.code, ReferenceItem.label).where(
        ReferenceItem.list_name == list_name, ReferenceItem.deleted_at.is_(None)
    )
    if active_only:
        stmt = stmt.where(ReferenceItem.deprecated_at.is_(None))
    rows = session.execute(stmt.order_by(ReferenceItem.sort_order, ReferenceItem.label))
    return {code: label for code, label in rows}


def other_code(labels: dict[str, str], fallback: str) -> str:
    """The code to count unlisted values under: the list's own "Other" entry when it has one
    (need categories, end reasons), so a table has one "Other" row, else `fallback`."""
    return next((code for code, label in labels.items() if label.casefold() == "other"), fallback)


class ListLabels:
    """Stored values matched to list entries by code or label (any case, any spacing).

    Retired entries still match: old records use them, and their label is list data, not
    something typed. A blank value is "Not recorded"; a value in no list is "Other".
    """

    def __init__(self, session: Session, *list_names: str) -> None:
        self.lookup: dict[str, str] = {}
        for list_name in list_names:
            for code, label in list_labels(session, list_name).items():
                self.lookup.setdefault(_key(code), label)
                self.lookup.setdefault(_key(label), label)

    def __call__(self, value: str | None, blank: str = NOT_RECORDED) -> str:
        key = _key(value)
        if not key:
            return blank
        return self.lookup.get(key, OTHER)


def _key(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()
