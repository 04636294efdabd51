"""Reach the hub: a libpq connection URI to an SQLAlchemy engine (psycopg 3), safely.

`--url` takes what libpq takes (`postgresql://user@host:port/db`, or
`postgresql:///db?host=/socket/dir&port=5433`), handed to psycopg unchanged, so every form a
region's IT documents works (password files, `sslmode`, service files). Messages never repeat
the URI (it may hold a password) and say which of "cannot reach", "refused the login", "not set
up" applies, because that decides who the officer calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, exc, inspect, text

from referral_desk.hub.errors import HubError, HubUnavailable, NotSetUp
from referral_desk.hub.schema import HUB_HEAD, VERSION_TABLE

__all__ = ["HubDatabase", "check_url"]

_SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT = 10


def check_url(url: str | None) -> str:
    text_url = (url or "").strip()
    if not text_url:
        raise HubError("Give the hub's address with --url postgresql://user@host:port/db")
    if not text_url.startswith(_SCHEMES) or any(ch in text_url for ch in "\r\n\t"):
        raise HubError("The hub address must be a postgresql:// connection URI")
    return text_url


def translate(err: BaseException) -> HubError:
    """A driver error as one line (never the URI, the user name or the server's own words)."""
    message = str(getattr(err, "orig", err)).lower()
    if (
        "password" in message
        or "authentication" in message
        or ("role" in message and ("does not exist" in message))
    ):
        return HubUnavailable("The hub refused the login: check the user name and password.")
    if "permission denied" in message or "must be owner" in message:
        return HubError("The hub login is not allowed to do this (ask the hub's administrator).")
    if "database" in message and "does not exist" in message:
        return HubUnavailable("The hub database named in the address does not exist.")
    if isinstance(err, exc.OperationalError | exc.InterfaceError) or "connect" in message:
        return HubUnavailable("The hub cannot be reached: check the address and that it is up.")
    return HubError("The hub could not complete the request; nothing was changed.")


class HubDatabase:
    """An engine on the hub; `check()` refuses a database without the hub's current schema."""

    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        import psycopg

        def connect() -> Any:
            return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT)

        self.engine: Engine = create_engine(
            "postgresql+psycopg://", creator=connect, pool_pre_ping=False
        )

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except HubError:
            raise
        except exc.SQLAlchemyError as err:
            raise translate(err) from err
        except Exception as err:  # psycopg raises its own errors from connect()
            if type(err).__module__.startswith("psycopg"):
                raise translate(err) from err
            raise

    def revision(self, conn: Connection) -> str | None:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()

    def check(self, conn: Connection) -> None:
        current = self.revision(conn)
        if current is None:
            raise NotSetUp("The hub database is not set up: run referral-desk hub init --url …")
        if current != HUB_HEAD:
            known = _known_revisions()
            if current in known:
                raise NotSetUp("The hub database is older than this version: run hub init.")
            raise NotSetUp("The hub database is newer than this version of Referral Desk.")

    def upgrade(self) -> str:
        """Create or upgrade the hub schema (the administrator's login). Returns the revision."""
        from alembic import command
        from alembic.config import Config

        with self.connect() as conn:
            current = self.revision(conn)
            if current is not None and current not in _known_revisions():
                raise NotSetUp("The hub database is newer than this version of Referral Desk.")
            cfg = Config()
            cfg.set_main_option("script_location", str(migrations_path()))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return HUB_HEAD


def migrations_path() -> Path:
    return Path(str(resources.files("referral_desk.hub.migrations")))


def _known_revisions() -> set[str]:
    folder = migrations_path() / "versions"
    return {p.stem.split("_", 1)[0] for p in folder.glob("h*.py")}
