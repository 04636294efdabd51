"""The timeline says when follow-ups were done, and shows transfers and releases

- `follow_up.done_at`: `done_on` holds only the day, so the timeline showed every follow-up
  done at a made-up 12:00, above things that happened later that day. `done_at` records the
  moment (set with `done_by_officer_id` when an officer marks it done, or when a referral's
  new state answers it). Follow-ups done before this version keep it empty: their time is not
  known, and the timeline says only the day.
- `case_note.kind`: "note" for what an officer writes; "setting" for the line a transfer or
  release adds (who, when, from where to where), so the timeline can tell them apart.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, or NOT NULL with a default: SQLite adds both in place, no table rebuild.
    op.add_column("follow_up", sa.Column("done_at", sa.DateTime(), nullable=True))
    op.add_column(
        "case_note",
        sa.Column("kind", sa.String(length=20), nullable=False, server_default="note"),
    )


def downgrade() -> None:
    with op.batch_alter_table("case_note") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("follow_up") as batch:
        batch.drop_column("done_at")
