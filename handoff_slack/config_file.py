"""Reading the bot's YAML configuration (HANDOFF_CONFIG) into `core.bot_config` objects.

The file is checked by the pydantic models of `handoff_slack.config`; every problem is one line of
one `ConfigError`, naming the file, the line and the key (each top-level key and each scenario is
read even when another has a problem):

    HANDOFF_CONFIG /etc/bot.yaml, line 12: scenarios[1].steps[0].choices[0].goto: no step 'foo' in …

Without a path the default shipped inside the package (`default_config.yaml`) is read.
"""

from __future__ import annotations

from importlib import resources

from handoff_slack.config.errors import ConfigError
from handoff_slack.config.load import bot_config_from_text
from handoff_slack.core.bot_config import BotConfig

__all__ = ["ConfigError", "load_bot_config", "parse_bot_config"]

DEFAULT_CONFIG_FILE = "default_config.yaml"
DEFAULT_CONFIG_SOURCE = f"(built-in {DEFAULT_CONFIG_FILE})"


def load_bot_config(path: str | None = None) -> BotConfig:
    """The bot's configuration from `path`, or the built-in default when `path` is None."""
    if path is None:
        text = resources.files("handoff_slack").joinpath(DEFAULT_CONFIG_FILE).read_text(encoding="utf-8")
        return parse_bot_config(text, DEFAULT_CONFIG_SOURCE)
    return parse_bot_config(_read(path), path)


def parse_bot_config(text: str, source: str = "(text)") -> BotConfig:
    """`text` as a configuration; `source` names it in error messages."""
    return bot_config_from_text(text, source)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "is a directory, not a file"
    except PermissionError:
        problem = "cannot be read (permission denied)"
    except UnicodeDecodeError as error:
        problem = f"is not UTF-8 text (bad byte at offset {error.start})"
    except OSError as error:
        problem = f"cannot be read ({error.strerror or type(error).__name__})"
    raise ConfigError(f"HANDOFF_CONFIG {path}: {problem}")
