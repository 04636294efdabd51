"""Preview, print and save referral slips and provider forms (DESIGN.md §7).

The use cases make the PDF (on the window's worker, through `ui.ops`); this dialog only shows
it, prints it and saves it, so what the officer sees in the preview, what comes out of the
printer and what is saved are the same document. Rasterising and painting are in
`ui/print_pages.py`; My day's batch of today's slips is `ui/print_batch.py`.

A print or a save is recorded on the referral's timeline only after it succeeded: a
cancelled print dialog or a full disk must not leave "slip printed" on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.ui import palette
from referral_desk.ui.file_dialogs import PDF_FOLDER, remember_folder, start_path
from referral_desk.ui.messages import error_text, show_error
from referral_desk.ui.ops import op
from referral_desk.ui.print_pages import (
    DOCUMENTS,
    PAGE_SIZES,
    PrintFailed,
    PrintSettings,
    page_sizes,
    print_pdf,
    printer_settings,
    render_pages,
)
from referral_desk.ui.widgets import named

PAGE_GAP = 18  # pixels between pages in the preview
BACKDROP = palette.BACKDROP
SETTINGS_LAST_DIR = PDF_FOLDER
PREVIEW_KIND = "print-preview"
"""Switching document or size again before the last one arrived: only the newest is shown."""


@dataclass(frozen=True)
class Made:
    """A document made on the worker, with the settings it was made for."""

    settings: PrintSettings
    pdf: bytes


def make_document(services: Any, reference: str, document: str, size: str | None) -> Made:
    """The slip or provider form (worker thread); `size` None: the machine's setting."""
    settings = printer_settings(services)
    printing = services.printing
    make = printing.slip_pdf if document == "slip" else printing.provider_form_pdf
    return Made(settings, make(reference, size or settings.page_size))


