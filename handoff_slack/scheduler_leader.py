"""One scheduler leader across replicas: the process that runs the timers.

Timers are derived from the database, never kept in memory: **a timer is a row and a due time,
and the leader's job fires what is due** (a pending proposal's `expires_at`, a pending transfer
offer's `created_at` + `transfers.offer_timeout_seconds`, a pending routing offer's `expires_at`, a processed
event's `received_at` + the retention). Each job reads what is due by the app's clock
(`services.clock`), and fires it with a conditional UPDATE that moves the row out of the due state
(of two runs, one wins); notices for a conversation are stored with it, for the durable outbox to
deliver (issue 19's timed messages must go that way too). So a restart neither loses
nor doubles a timer: one that came due while no app was running is simply due at the first run
after start-up, which is at once. Reminders, SLA steps, waiting timeouts, idle close and CSAT
(issue 19) follow the same rule: a column saying when, a job on the leader firing what is due.

On PostgreSQL one process leads: it holds a session-level advisory lock (storage/leader_lock.py)
on a connection of its own. Every replica checks every `HANDOFF_LEADER_CHECK_SECONDS`: the leader
that its connection still answers, the others whether the lock is free, and takes it if so. A
dead leader's lock is freed by the server when its connection ends, at once for a process that
dies and within `DEAD_AFTER_SECONDS` for a machine that vanishes, so another replica leads within
`takeover_bound_seconds` of the leader's death. The leader's jobs also confirm the lock with one
round trip before each run, so a leader that lost its connection stops firing timers at once
instead of at its next check. Two runs overlapping anyway (the old leader mid-run as the new one
starts) are harmless: the conditional UPDATEs let one win; the leader makes them rare, not safe.

A leader whose database hangs (stops answering without closing anything) is bounded too: each
statement on the lock's connection answers within one check interval or the connection is cut, so
the leader gives up within `gives_up_within_seconds` of its last answer, logging why; the server
ends a lock session silent for three check intervals, freeing the lock for another replica within
`hung_takeover_bound_seconds` (storage/leader_lock.py). The timers' own statements are bounded by
HANDOFF_TIMER_STATEMENT_SECONDS (scheduler.py).

On SQLite (one process by design) the process always leads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from handoff_slack.storage.leader_lock import (
    DEAD_AFTER_SECONDS,
    LeaderLock,
    answer_within_seconds,
    server_frees_after_seconds,
)

logger = logging.getLogger(__name__)


def takeover_bound_seconds(check_seconds: int) -> int:
    """Longest time from a leader's death until another replica leads: the server frees the lock
    (at most DEAD_AFTER_SECONDS for a vanished machine, at once for a dead process), and the
    others try again within one check."""
    return DEAD_AFTER_SECONDS + check_seconds


def gives_up_within_seconds(check_seconds: int) -> int:
    """Longest time from a leader's last answer from its database until it stops leading, when the
    database hangs: its next check comes within one interval and waits at most `answer_within_seconds`."""
    return check_seconds + answer_within_seconds(check_seconds)


def hung_takeover_bound_seconds(check_seconds: int) -> int:
    """Longest time from a hung leader's last answer until another replica leads: the server ends
    the silent lock session (freeing the lock), and the others try again within one check."""
    return server_frees_after_seconds(check_seconds) + check_seconds


class SchedulerLeadership:
    """Whether this process runs the timers; `lock` None (SQLite) means it always does."""

    def __init__(self, lock: LeaderLock | None, on_taken: Callable[[], None] = lambda: None) -> None:
        self._lock = lock
        self._leading = lock is None
        self.on_taken = on_taken  # e.g. run the timers now instead of at their next interval
        # The periodic check and the jobs' confirmations run on the scheduler's threads: one at a time.
        self._deciding = threading.RLock()
        self._hooks = threading.Lock()  # on_taken against quiesce
        self._hooks_on = True

    @property
    def leading(self) -> bool:
        return self._leading

    def start(self) -> None:
        """At start-up, before the scheduler's first runs: take the lead if it is free."""
        if self._lock is None:
            logger.info("scheduler leader: this process (SQLite serves one process)")
            return
        self.check()

    def check(self) -> None:
        """The periodic check: the leader confirms its lock; the others try to take it."""
        if self._lock is None:
            return
        with self._deciding:
            if self._leading:
                self.confirm()
            if self._leading or not self._lock.try_take():
                return
            self._leading = True
        logger.info("scheduler leader: process %s took the lead; timers run here", os.getpid())
        with self._hooks:  # not while the scheduler shuts down (see quiesce)
            if self._hooks_on:
                self.on_taken()

    def quiesce(self) -> None:
        """Before the scheduler shuts down: no more `on_taken`, and one in progress has finished.
        APScheduler's shutdown holds its job store lock while it waits for running jobs; a check job
        taking the lead then would wait for that lock in `on_taken` (it reschedules the timers): a
        deadlock, seen when the app stopped just as it took over."""
        with self._hooks:
            self._hooks_on = False

    def confirm(self) -> bool:
        """Before a leader's job runs: still leading? (One round trip on PostgreSQL.)"""
        if self._lock is None:
            return True
        with self._deciding:
            if self._leading and not self._lock.still_held():
                self._leading = False
                logger.warning("scheduler leader: process %s lost the lead (%s)", os.getpid(), self._lock.lost_because)
            return self._leading

    def stop(self) -> None:
        """Give up the lead (another replica takes it within one check)."""
        if self._lock is None:
            return
        with self._deciding:
            was_leading, self._leading = self._leading, False
            self._lock.release()
        if was_leading:
            logger.info("scheduler leader: process %s gave up the lead (stopping)", os.getpid())

    def lock_backend_pid(self) -> int | None:
        return None if self._lock is None else self._lock.backend_pid()


def leadership_for(database_url: str, backend: str, check_seconds: int) -> SchedulerLeadership:
    return SchedulerLeadership(LeaderLock(database_url, check_seconds) if backend == "postgresql" else None)
