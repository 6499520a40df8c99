"""`/handoff-channel on|off|list`: which shared channels the app serves; admins (HANDOFF_ADMINS) only.

Run in a channel, `on` turns serving on there (a customer's top-level message then starts a
conversation in its thread: listeners.events.shared_channel_message) and `off` turns it off; `list`
shows the served channels. Everyone else gets a polite refusal only they see. Answers are ephemeral:
the command itself never makes the bot speak in the channel.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.listeners.payloads import can_respond, is_direct_message
from handoff_slack.services import Services

COMMAND = "/handoff-channel"
REFUSAL = "Sorry, only the helpdesk's admins can choose the channels it serves."
USAGE = (
    f"Usage, in a channel shared with a customer's organisation: `{COMMAND} on` serves it (a customer's "
    f"message there starts a conversation in its thread), `{COMMAND} off` stops serving it; "
    f"`{COMMAND} list` shows the served channels."
)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the answer follows via response_url

    def answer(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        channel = str(command.get("channel_id") or "")
        option = str(command.get("text") or "").strip().lower()
        if not services.agents.is_admin(user):
            respond(text=REFUSAL, response_type="ephemeral")
            return
        respond(text=_apply(services, option, user, channel), response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[answer])


def _apply(services: Services, option: str, user: str, channel: str) -> str:
    if option == "list":
        served = services.channels.listed()
        if not served:
            return f"No channel is served yet. {USAGE}"
        return "Served channels:\n" + "\n".join(f"• <#{channel_id}>" for channel_id in served)
    if option not in ("on", "off"):
        return USAGE
    if not channel or is_direct_message(channel) or channel == services.settings.support_channel:
        return f"`{COMMAND} {option}` works in a channel shared with a customer's organisation, not here."
    if option == "on":
        newly = services.channels.turn_on(channel, user, services.clock())
        already = "" if newly else " already"
        return f"<#{channel}> is served{already}: a customer's message here starts a conversation in its thread."
    if services.channels.turn_off(channel):
        return f"<#{channel}> is no longer served: the app stays silent here."
    return f"<#{channel}> was not served."
