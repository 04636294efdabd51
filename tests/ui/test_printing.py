"""Slips and provider forms from the client: preview, print, save as PDF, and the batch of
today's slips. Printing goes to a QPrinter writing a PDF file (offscreen has no printers), so
the tests check real pages; the timeline note must follow a print or save, never precede it."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPageSize, QPdfWriter
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QComboBox, QFileDialog, QPushButton, QWidget
from qt_helpers import FakePrintDialog
from settling import settle
from unlocking import connect as connect_db

from referral_desk.ui import print_pages as ui_printing
from referral_desk.ui.print_batch import print_slips_sent_today
from referral_desk.ui.print_pages import configured_printer, paint_pdf
from referral_desk.ui.printing import PrintPreviewDialog

pytestmark = pytest.mark.gui


def pages_in(source: bytes | Path) -> list[tuple[float, float]]:
    """Page sizes (points) of a PDF given as bytes or a file."""
    document = pdfium.PdfDocument(source)
    try:
        return [document.get_page_size(i) for i in range(len(document))]
    finally:
        document.close()


def notes(app: Any, person_id: str) -> list[str]:
    return [e.text for e in app.people.detail(person_id).timeline if e.kind == "note"]


@pytest.fixture
def print_dialog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[FakePrintDialog]:
    fake = type("Dialog", (FakePrintDialog,), {"output": tmp_path / "printed.pdf", "printers": []})
    monkeypatch.setattr(ui_printing, "QPrintDialog", fake)
    return fake


class FakeBar:
    """The main window's message bar, which show_info/show_error use instead of a pop-up."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def show_message(self, text: str, kind: str = "info") -> None:
        self.messages.append((kind, text))


@pytest.fixture
def page(qtbot: Any, host: QWidget) -> QWidget:
    """A stand-in for the My day page inside a window that has a message bar and a worker."""
    widget = QWidget(host)
    bar = FakeBar()
    widget.message_bar = host.message_bar = bar  # type: ignore[attr-defined]
    return widget


def printed_today(qtbot: Any, app: Any, page: QWidget) -> int:
    """Run the batch job to its end; how many slips it reports printed (0: none)."""
    counts: list[int] = []
    print_slips_sent_today(app, page, on_printed=counts.append)
    settle(qtbot, page)
    return counts[0] if counts else 0


def open_preview(
    qtbot: Any, host: QWidget, app: Any, reference: str, **kwargs: Any
) -> PrintPreviewDialog:
    dialog = PrintPreviewDialog(app, reference, host, **kwargs)
    qtbot.addWidget(dialog)
    dialog.resize(800, 900)
    with qtbot.waitExposed(dialog):
        dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


# -- painting --------------------------------------------------------------------------------


def test_paint_pdf_puts_every_page_on_a_pdf_printer(app, referred, tmp_path: Path) -> None:
    second = app.referrals.make(referred["second"].id, referred["service_id"], consent=True)
    pdf = app.printing.batch_slips_pdf([referred["referral"].reference, second.reference])
    expected = pages_in(pdf)
    out = tmp_path / "out.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))

    assert paint_pdf(pdf, printer, 150) == len(expected) >= 2
    assert out.stat().st_size > 10_000  # page images, not blank pages
    printed = pages_in(out)
    assert len(printed) == len(expected)
    assert printed[0] == pytest.approx(expected[0], abs=1.0)  # A4 in, A4 out


def test_paint_pdf_on_any_paged_device_and_stopping_early(app, referred, tmp_path) -> None:
    pdf = app.printing.provider_form_pdf(referred["referral"].reference, "A5")
    total = len(pages_in(pdf))
    out = tmp_path / "writer.pdf"
    writer = QPdfWriter(str(out))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A5))
    writer.setResolution(150)
    seen: list[tuple[int, int]] = []

    def stop_after_first(index: int, count: int) -> bool:
        seen.append((index, count))
        return index < 1

    assert total >= 2
    assert paint_pdf(pdf, writer, 100, on_page=stop_after_first) == 1
    del writer  # finishes the file
    assert seen == [(0, total), (1, total)]
    assert len(pages_in(out)) == 1


def test_printer_comes_from_the_settings_only_when_it_exists(app) -> None:
    printer = configured_printer("Printer That Was Unplugged", "A5", "Referral slip ABC-DEF")
    assert printer.printerName() != "Printer That Was Unplugged"
    assert printer.pageLayout().pageSize().id() == QPageSize.PageSizeId.A5
    assert printer.fullPage() and printer.docName() == "Referral slip ABC-DEF"


# -- preview dialog --------------------------------------------------------------------------


