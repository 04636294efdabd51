"""The full-text index over services (SQLite FTS5), kept current by triggers.

Triggers rather than application code keep the index right on every write path: forms, CLI,
directory import and sync all write plain rows. Bulk loads may drop the triggers, insert, then
`rebuild` and recreate them. The SQL is versioned (`V1`) so that migrations which created it stay
reproducible if a later migration changes it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

FTS_TABLE = "service_fts"
VOCAB_TABLE = "service_fts_terms"

_REFRESH = """
DELETE FROM service_fts WHERE rowid IN (SELECT rowid FROM service WHERE id = {sid});
INSERT INTO service_fts(rowid, name, organisation, description, categories)
SELECT s.rowid, s.name, coalesce(o.name, ''), coalesce(s.description, ''),
       coalesce((SELECT group_concat(r.label || ' ' || coalesce(r.synonyms, ''), ' ')
                 FROM service_category sc
                 JOIN reference_item r
                   ON r.list_name = 'need_category' AND r.code = sc.category_code
                 WHERE sc.service_id = s.id AND sc.deleted_at IS NULL), '')
FROM service s LEFT JOIN organisation o ON o.id = s.organisation_id
WHERE s.id = {sid} AND s.deleted_at IS NULL;
"""

V1_TABLES = [
    "CREATE VIRTUAL TABLE service_fts USING fts5("
    "name, organisation, description, categories, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE VIRTUAL TABLE service_fts_terms USING fts5vocab(service_fts, 'row')",
]

V1_TRIGGERS: dict[str, str] = {
    "service_fts_ai": "AFTER INSERT ON service BEGIN" + _REFRESH.format(sid="new.id") + "END",
    "service_fts_au": "AFTER UPDATE ON service BEGIN "
    + " DELETE FROM service_fts WHERE rowid = old.rowid;"
    + _REFRESH.format(sid="new.id")
    + "END",
    "service_fts_ad": "AFTER DELETE ON service BEGIN "
    "DELETE FROM service_fts WHERE rowid = old.rowid; END",
    "service_fts_org_au": "AFTER UPDATE OF name ON organisation BEGIN "
    "DELETE FROM service_fts WHERE rowid IN "
    "(SELECT rowid FROM service WHERE organisation_id = new.id);"
    + _REFRESH.replace("WHERE s.id = {sid}", "WHERE s.organisation_id = new.id").format(sid="NULL")
    + "END",
    "service_fts_cat_ai": "AFTER INSERT ON service_category BEGIN "
    + _REFRESH.format(sid="new.service_id")
    + "END",
    "service_fts_cat_au": "AFTER UPDATE ON service_category BEGIN "
    + _REFRESH.format(sid="old.service_id")
    + _REFRESH.format(sid="new.service_id")
    + "END",
    "service_fts_cat_ad": "AFTER DELETE ON service_category BEGIN "
    + _REFRESH.format(sid="old.service_id")
    + "END",
    "service_fts_ref_au": "AFTER UPDATE OF label, synonyms ON reference_item "
    "WHEN new.list_name = 'need_category' BEGIN "
    "DELETE FROM service_fts WHERE rowid IN (SELECT s.rowid FROM service s "
    "JOIN service_category sc ON sc.service_id = s.id WHERE sc.category_code = new.code);"
    + _REFRESH.replace(
        "WHERE s.id = {sid}",
        "WHERE s.id IN (SELECT service_id FROM service_category WHERE category_code = new.code)",
    ).format(sid="NULL")
    + "END",
}

EXPECTED_TRIGGERS = frozenset(V1_TRIGGERS)


def create_triggers(conn: Connection) -> None:
    for name, body in V1_TRIGGERS.items():
        conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def drop_triggers(conn: Connection) -> None:
    for name in V1_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def create_v1(conn: Connection) -> None:
    for stmt in V1_TABLES:
        conn.exec_driver_sql(stmt)
    create_triggers(conn)


def rebuild(conn: Connection) -> None:
    """Repopulate the whole index from the service rows (after a bulk load)."""
    conn.exec_driver_sql("DELETE FROM service_fts")
    conn.execute(
        text(
            _REFRESH.split(";", 1)[1].replace("WHERE s.id = {sid} AND", "WHERE").strip().rstrip(";")
        )
    )
    conn.exec_driver_sql("INSERT INTO service_fts(service_fts) VALUES ('optimize')")


def refresh(conn: Connection, service_ids: list[str]) -> None:
    """Re-index these services only (after a bulk load that added a few to a large index).

    A full `rebuild` costs the whole directory; an import applied in chunks would pay it once
    per chunk. The ids go through a temporary table, so any number fit in one statement.
    """
    if not service_ids:
        return
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS fts_refresh_ids (id TEXT PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM temp.fts_refresh_ids")
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO temp.fts_refresh_ids VALUES (?)", [(i,) for i in service_ids]
    )
    conn.exec_driver_sql(
        "DELETE FROM service_fts WHERE rowid IN "
        "(SELECT rowid FROM service WHERE id IN (SELECT id FROM temp.fts_refresh_ids))"
    )
    conn.execute(
        text(
            _REFRESH.split(";", 1)[1]
            .replace(
                "WHERE s.id = {sid} AND", "WHERE s.id IN (SELECT id FROM temp.fts_refresh_ids) AND"
            )
            .strip()
            .rstrip(";")
        )
    )
    conn.exec_driver_sql("DELETE FROM temp.fts_refresh_ids")


def optimize(conn: Connection) -> None:
    """Merge the index's segments (done by `rebuild`; after many `refresh`es, once at the end)."""
    conn.exec_driver_sql("INSERT INTO service_fts(service_fts) VALUES ('optimize')")


def trigger_names(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {r[0] for r in rows}
