"""Plain-Python domain: entities' rules, no Qt and no SQLAlchemy."""
