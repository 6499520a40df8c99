"""Locks that hold across app replicas sharing one database.

On PostgreSQL a session-level advisory lock (two keys: a namespace and an ID) serialises work on
one conversation whichever replica does it. SQLite serves one process, whose in-process locks
already suffice, so there the lock is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from handoff_slack.storage.database import Database

# Namespaces for the first key of pg_advisory_lock(int, int).
OUTBOX_FLUSH = 1
TICKET_MESSAGE = 2  # posting or updating a ticket's support-channel message

_LOCK = "SELECT pg_advisory_lock(%s, %s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"


@contextmanager
def replica_lock(db: Database, namespace: int, key: int) -> Iterator[None]:
    if db.backend != "postgresql":
        yield
        return
    # The lock is the connection's (session-level), and the work under it runs its transactions on
    # that same connection: one checkout per flush instead of one per transaction.
    with db.pinned_connection() as connection:
        _autocommit(connection, _LOCK, namespace, key)
        try:
            yield
        finally:
            _autocommit(connection, _UNLOCK, namespace, key)


def _autocommit(connection: Connection, statement: str, *parameters: int) -> None:
    """One statement outside a transaction: no BEGIN and COMMIT round trips around it.

    On the driver's connection (psycopg), which is between transactions here: SQLAlchemy's
    `isolation_level` option would reset the connection's characteristics on every switch.
    """
    driver_connection = connection.connection.dbapi_connection
    driver_connection.autocommit = True  # type: ignore[union-attr]
    try:
        driver_connection.execute(statement, parameters)  # type: ignore[union-attr]
    finally:
        driver_connection.autocommit = False  # type: ignore[union-attr]
