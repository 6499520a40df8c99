"""The work after the ack (Bolt's lazy listeners), bounded so an overload cannot fill memory.

ThreadPoolExecutor's queue is unbounded: under overload every accepted event would wait there in
memory. `LazyWork` counts the tasks submitted and not finished, and past `max_backlog`:

- work the scheduler also does is not queued at all. Every relayed message is committed before
  the ack, and the delivery retry job flushes whatever is still pending, so a relay's lazy flush
  is only the fast path: when the backlog is `full()` as the ack phase starts, the relay is stored
  for the scheduler (no first attempt counted: see Helpdesk.receive_customer_message), the ack
  phase calls `defer_next()`, and the relay waits for a later flush of its conversation (the next
  message's, or the retry job's, which `on_drained` runs at once when the backlog is down to half
  after deferring).
  Nothing is refused, so nothing depends on Slack redelivering it.
- the HTTP edge answers the requests whose work only a lazy listener does (buttons, slash
  commands, forms) with a 503 before anything is stored; Slack's messages still go through. At
  `hard_limit` (twice the backlog) everything gets the 503: a last guard for memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class LazyWork(ThreadPoolExecutor):
    """Bolt's `listener_executor`, counting its tasks, and dropping the ones the scheduler also does."""

    def __init__(self, max_workers: int, max_backlog: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.max_backlog = max_backlog
        self.hard_limit = 2 * max_backlog
        self.deferred = 0  # tasks not queued because the scheduler does their work
        # Called (from a worker thread) once the backlog is down to half after tasks were deferred.
        self.on_drained: Callable[[], None] | None = None
        self._owed = False  # tasks were deferred since the last `on_drained`
        self._count_lock = threading.Lock()
        self._backlog = 0
        # Set by an ack phase for the next task its thread submits: with process_before_response,
        # Bolt starts a listener's lazy functions in the thread that ran its ack function, right after.
        self._defer_next = threading.local()

    @property
    def backlog(self) -> int:
        """Tasks submitted and not finished yet (queued or running)."""
        return self._backlog

    def full(self) -> bool:
        return self._backlog >= self.max_backlog  # an int read: no lock needed for a yes/no

    def overflowing(self) -> bool:
        return self._backlog >= self.hard_limit

    def defer_next(self) -> None:
        """From an ack phase whose lazy work the scheduler also does, having found the backlog
        `full()`: the lazy task this request is about to submit is not queued."""
        self._defer_next.active = True

    def forget_deferral(self) -> None:
        """A new request starts in this thread: no mark left over from one that never submitted."""
        self._defer_next.active = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if getattr(self._defer_next, "active", False):
            self._defer_next.active = False
            with self._count_lock:
                # The backlog may have drained between the ack phase's look and now: then no task
                # is left whose end would set the retry off, and a deferred task would wait for the
                # scheduler's next interval. Queue it after all.
                defer = self._backlog > self.max_backlog // 2
                if defer:
                    self.deferred += 1
                    self._owed = True
            if defer:
                done: Future[Any] = Future()
                done.set_result(None)
                return done
        with self._count_lock:
            self._backlog += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:  # shut down: nothing was queued
            self._finished(None)
            raise
        future.add_done_callback(self._finished)  # also on failure or cancellation
        return future

    def _finished(self, _future: Future[Any] | None) -> None:
        with self._count_lock:
            self._backlog -= 1
            drained = self._owed and self._backlog <= self.max_backlog // 2
            if drained:
                self._owed = False
        if drained and self.on_drained is not None:
            self.on_drained()
