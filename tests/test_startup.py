"""`python main.py` as an operator runs it: clear one-line refusals, migrations, a clean start and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from handoff_slack.core.bot_config import DEFAULT_GREETING as GREETING
from tests.conftest import CUSTOMER
from tests.support.app_under_test import SIGNING_SECRET, SUPPORT_CHANNEL
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import posted_to
from tests.support.slack_requests import SlackSender, dm_message
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
OUR_VARIABLES = ("SLACK_", "HANDOFF_", "DATABASE_URL", "PORT", "HOST", "LOG_LEVEL")
TABLES = {"conversation", "ticket", "message", "processed_event", "alembic_version"}


def clean_env(**settings: str) -> dict[str, str]:
    """The test process's environment without any of the app's settings, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_VARIABLES)}
    env.update(settings)
    return env


def valid_settings(tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HANDOFF_SUPPORT_CHANNEL": SUPPORT_CHANNEL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'handoff.db'}",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached by these tests
    }


def run_main(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", None),
        ("PORT", "abc"),
        ("HANDOFF_SUPPORT_CHANNEL", "general"),
        ("DATABASE_URL", "mysql://x"),
        ("HANDOFF_ADMINS", "bob"),
        ("HANDOFF_TIMER_STATEMENT_SECONDS", "0"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path: Path, variable: str, value: str | None) -> None:
    settings = valid_settings(tmp_path)
    if value is None:
        del settings[variable]
    else:
        settings[variable] = value

    done = run_main(clean_env(**settings))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if "configuration error" in line]
    assert len(problems) == 1, done.stderr
    assert variable in problems[0]
    assert not (tmp_path / "handoff.db").exists()  # refused before touching anything


def test_every_missing_and_malformed_setting_is_named_in_one_run(tmp_path: Path) -> None:
    settings = {"PORT": "abc", "DATABASE_URL": "mysql://x", "HANDOFF_CONFIG": str(tmp_path / "missing.yaml")}

    done = run_main(clean_env(**settings))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    problems = [line for line in done.stderr.splitlines() if "configuration error" in line]
    named = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_SUPPORT_CHANNEL", "PORT", "DATABASE_URL"]
    assert [line.split(": ")[2].split()[0] for line in problems] == [*named, "HANDOFF_CONFIG"], done.stderr
    # What a newcomer with nothing set needs next.
    assert "python main.py --help" in done.stderr and "python main.py sandbox" in done.stderr
    assert not list(tmp_path.glob("*.db")) and not Path(REPO, "handoff.db").exists()


