"""The customer's mood after the hand-over: marked on a waiting ticket, a note to the agent while connected.

While waiting, a message that sounds frustrated marks the ticket (`mood_signals`, shown on the ticket
message in the support channel: the queue) besides raising its priority where configured
(core.queue_priority). While connected, the first such message of a spell posts a short internal note
in the ticket's thread, for the agent only: it is a notice to the agents (core.notices), never relayed
to the customer. A spell ends when the customer sounds content again ("thanks, that worked"), so the
next one is noted anew; one note per spell keeps the relay's hot path to one conditional UPDATE on a
frustrated message and none on an ordinary one.

Both read the one message with core.frustration (off with `escalation.frustration.action: off`).
"""

from __future__ import annotations

from handoff_slack.core.frustration_signals import RELIEF
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.phrases import normalised_prefix


class CustomerMood(HandoffSteps):
    def _waiting_mood(self, tx: HelpdeskTransaction, ticket_id: int, text: str) -> bool:
        """A waiting customer's message: a frustrated one (True) marks the ticket in the queue."""
        reading = self.priorities.read_mood(text)
        if reading is None or not reading.frustrated:
            return False
        tx.tickets.mark_mood(ticket_id, reading.signals)
        return True

    def _connected_mood(
        self, tx: HelpdeskTransaction, conversation_id: int | None, ticket_id: int | None, text: str
    ) -> None:
        """A connected customer's message: the agent hears, in the thread only, when their mood turns."""
        reading = self.priorities.read_mood(text) if ticket_id is not None else None
        if reading is None or ticket_id is None:
            return
        if reading.frustrated:
            if tx.tickets.mark_mood(ticket_id, reading.signals):
                self._notify(tx, conversation_id, ticket_id, Audience.AGENTS, Notice.mood_note(reading.signals))
        elif RELIEF.search(normalised_prefix(text)):
            tx.tickets.clear_mood(ticket_id)
