"""Role timelines from grants: a function of the set of grants, never of their order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from referral_desk.domain.roles import (
    KEEPER,
    MANAGER,
    NOT_BY_MANAGER,
    Grant,
    RoleBook,
    implies,
    role_name,
)

ROOT = "r" * 64
KEYS = [ROOT, "a" * 64, "b" * 64, "c" * 64]


def _grant(n: int, grantee: str, role: str, granted: bool, at: int, issuer: str) -> Grant:
    return Grant(
        id=f"g{n:04d}",
        grantee_id=grantee[:8],
        grantee_key=grantee,
        role=role,
        granted=granted,
        at=at,
        issuer_id=issuer[:8],
        issuer_key=issuer,
        sig="x",
    )


def test_a_grant_counts_only_from_a_manager_and_a_revoke_wins_over_an_older_grant() -> None:
    a, b = KEYS[1], KEYS[2]
    grants = [
        _grant(1, a, MANAGER, True, 10, ROOT),
        _grant(2, b, KEEPER, True, 20, a),  # a is a manager by then
        _grant(3, b, MANAGER, True, 5, b),  # self-made: refused
        _grant(4, b, KEEPER, False, 30, ROOT),
    ]
    book = RoleBook(ROOT, grants)
    assert book.refused == {"g0003": NOT_BY_MANAGER}
    assert book.holds(b, KEEPER, 25) and not book.holds(b, KEEPER, 35)
    assert not book.holds(b, KEEPER)  # now: revoked
    assert book.holds(a, KEEPER)  # a manager may do all a keeper may
    # The old grant re-sent (same id) after the revoke changes nothing.
    assert not RoleBook(ROOT, [*grants, grants[1]]).holds(b, KEEPER)


def test_a_grant_issued_after_its_issuer_was_revoked_does_not_count() -> None:
    a, b = KEYS[1], KEYS[2]
    book = RoleBook(
        ROOT,
        [
            _grant(1, a, MANAGER, True, 10, ROOT),
            _grant(2, a, MANAGER, False, 20, ROOT),
            _grant(3, b, KEEPER, True, 30, a),
        ],
    )
    assert "g0003" in book.refused and not book.holds(b, KEEPER)


def test_role_names_as_typed_and_ranks() -> None:
    assert role_name("Directory-Keeper") == KEEPER and role_name("wizard") is None
    assert implies(MANAGER, KEEPER) and not implies(KEEPER, MANAGER)
    assert not implies(MANAGER, "commissioner")


grant_lists = st.lists(
    st.tuples(
        st.sampled_from(KEYS[1:]),
        st.sampled_from([KEEPER, MANAGER]),
        st.booleans(),
        st.integers(min_value=1, max_value=60),
        st.sampled_from(KEYS),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(grant_lists, st.randoms(use_true_random=False))
def test_every_site_agrees_whatever_order_grants_arrive_in(items, rnd: random.Random) -> None:
    grants = [_grant(n, *item[:4], item[4]) for n, item in enumerate(items)]
    # Two sites receive the same grants in different orders, one of them some twice (relays).
    first = RoleBook(ROOT, grants)
    shuffled = grants + rnd.sample(grants, k=len(grants) // 2)
    rnd.shuffle(shuffled)
    second = RoleBook(ROOT, shuffled)
    assert first.refused == second.refused
    for key in KEYS:
        for role in (KEEPER, MANAGER):
            for at in (None, 0, 15, 30, 45, 61):
                assert first.holds(key, role, at) == second.holds(key, role, at)
