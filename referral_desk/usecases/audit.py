"""The audit trail's integrity check (`referral-desk audit verify`): see `store.audit_chain`."""

from __future__ import annotations

from referral_desk.store.audit_chain import ChainReport, verify
from referral_desk.usecases.base import ServiceBase


class AuditService(ServiceBase):
    def verify(self) -> ChainReport:
        """Walk every site's hash chain; the report lists each break (none when intact)."""
        with self._read() as session:
            return verify(session.connection())
