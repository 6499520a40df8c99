"""Per-key locks (one flush per conversation, one publication per ticket) and coalesced work, in this process."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class KeyedLocks:
    """Hands out one lock per key; unused locks are forgotten (weak references)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[object, threading.Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    def __call__(self, key: object) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = threading.Lock()
                self._locks[key] = lock
            return lock


class Coalescing:
    """Work on a key runs one call at a time; a call made while it runs makes it go round once more.

    For work that picks up whatever is there when it runs (an outbox flush): the caller who finds
    it running returns at once, and the running call starts over after its current round, so what
    the caller added is not left behind, however many callers came meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[Hashable] = set()
        self._again: set[Hashable] = set()

    def run(self, key: Hashable, work: Callable[[], T]) -> T | None:
        """`work`'s last result, or None when a running call took this one over."""
        with self._lock:
            if key in self._running:
                self._again.add(key)
                return None
            self._running.add(key)
        try:
            while True:
                result = work()
                with self._lock:  # checked and let go at once: a call from now on runs itself
                    if key not in self._again:
                        self._running.discard(key)
                        return result
                    self._again.discard(key)
        except BaseException:
            with self._lock:
                # A call taken over meanwhile is dropped with this one: the caller's retry covers both.
                self._running.discard(key)
                self._again.discard(key)
            raise
