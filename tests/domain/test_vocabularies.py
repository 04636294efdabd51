"""The directory's controlled lists: one spelling stored, every older spelling read."""

from __future__ import annotations

import pytest

from referral_desk.domain.vocabularies import (
    CAPACITY_ACCEPTING,
    CAPACITY_WAITING_LIST,
    CONTROLLED_LISTS,
    SERVICE_STATUSES,
    ServiceStatus,
    capacity_value,
    in_vocabulary,
    vocabulary_key,
)


@pytest.mark.parametrize(
    "text", ["waiting_list", "Waiting-List", "  waiting   list ", "WAITING LIST"]
)
def test_older_spellings_read_as_the_stored_one(text: str) -> None:
    assert vocabulary_key(text) == "waiting list"
    assert capacity_value(text) == CAPACITY_WAITING_LIST


@pytest.mark.parametrize("text", [None, "", "closed for lunch"])
def test_blank_or_unknown_capacity_reads_as_accepting(text: str | None) -> None:
    assert capacity_value(text) == CAPACITY_ACCEPTING


def test_a_value_outside_the_list_is_not_in_the_vocabulary() -> None:
    assert in_vocabulary("Temporarily_Closed", SERVICE_STATUSES) == "temporarily closed"
    assert in_vocabulary("closed", SERVICE_STATUSES) is None
    assert in_vocabulary(None, SERVICE_STATUSES) is None


def test_a_status_member_is_the_stored_text() -> None:
    assert ServiceStatus.TEMPORARILY_CLOSED == "temporarily closed"
    assert SERVICE_STATUSES == ("active", "inactive", "temporarily closed", "defunct")


def test_every_controlled_value_is_already_in_its_stored_spelling() -> None:
    for values in CONTROLLED_LISTS.values():
        assert values and len(set(values)) == len(values)
        for value in values:
            assert vocabulary_key(value) == value
            assert in_vocabulary(value, values) == value