def test_preview_shows_pages_and_switching_size_or_document_rerenders(
    qtbot, host, app, referred
) -> None:
    ref = referred["referral"].reference
    app.profile.set_local_setting("page_size", "A5")
    dialog = open_preview(qtbot, host, app, ref)
    assert dialog.page_size == "A5"
    assert dialog.pdf_bytes == app.printing.slip_pdf(ref, "A5")
    assert dialog.page_labels and not dialog.page_labels[0].pixmap().isNull()
    assert dialog.page_labels[0].accessibleName() == f"Page 1 of {len(dialog.page_labels)}"
    controls = dialog.findChildren(QComboBox) + dialog.findChildren(QPushButton)
    assert controls and all(c.accessibleName() for c in controls)

    dialog.zoom_combo.setCurrentIndex(dialog.zoom_combo.findData("actual"))
    dpi = dialog.screen().logicalDotsPerInch()
    a5_width = dialog.page_labels[0].width()
    assert a5_width == pytest.approx(420.9 / 72 * dpi, abs=2)

    dialog.size_combo.setCurrentText("A4")
    settle(qtbot, dialog)
    assert dialog.pdf_bytes == app.printing.slip_pdf(ref, "A4")
    assert dialog.page_labels[0].width() == pytest.approx(595.3 / 72 * dpi, abs=2)
    assert "A4" in dialog.page_info.text()

    dialog.document_combo.setCurrentIndex(dialog.document_combo.findData("provider_form"))
    settle(qtbot, dialog)
    assert dialog.pdf_bytes == app.printing.provider_form_pdf(ref, "A4")
    assert len(dialog.page_labels) == len(pages_in(dialog.pdf_bytes))

    dialog.zoom_combo.setCurrentIndex(dialog.zoom_combo.findData("fit"))
    room = dialog.scroll.viewport().width()
    assert room * 0.8 < dialog.page_labels[0].width() <= room
    assert notes(app, referred["person"].id) == []  # looking is not printing


