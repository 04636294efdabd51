"""Open (create, migrate, refuse) the local database and hand out units of work.

The one place that decides whether a file on disk may be used: it must be SQLite, not from a
newer version of the app, and is backed up before any migration (DESIGN.md §9 reliability).
It is encrypted with the data key (SQLCipher); a plaintext database from before encryption is
encrypted when it is opened (`store.encryption`), and the caller is told.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, exc, text

if TYPE_CHECKING:
    from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from referral_desk.domain.errors import DatabaseBusy, DatabaseError
from referral_desk.store import (  # noqa: F401 (trust: its tables)
    changelog,
    changelog_compaction,
    encryption,
    import_journal,
    soft_delete,
    trust,
)
from referral_desk.store.backups import backup_before_upgrade
from referral_desk.store.engine import (
    KeyHolder,
    connect_keyed,
    create_sqlite_engine,
    driver,
    for_writing,
    is_plaintext,
    make_private_dir,
    touch_private_file,
)
from referral_desk.store.erasure import REPAIR_KEY, erase_orphans
from referral_desk.store.keys import DataKey
from referral_desk.store.models import LocalSetting, SiteState
from referral_desk.store.soft_delete import SoftDeleteSession

DB_FILENAME = "referral-desk.sqlite3"
# The newest migration in db/versions. Opening an up-to-date database compares against this and
# never imports Alembic (a third of start-up time); a test keeps it equal to Alembic's head.
SCHEMA_HEAD = "0014"
# Copies made before upgrades that are kept: enough to step back a few versions, no more.
KEEP_BACKUPS = 3
# How long a checkpoint after an erasure may wait for another window's read to finish.
CHECKPOINT_WAIT_MS = 250


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


BUSY_MESSAGE = (
    "The database is busy: another Referral Desk window or command is saving. "
    "Nothing was saved; try again in a moment."
)
UPGRADE_FAILED = (
    "The database could not be upgraded to this version of Referral Desk; it was left as it was."
)
COPY_KEPT = " A copy made before the upgrade is in the backups folder."
KEY_MISMATCH = (
    "The database cannot be opened with this data folder's key: the key file belongs to "
    "another database, or the file is damaged or not a Referral Desk database. Nothing was "
    "changed."
)


def translate_db_error(err: BaseException) -> DatabaseError:
    """Turn SQLite's failures into messages an officer can act on (no data in them)."""
    orig = getattr(err, "orig", err)
    text = str(orig).lower()
    code = getattr(orig, "sqlite_errorcode", None)
    if "readonly" in text or "read-only" in text:
        return DatabaseError("The data folder is read-only: nothing was saved.")
    if "disk is full" in text or "database or disk is full" in text:
        return DatabaseError("The disk is full: nothing was saved. Free some space and retry.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError("The database file is damaged or is not a Referral Desk database.")
    # SQLITE_BUSY (another connection holds the lock past the busy timeout), SQLITE_LOCKED.
    if (code is not None and code & 0xFF in (5, 6)) or "locked" in text:
        return DatabaseBusy(BUSY_MESSAGE)
    return DatabaseError("The database could not be read or written; nothing was changed.")


class Database:
    """An open, up-to-date database. Create with `Database.open(data_dir)`."""

    def __init__(self, path: Path, engine: Engine, keys: KeyHolder) -> None:
        self.path = path
        self.engine = engine
        self.keys = keys
        # Set by `open` when a plaintext database was found and encrypted (the caller tells
        # the officer): how many plaintext backup copies were encrypted along with it.
        self.encrypted_from_plaintext: int | None = None
        # Writes begin IMMEDIATE (take the write lock first, waiting for it); reads do not.
        self._writer = for_writing(engine)
        self._sessions = sessionmaker(engine, class_=SoftDeleteSession, expire_on_commit=False)
        changelog.install(self._sessions)
        soft_delete.install(self._sessions)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        key: DataKey,
        backup_dir: Path | None = None,
        before_upgrade: Callable[[], None] | None = None,
    ) -> Database:
        """Open (creating, encrypting or upgrading) the database in `data_dir` with `key`.

        `before_upgrade` runs once an existing database is found to need the backup-and-upgrade,
        before it starts: a large database takes a while, and the window can say so first.
        The database keeps `key` (and wipes it when locked or closed).
        """
        try:
            make_private_dir(data_dir)
        except OSError as err:
            raise DatabaseError("The data folder cannot be created or is not writable.") from err
        path = data_dir / DB_FILENAME
        backups = backup_dir or data_dir / "backups"
        encrypted_backups = _encrypt_if_plaintext(path, key, backups)
        try:
            touch_private_file(path)
        except OSError as err:
            raise DatabaseError(
                "The data folder is read-only: cannot create the database."
            ) from err
        _check_key(path, key)
        keys = KeyHolder(key)
        engine = create_sqlite_engine(path, keys)
        try:
            _migrate_or_explain(engine, path, backups, key, before_upgrade)
            db = cls(path, engine, keys)
            db.encrypted_from_plaintext = encrypted_backups
            db._ensure_site()
            db._compact_log()
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
        """Close the pooled connections. The key is kept (as the engine is): a late timer of a
        closing window may still read, and must not fail; `lock` is what drops the key."""
        self.engine.dispose()

    @property
    def locked(self) -> bool:
        return self.keys.locked

    def lock(self) -> None:
        """Drop the key (wiped in place) and close every pooled connection; idempotent.

        Until `unlock`, every read or write raises `DataLocked`. A connection another thread
        has checked out finishes its transaction and is then discarded with the old pool.
        """
        self.keys.drop()
        self.engine.dispose()

    def unlock(self, key: DataKey) -> None:
        """Take the key back after checking it opens this database (`DatabaseError` if not)."""
        _check_key(self.path, key)
        self.keys.set(key)

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and empty it, now.

        Called after an erasure: until then the WAL still holds the pages as they were before
        the delete (the deleted text), and SQLite would keep them there until the last
        connection closes. With `secure_delete` on (every connection), the pages copied back
        hold zeros where the text was. Best effort: another window reading at that very moment
        keeps the log in use, and the next erasure's checkpoint, or closing the app, finishes
        the job. Returns whether the log was emptied.
        """
        try:
            raw = self.engine.raw_connection()
        except exc.DBAPIError:
            return False
        try:
            cur = raw.driver_connection.cursor()  # autocommit: no transaction may be open
            (timeout,) = cur.execute("PRAGMA busy_timeout").fetchone()
            try:
                # TRUNCATE waits for readers of older snapshots: briefly, never the 5 s a
                # write may wait, since this runs after the officer's action has succeeded.
                cur.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
                busy, _log, _done = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cur.execute(f"PRAGMA busy_timeout={int(timeout)}")
                cur.close()
            return busy == 0
        except driver.Error:
            return False
        finally:
            raw.close()

    def _ensure_site(self) -> None:
        """The site's identity, then any repair a migration left due (once)."""
        # Look first: every start (each CLI command) would otherwise queue for the write lock.
        with self.read() as session:
            if (
                session.get(SiteState, 1) is not None
                and session.get(LocalSetting, REPAIR_KEY) is None
            ):
                return
        repaired = False
        with self.write() as session:
            if session.get(SiteState, 1) is None:
                session.add(SiteState(key=1, site_id=str(uuid.uuid4()), next_seq=1, hlc=0))
                session.flush()
            due = session.get(LocalSetting, REPAIR_KEY)
            if due is not None:
                repaired = bool(erase_orphans(session, changelog.utcnow()))
                session.delete(due)
        if repaired:
            self.checkpoint()

    def _compact_log(self) -> None:
        """After migration 0014, once: stop keeping the values the rows hold, then vacuum
        (`store.changelog_compaction`). Short transactions; resumed if interrupted."""
        with self.read() as session:
            if not changelog_compaction.compaction_due(session):
                return
        after: tuple[int, int] | None = (0, 0)
        while after is not None:
            with self.write(reason="change log compaction") as session:
                after = changelog_compaction.compact_batch(session, after)
                if after is None:
                    changelog_compaction.finish(session)
        self.vacuum()

    def vacuum(self) -> bool:
        """Rewrite the file without its free pages when they are a large share of it (after
        the change log shrank). Best effort: another window reading keeps it from running,
        and nothing is lost by not doing it. Returns whether it ran."""
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            pages = cur.execute("PRAGMA page_count").fetchone()[0] or 0
            free = cur.execute("PRAGMA freelist_count").fetchone()[0] or 0
            if not pages or free / pages <= changelog_compaction.VACUUM_SHARE:
                return False
            cur.execute("VACUUM")
            cur.close()
            return True
        except driver.Error:
            return False
        finally:
            raw.close()

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
        """One transaction: commit on success, roll back everything on any error.

        The transaction begins IMMEDIATE, so the write lock is taken (waiting up to the busy
        timeout for another writer) before anything is read, and is never refused half-way.
        A wait that runs out raises `DatabaseBusy` with nothing changed.
        """
        session = self._sessions(bind=self._writer)
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


