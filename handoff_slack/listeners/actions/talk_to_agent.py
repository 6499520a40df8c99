"""The "Talk to an agent" button (menus, "can't help", the frustration offer): a certain request.

With triage configured the bot asks its questions first; otherwise a ticket opens at once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handoff_slack.blocks.action_ids import TALK_TO_AGENT
from handoff_slack.core.bot import ButtonAction, Pressed
from handoff_slack.core.states import EscalationReason
from handoff_slack.listeners.actions.bot_buttons import bot_step
from handoff_slack.listeners.payloads import action_value
from handoff_slack.services import Services


def pressed_from(body: dict[str, Any]) -> Pressed:
    """Why the button was shown is in its value; an unknown value counts as the menu."""
    value = action_value(body)
    reason = EscalationReason(value) if value in set(EscalationReason) else EscalationReason.MENU
    return Pressed(ButtonAction.TALK_TO_AGENT, reason.value)


def register(app: App, services: Services) -> None:
    step, answer = bot_step(services, pressed_from)
    app.action(TALK_TO_AGENT)(ack=step, lazy=[answer])
