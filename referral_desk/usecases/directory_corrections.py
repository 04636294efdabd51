"""Corrections: any officer says "this entry is wrong"; the directory keeper answers.

Somebody has to be told when the directory is wrong (DESIGN.md §1). A correction is an
ordinary synced record, so a report made on any site reaches the keeper's inbox; the keeper
accepts it (the fix is made, or will be) or dismisses it, with a note. Reporting is open to
every officer; resolving needs the keeper role, checked inside the write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from referral_desk.domain.directory_input import MAX_CORRECTION, clean_choice, clean_text
from referral_desk.domain.errors import ValidationError
from referral_desk.store.directory_admin_queries import correction_ids, corrections_with_names
from referral_desk.store.directory_models import CORRECTION_STATUSES, DirectoryCorrection
from referral_desk.store.models import Service
from referral_desk.usecases.base import officer_of
from referral_desk.usecases.common import get_live
from referral_desk.usecases.directory_keeper import KeeperServiceBase
from referral_desk.usecases.directory_views import CorrectionView

if TYPE_CHECKING:
    from referral_desk.usecases.base import Session


class CorrectionsService(KeeperServiceBase):
    def report_correction(self, service_id: str, text: str) -> CorrectionView:
        """Any officer: 'this entry is wrong'. It reaches the keeper's inbox by sync."""
        body = clean_text(text, "what is wrong", required=True, limit=MAX_CORRECTION)
        with self._write(reason="directory: correction reported") as session:
            svc = get_live(session, Service, service_id, "service")
            row = DirectoryCorrection(
                service_id=svc.id,
                reported_by_officer_id=officer_of(session),
                reported_on=self.clock.today(),
                text=body,
                status="open",
                resolution_note="",
            )
            session.add(row)
            session.flush()
            return self._correction_views(session, [row.id])[0]

    def corrections(self, status: str | None = "open") -> list[CorrectionView]:
        """The keeper's inbox (`status` None or "all": every correction), oldest first."""
        wanted = (
            None if status in (None, "all") else clean_choice(status, "status", CORRECTION_STATUSES)
        )
        with self._read() as session:
            return self._correction_views(session, correction_ids(session, wanted))

    def resolve_correction(
        self, correction_id: str, accept: bool, note: str = ""
    ) -> CorrectionView:
        """Accept (the keeper has made, or will make, the fix) or dismiss a correction."""
        text = clean_text(note, "note", limit=MAX_CORRECTION)
        with self._keeper_write(reason="directory: correction resolved") as session:
            row = get_live(session, DirectoryCorrection, correction_id, "correction")
            if row.status != "open":
                raise ValidationError("This correction has already been resolved.")
            row.status = "accepted" if accept else "dismissed"
            row.resolved_by = officer_of(session)
            row.resolved_on = self.clock.today()
            row.resolution_note = text
            session.flush()
            return self._correction_views(session, [row.id])[0]

    @staticmethod
    def _correction_views(session: Session, ids: list[str]) -> list[CorrectionView]:
        return [
            CorrectionView.from_row(
                row,
                service_name=svc,
                organisation_name=org,
                reported_by_name=by,
                resolved_by_name=res,
            )
            for row, svc, org, by, res in corrections_with_names(session, ids)
        ]
