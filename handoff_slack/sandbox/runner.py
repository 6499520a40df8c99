"""`python main.py sandbox`: the app and a local Slack in one process, behind one URL.

The Slack emulator (handoff_slack.sandbox.emulator) answers the app's Web API calls; the app runs
as in production (its waitress HTTP edge, Bolt, the scheduler, SQLite in ``./sandbox.db``) on a
loopback port of its own; the page server (handoff_slack.sandbox.web.server) serves the page at the
printed URL and passes ``/slack/events`` through to the app. At start-up the admin persona runs
``/handoff-channel on`` in #acme-support (the channel shared with customer 2's organisation), so the
Slack Connect front door can be tried at once. Routing is on (round robin; sandbox_config.py) and the
agent personas start available, so an escalation is offered to one of them by DM. The app's clock is
the sandbox's (sandbox_clock.py): the page's "⏩ Time" control moves it forward, so reminders, the
waiting timeout, idle auto-close (on in the sandbox) and the survey after a close can be seen at once
instead of in a quarter of an hour. No Slack setting
is needed and nothing outside the machine is contacted. Ctrl-C (or SIGTERM) stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff_slack.sandbox.emulator import SlackEmulator
    from handoff_slack.sandbox.personas import Personas
    from handoff_slack.sandbox.workspace import Workspace

DEFAULT_PORT = 3000
DATABASE_FILE = "sandbox.db"
LOOPBACK = "127.0.0.1"
SERVE_TIMEOUT_SECONDS = 10.0  # the app's answer to `/handoff-channel on` at start-up
# Signs the emulator's requests to the app. Fixed, so tests and tools can sign requests too: the
# sandbox listens on loopback only and its page acts as anyone anyway.
SIGNING_SECRET = "sandbox-signing-secret"
# Settings a developer may bring into the sandbox (their bot configuration, log level); the rest
# (tokens, URLs, database, channel, admins) is the sandbox's own.
_PASSED_THROUGH = ("HANDOFF_CONFIG", "HANDOFF_NOTE_PREFIX", "LOG_LEVEL")


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="main.py sandbox",
        description="Run the help desk against a local Slack emulator and open it in the browser.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the page's port (default {DEFAULT_PORT})")
    arguments = parser.parse_args(argv)
    if not 0 <= arguments.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {arguments.port}")
    return arguments


def _settings_env(
    api_url: str, bot_token: str, signing_secret: str, database: Path, cast: Personas, bot_config: Path
) -> dict[str, str]:
    env = {key: os.environ[key] for key in _PASSED_THROUGH if os.environ.get(key, "").strip()}
    env.setdefault("HANDOFF_CONFIG", str(bot_config))  # the sandbox's (routing on), unless the developer's
    env.setdefault("LOG_LEVEL", "WARNING")  # the URL stays the last thing on the screen
    env.update(
        SLACK_BOT_TOKEN=bot_token,
        SLACK_SIGNING_SECRET=signing_secret,
        SLACK_API_URL=api_url,
        DATABASE_URL=f"sqlite:///{database}",
        HANDOFF_SUPPORT_CHANNEL=cast.support_channel,
        HANDOFF_ADMINS=cast.admin.user_id,
        HOST=LOOPBACK,
        HANDOFF_DELIVERY_RETRY_SECONDS="2",
    )
    return env


def _serve_shared_channel(emulator: SlackEmulator, workspace: Workspace, cast: Personas) -> None:
    """The admin turns the Slack Connect channel on, as in Slack (`/handoff-channel on` run there), so
    customer 2 can try it at once; the app's answer (shown to the admin only) says it is served."""
    admin, channel = cast.admin.user_id, cast.shared_channel
    workspace.run_command(admin, channel, "/handoff-channel", "on")
    answered = emulator.wait_until(
        lambda: any("is served" in m.get("text", "") for m in emulator.ephemerals(admin, channel)),
        timeout=SERVE_TIMEOUT_SECONDS,
    )
    if not answered:  # the sandbox still runs; the visitor can run the command as the admin
        print(
            "handoff-slack sandbox: the shared channel is not served yet: run /handoff-channel on there as the admin",
            file=sys.stderr,
        )


