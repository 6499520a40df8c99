"""What the customer sees in their DM with the app."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import CANCEL_WAITING, TALK_TO_AGENT
from handoff_slack.slack.mrkdwn import escape

GREETING = (
    "Hi! I'm the help desk assistant. Tell me what you need, or pick an option below. "
    "You can ask for a person at any time by typing *agent*."
)


def menu(greeting: str = GREETING) -> Rendered:
    """The bot's menu; "Talk to an agent" is always the last choice."""
    return Rendered(
        text=greeting,
        blocks=[
            SectionBlock(text=greeting).to_dict(),
            ActionsBlock(
                block_id="menu",
                elements=[ButtonElement(text="Talk to an agent", action_id=TALK_TO_AGENT, value="menu")],
            ).to_dict(),
        ],
    )


def _with_cancel(text: str, ticket_id: int) -> Rendered:
    return Rendered(
        text=text,
        blocks=[
            SectionBlock(text=text).to_dict(),
            ActionsBlock(
                block_id="waiting",
                elements=[ButtonElement(text="Cancel", action_id=CANCEL_WAITING, value=str(ticket_id))],
            ).to_dict(),
        ],
    )


def queued(position: int, ticket_id: int) -> Rendered:
    return _with_cancel(
        f"I'm handing you over to our support team. You are *#{position}* in the queue; "
        "I'll let you know as soon as someone joins. Anything you write meanwhile is passed on. "
        "Changed your mind? Type *never mind* or press Cancel.",
        ticket_id,
    )


def still_waiting(position: int, ticket_id: int) -> Rendered:
    return _with_cancel(
        f"Got it, I've passed that on. You are still waiting for an agent: *#{position}* in the queue.",
        ticket_id,
    )


def already_connected(agent_name: str | None) -> Rendered:
    who = escape(agent_name) if agent_name else "an agent"
    return Rendered(text=f"You are already talking with {who}; just write here.", blocks=[])


def left_queue() -> Rendered:
    return Rendered(text="OK, you've left the queue. I'm here if you need anything else.", blocks=[])


def cancel_too_late() -> Rendered:
    return Rendered(text="That request is no longer waiting, so there is nothing to cancel.", blocks=[])


def connected(agent_name: str) -> Rendered:
    return Rendered(
        text=f"You are now talking with *{escape(agent_name)}* from our support team. Go ahead!",
        blocks=[],
    )


def closed(agent_name: str | None) -> Rendered:
    who = f"*{escape(agent_name)}*" if agent_name else "Our support team"
    return Rendered(
        text=f"{who} has closed this conversation. If you need anything else, just send me a message.",
        blocks=[],
    )


def slow_down() -> Rendered:
    return Rendered(
        text=(
            "You're sending messages very quickly. I keep every one of them and pass them on, "
            "but I'll stop answering each one until things calm down."
        ),
        blocks=[],
    )
