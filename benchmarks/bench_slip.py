"""Benchmark: referral slip PDFs (DESIGN.md §9: one slip ≤ 100 ms).

Prints each figure next to its budget and exits 1 if any is over:
- median time to render one A4 slip (after one warm-up render, which registers the font);
- a 500-slip batch print job: resident memory after the 1st and the 3rd batch. Growth between
  them means something keeps every document alive (a leak); the budget allows allocator noise.

Run from the repository root: `.venv/bin/python benchmarks/bench_slip.py [--batch N]`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

from referral_desk.documents.batch import render_slips
from referral_desk.documents.model import SlipData
from referral_desk.documents.slip import render_slip

SLIP_BUDGET_MS = 100.0
LEAK_BUDGET_MB = 10.0


def sample_slip(number: int) -> SlipData:
    alphabet = "234679ACDEFGHJKLMNPQRTUVWXYZ"
    code = "".join(alphabet[(number // len(alphabet) ** i) % len(alphabet)] for i in range(6))
    return SlipData(
        reference=f"{code[:3]}-{code[3:]}",
        person_name=f"Gwenllïan Ŵyn Llŷr-Łukasiewicz {number}",
        service_name="Cymorth Tai Gogledd Cymru – Housing Support and Tenancy Sustainment",
        organisation_name="Cymdeithas Tai Clwyd a'r Gororau",
        address_lines=("Uned 4, Canolfan Fusnes", "Ffordd Caergybi", "Bangor", "LL57 1AA"),
        phone="01248 123 456",
        email="referrals@tai.example.org",
        how_to_go="Phone to book your first visit.",
        opening_times="Monday to Friday, 9am to 5pm",
        what_to_bring="Photo ID if you have it and any tenancy letters.",
        appointment_at=datetime(2025, 1, 14, 10, 30),
        appointment_place="Room 3, first floor",
        officer_name="Siân Morgan",
        officer_phone="01248 987 654",
        office_name="Bangor Probation Office",
        made_on=date(2025, 1, 6),
    )


def resident_mb() -> float | None:
    """Current resident set size in MB (Linux /proc), or None where that is not available."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    import os

    pages = int(statm.read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float | None:
    """Peak resident set size in MB so far (POSIX `resource`), or None where unavailable."""
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="single-slip renders to time")
    parser.add_argument("--batch", type=int, default=500, help="slips per batch job")
    args = parser.parse_args()

    render_slip(sample_slip(0))  # warm-up: font registration and imports are not per-slip cost
    times = []
    for number in range(args.repeat):
        slip = sample_slip(number)
        start = time.perf_counter()
        render_slip(slip)
        times.append((time.perf_counter() - start) * 1000)
    ok = report("one A4 slip, median", statistics.median(times), SLIP_BUDGET_MS, "ms")
    print(f"  p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms over {args.repeat} renders")

    slips = [sample_slip(n) for n in range(args.batch)]
    gc.collect()
    before = resident_mb()
    after: list[float] = []
    for _ in range(3):
        start = time.perf_counter()
        pdf = render_slips(slips, "A4")
        seconds = time.perf_counter() - start
        del pdf
        gc.collect()
        rss = resident_mb()
        if rss is not None:
            after.append(rss)
        print(
            f"  batch of {args.batch}: {seconds:.1f} s ({seconds / args.batch * 1000:.0f} ms/slip)"
        )
    if before is None or len(after) < 3:
        print("batch memory: not measured on this platform (needs /proc)")
    else:
        each = " / ".join(f"{mb:.0f}" for mb in after)
        print(f"  resident: {before:.0f} MB before, {each} MB after each batch")
        peak = peak_mb()
        if peak is not None:
            print(f"  peak resident during the run: {peak:.0f} MB")
        growth = after[2] - after[0]
        ok &= report(f"batch of {args.batch}, growth 1st→3rd", growth, LEAK_BUDGET_MB, "MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
