"""The engine, transactions, and bringing the schema to the newest Alembic revision."""

from __future__ import annotations

import functools
import select
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, create_engine

from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.storage.statement_bounds import bound_statements, statements_bounded

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_AUTOCOMMIT = "handoff_autocommit"  # a Connection execution option: see Database.autocommit
# A pooled PostgreSQL connection idle longer than this is pinged before use (see _check_on_checkout).
PING_AFTER_IDLE_SECONDS = 30.0
# SQLAlchemy's errors for a database that did not answer (as opposed to a refused statement, such
# as a broken constraint): the core's callers see them as StorageUnavailable.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, DisconnectionError)


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, _UNAVAILABLE):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@contextmanager
def _reported_as_unavailable() -> Iterator[None]:
    """SQLAlchemy's connection failures, raised as the core's StorageUnavailable (the original chained)."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as error:
        if not _unavailable(error):
            raise
        cause = error.orig if isinstance(error, DBAPIError) else error
        raise StorageUnavailable(f"the database did not answer ({type(cause).__name__})") from error


_CONNECT_DEFAULTS: dict[str, int] = {"connect_timeout": 2, "tcp_user_timeout": 2000}


def create_database_engine(url: str, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            # Connections are used from the HTTP threads, the lazy listeners and the scheduler.
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if parsed.database in (None, "", ":memory:") else None,
            hide_parameters=True,
        )
        _make_sqlite_transactions_immediate(engine)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # An unreachable or silent database must fail a request well inside Slack's 3 seconds, so
        # that Slack retries it later, instead of holding the ack.
        pool_timeout=2,
        # The same bound for connecting, unless the URL sets its own (`?connect_timeout=5`): an
        # operator whose database takes longer to accept a connection under load can say so.
        connect_args={name: value for name, value in _CONNECT_DEFAULTS.items() if name not in parsed.query},
        hide_parameters=True,  # statement parameters are message bodies: keep them out of errors
    )
    _check_on_checkout(engine)
    return engine


def _check_on_checkout(engine: Engine) -> None:
    """Replace a pooled connection the server has closed before it is used: a restarted database
    costs one reconnect, not a failed request.

    SQLAlchemy's `pool_pre_ping` asks the server on every checkout: a round trip per unit of work.
    A connection the server closed (a restart, an idle timeout, a proxy cutting it) is readable
    while idle (its end of file or the server's goodbye), which the socket tells without asking;
    only a connection idle long enough for a silent drop on the way (a NAT or load balancer
    forgetting it) is pinged. Raising DisconnectionError makes the pool connect afresh.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # new: just connected
            return
        if time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise DisconnectionError("the pooled connection did not answer") from error
            return
        # Between transactions the server has nothing to say: anything readable means it has gone.
        readable, _, _ = select.select([dbapi_connection.pgconn.socket], [], [], 0)
        if readable:
            raise DisconnectionError("the server closed the pooled connection")


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    """Take SQLite's write lock when a transaction begins.

    pysqlite's deferred transactions upgrade a read lock to a write lock mid-transaction, which fails
    at once with "database is locked" when another writer got there first (the busy timeout does
    not apply). Beginning IMMEDIATE makes concurrent writers queue on the busy timeout instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(_AUTOCOMMIT):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class InsertIfAbsent:
    """INSERT … ON CONFLICT DO NOTHING RETURNING the key, for SQLite and PostgreSQL.

    Built once per table: the hot paths (event dedupe, a relayed message) run it per event, and
    building a statement costs more CPU than SQLite takes to run it.
    """

    def __init__(self, model: type[SQLModel]) -> None:
        table = model.__table__  # type: ignore[attr-defined]
        self._statements = {
            dialect: insert(table)
            .on_conflict_do_nothing()
            # Not `.rowcount`: with psycopg it is -1 whether a row was inserted or not (so always truthy).
            .returning(*table.primary_key.columns)
            for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
        }

    def __call__(self, session: Session, values: dict[str, Any]) -> Any | None:
        """The new row's key, or None when a row with the same unique key was there."""
        statement = self._statements[session.get_bind().dialect.name]
        return session.execute(statement, values).scalar()


class Database:
    """Owns the engine and hands out one session per unit of work."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_database_engine(url, pool_size=pool_size)
        # SQLite has one writer at a time, and every transaction here begins IMMEDIATE. Waiting
        # for SQLite's lock means its busy handler, which sleeps (up to 100 ms a time) and polls;
        # waiting on a lock in this process hands over the moment the holder commits.
        self._writer = threading.RLock() if self.backend == "sqlite" else None
        self._pinned = threading.local()  # .connection: this thread's transactions run on it
        if self.backend == "postgresql":
            bound_statements(self.engine)  # for work that runs inside `statements_bounded`

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error.

        A database that does not answer raises core.errors.StorageUnavailable.
        """
        bind = getattr(self._pinned, "connection", None) or self.engine
        with (
            _reported_as_unavailable(),
            self._writer or nullcontext(),
            Session(bind, expire_on_commit=False) as session,
        ):
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def autocommit(self, writes: bool = False) -> Iterator[Connection]:
        """A connection whose statements each commit on their own, with no BEGIN and COMMIT around them.

        For a unit of work that is one write (`writes`), or reads that need no common snapshot: on
        PostgreSQL that is two round trips fewer than `transaction`, and on SQLite a read takes no
        write lock (WAL readers don't wait for the writer). A database that does not answer raises
        core.errors.StorageUnavailable.
        """
        pinned = getattr(self._pinned, "connection", None)
        with (
            _reported_as_unavailable(),
            self._writer if writes and self._writer else nullcontext(),
            nullcontext(pinned) if pinned is not None else self.engine.connect() as connection,
        ):
            sqlite = self.backend == "sqlite"
            # On PostgreSQL the driver's own switch: SQLAlchemy's isolation_level option resets
            # the connection's characteristics each time it changes. Flipping it sends nothing.
            driver_connection: Any = connection.connection.dbapi_connection
            if sqlite:
                connection.execution_options(**{_AUTOCOMMIT: True})  # pysqlite runs without BEGIN already
            else:
                driver_connection.autocommit = True
            try:
                yield connection
            finally:
                connection.rollback()  # ends SQLAlchemy's record of a transaction; nothing is sent
                if sqlite:
                    connection.execution_options(**{_AUTOCOMMIT: False})  # a pinned connection lives on
                elif not driver_connection.closed:
                    driver_connection.autocommit = False

    def statements_bounded(self, seconds: float, report: str | None = None) -> AbstractContextManager[None]:
        """This thread's statements in the block each wait at most `seconds` for their answer, else
        their connection is cut and they fail as StorageUnavailable (storage/statement_bounds.py);
        `report` is the warning logged then (given the seconds). On SQLite, whose statements wait
        for nothing but its busy timeout, nothing changes."""
        return statements_bounded(seconds, report) if self.backend == "postgresql" else nullcontext()

    @contextmanager
    def pinned_connection(self) -> Iterator[Connection]:
        """One pooled connection for all of this thread's transactions until the block ends.

        For work that holds a session-level lock on a connection anyway (see storage.locks): its
        transactions then need no checkout (and liveness ping) of their own. A nested block pins
        its own connection until it ends.
        """
        outer = getattr(self._pinned, "connection", None)
        with self.engine.connect() as connection:
            self._pinned.connection = connection
            try:
                yield connection
            finally:
                self._pinned.connection = outer

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or migrated; the message is safe to show (no password)."""


@functools.cache
def head_revision() -> str | None:
    """The newest revision (read once per process: Alembic loads every revision file to know it)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_database_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (idempotent; safe with several replicas starting)."""
    from alembic import command
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    try:
        # The usual start: already at head, which one query tells (Alembic's upgrade would load and
        # compile every revision file and run its environment first, 30-80 ms per start).
        if _current_revision(url) == head_revision():
            return
        command.upgrade(alembic_config(url), "head")
    except SQLAlchemyError as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        where = make_url(url).render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"cannot migrate the database {where}: {type(cause).__name__}") from None
