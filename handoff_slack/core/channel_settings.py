"""A served shared channel's own choices: its greeting and whether triage runs (a plain value).

Set by admins with `/handoff-channel greeting <text>` and `/handoff-channel triage on|off` in the
channel; None in either means the bot's YAML decides. The bot then runs with them in that channel's
threads (core.bot.BotEngine.in_channel); DMs and other channels never see them.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_GREETING_CHARS = 1000  # a greeting, not a manual: it opens every thread's menu


@dataclass(frozen=True)
class ChannelSettings:
    greeting: str | None = None  # as the admin typed it (Slack markup); made safe when shown
    # False: no triage questions in the channel's threads; True: the YAML's questions (before the
    # hand-off if the YAML has triage off)
    triage: bool | None = None

    @property
    def is_default(self) -> bool:
        return self.greeting is None and self.triage is None
