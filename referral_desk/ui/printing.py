"""Preview, print and save referral slips and provider forms (DESIGN.md §7).

The services make the PDF; this module only shows it, prints it and saves it, so what the
officer sees in the preview, what comes out of the printer and what is saved are the same
document. Pages are rasterised with PDFium (pypdfium2) because this Qt build has no QtPdf:
at screen resolution for the preview, at printer resolution (capped, see `PRINT_DPI`) for
printing. Printing paints one page at a time and lets go of it before the next, so a batch of
500 slips needs the memory of one page, not of the whole job.

A print or a save is recorded on the referral's timeline only after it succeeded: a
cancelled print dialog or a full disk must not leave "slip printed" on the record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QEventLoop,
    QMarginsF,
    QRectF,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPagedPaintDevice,
    QPageSize,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.errors import DomainError
from referral_desk.ui.file_dialogs import PDF_FOLDER, remember_folder, start_path
from referral_desk.ui.messages import confirm, error_text, show_error, show_info
from referral_desk.ui.widgets import named

__all__ = [
    "DOCUMENTS",
    "PAGE_SIZES",
    "PRINT_DPI",
    "PrintFailed",
    "PrintPreviewDialog",
    "configured_printer",
    "paint_pdf",
    "print_pdf",
    "print_slips_sent_today",
    "render_pages",
]

if TYPE_CHECKING:
    import pypdfium2 as pdfium

T = TypeVar("T")

# key -> what the timeline and the officer call it
DOCUMENTS: dict[str, str] = {"slip": "Referral slip", "provider_form": "Provider form"}
PAGE_SIZES = ("A4", "A5")
_PAGE_IDS = {"A4": QPageSize.PageSizeId.A4, "A5": QPageSize.PageSizeId.A5}
# 300 dpi greyscale keeps large-type slips crisp while a page bitmap stays ~9 MB (A4); printer
# resolutions of 600-1200 dpi would mean 35-140 MB per page for no visible gain on text.
PRINT_DPI = 300
# Progress is only worth showing for jobs of more than a couple of pages.
PROGRESS_FROM_PAGES = 4
PAGE_GAP = 18  # pixels between pages in the preview
BACKDROP = "#5f676c"  # dark grey behind the pages, so white paper stands out
SETTINGS_LAST_DIR = PDF_FOLDER

PageCallback = Callable[[int, int], bool]


class PrintFailed(DomainError):
    """Printing or saving failed for a reason the officer can act on (message is safe)."""


# -- rendering -------------------------------------------------------------------------------


def _open(pdf_bytes: bytes) -> pdfium.PdfDocument:
    # Imported here: loading the PDFium library takes ~0.1 s, which app start-up need not pay.
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(pdf_bytes)
    except pypdfium2.PdfiumError:
        raise PrintFailed("The document could not be read for printing.") from None


def _image_of(bitmap: pdfium.PdfBitmap) -> QImage:
    """A QImage over the bitmap's own buffer (no copy): keep `bitmap` alive while it is used."""
    fmt = (
        QImage.Format.Format_Grayscale8 if bitmap.n_channels == 1 else QImage.Format.Format_RGBX8888
    )
    return QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, fmt)


def _render(page: pdfium.PdfPage, dpi: float, grayscale: bool) -> pdfium.PdfBitmap:
    # rev_byteorder + prefer_bgrx gives RGBx bytes, which is Format_RGBX8888 on any endianness.
    return page.render(scale=dpi / 72.0, grayscale=grayscale, rev_byteorder=True, prefer_bgrx=True)


