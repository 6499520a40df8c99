"""`python main.py` as an operator runs it: clear one-line refusals, migrations, a clean start and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
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
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0]
    assert not (tmp_path / "handoff.db").exists()  # refused before touching anything


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


def test_a_token_slack_refuses_stops_start_up_with_one_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    settings = valid_settings(tmp_path) | {
        "SLACK_BOT_TOKEN": "xoxb-not-the-right-one",
        "SLACK_API_URL": fake_slack.api_url,
    }

    done = run_main(clean_env(**settings))

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    naming = [line for line in lines if "SLACK_BOT_TOKEN" in line]
    assert naming == [lines[-1]], done.stderr  # one line, and it is the last word
    assert "invalid_auth" in naming[0]
    assert "xoxb-not-the-right-one" not in done.stdout + done.stderr
    assert [c.response.get("error") for c in fake_slack.calls("auth.test")] == ["invalid_auth"]


def test_an_unreachable_slack_api_stops_start_up_with_exactly_one_line(tmp_path: Path) -> None:
    settings = valid_settings(tmp_path) | {"SLACK_API_URL": "http://127.0.0.1:1/api/"}  # nothing listens there

    done = run_main(clean_env(**settings))

    assert done.returncode == 1
    assert done.stderr.splitlines() == ["handoff-slack: cannot reach the Slack Web API at SLACK_API_URL: URLError"]


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
