"""Main window smoke (replaced below)."""

import pytest


@pytest.mark.gui
def test_window_opens(window, referred, gui) -> None:
    window.refresh()
    gui.wait_idle(window)
    assert window.my_day.summary is not None
