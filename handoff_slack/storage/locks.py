"""Locks that hold across app replicas sharing one database.

On PostgreSQL a session-level advisory lock (two keys: a namespace and an ID) serialises work on
one conversation whichever replica does it. SQLite serves one process, whose in-process locks
already suffice, so there the lock is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from handoff_slack.storage.database import Database

# Namespaces for the first key of pg_advisory_lock(int, int).
OUTBOX_FLUSH = 1
TICKET_MESSAGE = 2  # posting or updating a ticket's support-channel message
SCHEDULER_LEADER = 3  # the scheduler's leader (storage/leader_lock.py), held for as long as it leads

_LOCK = "SELECT pg_advisory_lock(%s, %s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"


@contextmanager
def replica_lock(db: Database, namespace: int, key: int) -> Iterator[None]:
    if db.backend != "postgresql":
        yield
        return
    # The lock is the connection's (session-level), and the work under it runs its transactions on
    # that same connection: one checkout per flush instead of one per transaction. Lock and unlock
    # run outside a transaction: no BEGIN and COMMIT round trips around them.
    with db.pinned_connection():
        with db.autocommit() as connection:
            connection.exec_driver_sql(_LOCK, (namespace, key))
        try:
            yield
        finally:
            with db.autocommit() as connection:
                connection.exec_driver_sql(_UNLOCK, (namespace, key))
