"""The bundle of use cases the composition root hands to the UI or the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from referral_desk.services.base import Clock
from referral_desk.services.case_actions import CaseActionService
from referral_desk.services.directory import DirectoryService
from referral_desk.services.directory_admin import DirectoryAdminService
from referral_desk.services.followups import FollowUpService
from referral_desk.services.my_day import MyDayService
from referral_desk.services.needs import NeedService
from referral_desk.services.people import PeopleService
from referral_desk.services.printing import PrintingService
from referral_desk.services.profile import ProfileService
from referral_desk.services.reference import ReferenceService
from referral_desk.services.referrals import ReferralService
from referral_desk.services.reports import ReportService
from referral_desk.services.sync import SyncService
from referral_desk.store.database import Database


@dataclass
class AppServices:
    db: Database
    clock: Clock
    people: PeopleService
    needs: NeedService
    referrals: ReferralService
    follow_ups: FollowUpService
    directory: DirectoryService
    reference: ReferenceService
    profile: ProfileService
    cases: CaseActionService
    my_day: MyDayService
    printing: PrintingService
    sync: SyncService
    directory_admin: DirectoryAdminService
    reports: ReportService

    @property
    def data_path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()


def open_services(data_dir: Path, clock: Clock | None = None) -> AppServices:
    """Open (creating or migrating) the database in `data_dir` and seed reference data."""
    db = Database.open(data_dir)
    clock = clock or Clock()
    services = AppServices(
        db=db,
        clock=clock,
        people=PeopleService(db, clock),
        needs=NeedService(db, clock),
        referrals=ReferralService(db, clock),
        follow_ups=FollowUpService(db, clock),
        directory=DirectoryService(db),
        reference=ReferenceService(db, clock),
        profile=ProfileService(db, clock),
        cases=CaseActionService(db, clock),
        my_day=MyDayService(db, clock),
        printing=PrintingService(db, clock),
        sync=SyncService(db, clock),
        directory_admin=DirectoryAdminService(db, clock),
        reports=ReportService(db, clock),
    )
    services.reference.seed_defaults()
    return services
