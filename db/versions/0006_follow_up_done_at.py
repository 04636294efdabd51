"""When a follow-up was done, to the minute

`done_on` holds only the day, so the timeline showed every follow-up done at a made-up 12:00,
above things that happened later that day. `done_at` records the moment (set with
`done_by_officer_id` when an officer marks it done, or when a referral's new state answers it).
Follow-ups done before this version keep `done_at` empty: their time is not known, and the
timeline says only the day.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place, no table rebuild.
    op.add_column("follow_up", sa.Column("done_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_up") as batch:
        batch.drop_column("done_at")
