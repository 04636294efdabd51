"""compact change log, step 1: the sites and the seqs held of each

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00

`sync_site` (docs/change-log.md): every site id this database has seen, interned as a small
integer, with the seqs of it held here as a contiguous prefix (`top`) plus the runs above it
(`runs`, JSON). Filled from the change log and the quarantine, whose (site, seq) keys are what
this database holds today. The version vector and "held already?" read this table from now on,
so the next steps can drop superseded log rows without forgetting what was seen.
Written by hand so the migration never depends on the models of a later version.
"""

import json
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _held(conn: sa.Connection) -> Iterator[tuple[str, list[list[int]]]]:
    """(site, runs of its seqs) from the log and the quarantine together, site by site, read
    as a stream in key order (never every seq of a site in memory at once)."""
    rows = conn.exec_driver_sql(
        "SELECT site_id, seq FROM change_entry UNION "
        "SELECT site_id, seq FROM sync_quarantine WHERE typeof(seq) = 'integer' AND seq > 0 "
        "ORDER BY 1, 2"
    )
    site: str | None = None
    runs: list[list[int]] = []
    for s, q in rows:
        if s != site:
            if site is not None:
                yield site, runs
            site, runs = s, []
        if runs and q <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], q)
        else:
            runs.append([q, q])
    if site is not None:
        yield site, runs


def upgrade() -> None:
    op.create_table(
        "sync_site",
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("top", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("ord", name=op.f("pk_sync_site")),
        sa.UniqueConstraint("site_id", name=op.f("uq_sync_site_site_id")),
    )
    conn = op.get_bind()
    for site, runs in _held(conn):
        top = 0
        if runs and runs[0][0] <= 1:
            top = runs.pop(0)[1]
        conn.exec_driver_sql(
            "INSERT INTO sync_site (site_id, top, runs) VALUES (?, ?, ?)",
            (site, top, json.dumps(runs, separators=(",", ":")) if runs else None),
        )


def downgrade() -> None:
    op.drop_table("sync_site")
