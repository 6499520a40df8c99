"""The scheduler leader's lock: a PostgreSQL session-level advisory lock on a connection of its own.

The lock is the connection's: it is freed when that connection ends, however it ends. A process
that exits or is killed closes its socket, and the server frees the lock at once. A machine that
vanishes (power, network) closes nothing: for that the connection asks the server to probe it
(TCP keep-alives and a user timeout, set on the server's side of the socket with SET) so the
server ends the session, and frees the lock, within `DEAD_AFTER_SECONDS`; the same options on our
side make the leader notice a dead connection within that time too.

A database that hangs instead (it, or the path to it, stops answering while its end of the socket
still acknowledges what is sent) is bounded twice, from both ends, by the replicas' check interval
C (`HANDOFF_LEADER_CHECK_SECONDS`). The leader's side: every statement on the lock's connection
must answer within C (`answer_within_seconds`; client-side, storage/statement_bounds.py, and the
session's `statement_timeout` for a server that runs but is slow), or the connection is cut and
the lock counts as lost. The server's side: the session's `idle_session_timeout` ends a lock
session that has sent nothing for 3 C (`server_frees_after_seconds`), which frees the lock; a
replica checks at least every C, and a leader gives up within 2 C of its last answer (its next
check within C, waiting at most C), so the server frees the lock only after the leader has given
it up. A server older than PostgreSQL 14 has no `idle_session_timeout`: there a hung leader still
gives up its lead, but its lock is freed only when its connection ends.

The connection is not the pool's: a pooled connection is returned, reused and replaced, and the
lock would go with it. The lock's second key is the schema's hash, so apps on one database in
separate schemas (as the tests run) each have their own leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from handoff_slack.storage.locks import SCHEDULER_LEADER
from handoff_slack.storage.statement_bounds import bound_statements

logger = logging.getLogger(__name__)

KEEPALIVE_IDLE_SECONDS = 2  # a silent connection is probed after this long
KEEPALIVE_INTERVAL_SECONDS = 1  # then once a second
KEEPALIVE_PROBES = 3  # and given up after this many unanswered probes
# Also the longest data sent may stay unacknowledged (tcp_user_timeout) before the socket is given up.
DEAD_AFTER_SECONDS = KEEPALIVE_IDLE_SECONDS + KEEPALIVE_INTERVAL_SECONDS * KEEPALIVE_PROBES
CONNECT_TIMEOUT_SECONDS = 2
DEFAULT_CHECK_SECONDS = 5  # HANDOFF_LEADER_CHECK_SECONDS' default
SERVER_FREES_AFTER_CHECKS = 3  # a lock session silent this many check intervals is ended by the server
ENDED = "its database connection ended"

_TAKE = "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))"
_CHECK = "SELECT 1"


def answer_within_seconds(check_seconds: int) -> int:
    """How long a statement on the lock's connection may wait for its answer: one check interval."""
    return check_seconds


def server_frees_after_seconds(check_seconds: int) -> int:
    """How long the lock's session may send nothing before the server ends it (freeing the lock)."""
    return SERVER_FREES_AFTER_CHECKS * check_seconds


def _session_settings(check_seconds: int) -> dict[str, int]:
    """The lock session's settings (each settable per session by any user): the server's side of
    the socket, then the bounds on a hung database (see the module's docstring)."""
    return {
        "tcp_keepalives_idle": KEEPALIVE_IDLE_SECONDS,
        "tcp_keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
        "tcp_keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": DEAD_AFTER_SECONDS * 1000,
        "statement_timeout": answer_within_seconds(check_seconds) * 1000,
        "idle_session_timeout": server_frees_after_seconds(check_seconds) * 1000,
    }


class LeaderLock:
    """Take, check and give up the leader's lock; every database failure reads as "not held"."""

    def __init__(self, database_url: str, check_seconds: int = DEFAULT_CHECK_SECONDS) -> None:
        self.answer_within = answer_within_seconds(check_seconds)
        self._settings = _session_settings(check_seconds)
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
        bound_statements(self._engine, self.answer_within)  # a hung database is given up, not waited on
        self.lost_because = ENDED  # why `still_held` last said no (for the leader's log line)
        self._connection: Connection | None = None  # kept by the others too: each try is one round trip
        self._held = False
        self._using = threading.Lock()  # one statement at a time on the one connection

    def try_take(self) -> bool:
        """True when this process holds the lock now (taken now, or still held)."""
        with self._using:
            started = time.monotonic()
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._held = bool(self._connection.exec_driver_sql(_TAKE, (SCHEDULER_LEADER,)).scalar())
                return self._held
            except SQLAlchemyError as error:
                self._drop(error, started)
                return False

    def still_held(self) -> bool:
        """One round trip on the lock's connection: the lock lives exactly as long as it answers."""
        with self._using:
            if self._connection is None or not self._held:
                return False
            started = time.monotonic()
            try:
                self._connection.exec_driver_sql(_CHECK)
                return True
            except SQLAlchemyError as error:
                self._drop(error, started)
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

    def session_settings(self) -> dict[str, str]:
        """The lock session's keep-alive and timeout settings, as the server reports them (diagnostics)."""
        names = tuple(self._settings)
        with self._using:
            if self._connection is None:
                return {}
            query = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
            row = self._connection.exec_driver_sql(query).one()
            return dict(zip(names, (str(value) for value in row), strict=True))

    def _connect(self) -> Connection:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        for name, value in self._settings.items():
            try:
                connection.exec_driver_sql(f"SET {name} = {value}")
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise
                # An older server lacks one (tcp_user_timeout before PostgreSQL 12, idle_session_timeout before
                # 14): it still leads, slower to free the lock of a vanished machine or a hung leader.
                logger.warning("scheduler leader lock: the server refused %s (%s)", name, type(error.orig).__name__)
        return connection

    def _drop(self, error: SQLAlchemyError | None, started: float | None = None) -> None:
        if error is not None:
            logger.debug("scheduler leader lock: %s", type(error).__name__)
        if started is not None:  # cut by its bound, or ended by the server or the network
            waited = time.monotonic() - started
            hung = waited >= self.answer_within
            self.lost_because = f"its database did not answer within {self.answer_within} s" if hung else ENDED
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # already gone: closing only frees the socket
                self._connection.close()
            self._connection = None
        self._held = False
