"""What the app logs at its default level (INFO): never a token, the signing secret or a message text.

The in-process tests log through the handler `python main.py` installs (so they see exactly what an
operator would) and also check the raw records, so that nothing depends on the redaction alone
where it doesn't have to. The subprocess tests run `main.py` itself, including Ctrl-C.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from handoff_slack.logging_setup import CHATTY_LOGGERS, build_handler, quiet_libraries, secrets_of
from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    agent_reply,
    agent_says,
    connected_ticket,
    customer_says,
    dm,
    posted_to,
    press_close,
    stored_messages,
    wait_for_dm,
    wait_for_menu,
)
from tests.support.slack_requests import FORM, JSON, SlackSender, dm_message, next_event_id
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]
MARK = "SECRET-BODY-"  # every message text in these tests contains it; no log line may


@dataclass
class CapturedLog:
    output: io.StringIO  # formatted exactly as main.py's handler writes to stderr
    caplog: pytest.LogCaptureFixture  # the raw records

    def text(self) -> str:
        return self.output.getvalue()

    def assert_clean(self, *secrets: str, raw_too: bool = True) -> None:
        formatted = self.text()
        raw = "\n".join(
            record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
            for record in self.caplog.records
        )
        for secret in (MARK, *secrets):
            assert secret not in formatted, f"{secret!r} in the log:\n{formatted}"
            if raw_too:
                assert secret not in raw, f"{secret!r} in a log record:\n{raw}"


@pytest.fixture
def production_log(app: AppUnderTest, caplog: pytest.LogCaptureFixture) -> Iterator[CapturedLog]:
    """The root logger at INFO with main.py's handler and library settings, writing to a buffer."""
    output = io.StringIO()
    handler = build_handler(secrets_of(app.settings), stream=output)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    caplog.set_level(logging.INFO)
    root.addHandler(handler)
    quiet_libraries()
    try:
        yield CapturedLog(output, caplog)
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_a_whole_hand_off_with_failures_and_forgeries_logs_no_secret_and_no_message_text(
    app: AppUnderTest, fake_slack: FakeSlack, production_log: CapturedLog
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT, text=f"I need a human please {MARK}1001")
    customer_says(app, fake_slack, CUSTOMER, ticket, f"{MARK}1002 from the customer")
    agent_says(app, fake_slack, AGENT, ticket, f"{MARK}1003 from the agent")
    agent_reply(app, AGENT, ticket, f"note: {MARK}1004 stays internal")

    # A relay Slack refuses for good: the app logs why, but not what.
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found")
    refused = f"{MARK}1005 that Slack refuses"
    dm(app, CUSTOMER, refused)
    wait_until(lambda: any(m.last_error for m in stored_messages(app, refused)), message="the failed relay")

    # Requests that are not Slack's, or not well-formed, with message texts in them.
    forged = json.dumps({"type": "event_callback", "event": dm_message(CUSTOMER, f"{MARK}1006 forged")}).encode()
    assert app.slack.post(forged, JSON, sign=False).status == 401
    assert app.slack.post(forged, JSON, secret="not-the-signing-secret").status == 401
    assert app.slack.post(forged[:-3], JSON).status == 400
    command = f"command=%2Fhandoff-queue&text={MARK}1007&user_id={AGENT}&response_url=ftp%3A%2F%2Fx"
    assert app.slack.post(command.encode(), FORM).status == 400

    fake_slack.fail("chat.update", status=200, error="channel_not_found")  # the closed ticket's message
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")
    dm(app, CUSTOMER, f"{MARK}1008 back with the bot")
    wait_for_menu(fake_slack, CUSTOMER)

    assert "channel_not_found" in production_log.text()  # the failures were logged...
    production_log.assert_clean(fake_slack.bot_token, SIGNING_SECRET)  # ...without what failed


