"""The submission of a modal that gives a ticket to an agent picked in it (blocks.ticket_forms): the
ticket message's Transfer / Assign (transfer_forms) and a `/handoff-queue` line's Assign
(queue_assign) are handled the same way.

The agent is checked before the ack: someone who is not an agent (or the app itself, a member of
the support channel) is refused in the modal itself, Slack showing the error under the picker. The
step is made after the ack (the new owner's name may need Slack), and only for a pick the ack took:
Bolt runs the lazy listener after a refusal too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.ticket_forms import picked_agent
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

NOT_AN_AGENT = "Pick an agent: a member of the support channel."
CHOOSE = "Choose an agent."
CHECK_UNAVAILABLE = "I couldn't check with Slack who is on the support team. Please try again in a moment."

# The step, after the ack: (the user who submitted, the agent they picked, the view, the context).
AgentFormStep = Callable[[str, str, dict[str, Any], BoltContext], None]


def register_agent_form(app: App, services: Services, callback_id: str, picker: str, step: AgentFormStep) -> None:
    """Handle the modal `callback_id`, whose agent picker is `blocks.ticket_forms.agent_picker(picker)`."""

    def check_target(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
        target = picked_agent(view, picker)
        problem = None
        if target is None:
            problem = CHOOSE
        elif target == context.bot_user_id:  # the app is a member of the support channel, not an agent
            problem = NOT_AN_AGENT
        else:
            try:
                if not services.agents.is_agent(target):
                    problem = NOT_AN_AGENT
            except AgentCheckUnavailable:
                problem = CHECK_UNAVAILABLE
        if problem is not None:
            ack(response_action="errors", errors={picker: problem})
            return
        context[OUTCOME_KEY] = target  # the lazy listener runs after a refusal too: only this one acts
        ack()

    def submitted(body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user, target = acting_user(body), context.get(OUTCOME_KEY)
        if not user or not isinstance(target, str):
            return  # not a form of ours, or refused in the modal
        step(user, target, view, context)

    app.view(callback_id)(ack=check_target, lazy=[submitted])
