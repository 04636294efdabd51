"""Open (create, migrate, refuse) the local database and hand out units of work.

The one place that decides whether a file on disk may be used: it must be SQLite, not from a
newer version of the app, and is backed up before any migration (DESIGN.md §9 reliability).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, exc, text

if TYPE_CHECKING:
    from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from referral_desk.domain.errors import DatabaseError
from referral_desk.store import changelog, import_journal
from referral_desk.store.engine import (
    create_sqlite_engine,
    looks_like_sqlite,
    make_private_dir,
    touch_private_file,
)
from referral_desk.store.models import SiteState

DB_FILENAME = "referral-desk.sqlite3"
# The newest migration in db/versions. Opening an up-to-date database compares against this and
# never imports Alembic (a third of start-up time); a test keeps it equal to Alembic's head.
SCHEMA_HEAD = "0006"
# Copies made before upgrades that are kept: enough to step back a few versions, no more.
KEEP_BACKUPS = 3


def migrations_path() -> Path:
    """Where the Alembic scripts are: shipped inside the package as `referral_desk.migrations`."""
    return Path(str(resources.files("referral_desk.migrations")))


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_path()))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def translate_db_error(err: BaseException) -> DatabaseError:
    """Turn SQLite's failures into messages an officer can act on (no data in them)."""
    text = str(getattr(err, "orig", err)).lower()
    if "readonly" in text or "read-only" in text:
        return DatabaseError("The data folder is read-only: nothing was saved.")
    if "disk is full" in text or "database or disk is full" in text:
        return DatabaseError("The disk is full: nothing was saved. Free some space and retry.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError("The database file is damaged or is not a Referral Desk database.")
    if "locked" in text:
        return DatabaseError("The database is busy in another window; try again.")
    return DatabaseError("The database could not be read or written; nothing was changed.")


class Database:
    """An open, up-to-date database. Create with `Database.open(data_dir)`."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        changelog.install(self._sessions)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        backup_dir: Path | None = None,
        before_upgrade: Callable[[], None] | None = None,
    ) -> Database:
        """Open (creating or upgrading) the database in `data_dir`.

        `before_upgrade` runs once an existing database is found to need the backup-and-upgrade,
        before it starts: a large database takes a while, and the window can say so first.
        """
        try:
            make_private_dir(data_dir)
        except OSError as err:
            raise DatabaseError("The data folder cannot be created or is not writable.") from err
        path = data_dir / DB_FILENAME
        if path.exists() and not looks_like_sqlite(path):
            raise DatabaseError("The database file is damaged or is not a Referral Desk database.")
        try:
            touch_private_file(path)
        except OSError as err:
            raise DatabaseError(
                "The data folder is read-only: cannot create the database."
            ) from err
        engine = create_sqlite_engine(path)
        try:
            migrate(engine, path, backup_dir or data_dir / "backups", before_upgrade)
            db = cls(path, engine)
            db._ensure_site()
            # An import interrupted after its commit point is completed now (before or after,
            # never between: DESIGN.md §9). Usually one query that finds nothing.
            import_journal.resume(db, wait=False)
        except exc.DBAPIError as err:
            engine.dispose()
            raise translate_db_error(err) from err
        except DatabaseError:
            engine.dispose()
            raise
        return db

    def close(self) -> None:
        self.engine.dispose()

    def _ensure_site(self) -> None:
        with self.write() as session:
            if session.get(SiteState, 1) is None:
                session.add(SiteState(key=1, site_id=str(uuid.uuid4()), next_seq=1, hlc=0))

    @property
    def site_id(self) -> str:
        with self.read() as session:
            state = session.get(SiteState, 1)
            assert state is not None
            return state.site_id

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
        except exc.DBAPIError as err:
            raise translate_db_error(err) from err
        finally:
            session.close()

    @contextmanager
    def write(self, *, officer_id: str | None = None, reason: str = "") -> Iterator[Session]:
        """One transaction: commit on success, roll back everything on any error."""
        session = self._sessions()
        session.info["write_context"] = changelog.WriteContext(officer_id, reason)
        try:
            # Foreign keys are checked at commit: the unit of work may insert a service before
            # its organisation (no ORM relationships), and sync applies rows in any order.
            session.execute(text("PRAGMA defer_foreign_keys = ON"))
            yield session
            session.commit()
        except exc.DBAPIError as err:
            session.rollback()
            raise translate_db_error(err) from err
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if not has_table:
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(
    engine: Engine,
    path: Path,
    backup_dir: Path,
    before_upgrade: Callable[[], None] | None = None,
) -> str | None:
    """Bring the database to head. Returns the backup path's name when one was made."""
    if current_revision(engine) == SCHEMA_HEAD:
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    head = script.get_current_head()
    if current == head:
        return None
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseError(
            "This database was written by a newer version of Referral Desk. "
            "Update Referral Desk to open it."
        )
    backup = None
    if current is not None:
        if before_upgrade is not None:
            before_upgrade()
        backup = backup_database(engine, path, backup_dir, current)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    if backup is not None:
        prune_backups(backup_dir, keep=KEEP_BACKUPS)
    return backup


def prune_backups(backup_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` pre-upgrade copies; returns the names deleted.

    Each copy holds the whole caseload (criminal-offence data): kept for ever, they would
    outlive every record the team has since deleted. Runs only after an upgrade succeeded.
    """
    copies = sorted(backup_dir.glob(f"{Path(DB_FILENAME).stem}-*.sqlite3"),
                    key=lambda p: p.stat().st_mtime, reverse=True)  # fmt: skip
    removed = []
    for old in copies[keep:]:
        old.unlink(missing_ok=True)
        removed.append(old.name)
    return removed


def backup_database(engine: Engine, path: Path, backup_dir: Path, revision: str) -> str:
    """Copy the whole database (consistent snapshot via SQLite's backup API) before migrating."""
    make_private_dir(backup_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backup_dir / f"{path.stem}-{revision}-{stamp}.sqlite3"
    touch_private_file(target)
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    if not target.exists() or target.stat().st_size == 0:  # pragma: no cover - defensive
        shutil.copy2(path, target)
    return target.name
