"""sync import staging and journal

Revision ID: 0008
Revises: 0007

An import reads each file into `sync_import_staged` / `sync_import_knowledge` first (nothing
visible to the app), then applies the staged entries in batches; `sync_import_journal` says
which files and how far, so that an import cut short by a crash or kill is finished from the
staged entries next time (large imports commit batch by batch and let officers save between).
Written by hand so the migration never depends on the models of a later version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_import_journal",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=True),
        sa.Column("bundles", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("totals", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_import_journal")),
    )
    op.create_table(
        "sync_import_staged",
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bundle_no", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("hlc", sa.Integer(), nullable=True),
        sa.Column("tombstone", sa.Integer(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "table_name", "record_id", "site_id", "seq", name=op.f("pk_sync_import_staged")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sync_import_knowledge",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bundle_no", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("after_seq", sa.Integer(), nullable=False),
        sa.Column("vector", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_import_knowledge")),
    )


def downgrade() -> None:
    op.drop_table("sync_import_knowledge")
    op.drop_table("sync_import_staged")
    op.drop_table("sync_import_journal")
