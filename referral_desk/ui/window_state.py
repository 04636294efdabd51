"""The main window's remembered size, splitter positions and caseload columns (QSettings).

`WindowState` is a mixin of `MainWindow`: restored once when the window is built, saved when
it closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QSplitter

if TYPE_CHECKING:
    from referral_desk.ui.caseload import CaseloadPage
    from referral_desk.ui.my_day import MyDayPage
    from referral_desk.ui.person_view import PersonPage

# First-run proportions of each splitter (Qt scales them to the real size).
DEFAULT_SPLITS = {
    "myDaySplitter": [540, 360],
    "myDayBottomSplitter": [500, 500],
    "personSplitter": [520, 480],
    "personLeftSplitter": [300, 300],
}


class WindowState:
    """Mixin of `MainWindow`: its geometry and layout, kept between sessions."""

    if TYPE_CHECKING:
        settings: QSettings
        my_day: MyDayPage
        caseload: CaseloadPage
        person_page: PersonPage

    # -- window state -------------------------------------------------------------------------
    def _setting_bool(self, key: str, default: bool) -> bool:
        return bool(self.settings.value(key, default, type=bool))

    def _splitters(self) -> list[QSplitter]:
        return [
            self.my_day.splitter,
            self.my_day.bottom_splitter,
            self.person_page.splitter,
            self.person_page.left_splitter,
        ]

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            # First start: as large as is comfortable, but never taller than a laptop screen
            # with its taskbar (1366 × 768 leaves about 730 pixels).
            area = self.screen().availableGeometry()
            width, height = min(1280, area.width() - 40), min(800, area.height() - 40)
            self.setGeometry(
                area.x() + (area.width() - width) // 2,
                area.y() + (area.height() - height) // 2,
                width,
                height,
            )
        for splitter in self._splitters():
            state = self.settings.value(f"splitters/{splitter.objectName()}")
            if isinstance(state, QByteArray) and not state.isEmpty():
                splitter.restoreState(state)
            else:
                splitter.setSizes(DEFAULT_SPLITS[splitter.objectName()])
        header = self.settings.value("headers/caseload")
        if isinstance(header, QByteArray):
            self.caseload.view.horizontalHeader().restoreState(header)
            self.caseload.columns_restored = True

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for splitter in self._splitters():
            self.settings.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        self.settings.setValue(
            "headers/caseload", self.caseload.view.horizontalHeader().saveState()
        )
        self.settings.sync()
