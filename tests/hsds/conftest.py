"""Fixtures for the HSDS tests: the store tests' seeded database and directory builder.

The directory they import into and export from is built through the ORM, as the app's write
paths build it; the fixtures are the store tests' own, shared rather than copied.
"""

from __future__ import annotations

from store.conftest import DirectoryBuilder, directory, search_db, seeded_template

__all__ = ["DirectoryBuilder", "directory", "search_db", "seeded_template"]
