"""Table models of the find-service and referral dialogs, and the freshness wording.

The models are checked with pytest-qt's `qtmodeltester` (Qt's QAbstractItemModelTester), on
their own and behind the sort proxy the dialogs use. `freshness` is pure Python.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from referral_desk.ui.freshness import STALE_AFTER_MONTHS, freshness

TODAY = date(2026, 3, 2)


# --- freshness (no Qt) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "text", "stale"),
    [
        (None, "never verified", True),
        (date(2026, 3, 2), "verified today", False),
        (date(2026, 3, 9), "verified today", False),  # a clock set wrong elsewhere
        (date(2026, 3, 1), "verified yesterday", False),
        (date(2026, 2, 10), "verified 20 days ago", False),
        (date(2026, 2, 2), "verified 1 month ago", False),
        (date(2025, 3, 3), "verified 11 months ago", False),
        (date(2025, 3, 2), "verified 12 months ago", True),
        (date(2025, 1, 2), "verified 14 months ago", True),
    ],
)
def test_freshness_wording_and_staleness(verified, text, stale) -> None:
    result = freshness(verified, TODAY)
    assert (result.text, result.stale) == (text, stale)


def test_history_times_are_shown_in_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from referral_desk.ui.service_models import local_time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        assert local_time(datetime(2026, 1, 5, 9, 0)) == datetime(2026, 1, 5, 9, 0)  # GMT
        assert local_time(datetime(2026, 7, 6, 9, 0)) == datetime(2026, 7, 6, 10, 0)  # BST
    finally:
        monkeypatch.undo()
        time.tzset()


def test_stale_after_a_year() -> None:
    # Whole months are counted by domain.months (tests/domain/test_months.py).
    assert STALE_AFTER_MONTHS == 12


# --- models ------------------------------------------------------------------------------------


def result(name: str, **fields):
    from referral_desk.usecases.dto import SearchResult

    defaults = dict(
        id=f"id-{name}",
        name=name,
        organisation_id="org",
        organisation_name=f"{name} Trust",
        status="active",
        categories=("accommodation",),
        description=f"{name} helps. More text follows here.",
    )
    defaults.update(fields)
    return SearchResult(**defaults)


@pytest.fixture
def results():
    return [
        result(
            "Beta",
            free=False,
            unit_cost=40.0,
            assured_date=date(2025, 1, 2),
            isp_agreed=True,
            reports_attendance=True,
            score=3.0,
        ),
        result(
            "alpha",
            free=True,
            assured_date=date(2026, 2, 1),
            capacity="full",
            score=2.0,
            gender="female",
            min_age=18,
            max_age=25,
        ),
        result(
            "Gamma",
            free=False,
            unit_cost=5.0,
            assured_date=None,
            score=1.0,
            capacity="waiting list",
            waiting_weeks=6,
            reports_progress=True,
        ),
    ]


@pytest.mark.gui
def test_results_model_passes_modeltester(qtmodeltester, results) -> None:
    from referral_desk.ui.service_models import ServiceResultsModel

    model = ServiceResultsModel()
    model.set_category_labels({"accommodation": "Accommodation"})
    qtmodeltester.check(model)
    model.set_results(results, TODAY)
    qtmodeltester.check(model)
    model.set_results([], TODAY)
    qtmodeltester.check(model)


@pytest.mark.gui
def test_results_model_through_sort_proxy_passes_modeltester(qtmodeltester, results) -> None:
    from PySide6.QtCore import QSortFilterProxyModel

    from referral_desk.ui.service_models import ServiceResultsModel
    from referral_desk.ui.tables import SORT_ROLE

    model = ServiceResultsModel()
    model.set_results(results, TODAY)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(4)
    qtmodeltester.check(proxy)


@pytest.mark.gui
def test_results_cells_say_what_an_officer_needs(results) -> None:
    from PySide6.QtCore import Qt

    from referral_desk.ui.service_models import STALE_COLOUR, ResultColumn, ServiceResultsModel
    from referral_desk.ui.tables import STALE_ROLE

    model = ServiceResultsModel()
    model.set_results(results, TODAY)

    def cell(row: int, column: ResultColumn, role=Qt.ItemDataRole.DisplayRole):
        return model.data(model.index(row, column), role)

    assert model.headerData(0, Qt.Orientation.Horizontal) == "Service"
    assert cell(0, ResultColumn.NAME) == "Beta"
    assert cell(0, ResultColumn.ORGANISATION) == "Beta Trust"
    assert cell(0, ResultColumn.OFFERS) == "Beta helps."
    assert cell(0, ResultColumn.COST) == "£40 per place"
    assert cell(0, ResultColumn.PRECHECK) == "ISP · Attendance"
    assert "Information-sharing protocol agreed" in cell(
        0, ResultColumn.PRECHECK, Qt.ItemDataRole.AccessibleTextRole
    )
    assert cell(0, ResultColumn.VERIFIED) == "verified 14 months ago"
    assert cell(0, ResultColumn.VERIFIED, STALE_ROLE) is True
    brush = cell(0, ResultColumn.VERIFIED, Qt.ItemDataRole.ForegroundRole)
    assert brush.color() == STALE_COLOUR
    assert "out of date" in cell(0, ResultColumn.VERIFIED, Qt.ItemDataRole.ToolTipRole)
    assert cell(1, ResultColumn.ELIGIBILITY) == "Women, 18–25"
    assert cell(1, ResultColumn.COST) == "Free"
    assert cell(1, ResultColumn.CAPACITY) == "Full"
    assert cell(1, ResultColumn.VERIFIED, STALE_ROLE) is False
    assert cell(2, ResultColumn.CAPACITY) == "Waiting list (6 wk)"
    assert cell(2, ResultColumn.PRECHECK) == "Progress"
    assert cell(2, ResultColumn.VERIFIED) == "never verified"
    assert cell(2, ResultColumn.ELIGIBILITY) == "Anyone"


@pytest.mark.gui
def test_sort_roles_sort_by_value_not_text(results) -> None:
    from PySide6.QtCore import QSortFilterProxyModel, Qt

    from referral_desk.ui.service_models import ResultColumn, ServiceResultsModel
    from referral_desk.ui.tables import SORT_ROLE

    model = ServiceResultsModel()
    model.set_results(results, TODAY)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)

    def names() -> list[str]:
        return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]

    assert names() == ["Beta", "alpha", "Gamma"]  # relevance order until a header is clicked
    proxy.sort(ResultColumn.COST)
    assert names() == ["alpha", "Gamma", "Beta"]  # free, £5, £40 (text would put £40 first)
    proxy.sort(ResultColumn.NAME)
    assert names() == ["alpha", "Beta", "Gamma"]  # case-insensitive
    proxy.sort(ResultColumn.VERIFIED)
    assert names() == ["alpha", "Beta", "Gamma"]  # freshest first, never verified last
    proxy.sort(ResultColumn.CAPACITY)
    assert names() == ["Beta", "Gamma", "alpha"]  # accepting, waiting list, full
    proxy.sort(ResultColumn.PRECHECK, Qt.SortOrder.DescendingOrder)
    assert names()[0] == "Beta"


@pytest.mark.gui
def test_model_sorts_itself_and_keeps_the_selection(qtmodeltester, results) -> None:
    from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex, Qt

    from referral_desk.ui.service_models import ResultColumn, ServiceResultsModel

    model = ServiceResultsModel()
    model.set_results(results, TODAY)
    qtmodeltester.check(model)
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(model.index(2, 0), QItemSelectionModel.SelectionFlag.Select)
    held = QPersistentModelIndex(model.index(2, 0))

    def names() -> list[str]:
        return [model.index(r, 0).data() for r in range(model.rowCount())]

    model.sort(ResultColumn.COST)
    assert names() == ["alpha", "Gamma", "Beta"]
    assert held.row() == 1 and held.data() == "Gamma"  # the selected row followed its service
    assert selection.currentIndex().data() == "Gamma"
    model.sort(ResultColumn.COST, Qt.SortOrder.DescendingOrder)
    assert names() == ["Beta", "Gamma", "alpha"]
    model.set_results(list(reversed(results)), TODAY)  # a new search keeps the chosen sort
    assert names() == ["Beta", "Gamma", "alpha"]
    model.sort(-1)  # back to relevance: the order the search returned
    assert names() == ["Gamma", "alpha", "Beta"]


@pytest.mark.gui
def test_history_model_passes_modeltester_and_shows_labels(qtmodeltester) -> None:
    from PySide6.QtCore import Qt

    from referral_desk.ui.service_models import HistoryColumn, ReferralHistoryModel
    from referral_desk.usecases.dto import StatusChangeView

    model = ReferralHistoryModel()
    model.set_labels({"provider_feedback": "Provider feedback"}, {"no_capacity": "No capacity"})
    qtmodeltester.check(model)
    model.set_history(
        [
            StatusChangeView("1", None, "draft", datetime(2026, 3, 2, 9, 0), by_name="Alex"),
            StatusChangeView("2", "draft", "sent", datetime(2026, 3, 2, 9, 1), channel="phone"),
            StatusChangeView(
                "3",
                "sent",
                "declined",
                datetime(2026, 3, 4, 14, 30),
                channel="provider_feedback",
                reason_code="no_capacity",
                note="Full until\nApril",
            ),
        ]
    )
    qtmodeltester.check(model)

    def cell(row: int, column: HistoryColumn, role=Qt.ItemDataRole.DisplayRole):
        return model.data(model.index(row, column), role)

    assert cell(0, HistoryColumn.CHANGE) == "Draft"
    assert cell(0, HistoryColumn.WHO) == "Alex"
    from referral_desk.ui.service_models import local_time

    shown = local_time(datetime(2026, 3, 4, 14, 30))  # stored in UTC, shown in local time
    assert cell(2, HistoryColumn.WHEN) == f"{shown:%d %b %Y %H:%M}"
    assert cell(2, HistoryColumn.CHANGE) == "Sent → Declined"
    assert cell(2, HistoryColumn.CHANNEL) == "Provider feedback"
    assert cell(2, HistoryColumn.REASON) == "No capacity"
    assert cell(2, HistoryColumn.NOTE) == "Full until April"
    assert cell(2, HistoryColumn.NOTE, Qt.ItemDataRole.ToolTipRole) == "Full until\nApril"
