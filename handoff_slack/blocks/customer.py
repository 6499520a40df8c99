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
from handoff_slack.blocks.mrkdwn import escape, make_safe
from handoff_slack.core.bot import Button, ButtonAction, Reply
from handoff_slack.core.business_hours import BACK_PLACEHOLDER, AgentsAway, local_wall_time

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


def bot_reply(reply: Reply, away: AgentsAway | None = None) -> Rendered:
    """One of the bot's replies: its text, then its buttons ("Talk to an agent" stays last in menus).

    The text is the support team's configuration (mrkdwn allowed, its links shown as written),
    which may quote the customer's own earlier answers: pings are neutralised all the same.
    `away`: the greeting outside business hours, with its note after the text.
    """
    text = make_safe(reply.text, trusted_links=True)
    blocks = [SectionBlock(text=text[:SECTION_LIMIT] or " ").to_dict()]
    if away is not None:
        note = away_text(away)
        blocks.append(SectionBlock(text=note[:SECTION_LIMIT]).to_dict())
        text = f"{text}\n\n{note}"
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


def _with_cancel(text: str, ticket_id: int, note: str | None = None) -> Rendered:
    """`text` with the Cancel button; `note` in a section of its own between them."""
    notes = [] if note is None else [SectionBlock(text=note[:SECTION_LIMIT]).to_dict()]
    return Rendered(
        text=text if note is None else f"{text}\n\n{note}",
        blocks=[
            SectionBlock(text=text).to_dict(),
            *notes,
            ActionsBlock(
                block_id="waiting",
                elements=[ButtonElement(text="Cancel", action_id=CANCEL_WAITING, value=str(ticket_id))],
            ).to_dict(),
        ],
    )


def queued(position: int, ticket_id: int, away: AgentsAway | None = None) -> Rendered:
    """Their place in the queue; outside business hours (`away`), when agents are back, after it."""
    text = (
        f"I'm handing you over to our support team. You are *#{position}* in the queue; "
        "I'll let you know as soon as someone joins. Anything you write meanwhile is passed on. "
        "Changed your mind? Type *never mind* or press Cancel."
    )
    return _with_cancel(text, ticket_id, None if away is None else away_text(away))


def away_text(away: AgentsAway) -> str:
    """The configured outside-hours text (mrkdwn, made safe) with `{back}` as a Slack date, which
    each reader sees in their own time zone; the fallback (notifications, old clients) names it in
    the schedule's zone: "Monday 09:00 (CET)"."""
    text = make_safe(away.text, trusted_links=True)
    return text.replace(BACK_PLACEHOLDER, back_date(away))


def back_date(away: AgentsAway) -> str:
    fallback = escape(local_wall_time(away.back_at, away.time_zone))
    return f"<!date^{int(away.back_at.timestamp())}^{{date_long_pretty}} at {{time}}|{fallback}>"


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
