"""Engine, sessions and schema for SQLite (one machine) and PostgreSQL (scale-out).

SQLite runs in WAL mode; a write transaction starts with BEGIN IMMEDIATE, so two writers queue for the
lock up front instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Protocol

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session, SQLModel

import bot.maker_changes  # noqa: F401 - every session notes the makers it changes (see there)
from bot import texts

_WRITE = "makerlink_write"


class SchemaOutOfDate(Exception):
    """The database needs `makerlink db upgrade` before this command can run."""


def normalize_url(url: str) -> str:
    """Pick the drivers we ship: psycopg 3 for PostgreSQL."""
    url = url.strip()
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    parsed: URL = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # hide_parameters: a database error's message would otherwise carry phone numbers and texts into logs.
        return sa.create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True)

    memory = parsed.database in (None, "", ":memory:")
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=sa.pool.StaticPool if memory else None,
        hide_parameters=True,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Database:
    """One database: sessions for reading and for writing, and its schema version."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def core_transaction(self) -> Iterator[sa.Connection]:
        """A write transaction on a bare connection, for Core statements on a hot path (the outbox's claims and
        records), where an ORM session's own bookkeeping would cost more than the statements."""
        with self._write_engine.begin() as connection:
            yield connection

    # ── schema ──

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(resources.files("bot") / "migrations"))
        config.attributes["engine"] = self._write_engine
        return config

    def upgrade(self) -> str:
        """Bring the schema to the newest revision; return it."""
        command.upgrade(self._alembic_config(), "head")
        return self.current_revision() or ""

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def ensure_schema(self) -> None:
        """A fresh SQLite file is brought up to date on the spot; PostgreSQL is upgraded deliberately."""
        if self.current_revision() == self.head_revision():
            return
        if self.is_sqlite:
            self.upgrade()
            return
        raise SchemaOutOfDate(texts.SCHEMA_OUT_OF_DATE.format(url=safe_url(self.url)))

    def dispose(self) -> None:
        self.engine.dispose()


def dialect_name(executor: Session | sa.Connection) -> str:
    """"postgresql" or "sqlite": what a session or a connection talks to."""
    bind = executor if isinstance(executor, sa.Connection) else executor.get_bind()
    return bind.dialect.name


def insert_skipping_conflicts(session: Session | sa.Connection, table: sa.Table, *unique: str):
    """INSERT … ON CONFLICT (unique columns) DO NOTHING, in the dialect the session (or connection) is bound to.

    Add `.values(…)` (or execute it with a list of rows) and `.returning(…)` as needed.
    """
    dialect_insert = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(unique))


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table a model class maps to, for Core statements; SQLModel does not declare `__table__` for mypy."""
    table = model.__table__  # type: ignore[attr-defined]  # set on every table=True class by SQLAlchemy's mapping
    assert isinstance(table, sa.Table)
    return table


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Stored) -> int:
    """The id of a row that is in the database (loaded, or added and flushed): only a new row has none yet."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id until it is flushed")
    return row.id
