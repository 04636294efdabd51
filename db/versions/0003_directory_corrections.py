"""directory corrections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:00:00

The synced `directory_correction` table (referral_desk/store/directory_models.py): reports of
wrong directory entries that travel to the directory keeper. Written by hand so the migration
never depends on the models of a later version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_correction",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("reported_by_officer_id", sa.String(length=36), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_directory_correction_service_id_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_correction")),
    )
    with op.batch_alter_table("directory_correction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_directory_correction_status", ["status", "reported_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_directory_correction_service_id"), ["service_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("directory_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_correction_service_id"))
        batch_op.drop_index("ix_directory_correction_status")
    op.drop_table("directory_correction")
