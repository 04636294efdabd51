"""The keeper's small dialogs: capacity and pre-check dates are never in the future."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from referral_desk.domain.vocabularies import CAPACITIES
from referral_desk.ui.directory_dialogs import CapacityDialog, PrecheckDialog

pytestmark = pytest.mark.gui

TODAY = date(2026, 3, 2)


def test_capacity_as_of_a_future_day_is_refused(app: Any, qtbot: Any, gui: Any) -> None:
    svc = app.directory.get_service(gui.add_service())
    dialog = CapacityDialog(svc, TODAY)
    qtbot.addWidget(dialog)
    dialog.as_of.set_value(date(2026, 3, 3))
    dialog.accept()
    assert "future" in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.as_of.set_value(date(2026, 3, 1))
    dialog.capacity.setCurrentText(CAPACITIES[-1])
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.result_value == (CAPACITIES[-1], date(2026, 3, 1))


def test_precheck_says_what_was_agreed_and_by_whom(app: Any, qtbot: Any, gui: Any) -> None:
    svc = app.directory.get_service(gui.add_service())
    dialog = PrecheckDialog(svc, TODAY)
    qtbot.addWidget(dialog)
    dialog.checked_on.set_value(date(2026, 4, 1))
    dialog.accept()
    assert "future" in dialog.error.text() and dialog.values == {}
    dialog.checked_on.set_value(TODAY)
    dialog.isp.setChecked(True)
    dialog.accept()
    assert dialog.values == {
        "isp_agreed": True,
        "reports_attendance": svc.reports_attendance,
        "reports_progress": svc.reports_progress,
        "checked_on": TODAY,
        "checked_by": None,
    }
