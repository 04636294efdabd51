"""The directory keeper edits services: what an officer relies on when referring (DESIGN.md §3).

A service is never deleted while referrals point to it: the keeper marks it inactive,
temporarily closed or defunct instead, so old referrals keep their provider. "Verified today"
stamps the assured date and the assurer; the pre-check records what the provider agreed.
Values are cleaned by `domain.directory_input`; the checks that need the database (the
organisation and location exist, the need categories and referral methods are known) are here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from referral_desk.domain.directory_input import (
    MAX_AGE,
    SERVICE_FIELDS,
    SERVICE_REFERRAL_METHODS_EXTRA,
    clean_amount,
    clean_bool,
    clean_choice,
    clean_common,
    clean_list,
    clean_text,
    clean_whole,
    not_future,
    only_fields,
)
from referral_desk.domain.errors import NotFound, ValidationError
from referral_desk.domain.vocabularies import CAPACITIES, GENDERS, SERVICE_STATUSES
from referral_desk.store.directory_admin_queries import (
    live_referral_count,
    replace_service_areas,
    replace_service_categories,
    soft_delete_service,
)
from referral_desk.store.models import Location, Organisation, Service
from referral_desk.usecases.common import get_live, parse_date
from referral_desk.usecases.directory import load_service_fields
from referral_desk.usecases.directory_keeper import KeeperServiceBase
from referral_desk.usecases.directory_views import ServiceInUse
from referral_desk.usecases.dto import ServiceView
from referral_desk.usecases.reference import reference_items

if TYPE_CHECKING:
    from referral_desk.usecases.base import Session


class ServiceEditorService(KeeperServiceBase):
    """A provider's services: every change for the keeper only (the role checked inside)."""

    def create_service(self, organisation_id: str, name: str, **fields: Any) -> ServiceView:
        only_fields(fields, SERVICE_FIELDS, "service")
        fields = {**fields, "organisation_id": organisation_id, "name": name}
        with self._keeper_write(reason="directory: add service") as session:
            values, categories, areas = self._service_values(session, fields, None)
            svc = Service(**values)
            svc.hsds_id = svc.id
            self._check_combination(svc)
            session.add(svc)
            session.flush()
            replace_service_categories(session, svc.id, categories or [])
            replace_service_areas(session, svc.id, areas or [])
            session.flush()
            return self._view(session, svc.id)

    def update_service(self, service_id: str, **fields: Any) -> ServiceView:
        only_fields(fields, SERVICE_FIELDS, "service")
        with self._keeper_write(reason="directory: edit service") as session:
            svc = get_live(session, Service, service_id, "service")
            values, categories, areas = self._service_values(session, fields, svc)
            for key, value in values.items():
                setattr(svc, key, value)
            self._check_combination(svc)
            if categories is not None:
                replace_service_categories(session, svc.id, categories)
            if areas is not None:
                replace_service_areas(session, svc.id, areas)
            session.flush()
            return self._view(session, svc.id)

    def set_service_areas(self, service_id: str, names: Iterable[str]) -> ServiceView:
        return self.update_service(service_id, areas=list(names))

    def set_status(self, service_id: str, status: str) -> ServiceView:
        value = clean_choice(status, "status", SERVICE_STATUSES)
        with self._keeper_write(reason="directory: service status") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.status = value
            session.flush()
            return self._view(session, svc.id)

    def set_capacity(
        self, service_id: str, capacity: str, as_of: date | str | None = None
    ) -> ServiceView:
        value = clean_choice(capacity, "capacity", CAPACITIES)
        today = self.clock.today()
        day = not_future(parse_date(as_of, "Capacity date"), "capacity date", today) or today
        with self._keeper_write(reason="directory: capacity") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.capacity = value
            svc.capacity_as_of = day
            session.flush()
            return self._view(session, svc.id)

    def set_precheck(
        self,
        service_id: str,
        *,
        isp_agreed: bool,
        reports_attendance: bool,
        reports_progress: bool,
        checked_on: date | str | None = None,
        checked_by: str | None = None,
    ) -> ServiceView:
        """Record what the provider agreed when the keeper pre-checked it (DESIGN.md §3)."""
        today = self.clock.today()
        day = not_future(parse_date(checked_on, "Pre-check date"), "pre-check date", today)
        with self._keeper_write(reason="directory: pre-check") as session:
            svc = get_live(session, Service, service_id, "service")
            by = clean_text(checked_by, "checked by", limit=200) if checked_by else ""
            svc.isp_agreed = clean_bool(isp_agreed, "information-sharing protocol agreed")
            svc.reports_attendance = clean_bool(reports_attendance, "reports attendance")
            svc.reports_progress = clean_bool(reports_progress, "reports progress")
            svc.precheck_date = day or today
            svc.precheck_by = by or self._officer_name(session)
            session.flush()
            return self._view(session, svc.id)

    def verify_today(self, service_id: str) -> ServiceView:
        """'Verified today': the assured date is today and the assurer is this officer."""
        with self._keeper_write(reason="directory: verified") as session:
            svc = get_live(session, Service, service_id, "service")
            svc.assured_date = self.clock.today()
            svc.assurer = self._officer_name(session)
            session.flush()
            return self._view(session, svc.id)

    def delete_service(self, service_id: str) -> None:
        """Delete a service nobody has referred to; otherwise refuse and suggest a status."""
        with self._keeper_write(reason="directory: delete service") as session:
            svc = get_live(session, Service, service_id, "service")
            count = live_referral_count(session, svc.id)
            if count:
                raise ServiceInUse(
                    f"This service has {count} referral(s), so it cannot be deleted. Mark it "
                    "inactive, temporarily closed or defunct instead."
                )
            soft_delete_service(session, svc)

    def _service_values(
        self, session: Session, fields: dict[str, Any], current: Service | None
    ) -> tuple[dict[str, Any], list[str] | None, list[str] | None]:
        today = self.clock.today()
        values: dict[str, Any] = {}
        categories = areas = None
        for key, value in fields.items():
            if key == "organisation_id":
                values[key] = get_live(session, Organisation, str(value or ""), "organisation").id
            elif key == "location_id":
                text = str(value or "").strip()
                values[key] = get_live(session, Location, text, "location").id if text else None
            elif key == "status":
                values[key] = clean_choice(value, key, SERVICE_STATUSES)
            elif key == "capacity":
                values[key] = clean_choice(value, key, CAPACITIES)
            elif key == "gender":
                values[key] = clean_choice(value or "any", key, GENDERS)
            elif key == "referral_method":
                methods = [i.code for i in reference_items(session, "referral_method")]
                values[key] = clean_choice(
                    value, "referral method", [*methods, *SERVICE_REFERRAL_METHODS_EXTRA]
                )
            elif key in ("min_age", "max_age"):
                values[key] = clean_whole(value, key, high=MAX_AGE)
            elif key in ("response_days", "waiting_weeks"):
                values[key] = clean_whole(value, key, high=365)
            elif key == "unit_cost":
                values[key] = clean_amount(value, key)
            elif key == "capacity_as_of":
                values[key] = not_future(parse_date(value, "Capacity date"), key, today)
            elif key == "categories":
                categories = self._category_codes(session, value)
            elif key == "areas":
                areas = clean_list(value, "service area")
            elif key == "referral_contact":
                values[key] = clean_text(value, key, limit=300)
            elif key == "contact_name":
                values[key] = clean_text(value, "contact name", limit=200)
            else:
                values[key] = clean_common(key, value)
        if values.get("free") is True or (current is None and "free" not in values):
            values.setdefault("unit_cost", None)
        return values, categories, areas

    @staticmethod
    def _check_combination(svc: Service) -> None:
        low, high = svc.min_age, svc.max_age
        if low is not None and high is not None and low > high:
            raise ValidationError("Minimum age cannot be more than maximum age", field="Min age")
        if svc.free is not False and svc.unit_cost not in (None, 0):
            raise ValidationError(
                "A free service has no unit cost; untick free to set one", field="Unit cost"
            )

    @staticmethod
    def _category_codes(session: Session, value: Any) -> list[str]:
        codes = clean_list(value, "categories")
        known = {i.code for i in reference_items(session, "need_category")}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValidationError("Unknown need category; use one of: " + ", ".join(sorted(known)))
        return codes

    @staticmethod
    def _view(session: Session, service_id: str) -> ServiceView:
        session.flush()
        loaded = load_service_fields(session.connection(), [service_id])
        if service_id not in loaded:
            raise NotFound("No service with that id.")
        return ServiceView(**loaded[service_id])