def test_a_database_error_is_logged_without_the_message_it_was_storing(
    app: AppUnderTest, fake_slack: FakeSlack, production_log: CapturedLog
) -> None:
    assert app.app is not None
    with app.app.db.engine.begin() as connection:
        connection.execute(sql("ALTER TABLE message RENAME TO message_away"))
    try:
        failed = app.slack.event(dm_message(CUSTOMER, f"{MARK}2001 while the table is away"))
    finally:
        with app.app.db.engine.begin() as connection:
            connection.execute(sql("ALTER TABLE message_away RENAME TO message"))

    assert failed.status == 500
    # SQLAlchemy would put the statement's parameters (the message) into its error; the engine is
    # built with hide_parameters, and the log formatter would blank them too.
    assert "parameters hidden" in production_log.text() or "[parameters: hidden]" in production_log.text()
    production_log.assert_clean(fake_slack.bot_token, SIGNING_SECRET, raw_too=False)


def test_unhandled_request_warnings_say_what_kind_of_request_but_not_what_it_said(
    app: AppUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    unknown_event = {
        "type": "event_callback",
        "event_id": next_event_id(),
        "event": {"type": "pin_added", "user": CUSTOMER, "channel": "CRANDOM", "text": f"{MARK}3001", "ts": "1.1"},
    }
    assert app.slack.post(json.dumps(unknown_event).encode(), JSON).status == 200
    url = fake_slack.response_url("nope")
    assert app.slack.slash_command("/nope", f"{MARK}3002", AGENT, SUPPORT_CHANNEL, url).status == 200
    shortcut = {
        "type": "message_action",
        "callback_id": "quote",
        "user": {"id": AGENT},
        "message": {"text": f"{MARK}3003", "ts": "1.1"},
    }
    assert app.slack.post(f"payload={json.dumps(shortcut)}".encode(), FORM).status == 200
    assert app.slack.view_submission(AGENT, "feedback", {"b": {"a": f"{MARK}3004"}}).status == 200

    warnings = [
        r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.WARNING
    ]
    assert len([w for w in warnings if w.startswith("Unhandled request")]) == 4, warnings
    assert not [w for w in warnings if MARK in w], warnings


# -- python main.py ------------------------------------------------------------------------------


def start_main(tmp_path: Path, fake: FakeSlack, port: int) -> subprocess.Popen[bytes]:
    from tests.test_startup import clean_env, valid_settings

    settings = valid_settings(tmp_path) | {"SLACK_API_URL": fake.api_url, "PORT": str(port), "HOST": "127.0.0.1"}
    stderr = (tmp_path / "stderr.txt").open("wb")
    return subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=REPO,
        env=clean_env(**settings),
        stdout=stderr,
        stderr=stderr,
        # As from a terminal: a suite started in the background (`pytest &` in a script) has SIGINT
        # ignored, children inherit that, and Python then leaves Ctrl-C ignored too.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def stop(process: subprocess.Popen[bytes], tmp_path: Path) -> str:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    return (tmp_path / "stderr.txt").read_text()


@pytest.mark.slow
def test_main_logs_no_secrets_at_info_and_stops_on_ctrl_c_without_a_traceback(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    from tests.test_startup import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_main(tmp_path, fake_slack, port)
    try:

        def healthy() -> bool:
            assert process.poll() is None, f"main.py exited with {process.returncode}"
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError):
                return False

        wait_until(healthy, timeout=20, message="GET /healthz to answer")
        slack = SlackSender(base + "/slack/events", SIGNING_SECRET)
        forged = json.dumps({"type": "event_callback", "event": dm_message(CUSTOMER, f"{MARK}4001")}).encode()
        assert slack.post(forged, JSON, sign=False).status == 401
        assert slack.post(forged, JSON, secret="wrong").status == 401
        assert slack.event(dm_message(CUSTOMER, f"{MARK}4002 hello")).status == 200
        fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "Talk to an agent"))

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        output = stop(process, tmp_path)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    for secret in (MARK, fake_slack.bot_token, SIGNING_SECRET):
        assert secret not in output, output


@pytest.mark.slow
def test_ctrl_c_during_start_up_ends_main_with_one_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    from tests.test_startup import free_port

    fake_slack.delay("auth.test", 60)  # start-up waits here for Slack
    process = start_main(tmp_path, fake_slack, free_port())
    try:
        wait_until(lambda: fake_slack.delays_left("auth.test") == 0, timeout=20, message="main.py to call auth.test")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130  # long before Slack answers (a loaded machine is slow to stop)
    finally:
        output = stop(process, tmp_path)
    assert output.strip().splitlines()[-1] == "handoff-slack: interrupted", output
    assert "Traceback" not in output, output
