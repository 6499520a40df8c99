"""Per-key locks: one flush per conversation, one publication per ticket, in this process."""

from __future__ import annotations

import threading
import weakref


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