def _migrate_or_explain(
    engine: Engine,
    path: Path,
    backup_dir: Path,
    key: DataKey,
    before_upgrade: Callable[[], None] | None,
) -> None:
    """`migrate`, with the copy's own SQLite errors (busy, read-only…) explained too."""
    try:
        migrate(engine, path, backup_dir, key, before_upgrade)
    except driver.Error as err:
        raise translate_db_error(err) from err


def _encrypt_if_plaintext(path: Path, key: DataKey, backup_dir: Path) -> int | None:
    """Encrypt a plaintext database (and its plaintext backups) before anything else reads it.

    Returns None when there was nothing to do, else how many backup copies were encrypted.
    """
    try:
        encryption.finish_interrupted(path)
        if not is_plaintext(path):
            return None
        encryption.encrypt_file(path, key)
        return encryption.encrypt_backups(backup_dir, path.stem, key)
    except OSError as err:
        raise DatabaseError(
            "The database could not be encrypted (is the disk full or the folder read-only?). "
            "Nothing was lost."
        ) from err
    except driver.Error as err:
        raise translate_db_error(err) from err


def _opens_with(path: Path, key: DataKey) -> bool:
    try:
        connect_keyed(path, key).close()
    except driver.DatabaseError as err:
        if "not a database" in str(err).lower():
            return False
        raise translate_db_error(err) from err
    return True


