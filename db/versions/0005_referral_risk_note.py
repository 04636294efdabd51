"""The risk information an officer chose to share with a provider

A referral could be marked "share risk" but had nowhere to say what: the provider form then
carried nothing. `risk_note` holds that text; it is personal data (blanked on delete) and stays
empty unless the officer explicitly shares risk for that referral.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a NOT NULL column with a default in place: no table rebuild.
    op.add_column("referral", sa.Column("risk_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("risk_note")
