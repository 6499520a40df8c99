"""A transfer offer's end, shared by the steps that end it (core.transfers, and a close in
core.agent_desk): its state, and its notice in the ticket's thread rewritten to say what became of
it (the outbox updates the copy, so its Accept / Decline buttons go)."""

from __future__ import annotations

from datetime import datetime

from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.transfer_values import CannotAccept, OfferEnd, OfferState, StoredOffer, offer_notice


def offer_becomes(
    tx: HelpdeskTransaction,
    offer: StoredOffer,
    state: OfferState,
    now: datetime,
    why: OfferEnd | CannotAccept | None = None,
) -> None:
    """Answer the offer; its notice in the thread says so."""
    assert offer.id is not None
    tx.transfers.decide_offer(offer.id, state.value, now)
    if offer.notice_id is not None:
        notice = offer_notice(offer.id, offer.from_user_id, offer.to_user_id, offer.note, state, why)
        tx.messages.replace_notice(offer.notice_id, notice.to_json(), revision=state.value)


def end_pending_offers(tx: HelpdeskTransaction, ticket_id: int, why: OfferEnd, now: datetime) -> None:
    """The ticket closed, was released or changed hands: its pending offers go stale at once, in the
    same transaction (a late Accept finds them answered and changes nothing)."""
    for offer in tx.transfers.pending_offers(ticket_id):
        offer_becomes(tx, offer, OfferState.STALE, now, why)
