"""access log and tamper-evident audit chain

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00

- `record_access`: the synced, insert-only access log (who opened which person's record, when;
  `referral_desk/store/access_models.py`).
- `audit_entry` gains `chain_seq`, `prev_hash` and `entry_hash` (`store/audit_chain.py`), and
  the entries already stored are chained here, per site in the order they were written, so
  `audit verify` finds an upgraded database intact. The encoding is spelled out here rather
  than imported, so this migration keeps doing what it did if the application's code changes;
  a test checks the two agree.
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
HEAD_KEY = "audit_chain_head"


def _hash(row: tuple, seq: int, prev: str) -> str:
    values = [None if v is None else str(v) for v in row]
    text = json.dumps([*values, seq, prev], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "record_access",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("officer_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_record_access_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_access")),
    )
    op.create_index(
        "ix_record_access_person_officer",
        "record_access",
        ["person_id", "officer_id", "at"],
        unique=False,
    )
    op.add_column("audit_entry", sa.Column("chain_seq", sa.Integer(), nullable=True))
    op.add_column("audit_entry", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_entry", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_entry_chain", "audit_entry", ["site_id", "chain_seq"], unique=False)
    op.create_index(
        "ix_audit_entry_unchained",
        "audit_entry",
        ["id"],
        unique=False,
        sqlite_where=sa.text("entry_hash IS NULL"),
    )
    conn = op.get_bind()
    result = conn.exec_driver_sql(
        "SELECT id, site_id, at, officer_id, action, table_name, record_id, fields, reason "
        "FROM audit_entry ORDER BY id"
    )
    last: dict[str, tuple[int, str]] = {}
    while True:
        batch = result.fetchmany(5000)
        if not batch:
            break
        updates = []
        for row in batch:
            seq, prev = last.get(row[1], (0, GENESIS))
            seq += 1
            digest = _hash(tuple(row[1:]), seq, prev)
            updates.append((seq, prev, digest, row[0]))
            last[row[1]] = (seq, digest)
        conn.exec_driver_sql(
            "UPDATE audit_entry SET chain_seq = ?, prev_hash = ?, entry_hash = ? WHERE id = ?",
            updates,
        )
    if last:
        heads = {site: [seq, digest] for site, (seq, digest) in last.items()}
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO local_setting (key, value) VALUES (?, ?)",
            (HEAD_KEY, json.dumps(heads, sort_keys=True, separators=(",", ":"))),
        )


def downgrade() -> None:
    op.execute(f"DELETE FROM local_setting WHERE key = '{HEAD_KEY}'")
    op.drop_index("ix_audit_entry_unchained", table_name="audit_entry")
    op.drop_index("ix_audit_entry_chain", table_name="audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("chain_seq")
    op.drop_index("ix_record_access_person_officer", table_name="record_access")
    op.drop_table("record_access")
