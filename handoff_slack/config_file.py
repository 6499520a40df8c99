"""Reading the bot's YAML configuration (HANDOFF_CONFIG) into `core.bot_config` objects.

Placeholder: being written (issue 5). Returns the built-in defaults.
"""

from __future__ import annotations

from handoff_slack.core.bot_config import BotConfig


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid; the message names the key and line."""


def load_bot_config(path: str | None = None) -> BotConfig:
    return BotConfig()
