"""The directory page built on its own, as the main window builds it (shared by its tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from settling import settle

from referral_desk.ui.directory_page import DirectoryPage
from referral_desk.ui.worker import Worker

SHOTS = Path("/tmp/shots")


def open_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    """A shown, loaded page with the worker a window would give it (stopped afterwards)."""
    page = DirectoryPage(app)
    worker = Worker(page)  # the window's worker, as ui.ops finds it
    qtbot.addWidget(page)
    try:  # a failure on the way still ends the thread (a leaked one fails later sync tests)
        page.resize(1366, 768)
        page.show()
        page.refresh()
        settle(qtbot, page, timeout=5000)
        yield page
        settle(qtbot, page, timeout=5000)
    finally:
        worker.stop()


def reload(page: DirectoryPage, qtbot: Any) -> None:
    """Wait until the page's loads and writes have been delivered."""
    settle(qtbot, page, timeout=5000)


def shot(page: Any, name: str) -> None:
    if SHOTS.is_dir():
        page.grab().save(str(SHOTS / f"{name}.png"))
