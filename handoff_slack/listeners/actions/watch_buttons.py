"""Watch (in `/handoff-watch`), Take over and Stop watching (on a watch's message): agents only.

Each acts once whoever else presses it at the same moment (core.watching); a stale button (the
watch ended, was taken over, or the customer left the bot) is answered, only to its presser, and
changes nothing.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.action_ids import STOP_WATCHING, TAKE_OVER, WATCH_CONVERSATION
from handoff_slack.core.states import ConversationMode
from handoff_slack.core.views import TicketView
from handoff_slack.core.watching import WatchActionOutcome, WatchActionResult, WatchResult
from handoff_slack.listeners.agent_check import agents_are, require_agent
from handoff_slack.listeners.payloads import acting_user, can_respond, tell, ticket_id_from_action
from handoff_slack.services import Services

NOT_A_WATCH = "That button doesn't belong to any watch, so nothing changed."
ELSEWHERE = {
    ConversationMode.WAITING: "They asked for a person and wait in the queue: their ticket is in the support channel.",
    ConversationMode.CONNECTED: "They are talking with an agent now.",
}


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # checking membership may call Slack: that happens after the ack

    def agent(body: dict[str, Any], respond: Respond) -> str | None:
        user = acting_user(body)
        refusal = f"Only {agents_are(services)} can watch the bot's conversations."
        return user if user and require_agent(services, user, can_respond(respond), refusal) else None

    def watch(body: dict[str, Any], respond: Respond) -> None:
        user = agent(body, respond)
        if user is None:
            return
        conversation_id = ticket_id_from_action(body)  # a plain decimal ID, like a ticket's
        outcome = services.helpdesk.watch(conversation_id, user) if conversation_id else None
        if outcome is None or outcome.result is WatchResult.NOT_FOUND:
            tell(respond, "That conversation does not exist, so there is nothing to watch.")
        elif outcome.result is WatchResult.STARTED and outcome.ticket_id and outcome.conversation_id:
            # The read-only message first: the recap and the mirror go to its thread.
            services.board.publish(outcome.ticket_id)
            services.outbox.deliver(outcome.conversation_id)
            tell(
                respond,
                f"You're watching: the conversation is mirrored in a thread in <#{services.settings.support_channel}>.",
            )
        elif outcome.result is WatchResult.ALREADY_WATCHED:
            who = "you" if outcome.watched_by_user_id == user else f"<@{outcome.watched_by_user_id}>"
            tell(respond, f"That conversation is already watched by {who} (watch {outcome.ticket_id}).")
        else:
            where = ELSEWHERE.get(outcome.mode) if outcome.mode else None
            tell(respond, "That customer is no longer talking with the bot. " + (where or ""))

    def take_over(body: dict[str, Any], respond: Respond) -> None:
        user = agent(body, respond)
        if user is None:
            return
        ticket_id = ticket_id_from_action(body)
        if ticket_id is None:
            tell(respond, NOT_A_WATCH)
            return
        person = services.people.person(user)
        outcome = services.helpdesk.take_over(ticket_id, user, person.name, person.avatar_url)
        if outcome.result is WatchActionResult.DONE and outcome.ticket is not None:
            services.effects.claimed(outcome.ticket)  # the message shows it, then the thread and the customer hear
            return
        stale(outcome, user, respond)

    def stop(body: dict[str, Any], respond: Respond) -> None:
        user = agent(body, respond)
        if user is None:
            return
        ticket_id = ticket_id_from_action(body)
        outcome = (
            services.helpdesk.stop_watching(ticket_id, user)
            if ticket_id
            else WatchActionOutcome(WatchActionResult.NOT_A_WATCH)
        )
        if outcome.result is WatchActionResult.DONE and outcome.ticket is not None:
            services.effects.cancelled(outcome.ticket.conversation_id, outcome.ticket.id)
            return
        stale(outcome, user, respond)

    def stale(outcome: WatchActionOutcome, user: str, respond: Respond) -> None:
        ticket = outcome.ticket
        if ticket is None:
            tell(respond, NOT_A_WATCH)
            return
        # Bring the message up to date, in case it still shows buttons (a missed update, or ended here).
        services.effects.cancelled(ticket.conversation_id, ticket.id)
        tell(respond, stale_answer(outcome.result, ticket, user))

    app.action(WATCH_CONVERSATION)(ack=acknowledge, lazy=[watch])
    app.action(TAKE_OVER)(ack=acknowledge, lazy=[take_over])
    app.action(STOP_WATCHING)(ack=acknowledge, lazy=[stop])


def stale_answer(result: WatchActionResult, ticket: TicketView, user: str) -> str:
    if result is WatchActionResult.TAKEN_OVER:
        who = "You" if ticket.agent_user_id == user else f"<@{ticket.agent_user_id}>"
        return f"{who} already took this conversation over (ticket {ticket.id}), so nothing changed."
    if ticket.closed_by_user_id:
        return f"<@{ticket.closed_by_user_id}> stopped this watch already, so nothing changed."
    return "This watch has ended (the customer left the bot), so nothing changed."
