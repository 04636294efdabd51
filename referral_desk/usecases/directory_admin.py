"""The directory keeper's use cases in one object: edit, keep fresh, take corrections, exchange.

DESIGN.md §1 explains why these exist: officers could not tell whether directory entries were
accurate or who to tell when they were not. Each job has its own module:

- `usecases.directory_providers`: organisations and locations;
- `usecases.directory_service_editor`: services, their status, capacity, pre-check, "verified";
- `usecases.directory_freshness`: the stale and problem lists;
- `usecases.directory_corrections`: reporting a correction (anyone) and the keeper's inbox;
- `usecases.directory_exchange`: HSDS import and export;
- `domain.directory_input`: what may be typed; `usecases.directory_views`: what comes back;
- `store.directory_admin_queries`: their SQL.

`DirectoryAdminService` combines them so the client and the CLI hold one object
(`AppServices.directory_admin`); each part can also be built on its own. Every change but
reporting a correction needs the directory keeper role (or manager), checked in the service
inside the change's own transaction (`usecases.directory_keeper`), never only by a widget.
"""

from __future__ import annotations

from referral_desk.domain.directory_input import MAX_CORRECTION
from referral_desk.usecases.directory_corrections import CorrectionsService
from referral_desk.usecases.directory_exchange import DirectoryExchangeService
from referral_desk.usecases.directory_freshness import DirectoryFreshnessService
from referral_desk.usecases.directory_providers import ProviderEditorService
from referral_desk.usecases.directory_service_editor import ServiceEditorService
from referral_desk.usecases.directory_views import (
    CorrectionView,
    ExportSummary,
    ImportChange,
    ImportIssue,
    ImportReport,
    LocationDetail,
    OrganisationView,
    ProblemService,
    ServiceInUse,
    StaleService,
)


class DirectoryAdminService(
    ProviderEditorService,
    ServiceEditorService,
    DirectoryFreshnessService,
    CorrectionsService,
    DirectoryExchangeService,
):
    """Write side of the provider directory, for the directory keeper (and corrections for
    all). Nothing of its own: its methods are the parts' (see the module docstring)."""


__all__ = [
    "MAX_CORRECTION",
    "CorrectionView",
    "DirectoryAdminService",
    "ExportSummary",
    "ImportChange",
    "ImportIssue",
    "ImportReport",
    "LocationDetail",
    "OrganisationView",
    "ProblemService",
    "ServiceInUse",
    "StaleService",
]
