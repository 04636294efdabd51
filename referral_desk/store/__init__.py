"""Persistence: SQLAlchemy models, engine set-up, migrations, search and the change log."""
