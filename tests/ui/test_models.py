"""Table models: Qt's model tester, keyed sorting, filter-as-you-type, needs drag and drop."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from PySide6.QtCore import QModelIndex, Qt

from referral_desk.ui.models import (
    GREY,
    RED,
    FollowUpTableModel,
    NeedsTableModel,
    PeopleTableModel,
    ReferralsTableModel,
    ReleasesTableModel,
    TimelineTableModel,
)
from referral_desk.ui.tables import ROW_ROLE, SORT_ROLE, FilterProxy
from referral_desk.usecases.dto import FollowUpView, TimelineEvent

pytestmark = pytest.mark.gui

TODAY = date(2026, 3, 2)


@pytest.fixture
def caseload(app, referred):
    app.people.add(
        given_name="Aaron", family_name="Öztürk", crn="B654321", date_of_birth="1980-01-31"
    )
    app.people.add(
        given_name="Bea",
        family_name="O'Brien",
        nomis="C9876DE",
        setting="custody",
        prison="HMP Leeds",
        expected_release_date="2026-06-01",
    )
    return app.people.list()


def _column(model, title: str) -> int:
    return next(i for i, c in enumerate(model.columns) if c.title == title)


def _texts(model, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_every_model_passes_the_qt_model_tester(qtmodeltester, app, referred, caseload) -> None:
    detail = app.people.detail(referred["person"].id)
    summary = app.my_day.summary()
    filled = [
        (PeopleTableModel(), caseload),
        (NeedsTableModel(), detail.needs),
        (ReferralsTableModel(), detail.referrals),
        (ReferralsTableModel(TODAY, with_person=True), detail.referrals),
        (FollowUpTableModel(TODAY), detail.follow_ups),
        (ReleasesTableModel(TODAY), summary.releases_soon),
        (TimelineTableModel(), detail.timeline),
    ]
    for model, rows in filled:
        assert rows, type(model).__name__
        model.set_rows(rows)
        qtmodeltester.check(model)
        proxy = FilterProxy()
        proxy.setSourceModel(model)
        qtmodeltester.check(proxy)
        # Changes while the testers watch: sort both ways, filter, reload, empty.
        for column in range(model.columnCount()):
            proxy.sort(column, Qt.SortOrder.DescendingOrder)
        proxy.set_query("zz-no-match")
        proxy.set_query("")
        model.set_rows(rows)
        model.set_rows([])


def test_people_sort_on_raw_values_not_display_text(caseload) -> None:
    model = PeopleTableModel()
    model.set_rows(caseload)
    born = _column(model, "Born")
    model.sort(born, Qt.SortOrder.AscendingOrder)
    # Empty birth dates first, then oldest first — not alphabetical "31 Jan…" before "9 Sep…".
    assert _texts(model, born) == ["", "31 Jan 1980", "9 Sep 1999"]
    assert model.index(0, born).data(SORT_ROLE) == 0
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert _texts(model, 0) == ["Ward, Zoë", "Öztürk, Aaron", "O'Brien, Bea"]  # Oz > Ob


def test_filter_as_you_type_matches_names_crn_and_nomis(caseload) -> None:
    model = PeopleTableModel()
    model.set_rows(caseload)
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    for query, expected in [
        ("zoe", ["Zoë"]),  # accents ignored
        ("obrien", ["Bea"]),  # apostrophes ignored
        ("x1234", ["Zoë"]),  # CRN, any case
        ("c9876de", ["Bea"]),  # prison number
        ("ward zo", ["Zoë"]),  # every word must match
        ("ward bea", []),
        ("", ["Zoë", "Aaron", "Bea"]),
    ]:
        proxy.set_query(query)
        got = [proxy.record(r).given_name for r in range(proxy.rowCount())]
        assert sorted(got) == sorted(expected), query
    proxy.set_predicate(lambda p: p.setting == "custody")
    custody = {proxy.record(r).given_name for r in range(proxy.rowCount())}
    assert custody == {"Zoë", "Bea"}


def _follow_up(due: date, done: date | None = None, kind: str = "check_acceptance"):
    return FollowUpView(
        id=str(due),
        person_id="p",
        referral_id=None,
        kind=kind,
        due_on=due,
        done_on=done,
        note="Ring the provider",
        person_name="Zoë Ward",
    )


def test_follow_up_model_says_how_late_and_colours_overdue() -> None:
    model = FollowUpTableModel(TODAY)
    model.set_rows(
        [
            _follow_up(date(2026, 2, 27)),
            _follow_up(TODAY),
            _follow_up(date(2026, 3, 4)),
            _follow_up(date(2026, 3, 20)),
            _follow_up(date(2026, 2, 1), TODAY),
        ]
    )
    assert _texts(model, 0) == [
        "Overdue 3 days (27 Feb 2026)",
        "Today",
        "Wed 4 Mar 2026",
        "20 Mar 2026",
        "Done 2 Mar 2026",
    ]
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) == RED
    assert model.index(4, 0).data(Qt.ItemDataRole.ForegroundRole) == GREY
    assert model.index(0, 1).data() == "Check acceptance"
    assert [model.group(r) for r in model.rows()] == ["overdue", "today", "later", "later", "done"]
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.row_at(4).done_on == TODAY  # done ones after pending ones


def test_needs_drag_and_drop_asks_for_the_new_order(qtbot, app, referred) -> None:
    needs = app.needs.list(referred["person"].id)
    model = NeedsTableModel()
    model.set_rows(needs)
    assert model.supportedDropActions() == Qt.DropAction.MoveAction
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(1, c) for c in range(model.columnCount())])
    with qtbot.waitSignal(model.reorder_requested) as blocker:
        accepted = model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert accepted is False  # rows are never moved by the view; the store decides
    assert blocker.args == [[needs[1].id, needs[0].id]]
    # Dropped onto itself: nothing to do, no signal.
    with qtbot.assertNotEmitted(model.reorder_requested):
        model.dropMimeData(mime, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    assert model.moved_order([needs[0].id], -1) == [needs[1].id, needs[0].id]


def test_waiting_referrals_and_timeline_texts(app, referred) -> None:
    ref = app.referrals.get(referred["referral"].id)
    model = ReferralsTableModel(date(2026, 3, 12), with_person=True)
    assert [c.title for c in model.columns][:4] == ["Reference", "Person", "Service", "Waiting"]
    later = dataclasses.replace(ref, id="later", made_on=date(2026, 3, 10))
    model.set_rows([later, ref])
    model.sort(3, Qt.SortOrder.AscendingOrder)
    assert _texts(model, 3) == ["10 days", "2 days"]  # the longest wait first
    model.set_rows([ref])
    model.set_rows([ref])
    assert _texts(model, _column(model, "Waiting")) == ["10 days"]
    assert model.index(0, _column(model, "Person")).data() == "Zoë Ward"
    assert model.index(0, 0).data(ROW_ROLE) == ref
    timeline = TimelineTableModel()
    timeline.set_rows([TimelineEvent(datetime(2026, 3, 2, 9, 30), "note", "Phoned", "Alex")])
    assert _texts(timeline, 1) == ["Note: Phoned"]
    assert timeline.index(0, 0).data() == "2 Mar 2026 09:30"
    assert timeline.headerData(2, Qt.Orientation.Horizontal) == "Who"
    day_only = TimelineEvent(
        datetime(2026, 3, 2), "follow_up_done", "Done", "Sam", time_known=False
    )
    timeline.set_rows([day_only])
    assert timeline.index(0, 0).data() == "2 Mar 2026"  # no invented time of day
