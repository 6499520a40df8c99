"""Locks that hold across app replicas sharing one database.

On PostgreSQL a session-level advisory lock (two keys: a namespace and an ID) serialises work on
one conversation whichever replica does it. SQLite serves one process, whose in-process locks
already suffice, so there the lock is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from handoff_slack.storage.database import Database

# Namespaces for the first key of pg_advisory_lock(int, int).
OUTBOX_FLUSH = 1


@contextmanager
def replica_lock(db: Database, namespace: int, key: int) -> Iterator[None]:
    if db.backend != "postgresql":
        yield
        return
    # Autocommit: the lock is the session's, no transaction (and no COMMIT round trips) around it.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:namespace, :key)"), {"namespace": namespace, "key": key})
        try:
            yield
        finally:
            connection.execute(
                text("SELECT pg_advisory_unlock(:namespace, :key)"), {"namespace": namespace, "key": key}
            )
