"""The scheduler leader's lock: a PostgreSQL session-level advisory lock on a connection of its own.

The lock is the connection's: it is freed when that connection ends, however it ends. A process
that exits or is killed closes its socket, and the server frees the lock at once. A machine that
vanishes (power, network) closes nothing: for that the connection asks the server to probe it
(TCP keep-alives and a user timeout, set on the server's side of the socket with SET) so the
server ends the session, and frees the lock, within `DEAD_AFTER_SECONDS`; the same options on our
side make the leader notice a dead connection within that time too.

The connection is not the pool's: a pooled connection is returned, reused and replaced, and the
lock would go with it. The lock's second key is the schema's hash, so apps on one database in
separate schemas (as the tests run) each have their own leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from handoff_slack.storage.locks import SCHEDULER_LEADER

logger = logging.getLogger(__name__)

KEEPALIVE_IDLE_SECONDS = 2  # a silent connection is probed after this long
KEEPALIVE_INTERVAL_SECONDS = 1  # then once a second
KEEPALIVE_PROBES = 3  # and given up after this many unanswered probes
# Also the longest data sent may stay unacknowledged (tcp_user_timeout) before the socket is given up.
DEAD_AFTER_SECONDS = KEEPALIVE_IDLE_SECONDS + KEEPALIVE_INTERVAL_SECONDS * KEEPALIVE_PROBES
CONNECT_TIMEOUT_SECONDS = 2

_TAKE = "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))"
_CHECK = "SELECT 1"
# The server's side of the socket (settable per session by any user).
_SERVER_KEEPALIVES = (
    f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE_SECONDS}",
    f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_SECONDS}",
    f"SET tcp_keepalives_count = {KEEPALIVE_PROBES}",
    f"SET tcp_user_timeout = {DEAD_AFTER_SECONDS * 1000}",
)


class LeaderLock:
    """Take, check and give up the leader's lock; every database failure reads as "not held"."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        # Our side of the socket: libpq's keep-alive and user-timeout options (psycopg passes them on).
        connect_args: dict[str, object] = {
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
            "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
            "keepalives_count": KEEPALIVE_PROBES,
            "tcp_user_timeout": DEAD_AFTER_SECONDS * 1000,
        }
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        self._engine = create_engine(url, poolclass=NullPool, connect_args=connect_args, hide_parameters=True)
        self._connection: Connection | None = None  # kept by the others too: each try is one round trip
        self._held = False
        self._using = threading.Lock()  # one statement at a time on the one connection

    def try_take(self) -> bool:
        """True when this process holds the lock now (taken now, or still held)."""
        with self._using:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._held = bool(self._connection.exec_driver_sql(_TAKE, (SCHEDULER_LEADER,)).scalar())
                return self._held
            except SQLAlchemyError as error:
                self._drop(error)
                return False

    def still_held(self) -> bool:
        """One round trip on the lock's connection: the lock lives exactly as long as it answers."""
        with self._using:
            if self._connection is None or not self._held:
                return False
            try:
                self._connection.exec_driver_sql(_CHECK)
                return True
            except SQLAlchemyError as error:
                self._drop(error)
                return False

    def release(self) -> None:
        """Close the connection, which frees the lock at once (another replica takes over)."""
        with self._using:
            self._drop(None)
        self._engine.dispose()

    def backend_pid(self) -> int | None:
        """The server process serving the lock's connection (for diagnostics and tests)."""
        with self._using:
            if self._connection is None:
                return None
            pid = self._connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            return int(pid)

    def server_socket_settings(self) -> dict[str, str]:
        """The server's keep-alive settings for the lock's session, as it reports them (diagnostics)."""
        names = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout")
        with self._using:
            if self._connection is None:
                return {}
            query = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
            row = self._connection.exec_driver_sql(query).one()
            return dict(zip(names, (str(value) for value in row), strict=True))

    def _connect(self) -> Connection:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for statement in _SERVER_KEEPALIVES:
                connection.exec_driver_sql(statement)
        except DBAPIError as error:
            if error.connection_invalidated:
                raise
            # A server older than PostgreSQL 12 has no tcp_user_timeout: it still leads, slower to notice a vanished
            # machine (its operating system's keep-alive settings apply).
            logger.warning("scheduler leader lock: the server refused %s", type(error.orig).__name__)
        return connection

    def _drop(self, error: SQLAlchemyError | None) -> None:
        if error is not None:
            logger.debug("scheduler leader lock: %s", type(error).__name__)
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # already gone: closing only frees the socket
                self._connection.close()
            self._connection = None
        self._held = False
