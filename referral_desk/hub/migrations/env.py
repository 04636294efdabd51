"""Alembic environment of the hub: runs on the connection handed over by `hub.connection`."""

from alembic import context

from referral_desk.hub.schema import VERSION_TABLE, metadata

config = context.config


def run() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
