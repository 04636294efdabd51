"""SQLAlchemy models for everything in DESIGN.md §3.

Synced tables derive from `SyncedBase`: a UUID primary key, timestamps, the originating site and
a `deleted_at` tombstone. Their column writes are captured in the change log by
`store.changelog` (the unit of sync), so models carry no sync logic themselves.

List-valued fields that are only ever read whole (languages, prisons served, information shared)
are JSON columns; values that are filtered on in search (need categories, service areas) are
rows of their own so they can be indexed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from referral_desk.store.access_models import RecordAccess
from referral_desk.store.directory_models import DirectoryCorrection
from referral_desk.store.model_base import NAMING, Base, SyncedBase, new_id

__all__ = ["NAMING", "Base", "DirectoryCorrection", "RecordAccess", "SyncedBase", "new_id"]

# --- reference data -------------------------------------------------------------------------


class ReferenceItem(SyncedBase):
    """One entry of a reference list (need categories, reason codes, prisons, bank holidays…).

    Seeded entries have ids derived from (list, code) so two sites seeding the same defaults
    converge instead of duplicating.
    """

    __tablename__ = "reference_item"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    list_name: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200))
    synonyms: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    deprecated_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class TeamSetting(SyncedBase):
    """Team-wide settings (follow-up rules…); synced. Machine-local settings live elsewhere."""

    __tablename__ = "team_setting"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[object] = mapped_column(JSON)


class Officer(SyncedBase):
    """Officer profile: "made by", slips and team reports."""

    __tablename__ = "officer"
    __personal__ = frozenset({"name", "office_phone", "email"})

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="officer")
    team: Mapped[str] = mapped_column(String(200), default="")
    office: Mapped[str] = mapped_column(String(200), default="")
    office_phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    # This officer's signing key (Ed25519, hex), published so a manager can grant it a role.
    # `role` above is what the officer was last shown as; it grants nothing (store.trust).
    public_key: Mapped[str] = mapped_column(String(64), default="")


# --- caseload ---------------------------------------------------------------------------------


class Person(SyncedBase):
    __tablename__ = "person"
    __owns_dependents__ = True  # needs, referrals, follow-ups, case notes
    __personal__ = frozenset(
        {
            "given_name",
            "family_name",
            "date_of_birth",
            "crn",
            "nomis",
            "pnc",
            "gender",
            "ethnicity",
            "disability",
            "religion",
            "foreign_national",
            "contact_preferences",
            "expected_release_date",
        }
    )

    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    crn: Mapped[str | None] = mapped_column(String(7), index=True)
    nomis: Mapped[str | None] = mapped_column(String(7), index=True)
    pnc: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(30), default="")
    ethnicity: Mapped[str] = mapped_column(String(80), default="")
    disability: Mapped[str] = mapped_column(String(30), default="")
    religion: Mapped[str] = mapped_column(String(80), default="")
    foreign_national: Mapped[bool | None] = mapped_column(Boolean)
    setting: Mapped[str] = mapped_column(String(20), default="community")  # custody|community
    prison: Mapped[str] = mapped_column(String(120), default="")
    area: Mapped[str] = mapped_column(String(120), default="")
    office: Mapped[str] = mapped_column(String(120), default="")
    expected_release_date: Mapped[date | None] = mapped_column(Date)
    cohort_iom: Mapped[bool] = mapped_column(Boolean, default=False)
    cohort_ppo: Mapped[bool] = mapped_column(Boolean, default=False)
    cohort_womens: Mapped[bool] = mapped_column(Boolean, default=False)
    cohort_young_adult: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_officer_id: Mapped[str | None] = mapped_column(ForeignKey("officer.id"), index=True)
    contact_preferences: Mapped[str] = mapped_column(Text, default="")
    consent_given_on: Mapped[date | None] = mapped_column(Date)
    consent_scope: Mapped[str] = mapped_column(Text, default="")
    consent_withdrawn_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class Need(SyncedBase):
    __tablename__ = "need"
    __local__ = frozenset({"status"})  # derived from need_status_change
    __owns_dependents__ = True  # its status history
    __personal__ = frozenset({"description", "subtype"})

    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(80), index=True)
    subtype: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    identified_on: Mapped[date] = mapped_column(Date)
    setting_at_time: Mapped[str] = mapped_column(String(20), default="")
    place_at_time: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(40), default="open", index=True)


class NeedStatusChange(SyncedBase):
    """Insert-only history: sync merges these as rows, current status is the latest row."""

    __tablename__ = "need_status_change"
    __personal__ = frozenset({"note"})

    need_id: Mapped[str] = mapped_column(ForeignKey("need.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)
    by_officer_id: Mapped[str | None] = mapped_column(String(36))
    reason_code: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")


# --- directory ------------------------------------------------------------------------------


class Organisation(SyncedBase):
    __tablename__ = "organisation"

    name: Mapped[str] = mapped_column(String(300))
    charity_number: Mapped[str] = mapped_column(String(40), default="")
    company_number: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    faith_based: Mapped[bool] = mapped_column(Boolean, default=False)
    uses_volunteers: Mapped[bool] = mapped_column(Boolean, default=False)
    lived_experience: Mapped[bool] = mapped_column(Boolean, default=False)
    hsds_id: Mapped[str | None] = mapped_column(String(100), index=True)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Location(SyncedBase):
    __tablename__ = "location"

    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    address_1: Mapped[str] = mapped_column(String(300), default="")
    address_2: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    hsds_id: Mapped[str | None] = mapped_column(String(100), index=True)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Service(SyncedBase):
    __tablename__ = "service"

    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default="active")
    # eligibility
    gender: Mapped[str] = mapped_column(String(20), default="any")  # any|male|female
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    offence_exclusions: Mapped[list] = mapped_column(JSON, default=list)
    risk_levels: Mapped[list] = mapped_column(JSON, default=list)
    cohorts: Mapped[list] = mapped_column(JSON, default=list)
    # settings
    prisons: Mapped[list] = mapped_column(JSON, default=list)
    community: Mapped[bool] = mapped_column(Boolean, default=True)
    through_the_gate: Mapped[bool] = mapped_column(Boolean, default=False)
    # cost
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_cost: Mapped[float | None] = mapped_column(Float)
    # how to refer
    referral_method: Mapped[str] = mapped_column(String(20), default="phone")
    referral_contact: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    response_days: Mapped[int | None] = mapped_column(Integer)
    waiting_weeks: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[str] = mapped_column(String(20), default="accepting")
    capacity_as_of: Mapped[date | None] = mapped_column(Date)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    accessibility: Mapped[str] = mapped_column(Text, default="")
    opening_times: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    # pre-check and freshness
    isp_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    reports_attendance: Mapped[bool] = mapped_column(Boolean, default=False)
    reports_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    precheck_date: Mapped[date | None] = mapped_column(Date)
    precheck_by: Mapped[str] = mapped_column(String(200), default="")
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer: Mapped[str] = mapped_column(String(200), default="")
    confidential_address: Mapped[bool] = mapped_column(Boolean, default=False)
    hsds_id: Mapped[str | None] = mapped_column(String(100), index=True)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class ServiceCategory(SyncedBase):
    """A need category a service meets (many-to-many, indexed for search filters)."""

    __tablename__ = "service_category"
    __table_args__ = (
        Index("ix_service_category_code_service", "category_code", "service_id"),
        Index(
            "ix_service_category_live",
            "category_code",
            "service_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(80))


class ServiceArea(SyncedBase):
    """A probation area / local authority a service covers in the community."""

    __tablename__ = "service_area"
    __table_args__ = (
        Index("ix_service_area_name_service", "name", "service_id"),
        Index(
            "ix_service_area_live",
            text("name COLLATE NOCASE"),
            "service_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    hsds_id: Mapped[str | None] = mapped_column(String(100), index=True)


# --- referrals and follow-up ----------------------------------------------------------------


class Referral(SyncedBase):
    __tablename__ = "referral"
    __local__ = frozenset({"status"})  # derived from referral_status_change
    __owns_dependents__ = True  # its status history, follow-ups and timeline notes
    # A referral stays on the case when the need it was made for is deleted on its own.
    __refers_only__ = frozenset({"need_id"})
    __personal__ = frozenset(
        {"accessibility_needs", "interpreter_language", "availability", "outcome_note", "risk_note"}
    )

    reference: Mapped[str] = mapped_column(String(7), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    need_id: Mapped[str | None] = mapped_column(ForeignKey("need.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    made_by_officer_id: Mapped[str | None] = mapped_column(String(36))
    made_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20), default="phone")
    consent_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_info: Mapped[list] = mapped_column(JSON, default=list)
    share_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the officer chose to tell this provider about risk; empty unless share_risk.
    risk_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    interpreter_language: Mapped[str] = mapped_column(String(80), default="")
    availability: Mapped[str] = mapped_column(Text, default="")
    appointment_at: Mapped[datetime | None] = mapped_column(DateTime)
    appointment_place: Mapped[str] = mapped_column(String(300), default="")
    provider_contact: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(30), default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default="draft", index=True)


class ReferralStatusChange(SyncedBase):
    """Insert-only lifecycle history (who, when, channel, reason)."""

    __tablename__ = "referral_status_change"
    __table_args__ = (
        Index(
            "ix_referral_status_change_history",
            "referral_id",
            "deleted_at",
            "to_status",
            "at",
            "reason_code",
        ),
    )
    __personal__ = frozenset({"note"})

    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(DateTime)
    by_officer_id: Mapped[str | None] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(30), default="")
    reason_code: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class FollowUp(SyncedBase):
    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_open_due", "done_on", "due_on"),)
    __personal__ = frozenset({"note", "result_note"})

    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referral.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    officer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    # The moment it was done (the timeline sorts by it); empty for those done before 0006.
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_officer_id: Mapped[str | None] = mapped_column(String(36))
    result_note: Mapped[str] = mapped_column(Text, default="")


class CaseNote(SyncedBase):
    """A line on a person's timeline (optionally about one referral): an officer's note
    (kind "note"), or what a transfer or release changed (kind "setting")."""

    __tablename__ = "case_note"
    __personal__ = frozenset({"text"})

    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referral.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    by_officer_id: Mapped[str | None] = mapped_column(String(36))
    text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="note", server_default="note")


# --- local bookkeeping (never synced) ------------------------------------------------------


class SiteState(Base):
    """This installation's identity and clocks: one row."""

    __tablename__ = "site_state"

    key: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    site_id: Mapped[str] = mapped_column(String(36))
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    hlc: Mapped[int] = mapped_column(Integer, default=0)
    officer_id: Mapped[str | None] = mapped_column(String(36))


