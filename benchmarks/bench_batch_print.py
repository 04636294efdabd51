"""Benchmark: the "print slips for all referrals sent today" job (DESIGN.md §7, §9).

500 slips are made by the printing service from stored referrals and painted, page by page,
onto a QPrinter that writes a PDF file: the same path as printing from My day, minus the
dialogs. Run three times; resident memory after the 1st and the 3rd job must not grow (a page
image or a document kept alive per slip would show as hundreds of MB). Prints each figure next
to its budget and exits 1 if any is over. Time is reported, not budgeted: a real printer is
slower than the job (30-40 pages a minute).

Run from the repository root:
`.venv/bin/python benchmarks/bench_batch_print.py [--slips 500] [--repeat 3] [--dpi 300]`.
"""

from __future__ import annotations

import os

from common import bench_unlock

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window is shown

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LEAK_BUDGET_MB = 10.0


def resident_mb() -> float | None:
    """Current resident set size in MB (Linux /proc), or None where that is not available."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    pages = int(statm.read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def report(name: str, figure: float, budget: float, unit: str) -> bool:
    ok = figure <= budget
    print(f"{name}: {figure:.1f} {unit} (budget {budget:.0f} {unit}) {'OK' if ok else 'OVER'}")
    return ok


def sent_today(app: Any, wanted: int) -> list[str]:
    """References of `wanted` referrals sent today: demo data if the app has a generator, topped
    up with referrals made through the services (never written to the database directly)."""
    try:
        from referral_desk.demo import generate_demo  # type: ignore[import-not-found]
    except ImportError:
        generate_demo = None
    if generate_demo is not None:
        try:
            generate_demo(app, referrals=wanted, seed=1)
        except TypeError:
            generate_demo(app)
    refs = app.printing.referrals_sent_on()
    missing = wanted - len(refs)
    if missing > 0:
        from referral_desk.usecases.directory_admin import DirectoryAdminService

        admin = DirectoryAdminService(app.db, app.clock)
        org = admin.create_organisation(
            name="Cymdeithas Tai Clwyd a'r Gororau", phone="01248 123456"
        )
        service = admin.create_service(
            org.id,
            "Cymorth Tai – Housing Support and Tenancy Sustainment",
            phone="01248 123 456",
            opening_times="Monday to Friday, 9am to 5pm",
            what_to_bring="Photo ID if you have it and any tenancy letters.",
            referral_method="phone",
        )
        for number in range(missing):
            person = app.people.add(
                given_name="Gwenllïan",
                family_name=f"Llŷr-Łukasiewicz {number}",
                date_of_birth="1990-01-01",
                consent_given_on="2026-01-10",
            )
            need = app.needs.log(person.id, "accommodation", "Needs somewhere to live")
            app.referrals.make(need.id, service.id, consent=True)
        refs = app.printing.referrals_sent_on()
    return refs[:wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slips", type=int, default=500, help="slips per batch job")
    parser.add_argument("--repeat", type=int, default=3, help="batch jobs to run (at least 3)")
    parser.add_argument("--dpi", type=float, default=None, help="page raster resolution")
    args = parser.parse_args()

    from PySide6.QtGui import QPageSize
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from referral_desk.ui.printing import PRINT_DPI, paint_pdf
    from referral_desk.usecases.app_services import open_services

    qapp = QApplication.instance() or QApplication([])
    dpi = args.dpi or PRINT_DPI
    folder = Path(tempfile.mkdtemp(prefix="bench-print-"))
    (folder / "data").mkdir(mode=0o700)
    app = open_services(folder / "data", unlock=bench_unlock)
    try:
        app.profile.set(
            name="Siân Morgan",
            office="Bangor Probation Office",
            office_phone="01248 987 654",
            team="Gwynedd",
        )
        start = time.perf_counter()
        refs = sent_today(app, args.slips)
        print(f"set-up: {len(refs)} referrals sent today ({time.perf_counter() - start:.0f} s)")
        if len(refs) < args.slips:
            print("could not make enough referrals")
            return 1

        def job(number: int) -> tuple[float, float, int, float]:
            """One batch print job; returns (make s, paint s, pages, output MB)."""
            out = folder / f"job{number}.pdf"
            began = time.perf_counter()
            pdf = app.printing.batch_slips_pdf(refs, "A4")
            made = time.perf_counter()
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(out))
            printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
            pages = paint_pdf(pdf, printer, min(dpi, printer.resolution()))
            painted = time.perf_counter()
            del printer, pdf
            size = out.stat().st_size / 2**20
            out.unlink()
            return made - began, painted - made, pages, size

        warm = app.printing.batch_slips_pdf(refs[:2], "A4")  # fonts, PDFium, Qt's PDF engine
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(folder / "warm.pdf"))
        paint_pdf(warm, printer, dpi)
        del printer, warm
        gc.collect()
        before = resident_mb()
        after: list[float] = []
        nones = sys.getrefcount(None)
        for number in range(1, max(3, args.repeat) + 1):
            make_s, paint_s, pages, size_mb = job(number)
            gc.collect()
            qapp.processEvents()
            rss = resident_mb()
            if rss is not None:
                after.append(rss)
            print(
                f"  job {number}: {args.slips} slips, {pages} pages at {dpi:.0f} dpi: make "
                f"{make_s:.1f} s, paint {paint_s:.1f} s ({paint_s / pages * 1000:.0f} ms/page), "
                f"total {make_s + paint_s:.0f} s; PDF sent to the printer {size_mb:.0f} MB"
            )
        lost = nones - sys.getrefcount(None)
        start = time.perf_counter()
        for ref in refs:
            app.printing.record_printed(ref, "Referral slip", "printed")
        print(f"  noting {len(refs)} slips on the timelines: {time.perf_counter() - start:.1f} s")
        if lost > 0:
            print(f"  references to None lost in PySide6 calls: {lost} (Python < 3.12 aborts at 0)")
        ok = True
        if before is None or len(after) < 3:
            print("batch memory: not measured on this platform (needs /proc)")
        else:
            each = " / ".join(f"{mb:.0f}" for mb in after)
            print(f"  resident: {before:.0f} MB before, {each} MB after each job")
            peak = peak_mb()
            if peak is not None:
                print(f"  peak resident during the run: {peak:.0f} MB")
            growth = after[-1] - after[0]
            ok = report(
                f"batch print of {args.slips}, growth 1st→last", growth, LEAK_BUDGET_MB, "MB"
            )
        return 0 if ok else 1
    finally:
        app.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
