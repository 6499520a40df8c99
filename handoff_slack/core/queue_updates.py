"""Queue position updates: a waiting customer hears their new place when it improved materially.

Material: `min_places` or more better than the place they were last told by an update, or into the
first `top` places; at most one update per ticket per `interval_minutes`. A place that got worse
(an urgent ticket jumped ahead) is not told, and the next improvement is measured from the place
told. A ticket answered later (core.waiting_offers) gets none: its customer is not waiting.

One run reads the whole queue once, in queue order (priority, then age: the order `position`
counts and /handoff-queue shows), and takes each ticket's place as its rank: no per-ticket count,
no Slack call for tickets that are not told. The place told is recorded wherever a notice tells it
(the queue's "you are #N", the answer to a waiting customer's message, a priority's "moved up",
which also restarts the interval); a ticket back in the queue (released) or handed over from a
proposal is recorded by the first run that sees it, telling nobody. A ticket worth an
update is then told in its own transaction, under its conversation's lock, its place counted again
there (exact, as a claim or a new ticket may have moved it since the read), the told place changed
with a conditional UPDATE (of two runs one wins), and the notice stored for the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff_slack.core.clock import as_utc
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.waiting_config import QueueUpdatesConfig, WaitingTimersConfig


def worth_telling(told: int, position: int, config: QueueUpdatesConfig) -> bool:
    """Whether `position` improves materially on the place `told`."""
    if position >= told:
        return False
    return told - position >= config.min_places or position <= config.top < told


def quiet_long_enough(told_at: datetime | None, now: datetime, config: QueueUpdatesConfig) -> bool:
    return told_at is None or as_utc(told_at) + timedelta(minutes=config.interval_minutes) <= now


class QueueUpdates(HandoffSteps):
    """The Helpdesk's part for queue position updates (a mixin)."""

    waiting_config: WaitingTimersConfig = WaitingTimersConfig()  # the YAML's sections (set by the app)

    def tell_queue_positions(self) -> list[int]:
        """The scheduler leader's job: tell the customers whose place improved materially. The
        conversations to flush."""
        config = self.waiting_config.queue_updates
        if not config.enabled:
            return []
        now = self.clock()
        with self.storage.transaction() as tx:
            queue = tx.waiting_timers.queue()
        first_readings: list[tuple[int, int]] = []
        due: list[tuple[int, int, int]] = []
        for position, row in enumerate(queue, start=1):
            if row.async_at is not None:
                continue
            if row.position_told is None:
                first_readings.append((row.id, position))
            elif worth_telling(row.position_told, position, config) and quiet_long_enough(
                row.position_told_at, now, config
            ):
                due.append((row.id, row.conversation_id, row.position_told))
        if first_readings:
            with self.storage.transaction() as tx:
                for ticket_id, position in first_readings:
                    tx.waiting_timers.tell_position(ticket_id, position, None, None)
        told = [self._tell_position(ticket_id, conversation_id, was, now) for ticket_id, conversation_id, was in due]
        return [conversation_id for conversation_id in told if conversation_id is not None]

    def _tell_position(self, ticket_id: int, conversation_id: int, was: int, now: datetime) -> int | None:
        config = self.waiting_config.queue_updates
        with self.storage.transaction() as tx:
            tx.conversations.locked(conversation_id)  # first, as a claim and the customer's steps
            position = tx.tickets.position(ticket_id)
            if not worth_telling(was, position, config):
                return None
            if not tx.waiting_timers.tell_position(ticket_id, position, was, now):
                return None  # claimed, cancelled, or told by another run meanwhile
            self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, Notice.moved_up(position, ticket_id))
            return conversation_id
