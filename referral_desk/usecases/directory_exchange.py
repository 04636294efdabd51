"""Directory exchange: HSDS packages in and out, for the directory keeper (DESIGN.md §3).

Reading, checking and mapping a package is `hsds`'s; this module owns the transactions
— one for a small import, a read snapshot plus the import journal's short chunks for a large
one (`store.import_journal`) — and turns their plans into plain report objects for the client
and the CLI. Applying an import needs the keeper role; a preview (dry run) and an export are
reads any officer may make.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from referral_desk.domain.errors import DomainError
from referral_desk.hsds import exporter, gc_paused, importer
from referral_desk.hsds.detect import open_package
from referral_desk.hsds.package_reader import (
    DEFAULT_MAX_FILE_BYTES,
    Limits,
    Package,
)
from referral_desk.store import import_journal
from referral_desk.usecases.base import officer_of
from referral_desk.usecases.directory_keeper import KeeperServiceBase
from referral_desk.usecases.directory_views import (
    ExportSummary,
    ImportChange,
    ImportIssue,
    ImportReport,
)

# Up to this many rows (all tables) an import is one transaction: about half a second of write
# lock on a 2-core machine. Larger imports are journaled and applied in short transactions.
SMALL_IMPORT_ROWS = 10_000
IMPORT_REASON = "directory import"


class DirectoryExchangeService(KeeperServiceBase):
    def import_package(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        limits: Limits | None = None,
        small_rows: int = SMALL_IMPORT_ROWS,
        after_chunk: Callable[[int, int], None] | None = None,
        publisher: str | None = None,
    ) -> ImportReport:
        """Import (or with `dry_run`, preview) an HSDS package.

        Any HSDS version and form `hsds.detect` recognises: a 3.0, 2.0 or 1.1 tabular
        package, or a saved ORUK JSON file of services; `publisher` names whose ids an older
        package's non-UUID ids are (default: its descriptor's name, else the file name).

        Faulty rows are skipped and reported; a package that cannot be used at all raises
        `PackageError` (a DomainError) and nothing is written. A package of up to `small_rows`
        rows is checked, planned and written in one transaction (well under a second). A larger
        one is planned against a read snapshot, staged in the import journal and applied in
        short transactions, so an officer's save in another window waits a second at most;
        after a crash it is completed on the next open (`store.import_journal`).
        `after_chunk(done, total)` reports progress of a journaled import.
        """
        source = Path(path)
        limits = limits or Limits(max_file_bytes=max_file_bytes)
        if not dry_run:
            self._require_keeper()
        with gc_paused(), open_package(source, limits=limits, publisher=publisher) as package:
            if dry_run:
                with self._read() as session:
                    return _report(importer.plan_import(session, package), dry_run=True)
            if package.total_rows <= small_rows:
                import_journal.resume(self.db)  # an interrupted import is finished first
                with self._keeper_write(reason=IMPORT_REASON) as session:
                    ops = importer.OpList()
                    plan = importer.plan_import(session, package, ops)
                    import_journal.apply_ops(session, ops, reason=IMPORT_REASON)
                return _report(plan, dry_run=False)
            with import_journal.exclusive(self.db):  # one journaled import at a time
                import_journal.resume(self.db)
                plan, run_id = self._stage(package)
                package.close()  # the scratch database is not needed to apply
                import_journal.apply_run(self.db, run_id, after_chunk=after_chunk)
        return _report(plan, dry_run=False)

    def _stage(self, package: Package) -> tuple[importer.ImportPlan, str]:
        """Plan against a read snapshot into the journal, then pass the commit point."""
        run_id = import_journal.begin(
            self.db, "hsds", reason=IMPORT_REASON, officer_id=self._officer_id()
        )
        try:
            writer = import_journal.JournalWriter(self.db, run_id)
            with self._read() as session:
                plan = importer.plan_import(session, package, writer)
            writer.flush()
            import_journal.commit(self.db, run_id, writer.chunks)
        except BaseException:
            with contextlib.suppress(DomainError):
                import_journal.discard(self.db, run_id)
            raise
        return plan, run_id

    def _officer_id(self) -> str | None:
        with self._read() as session:
            return officer_of(session)

    def export_package(self, path: str | Path) -> ExportSummary:
        """Write the directory as an HSDS 3.0 package (a folder, or a .zip file): owner-only,
        whole or not at all, and never in (or over) the data folder."""
        if Path(path).suffix.lower() == ".zip":
            dest = self.output_guard.check(path, what="export file", new_folders=True)
        else:
            dest = self.output_guard.check_folder(path, what="export folder")
        with self._read() as session:
            counts = exporter.export_package(session, dest)
        return ExportSummary(path=str(path), counts=counts)


_KIND_OF_TABLE = {
    "organization": "organisation",
    "location": "location",
    "service": "service",
    "service_area": "service_area",
}


def _report(plan: importer.ImportPlan, dry_run: bool) -> ImportReport:
    def issue(i: importer.Issue) -> ImportIssue:
        return ImportIssue(i.table, i.file, i.row, i.record_id, i.message)

    counts = {k: {**v, "rejected": 0} for k, v in plan.counts.items()}
    for table, rejected in plan.rejected_by_table.items():
        kind = _KIND_OF_TABLE.get(table)
        if kind in counts:
            counts[kind]["rejected"] += rejected
    return ImportReport(
        dry_run=dry_run,
        applied=not dry_run,
        counts=counts,
        rejected=tuple(issue(i) for i in plan.rejected),
        warnings=tuple(issue(i) for i in plan.warnings),
        notes=tuple(plan.notes),
        changes=tuple(
            ImportChange(c.kind, c.action, c.hsds_id, c.name, c.fields) for c in plan.changes
        ),
        rejected_total=plan.rejected_total,
        warnings_total=plan.warnings_total,
        changes_total=plan.changes_total,
        cleaned_cells=plan.cleaned_cells,
        form=plan.form,
        rejected_by_table=dict(plan.rejected_by_table),
    )
