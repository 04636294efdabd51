"""The hub's tables, the views commissioners read, and the PostgreSQL roles.

Tables hold only what `facts.validate` accepts: pseudonyms (32 hex), codes, list labels, bands,
flags, dates and times. Every fact row carries its team, and a team's facts are replaced whole by
its newest return (a return is a snapshot of the team's live records), so deletions at the team
reach the hub too and nothing is counted twice.

Roles (created by the migration, cluster-wide in PostgreSQL, so named for the application):
- `referral_hub_loader` may read and write the tables (register teams, load returns, publish the
  directory);
- `referral_hub_commissioner` may only SELECT the `report_*` views (and the published
  directory): regional reports run on those views, so a commissioner's login can run every
  report and change nothing.
The hub's administrator grants these roles to real logins (`GRANT referral_hub_loader TO …`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

__all__ = [
    "COMMISSIONER_ROLE",
    "HUB_HEAD",
    "LOADER_ROLE",
    "VERSION_TABLE",
    "metadata",
    "views",
]

HUB_HEAD = "h0001"
"""The newest hub migration; a test keeps it equal to Alembic's head."""
VERSION_TABLE = "hub_alembic_version"
LOADER_ROLE = "referral_hub_loader"
COMMISSIONER_ROLE = "referral_hub_commissioner"

metadata = MetaData()

team = Table(
    "hub_team",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("signer", String(64), nullable=False),
    Column("registered_at", DateTime, nullable=False),
    Column("last_created", String(40), nullable=False, server_default=""),
)

return_log = Table(
    "hub_return",
    metadata,
    Column("return_id", String(36), primary_key=True),
    Column("team_id", Integer, ForeignKey("hub_team.id"), nullable=False, index=True),
    Column("created", String(40), nullable=False),
    Column("schema", Integer, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("needs", Integer, nullable=False),
    Column("referrals", Integer, nullable=False),
    Column("applied", Boolean, nullable=False),
)


def _team_id() -> Column:
    return Column("team_id", Integer, ForeignKey("hub_team.id"), primary_key=True)


need = Table(
    "hub_need",
    metadata,
    _team_id(),
    Column("need", String(32), primary_key=True),
    Column("person", String(32), nullable=False),
    Column("category", String(80), nullable=False),
    Column("category_label", String(200), nullable=False),
    Column("identified_on", Date, nullable=False),
    Column("setting", String(200), nullable=False),
    Column("place", String(200), nullable=False),
    Column("gender", String(200), nullable=False),
    Column("ethnic_group", String(200), nullable=False),
    Column("age_band", String(200), nullable=False),
    Column("disability", String(200), nullable=False),
    Column("nationality", String(200), nullable=False),
    Column("iom", Boolean, nullable=False),
    Column("ppo", Boolean, nullable=False),
    Column("womens", Boolean, nullable=False),
    Column("young_adult", Boolean, nullable=False),
    # Worked out on loading from the status history: the first unmet reason the need entered
    # (what the unmet-needs report counts a need logged in the period under).
    Column("first_unmet", String(40)),
)

need_status = Table(
    "hub_need_status",
    metadata,
    _team_id(),
    Column("need", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("status", String(40), nullable=False),
    Column("at", DateTime, nullable=False),
)

referral = Table(
    "hub_referral",
    metadata,
    _team_id(),
    Column("referral", String(32), primary_key=True),
    Column("need", String(32)),
    Column("person", String(32), nullable=False),
    Column("provider", String(300), nullable=False),
    Column("service", String(300), nullable=False),
    Column("made_on", Date, nullable=False, index=True),
    Column("outcome", String(30), nullable=False),
    # The history summarised on loading (`summary`): what the outcomes report reads.
    Column("sent_on", Date),
    Column("reply_days", Integer),
    Column("start_days", Integer),
    Column("reached", Integer, nullable=False),
    Column("decline_reason", String(80)),
    Column("score", Float),
)

follow_up = Table(
    "hub_follow_up",
    metadata,
    _team_id(),
    Column("follow_up", String(32), primary_key=True),
    Column("kind", String(80), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("done_on", Date),
)

service = Table(
    "hub_service",
    metadata,
    _team_id(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("provider", String(300), nullable=False),
    Column("service", String(300), nullable=False),
    Column("assured_on", Date),
    Column("prechecked", Boolean, nullable=False),
)

service_category = Table(
    "hub_service_category",
    metadata,
    _team_id(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("category_label", String(200), primary_key=True),
)

directory = Table(
    "hub_directory",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("published_at", DateTime, nullable=False),
    Column("publisher", String(200), nullable=False),
    Column("signer", String(64), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

FACT_TABLES = (need, need_status, referral, follow_up, service, service_category)

# --- the views commissioners read (same columns as the tables, team by name) ------------------

views_metadata = MetaData()


def _columns(table: Table) -> list[Column]:
    return [Column(c.name, c.type) for c in table.c]


report_team = Table(
    "report_team",
    views_metadata,
    Column("id", Integer),
    Column("name", String(200)),
)
report_need = Table("report_need", views_metadata, *_columns(need))
report_need_status = Table("report_need_status", views_metadata, *_columns(need_status))
report_referral = Table("report_referral", views_metadata, *_columns(referral))
report_follow_up = Table("report_follow_up", views_metadata, *_columns(follow_up))
report_service = Table("report_service", views_metadata, *_columns(service))
report_service_category = Table(
    "report_service_category", views_metadata, *_columns(service_category)
)
report_directory = Table(
    "report_directory",
    views_metadata,
    Column("id", Integer),
    Column("published_at", DateTime),
    Column("publisher", String(200)),
    Column("signer", String(64)),
    Column("signature", String(100)),
    Column("sha256", String(64)),
    Column("content", LargeBinary),
)

views: dict[str, str] = {
    "report_team": "SELECT id, name FROM hub_team",
    "report_need": "SELECT * FROM hub_need",
    "report_need_status": "SELECT * FROM hub_need_status",
    "report_referral": "SELECT * FROM hub_referral",
    "report_follow_up": "SELECT * FROM hub_follow_up",
    "report_service": "SELECT * FROM hub_service",
    "report_service_category": "SELECT * FROM hub_service_category",
    "report_directory": "SELECT id, published_at, publisher, signer, signature, sha256, content "
    "FROM hub_directory",
}
"""View name -> definition, as the first migration creates them."""
