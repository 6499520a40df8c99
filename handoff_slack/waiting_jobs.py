"""The waiting timers' scheduled jobs (rows of scheduler.JOBS, on the scheduler leader only): the
waiting timeout's offers (core.waiting_offers), queue position updates (core.queue_updates) and
idle auto-close (core.idle_close). Each job asks the core to fire what is due (conditional UPDATEs,
notices stored with them), then has the outbox send what it stored: one flush per conversation told,
nothing for the others."""

from __future__ import annotations

import logging

from handoff_slack.services import Services

logger = logging.getLogger(__name__)

WAIT_OFFERS_JOB = "offer_waiting_options"
QUEUE_UPDATES_JOB = "tell_queue_positions"
IDLE_CLOSE_JOB = "close_idle_conversations"


def _deliver(services: Services, conversation_ids: list[int], what: str) -> None:
    for conversation_id in conversation_ids:
        try:
            services.outbox.deliver(conversation_id)
        except Exception:  # stored: the delivery retry sends it
            logger.exception("could not deliver %s to conversation %s", what, conversation_id)


def offer_waiting_options(services: Services) -> None:
    """Customers waiting `waiting_timeout.after_minutes` are offered: keep waiting, later, or cancel."""
    offered = services.helpdesk.offer_waiting_options()
    if offered:
        logger.info("offered %d waiting customer(s) to keep waiting, leave a message or cancel", len(offered))
    _deliver(services, offered, "a waiting timeout's offer")


def tell_queue_positions(services: Services) -> None:
    """Waiting customers whose place improved materially hear it (rate-limited per ticket)."""
    _deliver(services, services.helpdesk.tell_queue_positions(), "a queue update")


def close_idle_conversations(services: Services) -> None:
    """Quiet connected conversations are warned on both sides, then closed (the normal close's effects)."""
    done = services.helpdesk.close_idle_conversations()
    _deliver(services, done.warned, "an idle conversation's warning")
    for ticket in done.closed:
        logger.info("ticket %s closed after its conversation was idle", ticket.id)
        try:
            services.effects.closed(ticket)
        except Exception:  # the outbox's retry and the ticket message repair finish it
            logger.exception("could not show the idle close of ticket %s", ticket.id)
