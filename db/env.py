"""Alembic environment: runs on the connection handed over by `store.database.migrate`."""

from alembic import context
from sqlalchemy import create_engine

import referral_desk.store.directory_models  # tables for autogenerate
import referral_desk.store.sync_models  # noqa: F401
from referral_desk.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run_on(conn)
        return
    _run_on(connection)


def _run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
