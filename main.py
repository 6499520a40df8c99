"""Start handoff-slack: `python main.py [COMMAND]`; `python main.py --help` lists the commands and settings."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handoff_slack.settings import Settings

DEFAULT_COMMAND = "serve"
HELP_FLAGS = ("-h", "--help")
CONFIGURATION_ERROR = 2  # exit code for a bad command line or setting: nothing was started


@dataclass(frozen=True)
class Command:
    run: Callable[[list[str]], int]  # the arguments after the command's name -> exit code
    summary: str


def _say(text: str) -> None:
    """Each line of `text` to stderr, as ours."""
    for line in text.splitlines():
        print(f"handoff-slack: {line}", file=sys.stderr)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds into serve(), which shuts down cleanly


def _no_arguments(name: str, args: list[str]) -> bool:
    if args:
        _say(f"{name} takes no arguments, got {' '.join(args)!r}; see python main.py --help")
    return not args


def _migrate(database_url: str, quiet: bool = False) -> int:
    from handoff_slack.storage.database import DatabaseUnavailable, migrate

    try:
        migrate(database_url)
    except DatabaseUnavailable as error:
        _say(str(error))
        return 1
    if not quiet:
        print("handoff-slack: the database schema is at the newest revision")
    return 0


def migrate_command(args: list[str]) -> int:
    from handoff_slack.settings import SettingsError, database_url_from_env

    if not _no_arguments("migrate", args):
        return CONFIGURATION_ERROR
    try:
        database_url = database_url_from_env()
    except SettingsError as error:
        _say_configuration_errors(error.problems)
        return CONFIGURATION_ERROR
    return _migrate(database_url)


def _say_configuration_errors(problems: tuple[str, ...] | list[str]) -> None:
    from handoff_slack.settings import SETTINGS

    for problem in problems:
        _say(f"configuration error: {problem}")
    required = [setting.name for setting in SETTINGS if setting.required]
    if any(problem.startswith(tuple(f"{name} is not set" for name in required)) for problem in problems):
        _say("python main.py --help lists every setting; python main.py sandbox runs without Slack")


def checked_settings() -> Settings | None:
    """The settings, and the bot's configuration file checked; else every problem said, and None."""
    from handoff_slack.config_file import ConfigError, load_bot_config
    from handoff_slack.settings import SettingsError, config_path_from_env, load_settings

    problems: list[str] = []
    settings = None
    try:
        settings = load_settings()
    except SettingsError as error:
        problems.extend(error.problems)
    try:
        # Read on its own too, so one run names the file's problems along with the settings'.
        load_bot_config(settings.config_path if settings is not None else config_path_from_env())
    except (SettingsError, ConfigError) as error:  # HANDOFF_CONFIG unset or unreadable, or the file's problems
        problems.extend(problem for problem in error.problems if problem not in problems)
    if problems:
        _say_configuration_errors(problems)
        return None
    return settings


def _serve_in_workers(settings: Settings) -> int:
    """Check the token and migrate here, once, so a problem is one message, not one per worker."""
    from handoff_slack.server import serve_in_workers
    from handoff_slack.startup import StartupError, verify_bot_token

    try:
        verify_bot_token(settings)  # first: a refusal leaves no database behind
    except StartupError as error:
        _say(str(error))
        return 1
    migrated = _migrate(settings.database_url, quiet=True)
    if migrated != 0:
        return migrated
    return serve_in_workers(settings)


def serve_command(args: list[str]) -> int:
    if not _no_arguments("serve", args):
        return CONFIGURATION_ERROR
    settings = checked_settings()
    if settings is None:
        return CONFIGURATION_ERROR
    from handoff_slack.logging_setup import configure_logging, secrets_of

    configure_logging(settings.log_level, secrets_of(settings))
    if settings.workers > 1:
        return _serve_in_workers(settings)

    from handoff_slack.app import create_app
    from handoff_slack.server import serve
    from handoff_slack.startup import StartupError

    try:
        app = create_app(settings)  # checks the token with Slack before it creates anything
    except StartupError as error:
        _say(str(error))
        return 1
    signal.signal(signal.SIGTERM, _stop)
    serve(app)
    return 0


def help_text() -> str:
    from handoff_slack.settings import SETTINGS

    width = max(len(name) for name in COMMANDS)
    commands = [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    name_width = max(len(setting.name) for setting in SETTINGS)
    default_width = max(len(setting.shown_default) for setting in SETTINGS)
    settings = [
        f"  {setting.name:<{name_width}}  {setting.shown_default:<{default_width}}  {setting.summary}"
        for setting in SETTINGS
    ]
    return "\n".join(
        [
            "handoff-slack: a Slack help desk that hands customers from a bot to a human agent and back.",
            "",
            f"usage: python main.py [COMMAND]      (no command: {DEFAULT_COMMAND})",
            "",
            "Commands:",
            *commands,
            "",
            "Settings (environment variables; name, default, meaning):",
            *settings,
            "",
            "Reference: docs/configuration.md. Set-up: README.md.",
        ]
    )


def sandbox_command(args: list[str]) -> int:
    """The app with a local Slack emulator and its page: handoff_slack/sandbox/runner.py."""
    from handoff_slack.sandbox.runner import main as sandbox

    return sandbox(args)


def help_command(args: list[str]) -> int:
    print(help_text())
    return 0


COMMANDS: dict[str, Command] = {
    "serve": Command(
        serve_command,
        "(the default) serve Slack: HTTP on PORT, or Socket Mode when SLACK_APP_TOKEN is set; "
        "checks the settings and the token with Slack first, then migrates the database",
    ),
    "migrate": Command(
        migrate_command, "only bring the database schema to the newest revision (needs only DATABASE_URL)"
    ),
    "sandbox": Command(
        sandbox_command,
        "the whole product in a browser without a Slack workspace: the app, a local Slack emulator and "
        "its page on one loopback URL (--port N, default 3000); no setting needed",
    ),
    "help": Command(help_command, "this help (also -h, --help)"),
}


def main(argv: list[str]) -> int:
    args = argv[1:]
    name = args[0] if args else DEFAULT_COMMAND
    command = COMMANDS.get("help" if name in HELP_FLAGS else name)
    if command is None:
        _say(f"unknown command {name!r}")
        print(help_text(), file=sys.stderr)
        return CONFIGURATION_ERROR
    return command.run(args[1:])


def run(argv: list[str]) -> int:
    """`main`, but Ctrl-C at any moment (start-up, migrations, a second one while stopping) ends the
    process with one line instead of a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("handoff-slack: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # nor while the interpreter shuts down


if __name__ == "__main__":
    sys.exit(run(sys.argv))
