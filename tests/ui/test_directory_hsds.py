"""HSDS import and export on the directory page: preview first, apply with progress, one-line
refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from data_paths import HSDS_EXAMPLE as EXAMPLE
from directory_pages import open_page, reload, shot
from legacy_packages import V11_FILES, oruk_service, write_csvs, write_json
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from referral_desk.ui.directory_page import DirectoryPage

pytestmark = pytest.mark.gui


@pytest.fixture
def keeper_page(app: Any, qtbot: Any) -> Iterator[DirectoryPage]:
    # A fresh database is its team's first manager: a manager may do all a keeper may.
    yield from open_page(app, qtbot)


def test_import_example_package_preview_then_apply(
    app: Any, keeper_page: DirectoryPage, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = keeper_page
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *a, **k: (str(EXAMPLE / "datapackage.json"), "")),
    )
    page.import_action.trigger()
    qtbot.waitUntil(lambda: page.preview_dialog is not None, timeout=10000)
    dialog = page.preview_dialog
    assert dialog is not None and app.directory.list_services() == []
    report = dialog.report
    assert report.dry_run and report.counts["service"]["new"] >= 1
    rows = [dialog.counts.verticalHeaderItem(r).text() for r in range(dialog.counts.rowCount())]
    assert "Services" in rows
    r = rows.index("Services")
    assert dialog.counts.item(r, 0).text() == str(report.counts["service"]["new"])
    assert dialog.rejected.rowCount() == len(report.rejected) + len(report.warnings)
    shot(dialog, "import_preview")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: page.last_report is not None, timeout=20000)
    reload(page, qtbot)
    assert page.last_report.applied
    assert len(page.services_model.rows()) == report.counts["service"]["new"] >= 1
    assert "Imported" in page.result.text()
    assert QApplication.activeModalWidget() is None  # busy indicator closed


def test_import_preview_of_oruk_json_names_the_form(
    app: Any,
    keeper_page: DirectoryPage,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    feed = write_json(tmp_path / "feed.json", {"contents": [oruk_service(1), oruk_service(2)]})
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(feed), ""))
    )
    page = keeper_page
    page.import_action.trigger()
    qtbot.waitUntil(lambda: page.preview_dialog is not None, timeout=10000)
    dialog = page.preview_dialog
    assert dialog is not None
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert any("Detected: HSDS 3.0 JSON" in t for t in texts)
    assert dialog.report.counts["service"]["new"] == 2
    dialog.reject()
    assert app.directory.list_services() == []


def test_import_of_package_whose_services_all_fail_says_why_in_one_line(
    app: Any,
    keeper_page: DirectoryPage,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    files = {k: v for k, v in V11_FILES.items() if k != "organizations.csv"}
    picked = write_csvs(tmp_path / "pkg", files) / "services.csv"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(picked), ""))
    )
    page = keeper_page
    page.import_action.trigger()
    qtbot.waitUntil(lambda: "rejected" in page.result.text(), timeout=10000)
    assert page.preview_dialog is None
    assert "HSDS 1.1 tabular package" in page.result.text()
    assert app.directory.list_services() == []
