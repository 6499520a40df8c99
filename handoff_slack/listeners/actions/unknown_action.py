"""Buttons no listener knows (from messages of an older version, say): acknowledged, never a 404.

Without this Bolt answers 404 and Slack shows the person who pressed the button an error icon.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.listeners.payloads import tell

STALE_BUTTON = "Sorry, that button doesn't do anything any more."


def register(app: App) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def explain(action: dict[str, Any], respond: Respond) -> None:
        if not action.get("url"):  # a link button has done its job by opening the link
            tell(respond, STALE_BUTTON)

    app.block_action(re.compile(".*"))(ack=acknowledge, lazy=[explain])