def test_save_as_pdf_writes_the_exact_bytes_and_notes_it(
    qtbot, host, app, referred, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = referred["referral"].reference
    asked: list[str] = []

    def choose(parent: Any, caption: str, suggested: str, filters: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(tmp_path / "for the service"), filters  # no suffix typed

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    dialog = open_preview(qtbot, host, app, ref)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, dialog)

    saved = tmp_path / "for the service.pdf"
    assert saved.read_bytes() == app.printing.slip_pdf(ref, dialog.page_size)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [saved.name]  # no .part
    assert Path(asked[0]).name == f"Referral slip {ref}.pdf"
    assert any(
        "Referral slip" in n and "saved as PDF" in n for n in notes(app, referred["person"].id)
    )
    assert "saved as PDF" in dialog.status.text()


def test_save_that_fails_says_so_and_notes_nothing(
    qtbot, gui, host, app, referred, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "no such folder" / "slip.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "")))
    dialog = open_preview(qtbot, host, app, referred["referral"].reference)
    shown: list[str] = []
    gui.on_next_dialog(lambda box: (shown.append(box.text()), box.accept()))
    dialog.save_as_pdf()
    settle(qtbot, dialog)

    assert shown and "not saved" in shown[0]
    assert not target.exists()
    assert notes(app, referred["person"].id) == []


def test_ctrl_p_prints_the_previewed_form_then_notes_it(
    qtbot, host, app, referred, print_dialog: type[FakePrintDialog]
) -> None:
    ref = referred["referral"].reference
    dialog = open_preview(qtbot, host, app, ref, document="provider_form")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, dialog)

    assert len(print_dialog.printers) == 1
    assert len(pages_in(print_dialog.output)) == len(pages_in(dialog.pdf_bytes))
    texts = notes(app, referred["person"].id)
    assert any(f"Provider form for referral {ref} printed" in n for n in texts)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_cancelled_print_notes_nothing(
    qtbot, host, app, referred, print_dialog: type[FakePrintDialog]
) -> None:
    print_dialog.accept = False
    dialog = open_preview(qtbot, host, app, referred["referral"].reference)
    dialog.print_document()
    settle(qtbot, dialog)
    assert len(print_dialog.printers) == 1 and not print_dialog.output.exists()
    assert notes(app, referred["person"].id) == []


def test_a_referral_that_cannot_be_printed_explains_why(qtbot, host, app) -> None:
    dialog = open_preview(qtbot, host, app, "ZZZ-ZZZ")
    assert dialog.message.isVisible() and dialog.message.text()
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()
    assert dialog.page_labels == []


# -- batch of today's slips ------------------------------------------------------------------


def test_todays_slips_are_confirmed_printed_and_each_noted(
    qtbot, gui, app, referred, page: QWidget, print_dialog: type[FakePrintDialog]
) -> None:
    refs = [referred["referral"].reference]
    needs = [referred["second"]] + [
        app.needs.log(referred["person"].id, "mentoring", f"Another need {n}") for n in (1, 2, 3)
    ]
    for need in needs:  # five slips: enough pages for the progress dialog to be used
        refs.append(app.referrals.make(need.id, referred["service_id"], consent=True).reference)
    refs.sort()
    asked: list[str] = []

    def confirm(box: Any) -> None:
        asked.append(box.text())
        gui.button(box, "Print 5 slips").click()

    gui.on_next_dialog(confirm)
    assert printed_today(qtbot, app, page) == 5

    assert asked and "5" in asked[0]
    expected = pages_in(app.printing.batch_slips_pdf(refs))
    assert len(pages_in(print_dialog.output)) == len(expected)
    texts = notes(app, referred["person"].id)
    for ref in refs:
        assert any(f"Referral slip for referral {ref} printed" in n for n in texts)
    assert page.message_bar.messages[-1][0] == "info"  # type: ignore[attr-defined]


def test_todays_slips_cancelled_at_the_question_print_nothing(
    qtbot, gui, app, referred, page: QWidget, print_dialog: type[FakePrintDialog]
) -> None:
    gui.on_next_dialog(lambda box: gui.button(box, "Cancel").click())
    assert printed_today(qtbot, app, page) == 0
    assert print_dialog.printers == []
    assert notes(app, referred["person"].id) == []


def test_no_referrals_sent_today_says_so(qtbot, app, page: QWidget, print_dialog) -> None:
    assert printed_today(qtbot, app, page) == 0
    kind, text = page.message_bar.messages[-1]  # type: ignore[attr-defined]
    assert kind == "info" and "No referrals were sent today" in text
    assert print_dialog.printers == []


# -- files written from the client: owner-only, never into the data folder --------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_saved_pdf_is_owner_only_even_over_an_older_file(
    qtbot, host, app, referred, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "slip.pdf"
    target.write_bytes(b"older")
    target.chmod(0o644)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "")))
    dialog = open_preview(qtbot, host, app, referred["referral"].reference)
    dialog.save_as_pdf()
    settle(qtbot, dialog)
    assert target.read_bytes() == dialog.pdf_bytes
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["referral-desk.sqlite3", "referral-desk.sqlite3-wal", "x.pdf"])
def test_save_as_pdf_into_the_data_folder_is_refused(
    qtbot, gui, host, app, referred, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    data = app.data_path.parent
    target = data / name
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "")))
    dialog = open_preview(qtbot, host, app, referred["referral"].reference)
    # Read after the preview: making the slip notes the access in the access log (a write).
    existed = target.exists()
    before = target.read_bytes() if existed else None
    shown: list[str] = []
    gui.on_next_dialog(lambda box: (shown.append(box.text()), box.accept()))
    dialog.save_as_pdf()
    settle(qtbot, dialog)

    assert shown and "not saved" in shown[0] and "data folder" in shown[0]
    if existed:
        assert target.read_bytes() == before
    else:
        assert not target.exists()
    assert notes(app, referred["person"].id) == []
    assert app.people.get(referred["person"].id).id == referred["person"].id  # database intact


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_print_to_file_saves_the_document_owner_only(
    qtbot, host, app, referred, print_dialog: type[FakePrintDialog]
) -> None:
    dialog = open_preview(qtbot, host, app, referred["referral"].reference)
    dialog.print_document()
    settle(qtbot, dialog)
    assert print_dialog.output.read_bytes() == dialog.pdf_bytes  # exactly as previewed
    assert stat.S_IMODE(print_dialog.output.stat().st_mode) == 0o600
    assert sorted(p.name for p in print_dialog.output.parent.iterdir() if p.is_file()) == [
        print_dialog.output.name
    ]


def test_todays_slips_printed_to_the_database_file_are_refused(
    qtbot, gui, app, referred, page: QWidget, print_dialog: type[FakePrintDialog]
) -> None:
    """The batch goes through the system print dialog; "print to file" at the database must
    not replace it (Qt would write the file itself, straight over it)."""
    print_dialog.output = app.data_path
    gui.on_next_dialog(lambda box: gui.button(box, "Print 1 slip").click())
    assert printed_today(qtbot, app, page) == 0
    kind, text = page.message_bar.messages[-1]  # type: ignore[attr-defined]
    assert kind == "error" and "data folder" in text
    conn = connect_db(app.data_path)  # still the encrypted database, whole
    try:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        conn.close()
    assert app.people.get(referred["person"].id).id == referred["person"].id
    assert notes(app, referred["person"].id) == []
