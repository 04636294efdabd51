"""Guard against a Qt binding that corrupts Python's reference counts.

PySide6-Essentials 6.12.0 drops a reference to None on every call of a Qt method returning
nothing; on Python 3.11 the process aborts after a few thousand calls. pyproject excludes it;
this test fails loudly if such a build is ever installed again.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

pytestmark = pytest.mark.gui


def test_void_qt_calls_keep_none_and_bool_reference_counts(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(500):
        label.setText("x")
        label.setVisible(False)
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    assert all(abs(a - b) < 50 for a, b in zip(after, before, strict=True))


class _Pinger(QObject):
    ping = Signal()


def test_signal_emit_keeps_the_reference_count_of_true() -> None:
    """6.12.0 also returned a borrowed True from emit(): the worker emits on every job."""
    pinger = _Pinger()
    before = sys.getrefcount(True)
    for _ in range(500):
        pinger.ping.emit()
    assert abs(sys.getrefcount(True) - before) < 50
