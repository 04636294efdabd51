"""The officer using this installation, and settings that stay on this machine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.text import clean_line
from referral_desk.services.base import ServiceBase
from referral_desk.services.dto import OfficerView
from referral_desk.services.reference import find_item, reference_items
from referral_desk.store.models import LocalSetting, Officer, SiteState

ROLES = ("officer", "directory_keeper", "manager", "commissioner")
PROFILE_FIELDS = ("name", "role", "team", "office", "office_phone", "email")
LOCAL_SETTING_KEYS = ("shared_store", "printer", "page_size", "window_state")


class ProfileService(ServiceBase):
    def get(self) -> OfficerView | None:
        with self._read() as session:
            state = session.get(SiteState, 1)
            if state is None or state.officer_id is None:
                return None
            officer = session.get(Officer, state.officer_id)
            return OfficerView.from_row(officer) if officer else None

    def set(self, **fields: Any) -> OfficerView:
        """Create or update this site's officer profile (first run, or `profile set`)."""
        unknown = set(fields) - set(PROFILE_FIELDS)
        if unknown:
            raise ValidationError("Unknown profile field; use: " + ", ".join(PROFILE_FIELDS))
        values = {
            k: clean_line(v) if k == "role" else field("officer", k).clean(v)
            for k, v in fields.items()
            if v is not None
        }
        if "role" in values and values["role"].replace("-", "_") not in ROLES:
            raise ValidationError("Role must be one of: " + ", ".join(ROLES))
        if "role" in values:
            values["role"] = values["role"].replace("-", "_")
        if "email" in values and values["email"] and "@" not in values["email"]:
            raise ValidationError("Email address is not valid.")
        with self._write(reason="profile") as session:
            if values.get("team"):
                # One spelling for a team in the team list; a team not (yet) in the list is
                # kept, and reports show it as "Other" until it is added.
                item = find_item(reference_items(session, "team"), values["team"])
                values["team"] = item.label if item is not None else values["team"]
            state = session.get(SiteState, 1)
            assert state is not None
            officer = session.get(Officer, state.officer_id) if state.officer_id else None
            if officer is None:
                if not values.get("name"):
                    raise ValidationError("Your name is needed for the officer profile.")
                officer = Officer(**values)
                session.add(officer)
                session.flush()
                state.officer_id = officer.id
            else:
                if "name" in values and not values["name"]:
                    raise ValidationError("Your name cannot be blank.")
                for key, value in values.items():
                    setattr(officer, key, value)
            session.flush()
            return OfficerView.from_row(officer)

    def officers(self) -> list[OfficerView]:
        with self._read() as session:
            rows = session.scalars(
                select(Officer).where(Officer.deleted_at.is_(None)).order_by(Officer.name)
            )
            return [OfficerView.from_row(o) for o in rows]

    def local_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as session:
            row = session.get(LocalSetting, key)
            return default if row is None else row.value

    def set_local_setting(self, key: str, value: Any) -> None:
        with self.db.write(reason="local setting") as session:
            row = session.get(LocalSetting, key)
            if row is None:
                session.add(LocalSetting(key=key, value=value))
            else:
                row.value = value
