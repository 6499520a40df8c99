"""`/handoff-priority <ticket> <level>`: an agent or admin sets a waiting ticket's priority.

The levels are low, normal, high and urgent (core.priority); the queue is ordered by priority, then
age. `/handoff-priority help` (or nothing) shows the usage; anything unreadable gets the usage with
an example. Non-agents get the same polite refusal whatever they type, which says nothing about the
queue or the tickets. Answers are ephemeral; the ticket message then shows the new level.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.priority import LEVEL_NAMES, Priority
from handoff_slack.core.queue_priority import PriorityOutcome, PriorityResult
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS, shown
from handoff_slack.listeners.payloads import MAX_TICKET_ID, can_respond
from handoff_slack.services import Services

COMMAND = "/handoff-priority"
REFUSAL = "Sorry, only the support team can change a ticket's priority."
USAGE = (
    f"Usage: `{COMMAND} <ticket> <level>` sets a waiting ticket's priority; the levels are "
    f"{', '.join(f'`{name}`' for name in LEVEL_NAMES)} (new tickets are `normal`). The queue serves "
    f"higher priorities first, then the longest waiting. Example: `{COMMAND} 42 urgent`. "
    f"`{COMMAND} help` shows this help."
)
FAILED = "I couldn't change the priority just now (the help desk's database did not answer). Please try again."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def set_priority(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        if not require_agent(services, user, respond, REFUSAL):
            return
        text = str(command.get("text") or "").strip()
        if not text or text.lower() in HELP_WORDS:
            respond(text=USAGE, response_type="ephemeral")
            return
        parsed = parse(text)
        if isinstance(parsed, str):
            respond(text=f"{parsed} {USAGE}", response_type="ephemeral")
            return
        ticket_id, level = parsed
        try:
            outcome = services.helpdesk.set_priority(ticket_id, level, user)
        except StorageUnavailable:
            respond(text=FAILED, response_type="ephemeral")
            raise
        respond(text=answer(ticket_id, level, outcome), response_type="ephemeral")
        if outcome.result is PriorityResult.SET and outcome.ticket is not None:
            if outcome.customer_told:
                services.outbox.deliver(outcome.ticket.conversation_id)
            services.board.refresh(ticket_id)  # the ticket message shows the level (marked stale until then)

    app.command(COMMAND)(ack=acknowledge, lazy=[set_priority])


def parse(text: str) -> tuple[int, Priority] | str:
    """The ticket (`42` or `#42`) and the level, in that order; else what was wrong with `text`."""
    words = text.split()
    if len(words) != 2:
        return f"I need a ticket number and a level, got “{shown(text)}”."
    number, word = words[0].removeprefix("#"), words[1]
    if not (number.isascii() and number.isdigit() and len(number) <= 10) or not 0 < int(number) <= MAX_TICKET_ID:
        return f"“{shown(words[0])}” is not a ticket number."
    level = Priority.named(word)
    if level is None:
        return f"“{shown(word)}” is not a priority level."
    return int(number), level


def answer(ticket_id: int, level: Priority, outcome: PriorityOutcome) -> str:
    if outcome.result is PriorityResult.NOT_FOUND:
        return f"There is no ticket {ticket_id}."
    if outcome.result is PriorityResult.NOT_WAITING:
        return f"Ticket {ticket_id} is not waiting in the queue (claimed, closed or cancelled), so its priority stays."
    place = f"#{outcome.position} in the queue"
    if outcome.was == level:
        return f"Ticket {ticket_id} was already *{level.label}*; it stays so ({place})."
    told = " The customer was told their new place." if outcome.customer_told else ""
    was = outcome.was.label if outcome.was is not None else "?"
    return f"Ticket {ticket_id} is now *{level.label}* (was {was}): {place}.{told}"
