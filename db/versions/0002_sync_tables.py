"""sync bookkeeping tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

Local tables of the sync engine (referral_desk/store/sync_models.py): bundles seen, conflicts,
quarantined entries, pending records, knowledge checkpoints and per-store export state.
Written by hand so the migration never depends on the models of a later version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_bundle_seen",
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_sync_bundle_seen")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("local_value", sa.Text(), nullable=True),
        sa.Column("local_site", sa.String(length=36), nullable=True),
        sa.Column("local_hlc", sa.Integer(), nullable=True),
        sa.Column("remote_value", sa.Text(), nullable=False),
        sa.Column("remote_site", sa.String(length=36), nullable=False),
        sa.Column("remote_hlc", sa.Integer(), nullable=False),
        sa.Column("winner", sa.String(length=10), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("kept", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index(
        "ix_sync_conflict_record", "sync_conflict", ["table_name", "record_id", "field"]
    )
    op.create_index("ix_sync_conflict_resolved_at", "sync_conflict", ["resolved_at"])
    op.create_table(
        "sync_quarantine",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_tried_at", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "seq", name=op.f("pk_sync_quarantine")),
    )
    op.create_table(
        "sync_pending",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "record_id", name=op.f("pk_sync_pending")),
    )
    op.create_table(
        "sync_knowledge",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("after_seq", sa.Integer(), nullable=False),
        sa.Column("vector", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_knowledge")),
        sa.UniqueConstraint("site_id", "after_seq", name=op.f("uq_sync_knowledge_site_id")),
    )
    op.create_table(
        "sync_export_state",
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("known", sa.Text(), nullable=False),
        sa.Column("knowledge_id", sa.Integer(), nullable=False),
        sa.Column("exports", sa.Integer(), nullable=False),
        sa.Column("last_export_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_sync_export_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_export_state")
    op.drop_table("sync_knowledge")
    op.drop_table("sync_pending")
    op.drop_table("sync_quarantine")
    op.drop_index("ix_sync_conflict_resolved_at", table_name="sync_conflict")
    op.drop_index("ix_sync_conflict_record", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("sync_bundle_seen")
