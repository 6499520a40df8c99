"""The offers of a ticket awaiting an answer, as its message in the support channel shows them: a
waiting ticket's routing offer (core.routing_desk) or a claimed ticket's transfer (core.transfers).

Every change of a ticket's offers marks its message stale with a new offer revision (storage), so
the message is re-rendered from this state after each one, by the step's own refresh or by the
scheduler's repair.
"""

from __future__ import annotations

from handoff_slack.core.clock import as_utc
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.core.views import PendingOffer, TicketView


class PendingOffers(HandoffSteps):
    # The bot's YAML `transfers` (app.py sets it): how long a transfer offer waits for its answer.
    transfer_config: TransferConfig = TransferConfig()

    def pending_offers(self, ticket: TicketView) -> tuple[PendingOffer, ...]:
        """The ticket's offers awaiting an answer that its state can still honour (a routing offer of
        a claimed ticket is withdrawn by the scheduler soon: it is not shown meanwhile)."""
        with self.storage.transaction() as tx:
            if ticket.state is TicketState.WAITING:
                return tuple(PendingOffer(agent, until) for agent, until in tx.offers.pending_for(ticket.id))
            if ticket.state is not TicketState.CONNECTED:
                return ()
            lapse = self.transfer_config.offer_lapses_after
            return tuple(
                PendingOffer(offer.to_user_id, as_utc(offer.created_at) + lapse, offer.from_user_id)
                for offer in tx.transfers.pending_offers(ticket.id)
                if offer.from_user_id == ticket.agent_user_id
            )
