"""The directory keeper edits providers: organisations and their locations (DESIGN.md §3).

Every edit is an ordinary ORM write, so the change log carries it to every site by sync. An
organisation with live services, or a location a service uses, is never deleted: the keeper
moves or deletes the services first (`ServiceInUse` says so in one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from referral_desk.domain.directory_input import (
    LOCATION_FIELDS,
    ORGANISATION_FIELDS,
    clean_common,
    clean_text,
    only_fields,
)
from referral_desk.domain.errors import ValidationError
from referral_desk.store.changelog import utcnow
from referral_desk.store.directory_admin_queries import (
    live_locations,
    live_service_count,
    soft_delete_organisation,
)
from referral_desk.store.models import Location, Organisation
from referral_desk.usecases.common import get_live
from referral_desk.usecases.directory_keeper import KeeperServiceBase
from referral_desk.usecases.directory_views import LocationDetail, OrganisationView, ServiceInUse

if TYPE_CHECKING:
    from referral_desk.usecases.base import Session


class ProviderEditorService(KeeperServiceBase):
    """Organisations and locations: reads for everyone, changes for the keeper only."""

    # organisations

    def create_organisation(self, **fields: Any) -> OrganisationView:
        only_fields(fields, ORGANISATION_FIELDS, "organisation")
        if "name" not in fields:
            raise ValidationError("Name is required", field="Name")
        values = {k: clean_common(k, v) for k, v in fields.items()}
        with self._keeper_write(reason="directory: add organisation") as session:
            org = Organisation(**values)
            org.hsds_id = org.id
            session.add(org)
            session.flush()
            return OrganisationView.from_row(org)

    def update_organisation(self, organisation_id: str, **fields: Any) -> OrganisationView:
        only_fields(fields, ORGANISATION_FIELDS, "organisation")
        values = {k: clean_common(k, v) for k, v in fields.items()}
        with self._keeper_write(reason="directory: edit organisation") as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            for key, value in values.items():
                setattr(org, key, value)
            session.flush()
            return OrganisationView.from_row(org)

    def get_organisation(self, organisation_id: str) -> OrganisationView:
        with self._read() as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            return OrganisationView.from_row(org)

    def delete_organisation(self, organisation_id: str) -> None:
        with self._keeper_write(reason="directory: delete organisation") as session:
            org = get_live(session, Organisation, organisation_id, "organisation")
            live = live_service_count(session, organisation_id=org.id)
            if live:
                raise ServiceInUse(
                    f"This organisation has {live} service(s); delete or move them first."
                )
            soft_delete_organisation(session, org)

    # locations

    def create_location(self, **fields: Any) -> LocationDetail:
        only_fields(fields, LOCATION_FIELDS, "location")
        values = self._location_values(fields)
        with self._keeper_write(reason="directory: add location") as session:
            self._check_organisation(session, values.get("organisation_id"))
            loc = Location(**values)
            loc.hsds_id = loc.id
            session.add(loc)
            session.flush()
            return LocationDetail.from_row(loc)

    def update_location(self, location_id: str, **fields: Any) -> LocationDetail:
        only_fields(fields, LOCATION_FIELDS, "location")
        values = self._location_values(fields)
        with self._keeper_write(reason="directory: edit location") as session:
            loc = get_live(session, Location, location_id, "location")
            if "organisation_id" in values:
                self._check_organisation(session, values["organisation_id"])
            for key, value in values.items():
                setattr(loc, key, value)
            session.flush()
            return LocationDetail.from_row(loc)

    def get_location(self, location_id: str) -> LocationDetail:
        with self._read() as session:
            return LocationDetail.from_row(get_live(session, Location, location_id, "location"))

    def locations(self, organisation_id: str | None = None) -> list[LocationDetail]:
        with self._read() as session:
            return [LocationDetail.from_row(r) for r in live_locations(session, organisation_id)]

    def delete_location(self, location_id: str) -> None:
        with self._keeper_write(reason="directory: delete location") as session:
            loc = get_live(session, Location, location_id, "location")
            used = live_service_count(session, location_id=loc.id)
            if used:
                raise ServiceInUse(
                    f"{used} service(s) use this location; give them another location first."
                )
            loc.deleted_at = utcnow()

    @staticmethod
    def _location_values(fields: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for key, value in fields.items():
            if key == "organisation_id":
                values[key] = (value or "").strip() or None
            elif key == "name":
                values[key] = clean_text(value, key)
            else:
                values[key] = clean_common(key, value)
        return values

    @staticmethod
    def _check_organisation(session: Session, organisation_id: str | None) -> None:
        if organisation_id is not None:
            get_live(session, Organisation, organisation_id, "organisation")
