"""Default reference data, seeded with fixed ids so sites that seed the same defaults converge."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_desk.domain.followup_rules import FollowUpRules
from referral_desk.store.models import ReferenceItem, TeamSetting

SEED_NAMESPACE = uuid.UUID("6f1d8a52-3c2e-4a7e-9d0b-2b8f7e4c9a11")
FOLLOW_UP_RULES = "follow_up_rules"


def reference_id(list_name: str, code: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, f"{list_name}:{code}"))


def team_setting_id(key: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, f"team_setting:{key}"))


def _load_json(name: str) -> Any:
    return json.loads(resources.files("referral_desk.resources").joinpath(name).read_text("utf-8"))


def default_reference_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for list_name, entries in _load_json("reference_data.json").items():
        for entry in entries:
            items.append(
                {
                    "list_name": list_name,
                    "code": entry["code"],
                    "label": entry["label"],
                    "synonyms": entry.get("synonyms", ""),
                    "sort_order": entry.get("sort_order", 0),
                }
            )
    for i, hol in enumerate(_load_json("bank_holidays_england_wales.json")):
        items.append(
            {
                "list_name": "bank_holiday",
                "code": hol["date"],
                "label": hol["title"],
                "synonyms": "",
                "sort_order": i,
            }
        )
    return items


def reference_data_missing(session: Session) -> bool:
    """True when `seed_reference_data` would add something (a read: no write lock needed)."""
    existing = set(session.scalars(select(ReferenceItem.id)))
    if any(
        reference_id(i["list_name"], i["code"]) not in existing for i in default_reference_items()
    ):
        return True
    return session.get(TeamSetting, team_setting_id(FOLLOW_UP_RULES)) is None


def seed_reference_data(session: Session) -> int:
    """Add the default entries that are missing; never touch ones a user may have edited."""
    existing = set(session.scalars(select(ReferenceItem.id)))
    added = 0
    for item in default_reference_items():
        rid = reference_id(item["list_name"], item["code"])
        if rid not in existing:
            session.add(ReferenceItem(id=rid, **item))
            added += 1
    key = FOLLOW_UP_RULES
    if session.get(TeamSetting, team_setting_id(key)) is None:
        session.add(
            TeamSetting(id=team_setting_id(key), key=key, value=FollowUpRules().to_mapping())
        )
        added += 1
    return added
