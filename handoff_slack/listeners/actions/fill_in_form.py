"""The "Fill in the form" button during triage: every question at once, in a modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import BOT_FORM
from handoff_slack.blocks.triage_form import triage_form
from handoff_slack.listeners.actions.bot_buttons import ONLY_IN_DM
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import tell
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

NOT_WITH_THE_BOT = "You're already with our support team, so there's no form to fill in."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def open_form(body: dict[str, Any], respond: Respond) -> None:
        # The trigger ID is valid for 3 s: the lazy listener runs right after the ack.
        customer = customer_from_action(services, body)
        trigger_id = body.get("trigger_id")
        if customer is None or not isinstance(trigger_id, str):
            tell(respond, ONLY_IN_DM)
            return
        questions = services.helpdesk.triage_form(customer.door, customer.facts)
        if questions is None:
            tell(respond, NOT_WITH_THE_BOT)
            return
        try:
            services.client.views_open(trigger_id=trigger_id, view=triage_form(questions, customer.door))
        except SlackApiError as error:
            logger.warning("could not open the triage form: %s", error.response.get("error"))
            tell(respond, "Sorry, I couldn't open the form. Please answer the questions here instead.")

    app.action(BOT_FORM)(ack=acknowledge, lazy=[open_form])
