"""The hub's first schema: teams, returns, de-identified facts, directory, views and roles.

Revision ID: h0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

LOADER = "referral_hub_loader"
COMMISSIONER = "referral_hub_commissioner"
TABLES = (
    "hub_team",
    "hub_return",
    "hub_need",
    "hub_need_status",
    "hub_referral",
    "hub_follow_up",
    "hub_service",
    "hub_service_category",
    "hub_directory",
)
VIEWS = {
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


def _team_id():
    return sa.Column("team_id", sa.Integer, sa.ForeignKey("hub_team.id"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "hub_team",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.DateTime, nullable=False),
        sa.Column("last_created", sa.String(40), nullable=False, server_default=""),
    )
    op.create_table(
        "hub_return",
        sa.Column("return_id", sa.String(36), primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("hub_team.id"), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("schema", sa.Integer, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
        sa.Column("needs", sa.Integer, nullable=False),
        sa.Column("referrals", sa.Integer, nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
    )
    op.create_index("ix_hub_return_team_id", "hub_return", ["team_id"])
    op.create_table(
        "hub_need",
        _team_id(),
        sa.Column("need", sa.String(32), primary_key=True),
        sa.Column("person", sa.String(32), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("category_label", sa.String(200), nullable=False),
        sa.Column("identified_on", sa.Date, nullable=False),
        *(
            sa.Column(name, sa.String(200), nullable=False)
            for name in (
                "setting",
                "place",
                "gender",
                "ethnic_group",
                "age_band",
                "disability",
                "nationality",
            )
        ),
        *(
            sa.Column(name, sa.Boolean, nullable=False)
            for name in ("iom", "ppo", "womens", "young_adult")
        ),
        sa.Column("first_unmet", sa.String(40)),
    )
    op.create_table(
        "hub_need_status",
        _team_id(),
        sa.Column("need", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hub_referral",
        _team_id(),
        sa.Column("referral", sa.String(32), primary_key=True),
        sa.Column("need", sa.String(32)),
        sa.Column("person", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(300), nullable=False),
        sa.Column("service", sa.String(300), nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("sent_on", sa.Date),
        sa.Column("reply_days", sa.Integer),
        sa.Column("start_days", sa.Integer),
        sa.Column("reached", sa.Integer, nullable=False),
        sa.Column("decline_reason", sa.String(80)),
        sa.Column("score", sa.Float),
    )
    op.create_index("ix_hub_referral_made_on", "hub_referral", ["made_on"])
    op.create_table(
        "hub_follow_up",
        _team_id(),
        sa.Column("follow_up", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("done_on", sa.Date),
    )
    op.create_table(
        "hub_service",
        _team_id(),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("provider", sa.String(300), nullable=False),
        sa.Column("service", sa.String(300), nullable=False),
        sa.Column("assured_on", sa.Date),
        sa.Column("prechecked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "hub_service_category",
        _team_id(),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("category_label", sa.String(200), primary_key=True),
    )
    op.create_table(
        "hub_directory",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("publisher", sa.String(200), nullable=False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    for name, definition in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {definition}")
    for role in (LOADER, COMMISSIONER):
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
    op.execute("REVOKE ALL ON " + ", ".join(TABLES + tuple(VIEWS)) + " FROM PUBLIC")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO {LOADER}")
    op.execute(f"GRANT SELECT ON {', '.join(VIEWS)} TO {LOADER}")
    op.execute(f"GRANT USAGE ON SEQUENCE hub_team_id_seq, hub_directory_id_seq TO {LOADER}")
    op.execute(f"GRANT SELECT ON {', '.join(VIEWS)} TO {COMMISSIONER}")
    # Every client checks the hub's schema version before it reads or loads anything.
    op.execute(f"GRANT SELECT ON hub_alembic_version TO {LOADER}, {COMMISSIONER}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name in reversed(TABLES):
        op.drop_table(name)
