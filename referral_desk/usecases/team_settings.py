"""Team-wide settings an officer may see and (for now, anyone) change: how long the client may
stand unattended before it locks (issue 12).

Stored as a synced `team_setting` row under a fixed id, so two sites that set it before a sync
converge on one row instead of clashing. A value is always read through `lock_minutes_from`,
which bounds it: a row from an older or a tampered site can never leave a screen unlocked for
longer than `MAX_LOCK_MINUTES` (the information-governance limit) nor lock it every few seconds.
"""

from __future__ import annotations

from referral_desk.domain.errors import ValidationError
from referral_desk.store.models import TeamSetting
from referral_desk.store.seed import team_setting_id
from referral_desk.store.soft_delete import live
from referral_desk.usecases.base import ServiceBase, Session
from referral_desk.usecases.roles import require_in

LOCK_MINUTES_SETTING = "lock_after_idle_minutes"
DEFAULT_LOCK_MINUTES = 5
MIN_LOCK_MINUTES = 1
MAX_LOCK_MINUTES = 30


def lock_minutes_from(value: object) -> int:
    """The stored value as minutes within 1..30; the default when missing or unreadable."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return DEFAULT_LOCK_MINUTES
    try:
        minutes = int(str(value).strip())
    except ValueError:
        return DEFAULT_LOCK_MINUTES
    return max(MIN_LOCK_MINUTES, min(MAX_LOCK_MINUTES, minutes))


def _row(session: Session) -> TeamSetting | None:
    return session.get(TeamSetting, team_setting_id(LOCK_MINUTES_SETTING))


class TeamSettingsService(ServiceBase):
    def lock_minutes(self) -> int:
        """Minutes without keyboard or mouse input after which the client locks."""
        with self._read() as session:
            row = live(session, TeamSetting, team_setting_id(LOCK_MINUTES_SETTING))
            return lock_minutes_from(row.value if row else None)

    def set_lock_minutes(self, minutes: int) -> int:
        """Set the idle time before the client locks, for the whole team (synced).

        Refuses anything outside 1..30 minutes, or from anyone but a manager, with one line,
        changing nothing.
        """
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValidationError("The lock time is a whole number of minutes.")
        if not MIN_LOCK_MINUTES <= minutes <= MAX_LOCK_MINUTES:
            raise ValidationError(
                f"The lock time must be between {MIN_LOCK_MINUTES} and {MAX_LOCK_MINUTES} minutes."
            )
        with self._write(reason="team setting: lock time") as session:
            require_in(session, "manager")
            row = _row(session)
            if row is None:
                session.add(
                    TeamSetting(
                        id=team_setting_id(LOCK_MINUTES_SETTING),
                        key=LOCK_MINUTES_SETTING,
                        value=minutes,
                    )
                )
            else:
                row.value = minutes
                row.deleted_at = None
            session.flush()
        return minutes