def _fresh_database(path: Path) -> None:
    """The emulator remembers nothing between runs, so neither does the sandbox's database."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    from handoff_slack.app import create_app
    from handoff_slack.logging_setup import configure_logging, secrets_of
    from handoff_slack.sandbox.emulator import SlackEmulator
    from handoff_slack.sandbox.personas import seed
    from handoff_slack.sandbox.sandbox_clock import SandboxClock, TimeControl
    from handoff_slack.sandbox.sandbox_config import agents_available, write_config
    from handoff_slack.sandbox.web.page_model import PageModel
    from handoff_slack.sandbox.web.server import PageServer
    from handoff_slack.sandbox.workspace import Workspace
    from handoff_slack.scheduler import run_timers_once
    from handoff_slack.server import build_http_server
    from handoff_slack.settings import SettingsError, load_settings
    from handoff_slack.startup import StartupError

    try:  # the one URL first: a taken port is one line, before anything is created
        page = PageServer(LOOPBACK, arguments.port)
    except OSError as error:
        print(
            f"handoff-slack: cannot listen on {LOOPBACK}:{arguments.port}: {error.strerror} (try --port)",
            file=sys.stderr,
        )
        return 1
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C even when started in the background
    emulator = SlackEmulator().start()
    config_dir = tempfile.TemporaryDirectory(prefix="handoff-sandbox-")  # the sandbox's bot YAML
    app: Any = None
    app_server: Any = None
    app_thread: threading.Thread | None = None
    try:
        cast = seed(emulator)
        # The admin works in the support channel too (runs /handoff-queue there, sees tickets).
        emulator.set_members(cast.support_channel, [cast.agent_1.user_id, cast.agent_2.user_id, cast.admin.user_id])
        database = Path.cwd() / DATABASE_FILE
        _fresh_database(database)
        signing_secret = SIGNING_SECRET
        clock = SandboxClock()  # the app's; the page's "⏩ Time" control moves it forward
        try:
            bot_config = write_config(Path(config_dir.name))
            settings = load_settings(
                _settings_env(emulator.api_url, emulator.bot_token, signing_secret, database, cast, bot_config)
            )
            configure_logging(settings.log_level, secrets_of(settings))
            app = create_app(settings, clock=clock)
        except (SettingsError, StartupError) as error:
            print(f"handoff-slack: sandbox: {error}", file=sys.stderr)
            return 1
        # Someone for routing to offer a ticket to: the agents start available.
        agents_available(app.services.profiles, [cast.agent_1.user_id, cast.agent_2.user_id], cast.admin.user_id, clock)
        app_server = build_http_server(app, LOOPBACK, 0)
        app_thread = threading.Thread(target=app_server.run, name="app-http", daemon=True)
        app_thread.start()
        app.start_background_work()
        app_url = f"http://{LOOPBACK}:{app_server.effective_port}"
        workspace = Workspace(emulator, app_url + "/slack/events", signing_secret)
        _serve_shared_channel(emulator, workspace, cast)
        time_control = TimeControl(clock, partial(run_timers_once, app.services, app.leadership))
        page.start(PageModel(emulator, workspace, cast, time_control), app_url)
        print(f"handoff-slack sandbox: open {page.url}  (Ctrl-C stops it; database {database})", flush=True)
        threading.Event().wait()  # until Ctrl-C or SIGTERM
        return 0
    except KeyboardInterrupt:
        print("handoff-slack sandbox: stopping", file=sys.stderr)
        return 0
    finally:
        page.stop()
        if app_server is not None:
            app_server.trigger.pull_trigger(app_server.close)  # ends waitress's loop now
            if app_thread is not None:
                app_thread.join(10)
        if app is not None:
            app.close()
        emulator.stop()
        config_dir.cleanup()
