"""The officer using this installation, and settings that stay on this machine."""

from __future__ import annotations

from typing import Any

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.store.models import LocalSetting, Officer, SiteState, put_local_setting
from referral_desk.store.reference_queries import officers
from referral_desk.store.trust import publish_own_key, role_book
from referral_desk.usecases.base import ServiceBase, Session
from referral_desk.usecases.dto import OfficerView
from referral_desk.usecases.reference import find_item, reference_items
from referral_desk.usecases.roles import shown_role

PROFILE_FIELDS = ("name", "team", "office", "office_phone", "email")
ROLE_NOT_A_SETTING = (
    "Roles are granted by the team's manager, not set in the profile "
    "(a manager uses: referral-desk role grant OFFICER ROLE)."
)
LOCAL_SETTING_KEYS = ("shared_store", "printer", "page_size", "window_state")


class ProfileService(ServiceBase):
    def get(self) -> OfficerView | None:
        with self._read() as session:
            state = session.get(SiteState, 1)
            if state is None or state.officer_id is None:
                return None
            officer = session.get(Officer, state.officer_id)
            return _view(session, officer) if officer else None

    def set(self, **fields: Any) -> OfficerView:
        """Create or update this site's officer profile (first run, or `profile set`). The role
        is not among the fields: it is granted (services.roles)."""
        if fields.get("role") is not None:
            raise ValidationError(ROLE_NOT_A_SETTING)
        fields.pop("role", None)
        unknown = set(fields) - set(PROFILE_FIELDS)
        if unknown:
            raise ValidationError("Unknown profile field; use: " + ", ".join(PROFILE_FIELDS))
        values = {k: field("officer", k).clean(v) for k, v in fields.items() if v is not None}
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
            publish_own_key(session)  # a manager grants roles to this key
            session.flush()
            return _view(session, officer)

    def officers(self) -> list[OfficerView]:
        with self._read() as session:
            rows = officers(session)
            book = role_book(session)
            return [
                OfficerView.from_row(o, role=shown_role(book, o.public_key or None)) for o in rows
            ]

    def local_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as session:
            row = session.get(LocalSetting, key)
            return default if row is None else row.value

    def set_local_setting(self, key: str, value: Any) -> None:
        with self.db.write(reason="local setting") as session:
            put_local_setting(session, key, value)


def _view(session: Session, officer: Officer) -> OfficerView:
    """The profile, with the role its key holds now (granted, never typed in)."""
    return OfficerView.from_row(
        officer, role=shown_role(role_book(session), officer.public_key or None)
    )
