"""Indexes for report and search queries

The outcomes report scans status history by referral and state; search filters by category and
area on live rows only. Partial indexes skip deleted rows, which the queries never want.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_referral_status_change_history ON referral_status_change "
        "(referral_id, deleted_at, to_status, at, reason_code)"
    )
    op.execute(
        "CREATE INDEX ix_service_category_live ON service_category (category_code, service_id) "
        "WHERE deleted_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_service_area_live ON service_area (name COLLATE NOCASE, service_id) "
        "WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_service_area_live")
    op.execute("DROP INDEX ix_service_category_live")
    op.execute("DROP INDEX ix_referral_status_change_history")