class LocalSetting(Base):
    """Settings that stay on this machine (shared-store path, printer, page size, role)."""

    __tablename__ = "local_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


def put_local_setting(session: Session, key: str, value: object) -> None:
    """Set one machine-local setting in the caller's transaction (created when missing)."""
    row = session.get(LocalSetting, key)
    if row is None:
        session.add(LocalSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def __getattr__(name: str) -> object:
    """`ChangeEntry` lives in `store.changelog_models` now; imports from here still find it."""
    if name == "ChangeEntry":
        from referral_desk.store.changelog_models import ChangeEntry

        return ChangeEntry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class AuditEntry(Base):
    """Who did what to which record, when and why. Field names only, never values."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_record", "table_name", "record_id"),
        Index("ix_audit_entry_chain", "site_id", "chain_seq"),
        Index("ix_audit_entry_unchained", "id", sqlite_where=text("entry_hash IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    site_id: Mapped[str] = mapped_column(String(36))
    officer_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(20))  # create|update|delete|sync
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    fields: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # Tamper evidence (`store.audit_chain`): the entry's place in its site's chain, the hash of
    # the entry before it and its own hash, filled in when the transaction that wrote it commits.
    chain_seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


SYNCED_MODELS: dict[str, type[SyncedBase]] = {
    m.__tablename__: m
    for m in (
        ReferenceItem,
        TeamSetting,
        Officer,
        Person,
        Need,
        NeedStatusChange,
        Organisation,
        Location,
        Service,
        ServiceCategory,
        ServiceArea,
        Referral,
        ReferralStatusChange,
        FollowUp,
        CaseNote,
        RecordAccess,
        DirectoryCorrection,
    )
}
