"""Start handoff-slack: `python main.py` serves the app, `python main.py migrate` only migrates."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handoff_slack.settings import Settings


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds into serve(), which shuts down cleanly


def _migrate(database_url: str, quiet: bool = False) -> int:
    from handoff_slack.storage.database import DatabaseUnavailable, migrate

    try:
        migrate(database_url)
    except DatabaseUnavailable as error:
        print(f"handoff-slack: {error}", file=sys.stderr)
        return 1
    if not quiet:
        print("handoff-slack: the database schema is at the newest revision")
    return 0


def _serve_in_workers(settings: Settings) -> int:
    """Migrate and check the token here, once, so a problem is one line, not one per worker."""
    from handoff_slack.app import StartupError, verify_bot_token
    from handoff_slack.server import serve_in_workers
    from handoff_slack.slack.client import build_web_client

    migrated = _migrate(settings.database_url, quiet=True)
    if migrated != 0:
        return migrated
    client = build_web_client(settings.bot_token, settings.slack_api_url, timeout=settings.slack_timeout_seconds)
    try:
        verify_bot_token(client)
    except StartupError as error:
        print(f"handoff-slack: {error}", file=sys.stderr)
        return 1
    return serve_in_workers(settings)


def main(argv: list[str]) -> int:
    from handoff_slack.settings import SettingsError, database_url_from_env, load_settings

    command = argv[1:]
    if command[:1] == ["sandbox"]:  # the app with a local Slack emulator: handoff_slack/sandbox/runner.py
        from handoff_slack.sandbox.runner import main as sandbox

        return sandbox(command[1:])
    if command not in ([], ["migrate"]):
        print(f"handoff-slack: unknown command {' '.join(command)!r} (use no argument, or 'migrate')", file=sys.stderr)
        return 2
    try:
        if command == ["migrate"]:
            return _migrate(database_url_from_env())
        settings = load_settings()
        from handoff_slack.config_file import load_bot_config

        load_bot_config(settings.config_path)  # a bad bot configuration stops us before anything starts
    except SettingsError as error:
        print(f"handoff-slack: configuration error: {error}", file=sys.stderr)
        return 2
    from handoff_slack.logging_setup import configure_logging, secrets_of

    configure_logging(settings.log_level, secrets_of(settings))

    if settings.workers > 1:
        return _serve_in_workers(settings)

    from handoff_slack.app import StartupError, create_app
    from handoff_slack.server import serve

    try:
        app = create_app(settings)
    except StartupError as error:
        print(f"handoff-slack: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    serve(app)
    return 0


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
