"""The bot's buttons in a customer's DM: menu entries, "did you mean", scenario choices, Skip, …

Each is one step for the bot engine; "Talk to an agent" and "Fill in the form" have their own
listeners (a hand-off, a modal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import BOT_CHOICE, BOT_MENU, BOT_NO_THANKS, BOT_SCENARIO, BOT_SKIP
from handoff_slack.core.bot import ButtonAction, Pressed
from handoff_slack.core.helpdesk import CustomerInputOutcome
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import OUTCOME_KEY, action_channel, action_value, tell
from handoff_slack.services import Services

ACTIONS: dict[str, ButtonAction] = {
    BOT_SCENARIO: ButtonAction.SCENARIO,
    BOT_CHOICE: ButtonAction.CHOICE,
    BOT_SKIP: ButtonAction.SKIP,
    BOT_NO_THANKS: ButtonAction.NO_THANKS,
    BOT_MENU: ButtonAction.MENU,
}
# "handoff.bot.scenario" or a numbered one, "handoff.bot.scenario:2" (see blocks.action_ids).
BOT_BUTTON = re.compile("^(" + "|".join(re.escape(a) for a in ACTIONS) + r")(?::\d{1,3})?$")
MAX_VALUE = 200  # our values are IDs; anything longer is not ours
# Also told to internal people pressing a button in a customer's thread of a served channel.
ONLY_IN_DM = "That button only works in your own conversation with me: your direct messages with me, or your thread."


def pressed_from(body: dict[str, Any]) -> Pressed | None:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    found = BOT_BUTTON.match(str(first.get("action_id") or ""))
    value = action_value(body)
    if found is None or len(value) > MAX_VALUE:
        return None
    return Pressed(ACTIONS[found.group(1)], value)


BotListener = tuple[Callable[..., None], Callable[..., None]]


def bot_step(services: Services, read: Callable[[dict[str, Any]], Pressed | None]) -> BotListener:
    """The ack phase (the bot's step, committed) and the lazy phase (its replies) of a bot button."""

    def step(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        customer = customer_from_action(services, body)
        pressed = read(body)
        if customer is not None and pressed is not None:
            context[OUTCOME_KEY] = services.helpdesk.receive_customer_input(customer, pressed)
        ack()

    def answer(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        outcome: CustomerInputOutcome | None = context.get(OUTCOME_KEY)
        channel = action_channel(body)
        if outcome is None or channel is None:
            tell(respond, ONLY_IN_DM)
            return
        services.effects.after_customer_input(outcome)

    return step, answer


def register(app: App, services: Services) -> None:
    step, answer = bot_step(services, pressed_from)
    app.action(BOT_BUTTON)(ack=step, lazy=[answer])
