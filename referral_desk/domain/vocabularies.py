"""The controlled lists of the provider directory, defined once (DESIGN.md §3).

Everything that writes or reads these values — the demo, the directory services, the screens,
HSDS import and export — takes them from here, so a value written by one part is always one
the others accept. Values are spelt as HSDS 3.0 and our published local taxonomy spell them:
lower case, words separated by spaces (`"temporarily closed"`, `"waiting list"`). Older data
written with underscores (`waiting_list`, before the vocabulary was shared) is read through
`vocabulary_key`, and migration 0010 rewrites the stored values.

Reference lists that teams edit (need categories, referral methods, prisons…) are data in the
`reference_item` table, not these fixed lists.
"""

from __future__ import annotations

from enum import StrEnum

CAPACITY_ACCEPTING = "accepting"
CAPACITY_WAITING_LIST = "waiting list"
CAPACITY_FULL = "full"
# A service's capacity (our local taxonomy term "capacity"; HSDS has no column for it).
CAPACITIES: tuple[str, ...] = (CAPACITY_ACCEPTING, CAPACITY_WAITING_LIST, CAPACITY_FULL)


class ServiceStatus(StrEnum):
    """HSDS 3.0 `service.status` (its enum, in the order the directory screens list them).

    A `StrEnum`, so a member is the stored text itself: `ServiceStatus.DEFUNCT == "defunct"`.
    What each status allows (can it take a referral?) is in `domain.service_rules`.
    """

    ACTIVE = "active"
    INACTIVE = "inactive"
    TEMPORARILY_CLOSED = "temporarily closed"
    DEFUNCT = "defunct"


SERVICE_STATUSES: tuple[str, ...] = tuple(s.value for s in ServiceStatus)

# Who a service takes (our local taxonomy term "eligibility-gender").
GENDERS: tuple[str, ...] = ("any", "male", "female")

# Every controlled list, by the field that holds it (the round-trip tests walk this).
CONTROLLED_LISTS: dict[str, tuple[str, ...]] = {
    "capacity": CAPACITIES,
    "status": SERVICE_STATUSES,
    "gender": GENDERS,
}


def vocabulary_key(text: str | None) -> str:
    """A value as the lists compare it: `Waiting_List`, `waiting-list` -> `waiting list`."""
    return " ".join((text or "").replace("_", " ").replace("-", " ").split()).lower()


def in_vocabulary(text: str | None, allowed: tuple[str, ...]) -> str | None:
    """The member of `allowed` that `text` spells (any case, `_` or `-`), else None."""
    key = vocabulary_key(text)
    return key if key in allowed else None


def capacity_value(text: str | None) -> str:
    """A stored capacity in the vocabulary; blank or unknown reads as accepting (the default)."""
    return in_vocabulary(text, CAPACITIES) or CAPACITY_ACCEPTING
