"""Whether the outbox may still speak at a delivery's door: a shared channel's thread only while
its channel is served (`/handoff-channel off` silences the bot there at once, queued messages too).

Asked by the outbox right before each delivery. A DM door, and everything for the support channel
(the ticket's thread), is open without a database read; a thread door costs one primary-key read.
A message withheld is given up like an undeliverable one, for this reason: an agent's reply is
then marked in the ticket's thread as not delivered, and the bot's own notices are dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from handoff_slack.core.deliveries import Delivery

CHANNEL_NOT_SERVED = "the customer's channel is no longer served"


class ServedDoors:
    def __init__(self, is_served: Callable[[str], bool]) -> None:
        self._is_served = is_served

    def closed(self, delivery: Delivery) -> bool:
        """True when the delivery goes to a thread of a channel that is no longer served."""
        to_the_door = not delivery.direction.to_thread  # an agent's reply or a notice for the customer
        return to_the_door and delivery.thread_ts is not None and not self._is_served(delivery.channel_id)


def never_closed(delivery: Delivery) -> bool:
    """The outbox's default: every door open (tests of the outbox alone)."""
    return False
