"""The fixed state machines of needs and referrals (DESIGN.md §3, §4).

States are code, not reference data: the lifecycle rules depend on them. Reason codes, by
contrast, are reference data (see resources/reference_data.json).
"""

from __future__ import annotations

from enum import StrEnum


class ReferralState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITING_LIST = "waiting_list"
    STARTED = "started"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    WITHDRAWN = "withdrawn"

    @property
    def cli_name(self) -> str:
        """The hyphenated spelling used on the command line (`waiting-list`)."""
        return self.value.replace("_", "-")

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def parse(cls, text: str) -> ReferralState:
        from referral_desk.domain.errors import ValidationError

        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(key)
        except ValueError:
            names = " ".join(s.cli_name for s in cls)
            raise ValidationError(f"Unknown referral state; use one of: {names}") from None


OPEN_REFERRAL_STATES = frozenset(
    {
        ReferralState.DRAFT,
        ReferralState.SENT,
        ReferralState.ACKNOWLEDGED,
        ReferralState.ACCEPTED,
        ReferralState.WAITING_LIST,
        ReferralState.STARTED,
    }
)


class NeedStatus(StrEnum):
    OPEN = "open"
    REFERRED = "referred"
    MET = "met"
    UNMET_NO_SERVICE = "unmet_no_service"
    UNMET_SERVICE_FULL = "unmet_service_full"
    UNMET_NOT_ELIGIBLE = "unmet_not_eligible"
    UNMET_OUT_OF_AREA = "unmet_out_of_area"
    CLOSED_NO_LONGER_NEEDED = "closed_no_longer_needed"

    @property
    def is_unmet(self) -> bool:
        return self.value.startswith("unmet_")

    @property
    def label(self) -> str:
        return _NEED_LABELS[self]


_NEED_LABELS = {
    NeedStatus.OPEN: "Open",
    NeedStatus.REFERRED: "Referred",
    NeedStatus.MET: "Met",
    NeedStatus.UNMET_NO_SERVICE: "Unmet – no service found",
    NeedStatus.UNMET_SERVICE_FULL: "Unmet – service full",
    NeedStatus.UNMET_NOT_ELIGIBLE: "Unmet – not eligible",
    NeedStatus.UNMET_OUT_OF_AREA: "Unmet – out of area",
    NeedStatus.CLOSED_NO_LONGER_NEEDED: "Closed – no longer needed",
}

# `--unmet REASON` spellings on the command line and in the "log as unmet" form.
UNMET_REASONS: dict[str, NeedStatus] = {
    "no-service": NeedStatus.UNMET_NO_SERVICE,
    "full": NeedStatus.UNMET_SERVICE_FULL,
    "not-eligible": NeedStatus.UNMET_NOT_ELIGIBLE,
    "out-of-area": NeedStatus.UNMET_OUT_OF_AREA,
}


class FollowUpKind(StrEnum):
    CHECK_ACCEPTANCE = "check_acceptance"
    CHECK_ATTENDANCE = "check_attendance"
    REVIEW_PROGRESS = "review_progress"
    PRE_RELEASE_CHECK = "pre_release_check"
    TELL_PROVIDER = "tell_provider"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Outcome(StrEnum):
    """Outcome on completion; score counts "distance travelled"."""

    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly_achieved"
    NOT_ACHIEVED = "not_achieved"

    @property
    def score(self) -> float:
        return {"achieved": 1.0, "partly_achieved": 0.5, "not_achieved": 0.0}[self.value]
