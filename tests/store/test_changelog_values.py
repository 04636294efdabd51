"""What the compact change log (docs/change-log.md, step 2) relies on: the winning value of
every logged field is the JSON text `encode_value` gives for the column as the row holds it,
so an export can read winners from the rows instead of keeping a copy in the log."""

from __future__ import annotations

from typing import Any

from referral_desk.demo import generate_demo
from referral_desk.store.changelog import encode_value
from referral_desk.store.models import SYNCED_MODELS

# The newest entry of each field of each record (every entry here is this site's own, so the
# highest seq is the winner).
_WINNERS = (
    "SELECT record_id, field, value FROM change_entry c WHERE table_name = ? AND seq = "
    "(SELECT MAX(seq) FROM change_entry d WHERE d.table_name = c.table_name "
    "AND d.record_id = c.record_id AND d.field = c.field)"
)


def test_every_winning_value_is_the_encoded_column_of_its_row(app: Any) -> None:
    generate_demo(app, people=12, services=20, seed=5)
    compared = 0
    differ: list[tuple[str, str]] = []
    with app.db.read() as session:
        conn = session.connection()
        for table, model in SYNCED_MODELS.items():
            rows = {o.id: o for o in session.query(model)}
            for rid, field, value in conn.exec_driver_sql(_WINNERS, (table,)):
                compared += 1
                if encode_value(getattr(rows[rid], field)) != value:
                    differ.append((table, field))  # names only: values may be personal
    assert compared > 1000
    assert differ == []
