"""PDF pages as pixels: the preview's images and the pages painted onto a printer.

Pages are rasterised with PDFium (pypdfium2) because this Qt build has no QtPdf: at screen
resolution for the preview, at printer resolution (capped, see `PRINT_DPI`) for printing.
Printing paints one page at a time and lets go of it before the next, so a batch of 500 slips
needs the memory of one page, not of the whole job.

Everything here runs on the GUI thread: painting onto a `QPrinter` must. The documents are made
by the use cases on the worker (`ui.ops`); what the settings say (printer, paper size) is read
there too and passed in as `PrintSettings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPagedPaintDevice, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog, QWidget

from referral_desk.domain.errors import DomainError

if TYPE_CHECKING:
    import pypdfium2 as pdfium

# key -> what the timeline and the officer call it
DOCUMENTS: dict[str, str] = {"slip": "Referral slip", "provider_form": "Provider form"}
PAGE_SIZES = ("A4", "A5")
_PAGE_IDS = {"A4": QPageSize.PageSizeId.A4, "A5": QPageSize.PageSizeId.A5}
# 300 dpi greyscale keeps large-type slips crisp while a page bitmap stays ~9 MB (A4); printer
# resolutions of 600-1200 dpi would mean 35-140 MB per page for no visible gain on text.
PRINT_DPI = 300
# Progress is only worth showing for jobs of more than a couple of pages.
PROGRESS_FROM_PAGES = 4

PageCallback = Callable[[int, int], bool]


class PrintFailed(DomainError):
    """Printing or saving failed for a reason the officer can act on (message is safe)."""


@dataclass(frozen=True)
class PrintSettings:
    """This machine's printing settings, read on the worker before printing or previewing."""

    page_size: str = "A4"
    printer: str = ""


def printer_settings(services: Any) -> PrintSettings:
    """Read the settings (worker thread): an unknown page size falls back to A4."""
    size = str(services.profile.local_setting("page_size", "A4") or "A4").upper()
    name = str(services.profile.local_setting("printer", "") or "").strip()
    return PrintSettings(size if size in PAGE_SIZES else "A4", name)


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


# -- printing --------------------------------------------------------------------------------


def configured_printer(printer_name: str, size: str, title: str) -> QPrinter:
    """A printer set up from this machine's settings: the chosen printer if it still exists
    (printers come and go; an unknown name would silently print nowhere), and the paper size."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    name = printer_name.strip()
    if name and name in QPrinterInfo.availablePrinterNames():
        printer.setPrinterName(name)  # before the page size: a new printer resets the layout
    printer.setPageSize(QPageSize(_PAGE_IDS.get(size.upper(), QPageSize.PageSizeId.A4)))
    printer.setDocName(title)
    printer.setFullPage(True)
    return printer


@dataclass(frozen=True)
class Printed:
    """How a print went: every page sent (`done`), or "print to file" chosen (`to_file`:
    the caller saves the document there, as Save as PDF does), or neither (cancelled)."""

    done: bool
    to_file: str = ""


def print_pdf(
    pdf_bytes: bytes, size: str, *, printer_name: str, title: str, parent: QWidget | None
) -> Printed:
    """Show the system print dialog and print `pdf_bytes` (GUI thread: painting a QPrinter).

    Not done when the officer cancelled (the dialog or the progress). A failed printer raises
    PrintFailed. "Print to file" is not written here: Qt would write the file itself, under the
    chosen name as it goes, with the umask's permissions and into any folder; the caller saves
    the document instead, exactly as previewed (owner-only, atomic, never the data folder).
    """
    printer = configured_printer(printer_name, size, title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return Printed(False)
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
        return Printed(False, to_file=printer.outputFileName())
    dpi = min(PRINT_DPI, printer.resolution() or PRINT_DPI)
    count = len(page_sizes(pdf_bytes))
    if count < PROGRESS_FROM_PAGES:
        with wait_cursor():
            return Printed(paint_pdf(pdf_bytes, printer, dpi) == count)
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
    return Printed(painted == count)


@contextmanager
def wait_cursor() -> Iterator[None]:
    """A busy cursor for GUI-thread work that blocks briefly (rasterising a few pages)."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
