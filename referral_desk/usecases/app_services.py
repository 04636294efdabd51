"""The bundle of use cases the composition root hands to the UI or the CLI.

The services an officer's first screen needs are built at once; the rest (sync, the directory
keeper's tools, reports, printing, case actions) are built on first use, so their modules and
what they pull in (cryptography, the HSDS reader, report exporters) are not imported while
the window is starting (DESIGN.md §9: start to usable window ≤ 1.5 s).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from referral_desk.domain.errors import DomainError
from referral_desk.files import OutputGuard
from referral_desk.store.database import Database
from referral_desk.usecases.base import Clock
from referral_desk.usecases.directory import DirectoryService
from referral_desk.usecases.followups import FollowUpService
from referral_desk.usecases.my_day import MyDayService
from referral_desk.usecases.needs import NeedService
from referral_desk.usecases.people import PeopleService
from referral_desk.usecases.profile import ProfileService
from referral_desk.usecases.reference import ReferenceService
from referral_desk.usecases.referrals import ReferralService
from referral_desk.usecases.security import SecurityService, UnlockSource, obtain_key
from referral_desk.usecases.team_settings import TeamSettingsService

if TYPE_CHECKING:
    from referral_desk.usecases.access_log import AccessLogService
    from referral_desk.usecases.audit import AuditService
    from referral_desk.usecases.case_actions import CaseActionService
    from referral_desk.usecases.directory_admin import DirectoryAdminService
    from referral_desk.usecases.hub import HubService
    from referral_desk.usecases.passphrase_store import PassphraseStore
    from referral_desk.usecases.printing import PrintingService
    from referral_desk.usecases.reports import ReportService
    from referral_desk.usecases.retention import RetentionService
    from referral_desk.usecases.roles import RoleService
    from referral_desk.usecases.subject_access import SubjectAccessService
    from referral_desk.usecases.sync import SyncService


class AppServices:
    """Every use case over one open database and one clock."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        output_guard: OutputGuard | None = None,
        security: SecurityService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.security = security or SecurityService(db, db.path.parent)
        # Every file written where the officer chose goes through this: never into the data
        # folder (open_services builds it with that folder; else the database's own folder).
        self.output_guard = output_guard or OutputGuard(db.path.parent)
        self.people = PeopleService(db, clock)
        self.needs = NeedService(db, clock)
        self.referrals = ReferralService(db, clock)
        self.follow_ups = FollowUpService(db, clock)
        self.directory = DirectoryService(db)
        self.reference = ReferenceService(db, clock)
        self.profile = ProfileService(db, clock)
        self.my_day = MyDayService(db, clock)
        self.team_settings = TeamSettingsService(db, clock)

    @cached_property
    def cases(self) -> CaseActionService:
        from referral_desk.usecases.case_actions import CaseActionService

        return CaseActionService(self.db, self.clock)

    @cached_property
    def roles(self) -> RoleService:
        """Roles granted by the team's manager (signed), and the checks every write obeys."""
        from referral_desk.usecases.roles import RoleService

        return RoleService(self.db, self.clock)

    @cached_property
    def printing(self) -> PrintingService:
        from referral_desk.usecases.printing import PrintingService

        return PrintingService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def passphrases(self) -> PassphraseStore:
        """The team passphrase in the OS password store, per site (keyring when available)."""
        from referral_desk.usecases.passphrase_store import PassphraseStore

        return PassphraseStore()

    @cached_property
    def sync(self) -> SyncService:
        from referral_desk.usecases.sync import SyncService

        return SyncService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def directory_admin(self) -> DirectoryAdminService:
        from referral_desk.usecases.directory_admin import DirectoryAdminService

        return DirectoryAdminService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def reports(self) -> ReportService:
        from referral_desk.usecases.reports import ReportService

        return ReportService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def hub(self) -> HubService:
        """The regional hub: returns, loading and regional reports (DESIGN.md §10)."""
        from referral_desk.usecases.hub import HubService

        return HubService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def access(self) -> AccessLogService:
        """Who opened which person's record (a manager's view)."""
        from referral_desk.usecases.access_log import AccessLogService

        return AccessLogService(self.db, self.clock)

    @cached_property
    def audit(self) -> AuditService:
        """The audit trail's tamper-evidence check."""
        from referral_desk.usecases.audit import AuditService

        return AuditService(self.db, self.clock)

    @cached_property
    def subject_access(self) -> SubjectAccessService:
        """Everything held about one person, as PDF and JSON."""
        from referral_desk.usecases.subject_access import SubjectAccessService

        return SubjectAccessService(self.db, self.clock, output_guard=self.output_guard)

    @cached_property
    def retention(self) -> RetentionService:
        """The team's retention period, its dry run and the erasure."""
        from referral_desk.usecases.retention import RetentionService

        return RetentionService(self.db, self.clock)

    @property
    def data_path(self) -> Path:
        return self.db.path

    def diagnostics(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Versions, paths and schema for IT support; never anything from the records."""
        from referral_desk.usecases.support import diagnostics

        return diagnostics(self.db, extra)

    def close(self) -> None:
        self.db.close()


ENCRYPTED_NOTICE = (
    "Your Referral Desk data on this computer is now encrypted. The unencrypted database file "
    "and its log were overwritten and removed{backups}; from now on it opens only with your "
    "passphrase (or the recovery code)."
)


def open_services(
    data_dir: Path,
    clock: Clock | None = None,
    *,
    unlock: UnlockSource,
    before_upgrade: Callable[[], None] | None = None,
    keyring_backend: Any = None,
    now: Callable[[], float] = time.time,
) -> AppServices:
    """Unlock, then open (creating, encrypting or migrating) the database in `data_dir`.

    `unlock` is what the officer gave, or a function asking for it (told whether the folder
    is being set up). A wrong answer raises `WrongPassphrase` before anything is written. A
    new folder's recovery code is then in `usecases.security.take_recovery_code()`, and what
    to tell the officer once (a plaintext database encrypted) in `usecases.security.notices`.
    `before_upgrade` runs before an older database is backed up and upgraded (see
    `Database.open`), so the caller can tell the officer why the start takes longer.
    `keyring_backend` and `now` are for tests (the OS credential store; the wall clock of
    the wrong-passphrase delay).
    """
    got = obtain_key(data_dir, unlock, keyring_backend=keyring_backend, now=now)
    try:
        db = Database.open(data_dir, key=got.key, before_upgrade=before_upgrade)
    except BaseException:
        got.key.wipe()
        raise
    notices = []
    if db.encrypted_from_plaintext is not None:
        n = db.encrypted_from_plaintext
        copies = f", and {n} older backup cop{'y' if n == 1 else 'ies'} encrypted" if n else ""
        notices.append(ENCRYPTED_NOTICE.format(backups=copies))
    security = SecurityService(
        db,
        data_dir,
        keyring_backend=keyring_backend,
        now=now,
        recovery_code=got.recovery_code,
        notices=notices,
    )
    services = AppServices(
        db, clock or Clock(), output_guard=OutputGuard(data_dir), security=security
    )
    services.reference.seed_defaults()
    if import_cut_short(db):
        # A sync import cut short by a crash is finished now, not at the next sync; if that
        # fails (a full disk…), the next sync tries again and says why.
        with contextlib.suppress(DomainError):
            services.sync.finish_interrupted_import()
    return services


def import_cut_short(db: Database) -> bool:
    """Did a sync import stop half-way (one cheap query; sync is imported only if so)?"""
    with db.read() as session:
        return (
            session.execute(text("SELECT 1 FROM sync_import_journal LIMIT 1")).first() is not None
        )
