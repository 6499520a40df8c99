"""Bounds on how long a PostgreSQL statement waits for its answer, kept by the client: a statement
still unanswered at its deadline has its connection cut.

Why on the client: a database that stops answering without closing anything (a hung server or
proxy, a network path that swallows traffic while the far end still acknowledges it) never runs the
server's own `statement_timeout`, and TCP keep-alives and the TCP user timeout are satisfied all
the same, so the statement would wait forever. Cutting the socket (a shutdown, as a network cut
does) makes libpq see the connection end at once: the statement fails as a lost connection
(psycopg's OperationalError, which SQLAlchemy takes as a disconnect: the pool connects afresh).

The watchdog thread never closes a connection, which stays its owner's: it only shuts the socket
down, through a duplicate of its descriptor that the owner's thread takes as the statement starts
(so a descriptor number closed and reused meanwhile is never touched), and only while psycopg still
reports a command in progress. A statement counts from SQLAlchemy's events before it is sent
(cursor execution, commit, rollback, the pool's reset) until its answer (after execution, an error,
the connection's return to the pool); one thread runs one statement at a time.

Bounds apply per engine (`bound_statements(engine, seconds)`: every statement, as on the scheduler
leader's lock connection) or per thread (`statements_bounded(seconds)` around work, as the leader's
timers, on an engine watched with `bound_statements(engine)`). Threads outside a bounded block pay
one thread-local look-up per statement.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bound:
    seconds: float
    report: str | None = None  # logged (a warning) when a statement is cut: what the bound is for


@dataclass
class _Watch:
    deadline: float
    connection: Any  # psycopg's Connection
    duplicate: int  # our own descriptor of its socket
    bound: Bound


class _Watchdog:
    """One thread per process, waking at the earliest deadline of the statements in flight."""

    def __init__(self) -> None:
        self.forked()

    def forked(self) -> None:
        """Afresh, as in a forked child (gunicorn's workers): no watchdog thread runs there yet."""
        self._changed = threading.Condition()
        self._watches: dict[int, _Watch] = {}  # by thread
        self._thread: threading.Thread | None = None

    def arm(self, connection: Any, bound: Bound) -> None:
        try:
            duplicate = os.dup(connection.fileno())
        except Exception:  # closed already: the statement fails at once by itself
            return
        watch = _Watch(time.monotonic() + bound.seconds, connection, duplicate, bound)
        with self._changed:
            previous = self._watches.pop(threading.get_ident(), None)
            self._watches[threading.get_ident()] = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="statement-watchdog", daemon=True)
                self._thread.start()
            self._changed.notify()
        if previous is not None:
            os.close(previous.duplicate)

    def disarm(self, connection: Any = None) -> None:
        """This thread's statement answered (on `connection`, when given)."""
        with self._changed:
            watch = self._watches.get(threading.get_ident())
            if watch is None or (connection is not None and watch.connection is not connection):
                return
            del self._watches[threading.get_ident()]
        os.close(watch.duplicate)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [ident for ident, watch in self._watches.items() if watch.deadline <= now]
                expired = [self._watches.pop(ident) for ident in due]
                if not expired:
                    earliest = min((watch.deadline for watch in self._watches.values()), default=None)
                    self._changed.wait(None if earliest is None else earliest - now)
                    continue
            for watch in expired:
                self._expire(watch)

    @staticmethod
    def _expire(watch: _Watch) -> None:
        with socket.socket(fileno=watch.duplicate) as duplicate:  # closing it closes only our descriptor
            if not _in_progress(watch.connection):  # answered, its end not seen by an event (a commit)
                return
            with contextlib.suppress(OSError):
                duplicate.shutdown(socket.SHUT_RDWR)
        if watch.bound.report:
            logger.warning(watch.bound.report, watch.bound.seconds)


def _in_progress(connection: Any) -> bool:
    try:
        return bool(connection.info.transaction_status == TransactionStatus.ACTIVE)
    except Exception:  # closed meanwhile: nothing is waiting on it
        return False


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.forked)
_thread = threading.local()  # .bound: the bound of this thread's statements (statements_bounded)


def bound_statements(engine: Engine, seconds: float | None = None, report: str | None = None) -> None:
    """Bound the statements on `engine`'s connections: every one to `seconds`, or with None, those
    run inside `statements_bounded` to its bound. `report`: a warning's format (given the seconds)
    for an engine-wide bound's cut; None logs nothing (the caller says what it means)."""
    engine_bound = None if seconds is None else Bound(seconds, report)

    def bound_now() -> Bound | None:
        return engine_bound or getattr(_thread, "bound", None)

    def sent(dbapi_connection: Any) -> None:
        bound = bound_now()
        if bound is not None and dbapi_connection is not None:
            _WATCHDOG.arm(dbapi_connection, bound)

    def sent_on(conn: Any) -> None:
        # Not through an invalidated Connection: asking for its DBAPI connection would reconnect.
        if bound_now() is not None and not (conn.invalidated or conn.closed):
            sent(conn.connection.dbapi_connection)

    def answered(dbapi_connection: Any = None) -> None:
        if bound_now() is not None:
            _WATCHDOG.disarm(dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _statement: Any, _parameters: Any, _context: Any, _many: Any) -> None:
        sent_on(conn)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, _statement: Any, _parameters: Any, _context: Any, _many: Any) -> None:
        answered()

    @event.listens_for(engine, "handle_error")
    def _failed(_context: Any) -> None:
        answered()

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        sent_on(conn)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        sent_on(conn)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        sent(dbapi_connection)

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, _record: Any) -> None:
        answered(dbapi_connection)  # None once invalidated: then whatever this thread watched


@contextmanager
def statements_bounded(seconds: float, report: str | None = None) -> Iterator[None]:
    """This thread's statements in the block, on engines watched by `bound_statements(engine)`,
    wait at most `seconds` each for their answer. `report`: a warning's format (given the seconds)
    logged when one is cut."""
    outer = getattr(_thread, "bound", None)
    _thread.bound = Bound(seconds, report)
    try:
        yield
    finally:
        _WATCHDOG.disarm()  # a commit's watch, whose end no event marks
        _thread.bound = outer
