"""The bot's side of a conversation in bot mode: decide whether to answer or hand off.

Kept behind the small `BotResponder` protocol so the scenario/triage/sentiment engine of a later
issue replaces `KeywordResponder` without touching the hand-off loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handoff_slack.core.phrases import asks_for_human
from handoff_slack.core.states import EscalationReason


@dataclass(frozen=True)
class BotTurn:
    """What the bot does with one customer message: escalate (with a reason) or show the menu."""

    escalate: EscalationReason | None = None


class BotResponder(Protocol):
    def respond(self, customer_user_id: str, text: str) -> BotTurn: ...


class KeywordResponder:
    """Escalates when the customer asks for a person; otherwise the menu is shown again."""

    def respond(self, customer_user_id: str, text: str) -> BotTurn:
        if asks_for_human(text):
            return BotTurn(escalate=EscalationReason.ASKED_FOR_HUMAN)
        return BotTurn()
