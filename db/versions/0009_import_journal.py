"""import journal

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00

The local `import_run` / `import_op` tables (referral_desk/store/import_journal.py): a long
import is planned outside the write lock, staged here, and applied in short transactions that
survive a crash (rolled forward on the next open). Also an index on `service_area.hsds_id`, so
an import in chunks finds a chunk's existing areas without scanning the table. Written by hand
so the migration never depends on the models of a later version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ready_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("officer_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("applied_chunks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_table(
        "import_op",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "chunk", "seq", name=op.f("pk_import_op")),
    )
    op.create_index("ix_service_area_hsds_id", "service_area", ["hsds_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_service_area_hsds_id", table_name="service_area")
    op.drop_table("import_op")
    op.drop_table("import_run")
