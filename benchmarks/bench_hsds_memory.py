"""Benchmark: peak memory of HSDS imports, whatever the file (budget: 300 MB resident).

    python benchmarks/bench_hsds_memory.py [--services 20000] [--keep DIR] [--skip-large]

Each import runs in a child process on a fresh database, and the child reports its own peak
resident set (`VmHWM`, else `ru_maxrss`) next to what it used before the import started
(Python, SQLAlchemy, the app's modules). Cases:

1. the 20 000-service package of `bench_hsds_import.py` (our exporter's output): import, and a
   dry run (the preview);
2. a zip bomb: 0.4 MB of zip holding a 150 MB `services.csv` of empty rows (refused by its
   compression ratio before it is inflated);
3. the same 150 MB CSV of empty rows in a folder (refused at the row limit as it streams);
4. a 150 MB `services.csv` inside every limit: 200 000 services with long descriptions
   (a dry run, so the memory of checking and planning them all; skipped by --skip-large).

Exits non-zero when any case goes over the budget or ends with a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from common import CHILD_OPEN, open_bench_database

BUDGET_MB = 300
EMPTY_ROWS_MB = 150

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from referral_desk.domain.errors import DomainError
from referral_desk.usecases.base import Clock
from referral_desk.usecases.directory_admin import DirectoryAdminService
from referral_desk.store.database import Database
from referral_desk.store.seed import seed_reference_data

def rss():
    # VmHWM: this process's own peak (ru_maxrss is inherited across fork and exec on Linux).
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

db = open_database(Path(sys.argv[2]))
with db.write() as session:
    seed_reference_data(session)
admin = DirectoryAdminService(db, Clock())
before = rss()
t0 = time.perf_counter()
try:
    report = admin.import_package(Path(sys.argv[1]), dry_run=sys.argv[3] == "dry")
    outcome = f"{'previewed' if report.dry_run else 'imported'} {report.total('new')} new"
except DomainError as err:
    outcome = f"refused: {err}"
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - t0,
                  "before_mb": before, "peak_mb": rss()}))
"""


def measure(package: Path, work: Path, dry: bool) -> dict[str, object]:
    db_dir = Path(tempfile.mkdtemp(dir=work))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD_OPEN + CHILD,
            str(package),
            str(db_dir),
            "dry" if dry else "wet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"outcome": f"FAILED: {tail[0]}", "seconds": 0.0, "before_mb": 0, "peak_mb": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def services_header() -> list[str]:
    from referral_desk.hsds.schema import TABLES

    return list(TABLES["service"].columns)


def write_descriptor(folder: Path) -> None:
    resources = [
        {"name": "organization", "path": "organizations.csv"},
        {"name": "service", "path": "services.csv"},
    ]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}), "utf-8")


def empty_rows_package(folder: Path, megabytes: int) -> Path:
    """A folder whose services.csv is `megabytes` of rows with every cell empty."""
    folder.mkdir(parents=True)
    write_descriptor(folder)
    header = services_header()
    (folder / "organizations.csv").write_text("id,name,description\r\n", "utf-8")
    row = b"," * (len(header) - 1) + b"\r\n"
    block = row * (1024 * 1024 // len(row))
    with (folder / "services.csv").open("wb") as fh:
        fh.write(",".join(header).encode() + b"\r\n")
        for _ in range(megabytes):
            fh.write(block)
    return folder


def zip_of(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
    return archive


def large_package(folder: Path, services: int = 200_000, target_mb: int = 150) -> Path:
    """`services` valid services of one organisation, descriptions long enough for ~150 MB."""
    folder.mkdir(parents=True)
    write_descriptor(folder)
    org = "00000001-0000-4000-8000-000000000000"
    (folder / "organizations.csv").write_text(
        f"id,name,description\r\n{org},Large Trust,Many services\r\n", "utf-8"
    )
    words = "Practical help with housing, money, work and family for people on probation. "
    description = (words * 20)[: target_mb * 1024 * 1024 // services - 120]
    header = services_header()
    with (folder / "services.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\r\n")
        writer.writeheader()
        for i in range(services):
            writer.writerow(
                {
                    "id": f"{i + 2:08d}-0000-4000-8000-000000000000",
                    "organization_id": org,
                    "name": f"Service {i}",
                    "description": description,
                    "status": "active",
                }
            )
    return folder


def hsds_package(root: Path, services: int) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_hsds_import import build_source

    from referral_desk.usecases.base import Clock
    from referral_desk.usecases.directory_admin import DirectoryAdminService

    source = open_bench_database(root / "source")
    build_source(source, services)
    DirectoryAdminService(source, Clock()).export_package(root / "package")
    source.close()
    return root / "package"


def size_mb(path: Path) -> float:
    files = [path] if path.is_file() else list(path.rglob("*"))
    return sum(p.stat().st_size for p in files if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="keep the packages and databases here")
    parser.add_argument("--skip-large", action="store_true", help="skip case 4 (slow)")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        package = hsds_package(root / "hsds", args.services)
        empty = empty_rows_package(root / "empty-rows", EMPTY_ROWS_MB)
        bomb = zip_of(empty, root / "bomb.zip")
        cases = [
            (f"{args.services} services, import", package, False),
            (f"{args.services} services, dry run", package, True),
            (f"zip bomb ({size_mb(bomb):.1f} MB zip of a {EMPTY_ROWS_MB} MB CSV)", bomb, True),
            (f"{EMPTY_ROWS_MB} MB CSV of empty rows (folder)", empty, True),
        ]
        if not args.skip_large:
            large = large_package(root / "large")
            cases.append((f"{size_mb(large):.0f} MB, 200 000 services, dry run", large, True))
        print(
            f"(packages built in {time.perf_counter() - t0:.1f} s; "
            f"the HSDS package is {size_mb(package):.1f} MB)"
        )
        print(f"{'case':52} {'peak MB':>8} {'before':>7} {'budget':>7} {'seconds':>8}  outcome")
        for name, path, dry in cases:
            result = measure(path, root, dry)
            peak = float(result["peak_mb"])  # type: ignore[arg-type]
            good = 0 < peak <= BUDGET_MB and not str(result["outcome"]).startswith("FAILED")
            ok &= good
            print(
                f"{name:52} {peak:8.0f} {float(result['before_mb']):7.0f} "  # type: ignore[arg-type]
                f"{BUDGET_MB:7d} {float(result['seconds']):8.1f}  {result['outcome']}"  # type: ignore[arg-type]
                + ("" if good else "   <-- OVER BUDGET OR FAILED")
            )
    print("OK" if ok else "OVER BUDGET OR FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    _ = resource  # the children measure themselves; imported here to fail early off POSIX
    sys.exit(main())