def test_bad_settings_and_a_bad_bot_configuration_are_named_together(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("greting: typo\n")

    done = run_main(clean_env(**(valid_settings(tmp_path) | {"PORT": "abc", "HANDOFF_CONFIG": str(config)})))

    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if "configuration error" in line]
    assert len(problems) == 2, done.stderr
    assert "PORT" in problems[0] and "greting" in problems[1]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("greeting: Hi\ngreting: typo\n", ["line 2", "greting", "did you mean 'greeting'"]),
        (
            "scenarios:\n  - id: hours\n    title: Hours\n    triggers: [hours]\n    answr: 9-5\n",
            ["line 5", "scenarios[0]", "answr"],
        ),
        ("triage:\n  mode: sometimes\n", ["line 2", "triage.mode", "before_handoff"]),
        ("scenarios: [\n", ["YAML syntax error"]),
    ],
)
def test_a_bad_bot_configuration_stops_start_up_with_one_line_naming_key_and_line(
    tmp_path: Path, yaml_text: str, expected: list[str]
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(yaml_text)

    done = run_main(clean_env(**valid_settings(tmp_path), HANDOFF_CONFIG=str(config)))

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "HANDOFF_CONFIG" in lines[0] and str(config) in lines[0]
    for part in expected:
        assert part in lines[0]
    assert not (tmp_path / "handoff.db").exists()  # refused before touching anything


def test_every_problem_of_the_bot_configuration_is_named_in_one_run(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(
        "greting: typo\n"
        "scenarios:\n"
        "  - {id: hours, title: Hours, triggers: [hours], answr: 9-5}\n"
        "  - {id: Bad-Id, title: Refunds, triggers: [refund], answer: Sure}\n"
        "triage:\n  mode: sometimes\n"
    )

    done = run_main(clean_env(**valid_settings(tmp_path), HANDOFF_CONFIG=str(config)))

    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if "configuration error" in line]
    assert [next(key for key in ("greting", "answr", "Bad-Id", "sometimes") if key in p) for p in problems] == [
        "greting",
        "answr",
        "Bad-Id",
        "sometimes",
    ], done.stderr
    assert all(str(config) in problem for problem in problems)


def test_a_token_slack_refuses_stops_start_up_with_one_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    settings = valid_settings(tmp_path) | {
        "SLACK_BOT_TOKEN": "xoxb-not-the-right-one",
        "SLACK_API_URL": fake_slack.api_url,
    }

    done = run_main(clean_env(**settings))

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "SLACK_BOT_TOKEN" in lines[0] and "invalid_auth" in lines[0], done.stderr
    assert fake_slack.api_url + "auth.test" in lines[0]
    assert "Bot User OAuth Token" in lines[0]  # what to do about it
    assert [line for line in lines if "SLACK_BOT_TOKEN" in line] == [lines[0]]
    assert "python main.py sandbox" in done.stderr
    assert "xoxb-not-the-right-one" not in done.stdout + done.stderr
    assert [c.response.get("error") for c in fake_slack.calls("auth.test")] == ["invalid_auth"]
    assert not (tmp_path / "handoff.db").exists()  # the token is checked before the database is made


# Seconds beyond a start-up that fails on Slack's first answer (the same imports and checks; on a
# busy machine the process alone can take seconds). Retrying these cost 6 s or more: the bound tells
# the two apart with room for a busy machine.
UNREACHABLE_WITHIN = 5.0


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize(
    ("where", "cause"),
    [
        ("refused", "connection refused by 127.0.0.1 port 1"),
        ("dns", "the host name handoff-test.invalid could not be resolved (DNS"),
        ("tls", "TLS failed with 127.0.0.1"),
        ("silent", "no answer within 1 s"),
    ],
)
def test_an_unreachable_slack_api_is_explained_at_once_and_leaves_no_database(
    tmp_path: Path, fake_slack: FakeSlack, where: str, cause: str
) -> None:
    with silent_listener() as silent_port:
        api_url = {
            "refused": "http://127.0.0.1:1/api/",  # nothing listens there
            "dns": "http://handoff-test.invalid/api/",  # .invalid never resolves (RFC 2606)
            "tls": fake_slack.api_url.replace("http://", "https://"),  # plain HTTP answers the handshake
            "silent": f"http://127.0.0.1:{silent_port}/api/",
        }[where]
        settings = valid_settings(tmp_path) | {"SLACK_API_URL": api_url, "HANDOFF_SLACK_TIMEOUT_SECONDS": "1"}
        refused = settings | {"SLACK_BOT_TOKEN": "xoxb-refused", "SLACK_API_URL": fake_slack.api_url}

        started = time.monotonic()
        assert run_main(clean_env(**refused)).returncode == 1  # Slack answers at once: the baseline
        baseline = time.monotonic() - started
        started = time.monotonic()
        done = run_main(clean_env(**settings))
        took = time.monotonic() - started - baseline

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "handoff.db").exists()
    assert took < UNREACHABLE_WITHIN, f"took {took:.1f} s more than a start-up Slack refuses at once"
    lines = done.stderr.splitlines()
    assert lines[0].startswith("handoff-slack: cannot reach the Slack Web API"), done.stderr
    assert api_url + "auth.test" in lines[0]  # what was tried
    assert cause in lines[0], done.stderr  # why it failed
    assert f"SLACK_API_URL ({api_url})" in lines[0]  # the setting, since it was set
    assert any("python main.py sandbox" in line for line in lines[1:])  # what to do
    assert any("Creating the Slack app" in line for line in lines[1:])


