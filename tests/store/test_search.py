"""Provider search engine (store.search): tokens, ranking, typos, filters and caching."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.search_query import SearchQuery, normalise_gender
from referral_desk.store import search as search_module
from referral_desk.store.database import Database
from referral_desk.store.models import ReferenceItem, Service
from referral_desk.store.search import (
    Hit,
    ServiceSearch,
    search_services,
)

AWKWARD = [
    "",
    "   ",
    "St Martin's",
    '"',
    '""',
    "*",
    "-",
    "(",
    ")",
    "a AND OR NOT (",
    "NEAR(a b)",
    "name:lighthouse",
    "{name}: x",
    "^light",
    "light*",
    "-housing",
    "+",
    "'",
    "\\",
    "%_",
    "\x00",
    "\u0301",
    "e\u0301",
    "🙂 housing",
    "日本語",
    "ß",
    "İstanbul",
    "a" * 5000,
    " ".join(["word"] * 50),
    "AND",
    "OR",
    "NOT",
    "x OR",
    "lighthouse NOT",
    ":memory:",
    "; DROP TABLE service; --",
    "\ud800 lone surrogate",
]


def ids(hits: list[Hit]) -> list[str]:
    return [h.service_id for h in hits]


def run(db: Database, engine: ServiceSearch | None = None, **kwargs: object) -> list[Hit]:
    with db.read() as session:
        return search_services(session, SearchQuery(**kwargs), engine)  # type: ignore[arg-type]


# --- SearchQuery -----------------------------------------------------------------------------


def test_search_query_validates_and_normalises() -> None:
    q = SearchQuery(text="x", setting=" Custody ", gender="F", area="  ", category="")
    assert q.setting == "custody"
    assert q.gender == "female"
    assert q.area is None and q.category is None
    assert SearchQuery(gender="m").gender == "male"
    assert SearchQuery(gender="any").gender is None
    assert normalise_gender("Non-binary") == "non-binary"
    assert not SearchQuery().has_filters
    assert SearchQuery(free=True).has_filters


@pytest.mark.parametrize(
    "kwargs",
    [
        {"setting": "prison"},
        {"limit": 0},
        {"limit": 1001},
        {"age": -1},
        {"age": 121},
        {"age": True},
        {"limit": 2.5},
    ],
)
def test_search_query_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SearchQuery(**kwargs)  # type: ignore[arg-type]


# --- ranking ---------------------------------------------------------------------------------


def test_prefix_as_you_type_finds_lighthouse(search_db: Database, directory: Any) -> None:
    light = directory.service("Lighthouse Mentoring", categories=["mentoring"])
    directory.service("Debt advice", categories=["finance"])
    for typed in ("li", "lig", "ligh", "lighth", "Lighthouse", "LIGHTHOUSE ment"):
        assert ids(run(search_db, text=typed)) == [light], typed


def test_name_match_beats_description_match(search_db: Database, directory: Any) -> None:
    in_description = directory.service(
        "Tenancy support", description="Near the lighthouse, by the harbour. " * 3
    )
    in_name = directory.service("Lighthouse housing advice", description="Housing advice.")
    in_org = directory.service("Money advice", organisation="Lighthouse Trust")
    hits = run(search_db, text="lighthouse")
    assert ids(hits) == [in_name, in_org, in_description]
    assert hits[0].score > hits[1].score > hits[2].score > 0


@pytest.mark.parametrize("typed", AWKWARD)
def test_awkward_text_never_fails(search_db: Database, directory: Any, typed: str) -> None:
    directory.service("St Martin's Housing", categories=["accommodation"])
    hits = run(search_db, text=typed)
    assert isinstance(hits, list)


def test_apostrophes_and_operators_are_words(search_db: Database, directory: Any) -> None:
    martin = directory.service("St Martin's Housing", categories=["accommodation"])
    operators = directory.service("Not Alone: AND or OR", description="near (x) -y")
    assert ids(run(search_db, text="St Martin's")) == [martin]
    assert ids(run(search_db, text="St Martin")) == [martin]
    assert ids(run(search_db, text="st martins")) == [martin]  # by typo tolerance
    assert ids(run(search_db, text="not alone")) == [operators]
    assert ids(run(search_db, text='"AND" OR')) == [operators]
    assert ids(run(search_db, text="near(x)")) == [operators]


def test_category_synonyms_are_searchable(search_db: Database, directory: Any) -> None:
    beds = directory.service("Night shelter beds", categories=["accommodation"])
    directory.service("Job club", categories=["ete"])
    assert ids(run(search_db, text="housing")) == [beds]  # a synonym of Accommodation
    assert ids(run(search_db, text="accommodation")) == [beds]  # the label itself


def test_category_label_change_reindexes(search_db: Database, directory: Any) -> None:
    grief = directory.service("Cruse drop-in", categories=["bereavement"])
    engine = ServiceSearch()
    assert ids(run(search_db, engine, text="kintsugi")) == []
    with search_db.write() as session:
        item = session.scalars(
            select(ReferenceItem).where(
                ReferenceItem.list_name == "need_category", ReferenceItem.code == "bereavement"
            )
        ).one()
        item.synonyms = item.synonyms + " kintsugi"
    assert ids(run(search_db, engine, text="kintsugi")) == [grief]
    directory.delete_category(grief, "bereavement")
    assert ids(run(search_db, engine, text="kintsugi")) == []


# --- typo tolerance --------------------------------------------------------------------------


def test_typos_find_the_intended_service_with_a_lower_score(
    search_db: Database, directory: Any
) -> None:
    light = directory.service("Lighthouse Mentoring", categories=["mentoring"])
    directory.service("Debt advice", categories=["finance"])
    exact = run(search_db, text="lighthouse")
    for typo in ("lihgthouse", "lighthose", "ligthouse", "lihgt", "lighthouse mentorign"):
        hits = run(search_db, text=typo)
        assert ids(hits) == [light], typo
    assert run(search_db, text="lihgthouse")[0].score < exact[0].score
    assert run(search_db, text="lxqzv") == []


def test_fuzzy_hits_rank_below_exact_ones(search_db: Database, directory: Any) -> None:
    exact = directory.service("Hostel", description="Beds.")
    near = directory.service("Hostels", description="Beds.")  # 'hostels' is one edit away
    hits = run(search_db, text="hostel ")  # finished word: not a prefix
    assert ids(hits) == [exact, near]
    assert hits[0].score > hits[1].score


def test_short_tokens_are_not_corrected(search_db: Database, directory: Any) -> None:
    directory.service("Gym referral")
    assert run(search_db, text="gmy ") == []


# --- caching ---------------------------------------------------------------------------------


def test_new_service_is_found_at_once_including_by_typo(
    search_db: Database, directory: Any
) -> None:
    directory.service("Debt advice", categories=["finance"])
    engine = ServiceSearch()
    assert run(search_db, engine, text="lihgthouse") == []
    assert run(search_db, engine, text="") != []
    loads = engine.state.loads
    run(search_db, engine, text="lihgthouse")
    run(search_db, engine, text="")
    assert engine.state.loads == loads  # nothing changed: the cached views were reused

    light = directory.service("Lighthouse Mentoring", categories=["mentoring"])
    assert ids(run(search_db, engine, text="lihgthouse")) == [light]
    assert light in ids(run(search_db, engine, text=""))
    assert ids(run(search_db, engine, text="l")) == [light]
    assert engine.state.loads > loads

    directory.update(light, name="Beacon Mentoring")
    assert run(search_db, engine, text="lighthouse") == []
    assert ids(run(search_db, engine, text="baecon")) == [light]
    assert ids(run(search_db, engine, text="b")) == [light]


def test_search_inside_a_write_transaction_sees_its_own_changes(
    search_db: Database, directory: Any
) -> None:
    directory.service("Debt advice", categories=["finance"])
    engine = ServiceSearch()
    with search_db.read() as session:
        engine.search(session, SearchQuery(text="lihgthouse"))  # warm the caches
        engine.search(session, SearchQuery())
    with search_db.write() as session:
        org = session.scalars(select(Service.organisation_id)).first()
        svc = Service(name="Lighthouse Mentoring", organisation_id=org)
        session.add(svc)
        session.flush()
        assert ids(engine.search(session, SearchQuery(text="lihgthouse"))) == [svc.id]
        assert svc.id in ids(engine.search(session, SearchQuery()))


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def filter_set(directory: Any) -> dict[str, str]:
    """Services that differ in one filterable property each; all mention 'support'."""
    d = directory
    return {
        "plain": d.service("Plain support", categories=["finance"], areas=["Leeds"]),
        "housing": d.service(
            "Housing support", categories=["accommodation", "finance"], areas=["West Yorkshire"]
        ),
        "custody": d.service(
            "Custody support", prisons=["HMP Leeds", "HMP Styal"], community=False
        ),
        "gate": d.service("Gate support", through_the_gate=True, community=False),
        "women": d.service("Women support", gender="female"),
        "men": d.service("Men support", gender="male"),
        "young": d.service("Young adult support", min_age=18, max_age=25),
        "paid": d.service("Paid support", free=False, unit_cost=120.0),
        "prechecked": d.service("Prechecked support", isp_agreed=True, reports_attendance=True),
        "half_checked": d.service("Halfchecked support", isp_agreed=True),
        "full": d.service("Full support", capacity="full"),
        "inactive": d.service("Inactive support", status="inactive"),
        "closed": d.service("Closed support", status="temporarily closed"),
        "deleted": d.service("Deleted support"),
    }


@pytest.fixture
def filtered(search_db: Database, directory: Any, filter_set: dict[str, str]) -> dict[str, str]:
    directory.delete(filter_set["deleted"])
    return filter_set


def names(db: Database, services: dict[str, str], **kwargs: object) -> set[str]:
    by_id = {v: k for k, v in services.items()}
    found = set()
    for text in ("support", "", "su"):
        got = {by_id[h.service_id] for h in run(db, text=text, **kwargs)}
        found = found or got
        assert got == found, (text, kwargs)  # text, browse and prefix agree on the filters
    return found


ACTIVE = {
    "plain",
    "housing",
    "custody",
    "gate",
    "women",
    "men",
    "young",
    "paid",
    "prechecked",
    "half_checked",
    "full",
}


def test_defaults_exclude_inactive_and_deleted(
    search_db: Database, filtered: dict[str, str]
) -> None:
    assert names(search_db, filtered) == ACTIVE
    assert names(search_db, filtered, include_inactive=True) == ACTIVE | {"inactive", "closed"}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"category": "finance"}, {"plain", "housing"}),
        ({"category": "accommodation"}, {"housing"}),
        ({"category": "nonexistent"}, set()),
        ({"area": "west yorkshire"}, {"housing"}),
        ({"area": "LEEDS"}, {"plain"}),
        ({"prison": "hmp styal"}, {"custody"}),
        ({"setting": "custody"}, {"custody"}),
        ({"setting": "custody", "prison": "HMP Leeds"}, {"custody"}),
        ({"setting": "custody", "prison": "HMP Cardiff"}, set()),
        ({"setting": "gate"}, {"gate"}),
        ({"setting": "community"}, ACTIVE - {"custody", "gate"}),
        ({"gender": "f"}, ACTIVE - {"men"}),
        ({"gender": "Male"}, ACTIVE - {"women"}),
        ({"gender": "non-binary"}, ACTIVE - {"men", "women"}),
        ({"age": 30}, ACTIVE - {"young"}),
        ({"age": 18}, ACTIVE),
        ({"age": 25}, ACTIVE),
        ({"age": 17}, ACTIVE - {"young"}),
        ({"free": True}, ACTIVE - {"paid"}),
        ({"prechecked": True}, {"prechecked"}),
        ({"accepting": True}, ACTIVE - {"full"}),
        ({"category": "finance", "area": "Leeds"}, {"plain"}),
        ({"free": True, "gender": "female", "age": 20}, ACTIVE - {"paid", "men"}),
    ],
)
def test_each_filter(
    search_db: Database,
    filtered: dict[str, str],
    kwargs: dict[str, object],
    expected: set[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert names(search_db, filtered, **kwargs) == expected
    # The same answers from the paths taken on large directories: areas tested as a set,
    # name-ordered lists built by one scan, large candidate sets ranked by name first.
    monkeypatch.setattr(search_module, "AREA_EXISTS_MAX", -1)
    monkeypatch.setattr(search_module, "WALK_MAX", 0)
    monkeypatch.setattr(search_module, "RANKED_MAX", 1)
    monkeypatch.setattr(search_module, "FILTERED_RANKED_MAX", 1)
    assert names(search_db, filtered, **kwargs) == expected


def test_deleted_category_and_area_rows_do_not_match(
    search_db: Database, directory: Any, filtered: dict[str, str]
) -> None:
    directory.delete_category(filtered["housing"], "accommodation")
    assert names(search_db, filtered, category="accommodation") == set()
    assert names(search_db, filtered, category="finance") == {"plain", "housing"}


def test_malformed_prison_list_never_breaks_search(
    search_db: Database, filtered: dict[str, str]
) -> None:
    with search_db.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE service SET prisons = 'not json' WHERE id = ?", (filtered["custody"],)
        )
    assert names(search_db, filtered, setting="custody") == set()
    assert names(search_db, filtered, prison="HMP Leeds") == set()


# --- browsing --------------------------------------------------------------------------------


def test_empty_text_lists_by_name_with_score_zero(search_db: Database, directory: Any) -> None:
    for name in ("charlie", "Alpha", "bravo", "Échelle", "delta"):
        directory.service(name)
    hits = run(search_db, text="   ")
    assert [h.score for h in hits] == [0.0] * 5
    with search_db.read() as session:
        by_id = dict(session.execute(select(Service.id, Service.name)).all())
    assert [by_id[h.service_id] for h in hits] == ["Alpha", "bravo", "charlie", "delta", "Échelle"]
    assert len(run(search_db, text="", limit=2)) == 2


def test_one_letter_jumps_to_names_starting_with_it(search_db: Database, directory: Any) -> None:
    hostel = directory.service("Hostel beds")
    housing = directory.service("housing advice")
    directory.service("Advice on housing")
    assert ids(run(search_db, text="h")) == [hostel, housing]
    assert ids(run(search_db, text="H", limit=1)) == [hostel]


def test_name_walk_falls_back_to_one_scan_for_selective_filters(
    search_db: Database, directory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [
        directory.service(f"Service {i:02d}", free=(i % 5 == 0), categories=["finance"])
        for i in range(30)
    ]
    free = [sid for i, sid in enumerate(made) if i % 5 == 0]
    expected = ids(run(search_db, text="", free=True))
    assert expected == free
    monkeypatch.setattr(search_module, "WALK_FIRST_BATCH", 2)
    monkeypatch.setattr(search_module, "WALK_MAX", 4)
    assert ids(run(search_db, text="", free=True)) == free
    assert ids(run(search_db, text="", free=True, limit=2)) == free[:2]
    assert ids(run(search_db, text="s", free=True, limit=3)) == free[:3]
    assert ids(run(search_db, text="x", free=True)) == []


def test_large_candidate_sets_rank_name_matches_first(
    search_db: Database, directory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_names = [directory.service(f"Recovery group {i}", capacity="full") for i in range(4)]
    in_text = [directory.service(f"Cafe {i}", description="A recovery cafe.") for i in range(4)]
    monkeypatch.setattr(search_module, "RANKED_MAX", 2)
    monkeypatch.setattr(search_module, "FILTERED_RANKED_MAX", 2)
    hits = run(search_db, text="recov", limit=3)
    assert set(ids(hits)) <= set(in_names) and len(hits) == 3
    hits = run(search_db, text="recov", limit=8)
    assert set(ids(hits[:4])) == set(in_names) and set(ids(hits[4:])) == set(in_text)
    # Filters that reject every name match still find the rest.
    assert set(ids(run(search_db, text="recov", accepting=True))) == set(in_text)


# --- property --------------------------------------------------------------------------------


@settings(
    max_examples=300,
    deadline=None,
    database=None,
)
@given(
    text=st.text() | st.text(st.characters(exclude_categories=())),
    area=st.none() | st.text(st.characters(exclude_categories=()), max_size=20),
    limit=st.integers(1, 1000),
)
def test_any_text_never_raises(
    shared_search: tuple[Database, ServiceSearch], text: str, area: str | None, limit: int
) -> None:
    db, engine = shared_search
    hits = run(db, engine, text=text, area=area, limit=limit)
    assert len(hits) <= limit
    assert len(set(ids(hits))) == len(hits)
