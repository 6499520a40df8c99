"""The bot's turn decided before the write transaction, so its cost is not paid under the write lock.

Matching and sentiment read a bounded prefix (core.phrases.READ_LIMIT) and cost a few milliseconds at
most; on SQLite every other request waits while one holds the write lock, so the turn is decided from a
plain read of the customer's saved state first, and applied in the transaction only if that state is
still the conversation's (a turn depends only on the saved state, the input and the customer's facts);
otherwise it is decided again under the lock.

The read costs a round trip, which the relay's hot path (a customer waiting or talking with an agent)
does not need: `AwayFromBot` remembers, in this process and bounded, front doors (core.front_doors)
whose conversation was last seen away from the bot, whose messages skip the early read. A stale entry
(its ticket was closed elsewhere) only means one turn decided under the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from handoff_slack.core.bot import BotTurn
from handoff_slack.core.front_doors import FrontDoor


@dataclass(frozen=True)
class EarlyTurn:
    """The bot's turn decided before the write transaction, and the saved state it was decided on."""

    bot_state: dict[str, Any] | None
    turn: BotTurn


class AwayFromBot:
    """Doors whose conversation was last seen waiting or connected (a hint; the oldest are forgotten first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._doors: dict[FrontDoor, None] = {}
        self._lock = threading.Lock()

    def __contains__(self, door: FrontDoor) -> bool:
        return door in self._doors

    def seen(self, door: FrontDoor, away: bool) -> None:
        with self._lock:
            if not away:
                self._doors.pop(door, None)
                return
            self._doors[door] = None
            if len(self._doors) > self.limit:
                del self._doors[next(iter(self._doors))]
