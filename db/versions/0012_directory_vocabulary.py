"""one directory vocabulary

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

Stored capacities and statuses in the shared vocabulary (`domain.vocabularies`): the demo wrote
`waiting_list` where the HSDS export, the import and the screens say `waiting list`, so a
round trip through HSDS turned waiting lists into "accepting".

Not a synced write, on purpose: every site runs this migration when it upgrades, and it gives
the same value everywhere, so all sites converge without a change-log entry (an entry per
service per site would only be sync traffic that says nothing new). A value that arrives later
in a bundle from a site still on an older version is read through the same vocabulary
(`ServiceView`, the HSDS exporter), and that site's own upgrade rewrites it at the source.
Written by hand so it never depends on the models of a later version.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (column, vocabulary value whose other spellings are rewritten)
_FIXES = (("capacity", "waiting list"), ("status", "temporarily closed"))


def upgrade() -> None:
    for column, value in _FIXES:
        # Compare as `domain.vocabularies.vocabulary_key` does: case, `_` and `-` ignored.
        op.execute(
            f"UPDATE service SET {column} = '{value}' "
            f"WHERE lower(trim(replace(replace({column}, '_', ' '), '-', ' '))) = '{value}' "
            f"AND {column} <> '{value}'"
        )
    op.execute(
        "UPDATE service SET capacity = lower(trim(capacity)) "
        "WHERE lower(trim(capacity)) IN ('accepting', 'full') AND capacity <> lower(trim(capacity))"
    )


def downgrade() -> None:
    # The old spellings were never required; the vocabulary values are valid there too.
    pass
