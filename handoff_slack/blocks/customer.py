"""What the customer sees in their DM with the app."""

from __future__ import annotations

from collections import Counter

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import (
    BOT_CHOICE,
    BOT_FORM,
    BOT_MENU,
    BOT_NO_THANKS,
    BOT_SCENARIO,
    BOT_SKIP,
    CANCEL_WAITING,
    TALK_TO_AGENT,
)
from handoff_slack.blocks.mrkdwn import make_safe
from handoff_slack.core.bot import Button, ButtonAction, Reply

BUTTON_ACTION_IDS: dict[ButtonAction, str] = {
    ButtonAction.SCENARIO: BOT_SCENARIO,
    ButtonAction.CHOICE: BOT_CHOICE,
    ButtonAction.SKIP: BOT_SKIP,
    ButtonAction.FORM: BOT_FORM,
    ButtonAction.TALK_TO_AGENT: TALK_TO_AGENT,
    ButtonAction.NO_THANKS: BOT_NO_THANKS,
    ButtonAction.MENU: BOT_MENU,
}
SECTION_LIMIT = 3000  # characters of a section's text
PRIMARY = frozenset({ButtonAction.FORM})


def bot_reply(reply: Reply) -> Rendered:
    """One of the bot's replies: its text, then its buttons ("Talk to an agent" stays last in menus).

    The text is the support team's configuration (mrkdwn allowed, its links shown as written),
    which may quote the customer's own earlier answers: pings are neutralised all the same.
    """
    text = make_safe(reply.text, trusted_links=True)
    blocks = [SectionBlock(text=text[:SECTION_LIMIT] or " ").to_dict()]
    if reply.buttons:
        blocks.append(ActionsBlock(block_id=f"bot_{reply.kind.value}", elements=_buttons(reply.buttons)).to_dict())
    return Rendered(text=text, blocks=blocks)


def _buttons(buttons: tuple[Button, ...]) -> list[ButtonElement]:
    kinds = Counter(BUTTON_ACTION_IDS[b.action] for b in buttons)
    seen: Counter[str] = Counter()
    elements = []
    for button in buttons:
        action_id = BUTTON_ACTION_IDS[button.action]
        if kinds[action_id] > 1:  # unique within the block
            seen[action_id] += 1
            action_id = f"{action_id}:{seen[action_id]}"
        elements.append(
            ButtonElement(
                text=button.label[:75],
                action_id=action_id,
                value=button.value or button.action.value,
                style="primary" if button.action in PRIMARY else None,
            )
        )
    return elements


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


def moved_up(position: int, ticket_id: int) -> Rendered:
    return _with_cancel(f"Good news: you've moved up in the queue. You are now *#{position}*.", ticket_id)


def still_checking() -> Rendered:
    return Rendered(
        text="Got it, I've passed that on. A colleague is still checking my answer; "
        "type *never mind* if you no longer need it.",
        blocks=[],
    )


def already_connected(agent_name: str | None) -> Rendered:
    who = make_safe(agent_name, plain=True) if agent_name else "an agent"
    return Rendered(text=f"You are already talking with {who}; just write here.", blocks=[])


def left_queue() -> Rendered:
    return Rendered(text="OK, you've left the queue. I'm here if you need anything else.", blocks=[])


def cancel_too_late() -> Rendered:
    return Rendered(text="That request is no longer waiting, so there is nothing to cancel.", blocks=[])


def connected(agent_name: str) -> Rendered:
    return Rendered(
        text=f"You are now talking with *{make_safe(agent_name, plain=True)}* from our support team. Go ahead!",
        blocks=[],
    )


def closed(agent_name: str | None) -> Rendered:
    who = f"*{make_safe(agent_name, plain=True)}*" if agent_name else "Our support team"
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
