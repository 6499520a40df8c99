"""`/handoff-channel on|off|list|greeting|triage`: which shared channels the app serves, and how;
admins (HANDOFF_ADMINS) only.

Run in a channel, `on` turns serving on there (a customer's top-level message then starts a
conversation in its thread: listeners.events.shared_channel_message) and `off` turns it off; `list`
shows the served channels with their settings. `greeting <text>` and `triage on|off` set the
channel's own greeting and triage switch (core.channel_settings; `default` goes back to the bot's
YAML). Everyone else gets a polite refusal only they see. Answers are ephemeral: the command itself
never makes the bot speak in the channel.

Turning a channel off keeps what its threads' customers wrote: their open tickets stay for agents to
close, each ticket's thread is told (in the same transaction), and from then on nothing reaches the
channel, messages already queued for it included (slack.served_doors).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.mrkdwn import make_safe, quote, shorten
from handoff_slack.core.channel_settings import MAX_GREETING_CHARS, ChannelSettings
from handoff_slack.core.notices import Notice
from handoff_slack.listeners.payloads import can_respond, is_direct_message
from handoff_slack.services import Services

COMMAND = "/handoff-channel"
REFUSAL = "Sorry, only the helpdesk's admins can choose the channels it serves."
USAGE = (
    f"Usage, in a channel shared with a customer's organisation: `{COMMAND} on` serves it (a customer's "
    f"message there starts a conversation in its thread), `{COMMAND} off` stops serving it; "
    f"`{COMMAND} greeting <text>` sets the greeting of its threads (`{COMMAND} greeting default`: the bot's), "
    f"`{COMMAND} triage on|off|default` whether the triage questions are asked there; "
    f"`{COMMAND} list` shows the served channels and their settings. "
    f"For example: `{COMMAND} greeting Hi from the Acme support team! Pick a topic or ask away.`"
)
DEFAULT = "default"
_TRIAGE = {"on": True, "off": False, DEFAULT: None}


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the answer follows via response_url

    def answer(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        channel = str(command.get("channel_id") or "")
        text = str(command.get("text") or "").strip()
        if not services.agents.is_admin(user):
            respond(text=REFUSAL, response_type="ephemeral")
            return
        option, _, rest = text.partition(" ")
        said, to_flush = _apply(services, option.lower(), rest.strip(), user, channel)
        respond(text=said, response_type="ephemeral")
        for conversation_id in to_flush:  # the tickets' threads hear that the channel is off
            services.outbox.deliver(conversation_id)

    app.command(COMMAND)(ack=acknowledge, lazy=[answer])


def _apply(services: Services, option: str, rest: str, user: str, channel: str) -> tuple[str, list[int]]:
    """What to answer, and the conversations whose outbox has something new."""
    if option == "list" and not rest:
        return _listed(services), []
    if option not in ("on", "off", "greeting", "triage") or (option in ("on", "off") and rest):
        return USAGE, []
    if not channel or is_direct_message(channel) or channel == services.settings.support_channel:
        return f"`{COMMAND} {option}` works in a channel shared with a customer's organisation, not here.", []
    if option == "on":
        newly = services.channels.turn_on(channel, user, services.clock())
        already = "" if newly else " already"
        return f"<#{channel}> is served{already}: a customer's message here starts a conversation in its thread.", []
    if option == "off":
        return _turn_off(services, channel)
    if option == "greeting":
        return _greeting(services, channel, rest), []
    return _triage(services, channel, rest.lower()), []


def _turn_off(services: Services, channel: str) -> tuple[str, list[int]]:
    turned_off = services.channels.turn_off(channel, Notice.channel_off_note(channel))
    if turned_off is None:
        return f"<#{channel}> was not served.", []
    count = len(turned_off.open_conversations)
    said = f"<#{channel}> is no longer served: the app stays silent here."
    if not count:
        return f"{said} It had no open conversations.", []
    conversations = "1 open conversation" if count == 1 else f"{count} open conversations"
    said += (
        f" It had {conversations}: their tickets stay open for agents to close, and each ticket's thread "
        "was told that replies no longer reach the customer."
    )
    return said, [conversation_id for conversation_id, _ in turned_off.open_conversations]


def _greeting(services: Services, channel: str, text: str) -> str:
    if not text:
        return f"Which greeting? {USAGE}"
    if len(text) > MAX_GREETING_CHARS:
        return f"That greeting is {len(text):,} characters long; at most {MAX_GREETING_CHARS:,} fit. {USAGE}"
    greeting = None if text.lower() == DEFAULT else text
    if not services.channels.set_greeting(channel, greeting):
        return _not_served(channel)
    if greeting is None:
        return f"<#{channel}>'s threads open with the bot's greeting again."
    return f"<#{channel}>'s threads now open with:\n{quote(_shown(greeting), MAX_GREETING_CHARS)}"


def _triage(services: Services, channel: str, word: str) -> str:
    if word not in _TRIAGE:
        return USAGE
    if not services.channels.set_triage(channel, _TRIAGE[word]):
        return _not_served(channel)
    return f"<#{channel}>: {_triage_label(_TRIAGE[word])}."


def _not_served(channel: str) -> str:
    return f"<#{channel}> is not served: `{COMMAND} on` first."


def _listed(services: Services) -> str:
    served = services.channels.listed_with_settings()
    if not served:
        return f"No channel is served yet. {USAGE}"
    return "Served channels:\n" + "\n".join(f"• <#{channel_id}>{_settings(s)}" for channel_id, s in served)


def _settings(settings: ChannelSettings) -> str:
    if settings.is_default:
        return ""
    shown = []
    if settings.greeting is not None:
        shown.append(f"greeting “{shorten(' '.join(_shown(settings.greeting).split()), 80)}”")
    if settings.triage is not None:
        shown.append(_triage_label(settings.triage))
    return " — " + ", ".join(shown)


def _triage_label(triage: bool | None) -> str:
    if triage is None:
        return "triage as the bot's configuration says"
    return "triage questions asked" if triage else "no triage questions"


def _shown(greeting: str) -> str:
    """The admin's greeting as the bot will show it: no pings, no hidden links."""
    return make_safe(greeting, trusted_links=True)