class PrintPreviewDialog(QDialog):
    """A referral's slip or provider form as it will print, with Print… and Save as PDF….

    The bytes shown are the bytes printed and saved: the document is made once per choice of
    document and size, and only re-rasterised when the zoom or the window width changes.
    """

    def __init__(
        self,
        services: Any,
        reference: str,
        parent: QWidget | None = None,
        *,
        document: str = "slip",
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.reference = reference
        self._pdf: bytes = b""
        self._sizes: list[tuple[float, float]] = []
        self._settings = PrintSettings()
        self.loaded = False
        """True once the first document (or the reason there is none) has arrived."""
        self.setWindowTitle(f"Print preview – referral {reference}")
        self.setAccessibleName("Print preview")
        self._build(document)
        self._rerender = QTimer(self)
        self._rerender.setSingleShot(True)
        self._rerender.setInterval(60)
        self._rerender.timeout.connect(self._render)
        self._load(initial=True)

    # -- building -----------------------------------------------------------------------------
    def _build(self, document: str) -> None:
        self.document_combo = QComboBox()
        for key, label in DOCUMENTS.items():
            self.document_combo.addItem(label, key)
        self.document_combo.setCurrentIndex(max(0, self.document_combo.findData(document)))
        named(self.document_combo, "Document", "Which document to preview and print")
        self.size_combo = QComboBox()
        self.size_combo.addItems(list(PAGE_SIZES))
        # The machine's paper size arrives with the first document (_load).
        named(self.size_combo, "Page size", "Paper size the document is laid out for")
        self.zoom_combo = QComboBox()
        self.zoom_combo.addItem("Fit width", "fit")
        self.zoom_combo.addItem("100%", "actual")
        named(self.zoom_combo, "Zoom", "Fit the page to the window width, or actual size")
        self.page_info = QLabel()
        named(self.page_info, "Pages")

        bar = QHBoxLayout()
        for text, combo in (
            ("&Document:", self.document_combo),
            ("Page si&ze:", self.size_combo),
            ("Zoo&m:", self.zoom_combo),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            bar.addWidget(label)
            bar.addWidget(combo)
            bar.addSpacing(12)
        bar.addStretch(1)
        bar.addWidget(self.page_info)

        self.pages = QWidget()
        self.pages.setObjectName("previewPages")
        # The palette, not a style sheet: a style-sheet background on a plain QWidget is only
        # painted in the exposed region, which left pale bands beside scrolled pages.
        backdrop = self.pages.palette()
        backdrop.setColor(QPalette.ColorRole.Window, QColor(BACKDROP))
        backdrop.setColor(QPalette.ColorRole.WindowText, QColor("white"))
        self.pages.setPalette(backdrop)
        self.pages.setAutoFillBackground(True)
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self.pages_layout.setSpacing(PAGE_GAP)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        self.message.setMinimumWidth(420)  # word wrap in a centred layout would squeeze it
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.message.setFont(font)
        named(self.message, "Preview message")
        self.message.hide()
        self.pages_layout.addWidget(self.message)
        self.page_labels: list[QLabel] = []

        self.scroll = QScrollArea()
        self.scroll.setWidget(self.pages)
        self.scroll.setWidgetResizable(True)
        self.scroll.viewport().setPalette(backdrop)
        self.scroll.viewport().setAutoFillBackground(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrow keys and Page Up/Down
        named(self.scroll, "Document pages", "The pages as they will print")

        self.print_button = QPushButton("&Print…")
        named(self.print_button, "Print", "Print on paper through the system print dialog")
        self.save_button = QPushButton("&Save as PDF…")
        named(self.save_button, "Save as PDF", "Save exactly this document as a PDF file")
        buttons = QDialogButtonBox()
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        named(close, "Close")
        buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(self.save_as_pdf)
        self.print_button.setDefault(True)
        self.status = QLabel()
        named(self.status, "Status")

        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(footer)

        print_key = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Print), self, activated=self.print_document
        )
        print_key.setObjectName("print")
        save_key = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Save), self, activated=self.save_as_pdf
        )
        save_key.setObjectName("save_pdf")
        # Esc closes: QDialog's own reject on Escape.
        self.document_combo.currentIndexChanged.connect(self._load)
        self.size_combo.currentIndexChanged.connect(self._load)
        self.zoom_combo.currentIndexChanged.connect(self._render)
        self._initial_size()

    def _initial_size(self) -> None:
        screen = (self.parentWidget().screen() if self.parentWidget() else None) or (
            QGuiApplication.primaryScreen()
        )
        available = screen.availableGeometry() if screen else None
        width, height = 860, 980
        if available is not None:
            width = min(width, int(available.width() * 0.9))
            height = min(height, int(available.height() * 0.9))
        self.resize(width, height)

    # -- state --------------------------------------------------------------------------------
    @property
    def document_key(self) -> str:
        return str(self.document_combo.currentData())

    @property
    def document_name(self) -> str:
        return DOCUMENTS[self.document_key]

    @property
    def page_size(self) -> str:
        return self.size_combo.currentText()

    @property
    def pdf_bytes(self) -> bytes:
        """The document currently shown, exactly as it will be printed or saved."""
        return self._pdf

    # -- loading and rendering ----------------------------------------------------------------
    def _load(self, *_args: object, initial: bool = False) -> None:
        """Make the chosen document on the worker (one slip or form) and show it."""
        services, reference, document = self.services, self.reference, self.document_key
        size = None if initial else self.page_size
        op(
            self, lambda: make_document(services, reference, document, size), kind=PREVIEW_KIND
        ).success(lambda made: self._show(made, initial)).failure(self._load_failed).busy().run()

    def _load_failed(self, err: BaseException) -> None:
        # A domain error says why in words; a bug gets the generic text (details to the log).
        self._show_problem(error_text(err) if not isinstance(err, DomainError) else str(err))
        self.loaded = True

    def _show(self, made: Made, initial: bool) -> None:
        self._settings = made.settings
        if initial:
            with QSignalBlocker(self.size_combo):
                self.size_combo.setCurrentText(made.settings.page_size)
        try:
            sizes = page_sizes(made.pdf)
        except DomainError as err:
            self._show_problem(str(err) or "This document could not be made.")
            self.loaded = True
            return
        self._pdf, self._sizes = made.pdf, sizes
        self.loaded = True
        self.message.hide()
        self.print_button.setEnabled(True)
        self.save_button.setEnabled(True)
        noun = "page" if len(sizes) == 1 else "pages"
        self.page_info.setText(f"{len(sizes)} {noun} · {self.page_size}")
        self._render()

    def _show_problem(self, text: str) -> None:
        self._pdf, self._sizes = b"", []
        self._clear_pages()
        self.message.setText(text)
        self.message.show()
        self.page_info.setText("")
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def _clear_pages(self) -> None:
        for label in self.page_labels:
            self.pages_layout.removeWidget(label)
            label.hide()  # deleteLater() waits for the event loop; until then it would show
            label.deleteLater()
        self.page_labels = []

    def _available_width(self) -> int:
        """Room for a page at "fit width", the same whether or not the scroll bar shows (so
        fitting never toggles the scroll bar and re-fits for ever)."""
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return max(120, self.scroll.contentsRect().width() - bar - 2 * PAGE_GAP - 4)

    def _dpi(self) -> float:
        """Logical dots per inch for the widest page at the chosen zoom."""
        if self.zoom_combo.currentData() == "fit" and self._sizes:
            widest = max(width for width, _ in self._sizes)
            return self._available_width() / (widest / 72.0)
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.logicalDotsPerInch() if screen else 96.0

    def _render(self) -> None:
        """Rasterise the pages for the current zoom; deferred until shown (the width to fit
        is not known before), so opening the dialog renders once, not twice."""
        if not self._pdf or not self.isVisible():
            return
        ratio = self.devicePixelRatioF()
        try:
            images = render_pages(self._pdf, self._dpi() * ratio)
        except DomainError as err:
            self._show_problem(str(err))
            return
        self._clear_pages()
        for number, image in enumerate(images, start=1):
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            label = QLabel()
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.deviceIndependentSize().toSize())
            named(label, f"Page {number} of {len(images)}")
            shadow = QGraphicsDropShadowEffect(label)
            shadow.setBlurRadius(14)
            shadow.setOffset(0, 2)
            shadow.setColor(QColor(0, 0, 0, 110))
            label.setGraphicsEffect(shadow)
            self.pages_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_labels.append(label)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.zoom_combo.currentData() == "fit" and self.isVisible():
            self._rerender.start()

    # -- actions ------------------------------------------------------------------------------
    def _record(self, how: str) -> None:
        """Note the print or save on the referral's timeline (after it succeeded)."""
        printing, reference, name = self.services.printing, self.reference, self.document_name
        op(self, lambda: printing.record_printed(reference, name, how)).success(
            lambda _: self.status.setText(f"{name} {how}; noted on the referral.")
        ).run()

    def print_document(self) -> None:
        """Print… (Ctrl+P): the system print dialog, then the note on the timeline."""
        if not self._pdf:
            return
        title = f"{self.document_name} {self.reference}"
        pdf = self._pdf
        try:
            printed = print_pdf(
                pdf, self.page_size, printer_name=self._settings.printer, title=title, parent=self
            )
        except DomainError as err:  # the printer refused: said, nothing noted
            show_error(self, err)
            return
        if printed.to_file:
            self._save(Path(printed.to_file), pdf, "printed")
        elif printed.done:
            self._record("printed")

    def save_as_pdf(self) -> None:
        """Save as PDF… (Ctrl+S): the same bytes as shown, written atomically."""
        if not self._pdf:
            return
        # Documents the first time, then the folder last saved to (an existing one only).
        suggested = start_path(SETTINGS_LAST_DIR, f"{self.document_name} {self.reference}.pdf")
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save as PDF", suggested, "PDF documents (*.pdf)"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        self._save(path, self._pdf, "saved as PDF", remember=True)

    def _save(self, path: Path, pdf: bytes, how: str, *, remember: bool = False) -> None:
        """Write `pdf` (owner-only, atomic, never into the data folder), then note it on the
        timeline: one job on the worker, so the note is made even if the preview is closed
        before the file is written."""
        printing, reference, name = self.services.printing, self.reference, self.document_name

        def work() -> None:
            try:
                printing.save_pdf(path, pdf)
            except DomainError as err:
                raise PrintFailed(f"The PDF was not saved. {err}") from None
            printing.record_printed(reference, name, how)

        def saved(_: object) -> None:
            if remember:
                remember_folder(SETTINGS_LAST_DIR, path)
            self.status.setText(f"{name} {how}; noted on the referral.")

        op(self, work).success(saved).busy().run()