def page_sizes(pdf_bytes: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, to size the preview before rendering."""
    document = _open(pdf_bytes)
    try:
        return [document.get_page_size(i) for i in range(len(document))]
    finally:
        document.close()


def render_pages(pdf_bytes: bytes, dpi: float, *, grayscale: bool = False) -> list[QImage]:
    """Every page as an image at `dpi` (each image owns its pixels). For previews: all pages
    are held at once, which is fine for a slip or a form and wrong for a 500-slip batch."""
    document = _open(pdf_bytes)
    images: list[QImage] = []
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = _render(page, dpi, grayscale)
            finally:
                page.close()
            images.append(_image_of(bitmap).copy())
            bitmap.close()
    finally:
        document.close()
    return images


def _fit(size: QSize, area: QRectF) -> QRectF:
    """`size` scaled to fit `area`, keeping its shape, centred (A5 on A4 paper stays upright)."""
    if size.isEmpty():
        return area
    scale = min(area.width() / size.width(), area.height() / size.height())
    width, height = size.width() * scale, size.height() * scale
    return QRectF(
        area.x() + (area.width() - width) / 2,
        area.y() + (area.height() - height) / 2,
        width,
        height,
    )


def paint_pdf(
    pdf_bytes: bytes,
    paint_device: QPagedPaintDevice | QPrinter,
    dpi: float,
    *,
    grayscale: bool = True,
    on_page: PageCallback | None = None,
) -> int:
    """Paint every page of `pdf_bytes` onto `paint_device`, one device page per PDF page.

    Each page is rendered at `dpi`, scaled to the whole paper (the PDF carries its own margins,
    so printer margins would shrink it twice) and released before the next one, so memory does
    not grow with the number of pages. `on_page(index, count)` is called before each page;
    returning False stops the job (a QPrinter is aborted). Returns the pages painted.
    Raises PrintFailed when the device cannot start or take a new page.
    """
    if isinstance(paint_device, QPrinter):
        paint_device.setFullPage(True)
    else:
        paint_device.setPageMargins(QMarginsF(0, 0, 0, 0))
    document = _open(pdf_bytes)
    painter = QPainter()
    try:
        count = len(document)
        if count == 0:
            raise PrintFailed("The document has no pages to print.")
        if not painter.begin(paint_device):
            raise PrintFailed(
                "The printer could not be started. Check that it is switched on and try again."
            )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        # Without this hint Qt's PDF engine (what CUPS printing and "print to file" use) stores
        # page images as JPEG: twice the size, and blurred edges round text and the QR code.
        painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
        for index in range(count):
            if on_page is not None and not on_page(index, count):
                if isinstance(paint_device, QPrinter):
                    paint_device.abort()
                return index
            if index and not paint_device.newPage():
                raise PrintFailed("The printer stopped taking pages; the job is incomplete.")
            page = document[index]
            try:
                bitmap = _render(page, dpi, grayscale)
            finally:
                page.close()
            try:
                image = _image_of(bitmap)
                area = QRectF(0, 0, paint_device.width(), paint_device.height())
                painter.drawImage(_fit(image.size(), area), image)
                del image
            finally:
                bitmap.close()
        return count
    finally:
        if painter.isActive():
            painter.end()
        document.close()


# -- printing and saving ---------------------------------------------------------------------


def _page_size_setting(services: Any) -> str:
    size = str(services.profile.local_setting("page_size", "A4") or "A4").upper()
    return size if size in PAGE_SIZES else "A4"


def configured_printer(services: Any, size: str, title: str) -> QPrinter:
    """A printer set up from this machine's settings: the chosen printer if it still exists
    (printers come and go; an unknown name would silently print nowhere), and the paper size."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    name = str(services.profile.local_setting("printer", "") or "").strip()
    if name and name in QPrinterInfo.availablePrinterNames():
        printer.setPrinterName(name)  # before the page size: a new printer resets the layout
    printer.setPageSize(QPageSize(_PAGE_IDS.get(size.upper(), QPageSize.PageSizeId.A4)))
    printer.setDocName(title)
    printer.setFullPage(True)
    return printer


def print_pdf(
    services: Any, pdf_bytes: bytes, size: str, *, title: str, parent: QWidget | None
) -> bool:
    """Show the system print dialog and print `pdf_bytes`. True only when every page went to
    the printer (or the document was saved, when the officer chose to print to a file); False
    when the officer cancelled (the dialog or the progress). A refused or failed file raises
    a DomainError."""
    printer = configured_printer(services, size, title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
        # "Print to file": Qt would write the file itself, under the chosen name as it goes,
        # with the umask's permissions and into any folder. Save the document instead, exactly
        # as previewed, the way Save as PDF does (owner-only, atomic, never the data folder).
        with _wait_cursor():
            services.printing.save_pdf(printer.outputFileName(), pdf_bytes)
        return True
    dpi = min(PRINT_DPI, printer.resolution() or PRINT_DPI)
    count = len(page_sizes(pdf_bytes))
    if count < PROGRESS_FROM_PAGES:
        with _wait_cursor():
            return paint_pdf(pdf_bytes, printer, dpi) == count
    progress = QProgressDialog("Printing…", "Cancel", 0, count, parent)
    progress.setWindowTitle("Printing")
    progress.setAccessibleName("Printing progress")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)

    def on_page(index: int, total: int) -> bool:
        progress.setLabelText(f"Printing page {index + 1} of {total}…")
        progress.setValue(index)
        return not progress.wasCanceled()

    try:
        painted = paint_pdf(pdf_bytes, printer, dpi, on_page=on_page)
    finally:
        progress.close()
        progress.deleteLater()
    return painted == count


@contextmanager
def _wait_cursor() -> Iterator[None]:
    """A busy cursor for work that blocks the UI briefly (one document, a few pages)."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def _run_busy(parent: QWidget | None, text: str, fn: Callable[[], T]) -> T:
    """Run `fn` on a helper thread while the window keeps repainting behind a busy dialog.

    Making 500 slips takes seconds; a frozen window looks like a crash. The dialog has no
    Cancel because the PDF library cannot be interrupted half-way; nothing is recorded yet.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as err:  # handed to the UI thread below
            outcome["error"] = err

    thread = threading.Thread(target=work, name="print-batch", daemon=True)
    busy = QProgressDialog(text, "", 0, 0, parent)
    busy.setCancelButton(None)
    busy.setWindowTitle("Printing")
    busy.setAccessibleName(text)
    busy.setWindowModality(Qt.WindowModality.WindowModal)
    busy.setMinimumDuration(400)
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(30)

    def poll() -> None:
        if not thread.is_alive():
            loop.quit()

    timer.timeout.connect(poll)
    thread.start()
    timer.start()
    busy.setValue(0)
    if thread.is_alive():
        loop.exec()
    timer.stop()
    thread.join()
    busy.close()
    busy.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def print_slips_sent_today(services: Any, parent: QWidget | None) -> int:
    """My day's batch job: one print dialog for the slips of every referral sent today.

    Asks first (showing the count), prints through the same path as a single slip, then notes
    each slip on its referral's timeline. Returns how many slips were printed (0 when there
    were none, or the officer cancelled, or it failed; failures are shown, not raised).
    """
    try:
        refs = services.printing.referrals_sent_on()
    except Exception as err:
        show_error(parent, err)
        return 0
    if not refs:
        show_info(parent, "No referrals were sent today, so there are no slips to print.")
        return 0
    count = len(refs)
    size = _page_size_setting(services)
    noun = "slip" if count == 1 else "slips"
    if not confirm(
        parent,
        "Print today's slips",
        f"Print {count} referral {noun} for the referrals sent today?",
        action=f"Print {count} {noun}",
        detail=f"One slip per referral on {size} paper. Each slip is noted on its referral.",
        destructive=False,
    ):
        return 0
    try:
        pdf = _run_busy(
            parent,
            f"Preparing {count} {noun}…",
            lambda: services.printing.batch_slips_pdf(refs, size),
        )
        if not print_pdf(services, pdf, size, title=f"Referral slips ({count})", parent=parent):
            return 0
    except Exception as err:
        show_error(parent, err)
        return 0

    def note_each() -> None:
        for ref in refs:
            services.printing.record_printed(ref, DOCUMENTS["slip"], "printed")

    try:
        _run_busy(parent, f"Noting the {noun} on their referrals…", note_each)
    except Exception as err:  # printed all the same: say what was not noted, return the count
        show_error(parent, err)
        return count
    show_info(parent, f"{count} referral {noun} sent to the printer and noted on each referral.")
    return count


# -- preview dialog --------------------------------------------------------------------------


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
        self.setWindowTitle(f"Print preview – referral {reference}")
        self.setAccessibleName("Print preview")
        self._build(document)
        self._rerender = QTimer(self)
        self._rerender.setSingleShot(True)
        self._rerender.setInterval(60)
        self._rerender.timeout.connect(self._render)
        self._load()

    # -- building -----------------------------------------------------------------------------
    def _build(self, document: str) -> None:
        self.document_combo = QComboBox()
        for key, label in DOCUMENTS.items():
            self.document_combo.addItem(label, key)
        self.document_combo.setCurrentIndex(max(0, self.document_combo.findData(document)))
        named(self.document_combo, "Document", "Which document to preview and print")
        self.size_combo = QComboBox()
        self.size_combo.addItems(list(PAGE_SIZES))
        self.size_combo.setCurrentText(_page_size_setting(self.services))
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
    def _load(self) -> None:
        """Make the chosen document (fast: one slip or form) and show it."""
        printing = self.services.printing
        make = printing.slip_pdf if self.document_key == "slip" else printing.provider_form_pdf
        try:
            with _wait_cursor():
                pdf = make(self.reference, self.page_size)
                sizes = page_sizes(pdf)
        except DomainError as err:
            self._show_problem(str(err) or "This document could not be made.")
            return
        except Exception as err:  # a bug: generic text on screen, details to the log only
            self._show_problem(error_text(err))
            return
        self._pdf, self._sizes = pdf, sizes
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
        try:
            self.services.printing.record_printed(self.reference, self.document_name, how)
        except Exception as err:
            show_error(self, err)
            return
        self.status.setText(f"{self.document_name} {how}; noted on the referral.")

    def print_document(self) -> None:
        """Print… (Ctrl+P): the system print dialog, then the note on the timeline."""
        if not self._pdf:
            return
        title = f"{self.document_name} {self.reference}"
        try:
            done = print_pdf(self.services, self._pdf, self.page_size, title=title, parent=self)
        except Exception as err:
            show_error(self, err)
            return
        if done:
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
        try:  # owner-only, atomic, never into the data folder
            self.services.printing.save_pdf(path, self._pdf)
        except DomainError as err:
            show_error(self, PrintFailed(f"The PDF was not saved. {err}"))
            return
        remember_folder(SETTINGS_LAST_DIR, path)
        self._record("saved as PDF")
