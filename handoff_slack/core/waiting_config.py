"""The waiting timers' settings (the YAML's `waiting_timeout`, `queue_updates` and `idle_close`).

Defaults, and why: a customer left waiting is offered a way out (on, after 15 minutes); a customer
who moved up the queue materially hears it (on, at most every 5 minutes); an idle conversation is
closed automatically only when a team asks for it (off: closing someone's conversation on a timer
is a policy, and an agent may well be waiting on the customer's answer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WaitingTimeoutConfig:
    """After `after_minutes` in the queue the customer is offered: keep waiting, leave a message to be
    answered later, or cancel. Choosing to keep waiting earns one more offer `after_minutes` later;
    that is all (two offers per ticket at most)."""

    enabled: bool = True
    after_minutes: int = 15


@dataclass(frozen=True)
class QueueUpdatesConfig:
    """A waiting customer hears their new place when it improved by `min_places` or more since they
    were last told, or reached the first `top` places; at most once per `interval_minutes`."""

    enabled: bool = True
    min_places: int = 3
    top: int = 3
    interval_minutes: int = 5


@dataclass(frozen=True)
class IdleCloseConfig:
    """A connected conversation with no message from either side for `warn_after_minutes` is warned on
    both sides, and closed `close_after_minutes` later unless someone writes; an agent's snooze
    holds it off for `snooze_minutes`."""

    enabled: bool = False
    warn_after_minutes: int = 30
    close_after_minutes: int = 10
    snooze_minutes: int = 60


@dataclass(frozen=True)
class WaitingTimersConfig:
    waiting_timeout: WaitingTimeoutConfig = WaitingTimeoutConfig()
    queue_updates: QueueUpdatesConfig = QueueUpdatesConfig()
    idle_close: IdleCloseConfig = IdleCloseConfig()