class NotSlack(BaseHTTPRequestHandler):
    """Some web server: SLACK_API_URL pointed at the wrong place."""

    def do_POST(self) -> None:
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_web_server_that_is_not_slack_is_named_as_such(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotSlack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api_url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        done = run_main(clean_env(**(valid_settings(tmp_path) | {"SLACK_API_URL": api_url})))
    finally:
        server.shutdown()
        server.server_close()

    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == (
        f"handoff-slack: {api_url}auth.test answered HTTP 404, which is not a Slack Web API answer; "
        f"check SLACK_API_URL ({api_url})"
    ), done.stderr
    assert "<html>" not in done.stderr
    assert not (tmp_path / "handoff.db").exists()


def test_with_the_default_api_url_no_setting_the_user_did_not_set_is_named(tmp_path: Path) -> None:
    # The README's placeholder token, Slack out of reach: a proxy that refuses stands in for the
    # network, so nothing leaves the machine (slack_sdk sends every call through HTTPS_PROXY).
    settings = valid_settings(tmp_path) | {"SLACK_BOT_TOKEN": "xoxb-your-token", "HTTPS_PROXY": "http://127.0.0.1:1"}
    del settings["SLACK_API_URL"]

    done = run_main(clean_env(**settings))

    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert "https://slack.com/api/auth.test failed: connection refused by the proxy 127.0.0.1" in lines[0], lines
    assert "SLACK_API_URL" not in done.stderr
    assert not (tmp_path / "handoff.db").exists()


def test_migrate_needs_only_the_database_url(tmp_path: Path) -> None:
    database = tmp_path / "migrated.db"

    done = run_main(clean_env(DATABASE_URL=f"sqlite:///{database}"), "migrate")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_migrate_against_an_unreachable_database_fails_in_one_line_without_the_password() -> None:
    password = "N0t-For-Your-Eyes"
    url = f"postgresql://handoff:{password}@127.0.0.1:1/handoff"

    done = run_main(clean_env(DATABASE_URL=url), "migrate")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "127.0.0.1:1" in lines[0]
    assert password not in done.stdout + done.stderr


def test_serves_slack_and_stops_cleanly_after_in_flight_work_on_sigterm(tmp_path: Path, fake_slack: FakeSlack) -> None:
    port = free_port()
    settings = valid_settings(tmp_path) | {
        "SLACK_API_URL": fake_slack.api_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "HANDOFF_DELIVERY_RETRY_SECONDS": "1",
    }
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "stderr.txt").open("w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=REPO, env=clean_env(**settings), stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:

            def healthy() -> bool:
                assert process.poll() is None, f"main.py exited with {process.returncode}"
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                        return response.status == 200 and response.read() == b"ok"
                except (urllib.error.URLError, ConnectionError):
                    return False

            wait_until(healthy, timeout=20, message="GET /healthz to answer")

            reply = SlackSender(base + "/slack/events", SIGNING_SECRET).event(dm_message(CUSTOMER, "hello"))
            assert reply.status == 200, reply
            menu = fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", GREETING))[0]
            assert menu.params["text"] == GREETING

            # Stopping while a reply is still on its way: it is finished first.
            fake_slack.delay("chat.postMessage", 1)
            reply = SlackSender(base + "/slack/events", SIGNING_SECRET).event(dm_message(CUSTOMER, "hello again"))
            assert reply.status == 200, reply
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            menus = [c for c in fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}") if c.ok]
            assert [c.params["text"] for c in menus] == [GREETING, GREETING]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        stderr.seek(0)
        output = stderr.read()
    assert "Traceback" not in output, output
    assert "listening on" in output  # the log is there, at INFO
    assert "will be unused" not in output, output  # Bolt's warning about our client and the token


def test_help_lists_the_commands_and_every_setting_with_its_default() -> None:
    from handoff_slack.settings import SETTINGS
    from main import COMMANDS

    for flag in ("--help", "-h", "help"):
        done = run_main(clean_env(), flag)

        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        for name in ("serve", "migrate", *COMMANDS):
            assert any(line.split()[:1] == [name] for line in lines), f"{name} missing from {flag}"
        for setting in SETTINGS:
            listed = [line for line in lines if line.split()[:1] == [setting.name]]
            assert len(listed) == 1, f"{setting.name} missing from {flag}"
            assert setting.shown_default in listed[0]
    assert "(the default)" in next(line for line in lines if line.split()[:1] == ["serve"])


def test_an_unknown_command_says_so_shows_the_help_and_exits_2(tmp_path: Path) -> None:
    done = run_main(clean_env(**valid_settings(tmp_path)), "--port")

    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "handoff-slack: unknown command '--port'"
    assert "Commands:" in done.stderr and "SLACK_BOT_TOKEN" in done.stderr
    assert not (tmp_path / "handoff.db").exists()
