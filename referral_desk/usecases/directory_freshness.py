"""Where the directory keeper should phone first: stale entries and services that keep failing.

Officers could not tell whether directory entries were accurate (DESIGN.md §1). The stale
list is every service not verified for a number of months (never verified first); the problem
list is every service whose referrals keep coming back declined for no capacity or because
the provider could not be contacted. Both are reads any officer may run (the directory page
shows them to everyone; only the keeper can act on them).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from referral_desk.domain.directory_input import clean_whole
from referral_desk.domain.months import months_before, months_between
from referral_desk.domain.vocabularies import ServiceStatus
from referral_desk.store.directory_admin_queries import (
    declines_by_service,
    service_names,
    stale_services,
)
from referral_desk.usecases.base import ServiceBase
from referral_desk.usecases.directory_views import ProblemService, StaleService

PROBLEM_REASONS = ("no_capacity", "could_not_contact")
"""Decline reasons that say the directory entry is wrong (not that the person was unsuitable)."""


class DirectoryFreshnessService(ServiceBase):
    def stale_services(self, months: int = 12) -> list[StaleService]:
        """Services not verified for `months` months or more (never verified first); defunct
        services are left out."""
        months = clean_whole(months, "months", low=1, high=600) or 12
        today = self.clock.today()
        cutoff = months_before(today, months)
        with self._read() as session:
            rows = stale_services(session, cutoff, left_out=[ServiceStatus.DEFUNCT])
            return [
                StaleService(
                    id=svc.id,
                    name=svc.name,
                    organisation_name=org_name,
                    status=svc.status,
                    assured_date=svc.assured_date,
                    assurer=svc.assurer,
                    months_since=(
                        months_between(svc.assured_date, today) if svc.assured_date else None
                    ),
                )
                for svc, org_name in rows
            ]

    def problem_services(self, min_count: int = 2, within_months: int = 12) -> list[ProblemService]:
        """Services whose referrals were declined for no capacity / could not contact."""
        min_count = clean_whole(min_count, "minimum count", low=1) or 1
        months = clean_whole(within_months, "months", low=1, high=600) or 12
        since = datetime.combine(months_before(self.clock.today(), months), time())
        with self._read() as session:
            tally: dict[str, dict[str, Any]] = {}
            for sid, reason, count, last in declines_by_service(session, since, PROBLEM_REASONS):
                item = tally.setdefault(sid, {"no_capacity": 0, "could_not_contact": 0})
                item[reason] = count
                last_day = last.date() if last is not None else None
                if last_day and (item.get("last") is None or last_day > item["last"]):
                    item["last"] = last_day
            wanted = [
                s
                for s, t in tally.items()
                if t["no_capacity"] + t["could_not_contact"] >= min_count
            ]
            names = service_names(session, wanted)
        out = [
            ProblemService(
                id=sid,
                name=names[sid][0],
                organisation_name=names[sid][1],
                no_capacity=tally[sid]["no_capacity"],
                could_not_contact=tally[sid]["could_not_contact"],
                last_declined_on=tally[sid].get("last"),
            )
            for sid in wanted
            if sid in names
        ]
        return sorted(out, key=lambda p: (-p.total, p.name.lower()))
