"""signed roles

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00

Roles that mean something (issue 12): `signing_key` (this installation's Ed25519 key, local),
`role_grant` (genuine signed grants received), `signed_entry` (digests of directory changes as
their authors signed them) and `officer.public_key` (published with the profile, synced).
Written by hand so the migration never depends on the models of a later version.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
    )
    op.create_table(
        "role_grant",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grantee_id", sa.String(length=36), nullable=False),
        sa.Column("grantee_key", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("issued_hlc", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_key", sa.String(length=64), nullable=False),
        sa.Column("sig", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
    )
    op.create_index("ix_role_grant_grantee_key", "role_grant", ["grantee_key"], unique=False)
    op.create_table(
        "signed_entry",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "seq", "key", name=op.f("pk_signed_entry")),
    )
    with op.batch_alter_table("officer") as batch:
        batch.add_column(
            sa.Column("public_key", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    # SQLite drops a plain column in place; a batch copy of `officer` would trip the foreign
    # keys that point at it.
    op.execute("ALTER TABLE officer DROP COLUMN public_key")
    op.drop_table("signed_entry")
    op.drop_index("ix_role_grant_grantee_key", table_name="role_grant")
    op.drop_table("role_grant")
    op.drop_table("signing_key")
