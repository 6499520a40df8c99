"""The sandbox's clock, which the page can move forward (the "⏩ Time" control), so the timers can be seen.

The app in the sandbox runs with ``SandboxClock`` as its clock (``create_app(..., clock=...)``): real
time plus an offset that only grows. Every timer is decided by that clock (reminders, first-response
targets, the waiting timeout, queue updates, idle auto-close, routing offers), so moving it forward
makes them due; ``TimeControl.forward`` then runs the leader's timer jobs once, at once
(``scheduler.run_timers_once``), before it answers, instead of leaving them to their next interval
(asking APScheduler to run them now would skip, with a warning, any job that is running already).
Only the sandbox does this: ``python main.py`` runs with the real clock. The emulated Slack keeps
real time (its message timestamps, and the request signatures Bolt checks against real time).

A jump request is ``{"minutes": 1..1440}``; anything else is refused with the reason, never half-done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_JUMP_MINUTES = 24 * 60
STEPS_MINUTES = (5, 15, 60)  # the page's buttons: +5 min, +15 min, +1 h


class SandboxClock:
    """Real time plus an offset that the page moves forward; a ``core.clock.Clock``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def forward(self, by: timedelta) -> None:
        """Only forward: a timer that fired stays fired, as in real time."""
        if by <= timedelta():
            raise ValueError("the sandbox's clock only moves forward")
        with self._lock:
            self._offset += by


class TimeControl:
    """The page's "⏩ Time" control: the sandbox's time, and a jump that runs the timers at once."""

    def __init__(self, clock: SandboxClock, run_timers: Callable[[], None]) -> None:
        self.clock = clock
        self._run_timers = run_timers
        self._jumping = threading.Lock()  # a double click's jumps run their timers one after the other

    def state(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "ok": True,
            "now": now.isoformat(timespec="seconds"),
            "offset_seconds": int(self.clock.offset.total_seconds()),
            "steps_minutes": list(STEPS_MINUTES),
        }

    def forward(self, request: dict[str, Any]) -> dict[str, Any]:
        minutes = request.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_JUMP_MINUTES:
            return {"ok": False, "error": "invalid_minutes"}
        with self._jumping:
            self.clock.forward(timedelta(minutes=minutes))
            self._run_timers()  # what came due fires now, not at the jobs' next interval
        return self.state()
