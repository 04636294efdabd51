"""The GUI tests' wait (`tests/settling.py`) runs what a delivered outcome deferred to the event
loop, and keeps waiting when that step started more work. Waiting for `Worker.is_idle` alone
returned before such a step, and a test clicked a form not ready yet (CI, under load)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget
from settling import idle_of, settle, settled

from referral_desk.ui.worker import Worker

pytestmark = pytest.mark.gui


def test_a_step_deferred_to_the_event_loop_has_run_once_settled(qtbot: Any) -> None:
    ran: list[str] = []
    QTimer.singleShot(0, lambda: ran.append("focused"))  # as a load's callback defers it
    assert settled(lambda: True)()
    assert ran == ["focused"]


def test_work_started_by_a_deferred_step_is_waited_for(qtbot: Any) -> None:
    queued: list[str] = []
    QTimer.singleShot(0, lambda: queued.append("remember the passphrase"))
    assert not settled(lambda: not queued)()  # idle before the step ran, busy after it


def test_settle_waits_for_the_worker_and_what_its_delivery_deferred(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    worker = Worker(host)
    shown: list[int] = []
    worker.submit(lambda: 42, lambda result: QTimer.singleShot(0, lambda: shown.append(result)))
    try:
        settle(qtbot, host)
        assert worker.is_idle() and shown == [42]
    finally:
        worker.stop()


def test_what_counts_as_idle(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    worker = Worker(host)
    child = QWidget(host)
    page = QWidget()
    qtbot.addWidget(page)
    page.is_settled = lambda: "page"  # type: ignore[attr-defined]
    try:
        assert idle_of(worker) == worker.is_idle
        assert idle_of(child) == worker.is_idle  # the worker of the window it belongs to
        assert idle_of(page)() == "page"
        with pytest.raises(TypeError):
            idle_of(object())
    finally:
        worker.stop()
