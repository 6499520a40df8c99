"""What transfer, release and assign tell the person who acted, and what Slack is to show after
(core.transfers). Shared by the buttons, the modals and `/handoff-assign`."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_values import CannotAccept, OfferState, TransferOutcome, TransferResult
from handoff_slack.core.views import TicketView
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

FAILED = "I couldn't do that just now (the help desk's database did not answer). Nothing changed; please try again."


ANSWERED = {
    OfferState.ACCEPTED: "This offer was already accepted.",
    OfferState.DECLINED: "This offer was already declined.",
    OfferState.LAPSED: "This offer lapsed: it was not answered in time, so the ticket stayed with its owner.",
    OfferState.REFUSED: "This offer ended: you could not accept it then, so the ticket stayed with its owner.",
}
# What the target is told when they press Accept and cannot take the ticket (core.transfers).
CANNOT_ACCEPT = {
    CannotAccept.NOT_AN_AGENT: "you are no longer an agent (a member of the support team)",
    CannotAccept.AWAY: "you are away. Set `/handoff-status available` when you can take conversations",
    CannotAccept.OFFLINE: "you are offline. Set `/handoff-status available` when you can take conversations",
    CannotAccept.AT_CAPACITY: "you are at your capacity. Close a conversation (or raise `/handoff-status capacity N`)",
}


def _gone(ticket: TicketView | None, number: int | None) -> str:
    """Why an offer of the ticket is no longer open, from the ticket as it is now."""
    if ticket is None:
        return f"ticket {number} was closed, released or changed hands"
    if ticket.state is TicketState.CONNECTED:
        return f"ticket {number} is now with <@{ticket.agent_user_id}>"
    if ticket.state is TicketState.WAITING:
        return f"ticket {number} was released back to the queue"
    return f"ticket {number} was closed"


def show(services: Services, outcome: TransferOutcome) -> None:
    """After a step: the outbox sends what it stored, and the ticket message shows who has it now."""
    ticket = outcome.ticket
    if ticket is None or not outcome.changed:
        return
    if outcome.result in (TransferResult.ACCEPTED, TransferResult.ASSIGNED):
        services.effects.claimed(ticket)  # the thread's note needs the message, as after a claim
        services.effects.capacity_changed()  # the previous owner (if any) has room again
    elif outcome.result is TransferResult.RELEASED:
        services.effects.cancelled(ticket.conversation_id, ticket.id)  # the customer hears first
        services.effects.capacity_changed()  # the ticket waits again, and its owner has room
    else:  # an offer, a decline, an offer gone stale: the thread's messages, and the ticket message's offer line
        services.outbox.deliver(ticket.conversation_id)
        services.board.refresh(ticket.id)


def answer(outcome: TransferOutcome, ticket_id: int | None = None) -> str | None:
    """The answer only the person who acted sees; None when Slack shows it anyway."""
    result, ticket, offer = outcome.result, outcome.ticket, outcome.offer
    number = ticket.id if ticket is not None else ticket_id
    owner = f"<@{ticket.agent_user_id}>" if ticket is not None and ticket.agent_user_id else "nobody"
    if result is TransferResult.OFFERED and offer is not None:
        return (
            f"I've asked <@{offer.to_user_id}> in the ticket's thread; ticket {number} stays yours until they accept."
        )
    if result is TransferResult.ASSIGNED:
        return f"Ticket {number} is now with {owner}."
    if result is TransferResult.RELEASED:
        return f"Ticket {number} is back in the queue, at #{outcome.position}."
    if result in (TransferResult.ACCEPTED, TransferResult.DECLINED):
        return None  # the thread says so
    if result is TransferResult.NOT_FOUND:
        return f"Ticket {number} does not exist." if number else "That transfer offer doesn't exist."
    if result is TransferResult.NOT_ALLOWED:
        return f"Only {owner}, who has ticket {number}, or an admin can do that."
    if result is TransferResult.NOT_OPEN:
        state = ticket.state if ticket is not None else None
        if state is TicketState.WAITING:
            return f"Ticket {number} is waiting in the queue: press Claim to take it (only admins assign it)."
        return f"Ticket {number} is not open any more, so nothing changed."
    if result is TransferResult.SAME_AGENT:
        return f"Ticket {number} is already with {owner}."
    if result is TransferResult.NOT_TARGET and offer is not None:
        return f"This offer is for <@{offer.to_user_id}>: only they can accept or decline it."
    if result is TransferResult.ANSWERED and offer is not None:
        if offer.state is OfferState.STALE:
            return f"This offer is no longer open: {_gone(ticket, number)}. Nothing changed."
        return ANSWERED.get(offer.state, "This offer was already answered.")
    if result is TransferResult.STALE:
        return f"This offer is no longer open: {_gone(ticket, number)}. Nothing changed."
    if result is TransferResult.CANNOT_ACCEPT and outcome.cannot_accept is not None and offer is not None:
        return (
            f"You can't accept ticket {number}: {CANNOT_ACCEPT[outcome.cannot_accept]}. "
            f"The ticket stays with <@{offer.from_user_id}>, who was told; nothing else changed."
        )
    return None


def tell_privately(services: Services, user_id: str, text: str) -> None:
    """A modal's answer (a modal has no response_url): an ephemeral message in the support channel."""
    try:
        services.client.chat_postEphemeral(channel=services.settings.support_channel, user=user_id, text=text)
    except SlackApiError as error:
        logger.warning("could not answer a transfer form privately: %s", error.response.get("error"))
