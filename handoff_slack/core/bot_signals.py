"""When the bot offers a person unasked: the customer sounds frustrated, or the conversation is stuck.

Both readings are kept in the bot's saved state (core.bot_turn.BotState): the customer's latest texts
for core.frustration, and what the visit went through for core.stuck. Each offers a person once
(`offer`), hands over at once (`escalate`) or is not measured (`off`), as configured in
`escalation.frustration.action` and `escalation.stuck`. What fired is kept in `BotState.signals`,
and from there on the ticket, so the agent sees why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from handoff_slack.core.bot_config import EscalationConfig, FrustrationAction
from handoff_slack.core.bot_turn import BotState, BotTurn, Button, ButtonAction, CustomerFacts, Reply, ReplyKind
from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.phrases import read_prefix
from handoff_slack.core.states import EscalationReason
from handoff_slack.core.stuck import StuckDetector, StuckEvent

FRUSTRATED_OFFER = "I'm sorry this is frustrating. Would you like to talk to a person?"
STUCK_OFFER = "I don't seem to be getting you anywhere. Would you like to talk to a person?"

HandOver = Callable[[BotState, EscalationReason, CustomerFacts], BotTurn]


def offer(text: str, reason: EscalationReason) -> Reply:
    return Reply(
        ReplyKind.OFFER,
        text,
        (
            Button("Yes, talk to a person", ButtonAction.TALK_TO_AGENT, reason.value),
            Button("No thanks", ButtonAction.NO_THANKS),
        ),
    )


class ConversationSignals:
    def __init__(self, config: EscalationConfig, detector: FrustrationDetector) -> None:
        self.config = config
        self.detector = detector
        self.stuck = StuckDetector()

    def read_mood(self, state: BotState, text: str) -> tuple[BotState, bool]:
        """Add the message to the window; True when it tips the customer into frustration (once)."""
        settings = self.config.frustration
        # Only the part the detector reads is kept: the state is saved with every turn.
        recent = (*state.recent, read_prefix(text))[-max(settings.window, 1) :]
        state = replace(state, recent=recent)
        if settings.action is FrustrationAction.OFF:
            return state, False
        reading = self.detector.read(recent)
        state = replace(state, frustration_score=reading.score)
        if not reading.frustrated:
            return replace(state, offered=False), False  # calmed down: a later spell may be offered again
        if state.offered:
            return state, False
        return replace(state, signals=reading.signals), True

    def saw(self, state: BotState, event: StuckEvent) -> BotState:
        """The state after something that may show the conversation going nowhere (core.stuck)."""
        if self.config.stuck is FrustrationAction.OFF:
            return state
        stuck, fired = self.stuck.observe(state.stuck, event)
        return replace(state, stuck=stuck, stuck_fired=tuple(dict.fromkeys((*state.stuck_fired, *fired))))

    def settle(self, turn: BotTurn, hand_over: HandOver, facts: CustomerFacts) -> BotTurn:
        """The turn, with a person offered (or the hand-over) if it showed the customer stuck."""
        fired, state = turn.state.stuck_fired, replace(turn.state, stuck_fired=())
        turn = replace(turn, state=state)
        action = self.config.stuck
        already = any(reply.kind is ReplyKind.OFFER for reply in turn.replies)  # frustration's offer came first
        if not fired or turn.handover or turn.proposal or state.in_triage or state.stuck_offered or already:
            return turn
        state = replace(state, stuck_offered=True, signals=fired)
        if action is FrustrationAction.ESCALATE:
            return hand_over(state, EscalationReason.STUCK, facts)
        return replace(turn, state=state, replies=(*turn.replies, offer(STUCK_OFFER, EscalationReason.STUCK)))
