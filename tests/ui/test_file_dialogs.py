"""Where save and open dialogs start: Documents, then the folder last used for that kind of
file; never the application's working folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog
from settling import settle

from referral_desk.ui import file_dialogs
from referral_desk.ui.file_dialogs import PDF_FOLDER, REPORT_FOLDER, remember_folder, start_path

pytestmark = pytest.mark.gui


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Documents folder for this test (the real one is never touched)."""
    folder = tmp_path / "Documents"

    class Paths:
        StandardLocation = file_dialogs.QStandardPaths.StandardLocation

        @staticmethod
        def writableLocation(_where: Any) -> str:
            return str(folder)

    monkeypatch.setattr(file_dialogs, "QStandardPaths", Paths)
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path / "home"))
    return folder


def test_documents_first_then_the_last_folder_used(documents: Path, tmp_path: Path) -> None:
    documents.mkdir()
    assert start_path(PDF_FOLDER, "slip.pdf") == str(documents / "slip.pdf")
    elsewhere = tmp_path / "case files"
    elsewhere.mkdir()
    remember_folder(PDF_FOLDER, elsewhere / "slip.pdf")
    assert start_path(PDF_FOLDER, "next.pdf") == str(elsewhere / "next.pdf")
    assert start_path(REPORT_FOLDER) == str(documents)  # each kind of file remembers its own


def test_a_folder_that_is_gone_is_never_offered(documents: Path, tmp_path: Path) -> None:
    # No Documents folder: home, not a path that would open in the working folder.
    assert start_path(PDF_FOLDER, "slip.pdf") == str(tmp_path / "home" / "slip.pdf")
    gone = tmp_path / "unplugged drive"
    gone.mkdir()
    remember_folder(REPORT_FOLDER, gone / "report.csv")
    gone.rmdir()
    assert Path(start_path(REPORT_FOLDER)).is_absolute()
    assert start_path(REPORT_FOLDER) == str(tmp_path / "home")


def test_save_as_pdf_starts_in_documents_then_remembers(
    qtbot: Any,
    host: Any,
    app: Any,
    referred: Any,
    documents: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from referral_desk.ui.printing import PrintPreviewDialog

    documents.mkdir()
    asked: list[str] = []
    target = tmp_path / "for the provider" / "slip.pdf"
    target.parent.mkdir()
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda _p, _c, start, _f: (asked.append(start), (str(target), ""))[1]),
    )
    dialog = PrintPreviewDialog(app, referred["referral"].reference, host)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    dialog.save_as_pdf()
    settle(qtbot, host.worker, timeout=5000)  # saved on the worker
    dialog.save_as_pdf()
    assert Path(asked[0]).parent == documents
    assert Path(asked[1]).parent == target.parent


def test_report_export_starts_in_documents_then_remembers(
    qtbot: Any, app: Any, documents: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from referral_desk.ui.reports_page import ReportsPage
    from referral_desk.ui.worker import Worker

    documents.mkdir()
    page = ReportsPage(app)
    worker = Worker(page)  # the window's worker, as ui.ops finds it
    qtbot.addWidget(page, before_close_func=lambda _w: _stop(qtbot, worker))
    page.run_report()
    settle(qtbot, page, timeout=10_000)
    asked: list[str] = []
    target = tmp_path / "commissioners" / "unmet.csv"
    target.parent.mkdir()
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda _p, _c, start, _f: (asked.append(start), (str(target), ""))[1]),
    )
    monkeypatch.setattr(QMessageBox, "exec", lambda _box: 0)
    page.export("csv")
    settle(qtbot, page, timeout=10_000)
    page.export("csv")
    settle(qtbot, page, timeout=10_000)
    assert Path(asked[0]).parent == documents
    assert Path(asked[1]).parent == target.parent


def _stop(qtbot: Any, worker: Any) -> None:
    """Let the last outcomes arrive (so busy feedback is undone), then stop the worker."""
    settle(qtbot, worker, timeout=10_000)
    worker.stop()
