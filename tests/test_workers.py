"""`HANDOFF_WORKERS`: HTTP mode in several processes on one port (PostgreSQL), as an operator runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import AGENT, CUSTOMER
from tests.support.app_process import REPO, AppProcess, clean_env, free_port
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import agent_reply, connect_over_http, dm
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

MESSAGES_EACH_WAY = 50


def workers_of(pid: int) -> list[int]:
    """The child processes of `pid` (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not running.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"


@pytest.fixture
def two_workers(fake_slack: FakeSlack, postgres_database_url: str, tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess(fake_slack, postgres_database_url, tmp_path, HANDOFF_WORKERS="2", LOG_LEVEL="INFO")
    try:
        yield process.start()
    finally:
        process.stop()


def test_two_workers_share_the_port_relay_everything_once_in_order_and_stop_cleanly(
    two_workers: AppProcess, fake_slack: FakeSlack
) -> None:
    app = two_workers
    wait_until(lambda: len(workers_of(app.pid)) == 2, timeout=10, message="two worker processes")
    ticket = connect_over_http(app, fake_slack, CUSTOMER, AGENT)

    # Each request is its own connection, which the kernel gives to one worker's socket: both
    # sides write at once, from several threads, and both workers get a share of the work.
    workers = workers_of(app.pid)
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    customer_texts = [f"customer {i:02d}" for i in range(MESSAGES_EACH_WAY)]
    agent_texts = [f"agent {i:02d}" for i in range(MESSAGES_EACH_WAY)]
    with ThreadPoolExecutor(2) as pool:
        customer_side = pool.submit(lambda: [dm(app, CUSTOMER, text) for text in customer_texts])
        agent_side = pool.submit(lambda: [agent_reply(app, AGENT, ticket, text) for text in agent_texts])
        customer_side.result()
        agent_side.result()

    def in_thread() -> list[str]:
        return [
            m["text"] for m in fake_slack.messages("CSUPPORT", thread_ts=ticket.ts) if m["text"].startswith("customer ")
        ]

    def in_dm() -> list[str]:
        return [m["text"] for m in fake_slack.messages(f"D{CUSTOMER}") if m.get("text", "").startswith("agent ")]

    wait_until(
        lambda: len(in_thread()) >= MESSAGES_EACH_WAY and len(in_dm()) >= MESSAGES_EACH_WAY,
        timeout=30,
        message="every message relayed",
    )
    assert in_thread() == customer_texts
    assert in_dm() == agent_texts
    # 100 requests' and relays' work (~0.1 s of CPU a worker on a fast machine): far more than the
    # scheduler ticks of a worker that got none (~0 s in that time).
    worked = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in workers}
    assert all(seconds >= 0.03 for seconds in worked.values()), worked

    app.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    assert app.process.wait(timeout=20) == 0  # type: ignore[union-attr]
    assert not [pid for pid in workers if alive(pid)]
    log = app.log_path.read_text()
    assert "with 2 workers" in log and "Traceback" not in log


def test_ctrl_c_stops_the_arbiter_and_its_workers_cleanly(two_workers: AppProcess) -> None:
    app = two_workers
    wait_until(lambda: len(workers_of(app.pid)) == 2, timeout=10, message="two worker processes")
    workers = workers_of(app.pid)
    # Once serving (a signal while a worker still imports can land in a weakref callback, where
    # Python ignores the handler's exit and prints it).
    wait_until(lambda: app.log_path.read_text().count(" ready") == 2, timeout=20, message="both workers ready")
    for pid in [app.pid, *workers]:  # what Ctrl-C does: SIGINT to the whole foreground process group
        os.kill(pid, signal.SIGINT)
    assert app.process.wait(timeout=20) == 0  # type: ignore[union-attr]
    assert not [pid for pid in workers if alive(pid)]
    assert "Traceback" not in app.log_path.read_text()


def test_a_worker_that_dies_is_replaced_while_the_other_keeps_serving(
    two_workers: AppProcess, fake_slack: FakeSlack
) -> None:
    app = two_workers
    wait_until(lambda: len(workers_of(app.pid)) == 2, timeout=10, message="two worker processes")
    ticket = connect_over_http(app, fake_slack, CUSTOMER, AGENT)
    dead, survivor = workers_of(app.pid)
    os.kill(dead, signal.SIGKILL)
    wait_until(
        lambda: len(workers_of(app.pid)) == 2 and dead not in workers_of(app.pid),
        timeout=20,
        message="a fresh worker in the dead one's place",
    )
    assert survivor in workers_of(app.pid) and app.process.poll() is None  # type: ignore[union-attr]

    # Both sockets take connections again: every message of the conversation is still relayed.
    texts = [f"after {i:02d}" for i in range(10)]
    for text in texts:
        dm(app, CUSTOMER, text)

    def in_thread() -> list[str]:
        return [
            m["text"] for m in fake_slack.messages("CSUPPORT", thread_ts=ticket.ts) if m["text"].startswith("after ")
        ]

    wait_until(lambda: len(in_thread()) >= len(texts), timeout=30, message="the messages relayed")
    assert in_thread() == texts
    app.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    assert app.process.wait(timeout=20) == 0  # type: ignore[union-attr]
    assert f"Worker (pid:{dead}) was sent SIGKILL" in app.log_path.read_text()


def test_a_worker_that_cannot_start_stops_the_set_with_exit_1_for_its_supervisor(
    fake_slack: FakeSlack, postgres_database_url: str, tmp_path: Path
) -> None:
    # The start-up check (the first auth.test) passes; each worker's own check is refused, as if
    # the token were revoked in between.
    answers = iter([False])
    fake_slack.fail_when("auth.test", lambda params: next(answers, True), status=200, error="invalid_auth", count=None)
    process = AppProcess(fake_slack, postgres_database_url, tmp_path, HANDOFF_WORKERS="2", LOG_LEVEL="INFO")
    with process.log_path.open("wb") as log:
        started = subprocess.Popen([sys.executable, "main.py"], cwd=REPO, env=process.env, stdout=log, stderr=log)
        assert started.wait(timeout=60) == 1
    log_text = process.log_path.read_text()
    assert "invalid_auth" in log_text and "Traceback" not in log_text, log_text


def test_with_a_refused_token_workers_do_not_start_and_the_error_is_one_line(
    fake_slack: FakeSlack, postgres_database_url: str
) -> None:
    env = clean_env(
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=postgres_database_url,
        HANDOFF_SUPPORT_CHANNEL="CSUPPORT",
        HANDOFF_WORKERS="3",
        PORT=str(free_port()),
    )
    done = subprocess.run([sys.executable, "main.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert [line for line in lines if "SLACK_BOT_TOKEN" in line] == [lines[0]], done.stderr  # said once
    assert "invalid_auth" in lines[0]
    assert len(fake_slack.calls("auth.test")) == 1  # checked once, before any worker started


def test_a_port_another_program_holds_stops_start_up_with_one_line_and_exit_1(
    fake_slack: FakeSlack, postgres_database_url: str, tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:  # no SO_REUSEPORT: nobody may share it
        process = AppProcess(fake_slack, postgres_database_url, tmp_path, HANDOFF_WORKERS="2")
        env = {**process.env, "PORT": str(taken.getsockname()[1])}
        done = subprocess.run(
            [sys.executable, "main.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"handoff-slack: cannot listen on 127.0.0.1:{env['PORT']}: Address already in use"
    ]