def _check_key(path: Path, key: DataKey) -> None:
    try:
        ok = _opens_with(path, key)
    except driver.Error as err:
        raise translate_db_error(err) from err
    if not ok:
        raise DatabaseError(KEY_MISMATCH)


def migrate(
    engine: Engine,
    path: Path,
    backup_dir: Path,
    key: DataKey,
    before_upgrade: Callable[[], None] | None = None,
) -> str | None:
    """Bring the database to head. Returns the name of the pre-upgrade copy when one is needed.

    The copy is made (or an identical earlier one reused) and old copies are pruned before the
    upgrade starts, so a failing upgrade neither multiplies copies nor leaves too many.
    """
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
        try:
            backup = backup_before_upgrade(path, backup_dir, current, key=key, keep=KEEP_BACKUPS)
        except OSError as err:
            raise DatabaseError(
                "The copy made before upgrading could not be written (is the disk full?); "
                "nothing was changed."
            ) from err
    try:
        # IMMEDIATE: a second window starting at the same moment waits, then has nothing to do.
        with for_writing(engine).begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except (DatabaseError, exc.DBAPIError):
        raise
    except Exception as err:  # a migration step failed: its transaction was rolled back
        raise DatabaseError(UPGRADE_FAILED + (COPY_KEPT if backup else "")) from err
    return backup
