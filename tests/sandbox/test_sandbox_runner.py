"""`python main.py sandbox` as a newcomer meets it: one URL within 10 s, the page, the app's signed
edge behind the same URL, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from handoff_slack.sandbox.runner import SIGNING_SECRET
from handoff_slack.sandbox.slack_client import JSON, SlackSender
from tests.sandbox.sandbox_process import SandboxProcess

pytestmark = pytest.mark.slow


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode(), dict(error.headers)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_starts_on_a_fresh_directory_serves_page_and_edge_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    sandbox = SandboxProcess(tmp_path).start()
    try:
        assert sandbox.url == f"http://127.0.0.1:{sandbox.port}/"
        status, page, headers = get(sandbox.url)
        assert status == 200 and "handoff-slack sandbox" in page
        assert "default-src 'self'" in headers["Content-Security-Policy"]  # nothing outside the machine
        status, script, _ = get(sandbox.url + "static/blockkit.js")
        assert status == 200 and "BlockKit" in script
        status, state, _ = get(sandbox.url + "api/state?as=UAGENT1")
        assert status == 200 and json.loads(state)["me"] == "UAGENT1"
        # The Slack Connect channel is served from the start: the admin turned it on (their answer is theirs).
        status, state, _ = get(sandbox.url + "api/state?as=UADMIN")
        shown = json.loads(state)
        assert shown["shared"]["name"] == "acme-support" and shown["shared"]["is_ext_shared"] is True
        assert [e["text"] for e in shown["ephemerals"] if e["channel"] == shown["shared"]["channel"]] == [
            "<#CACME> is served: a customer's message here starts a conversation in its thread."
        ]
        assert (tmp_path / "sandbox.db").is_file()

        edge = SlackSender(sandbox.url + "slack/events", SIGNING_SECRET)
        challenge = {"type": "url_verification", "token": "t", "challenge": "sandbox-challenge"}
        signed = edge.post(json.dumps(challenge).encode(), JSON)
        assert (signed.status, json.loads(signed.body)) == (200, {"challenge": "sandbox-challenge"})
        unsigned = edge.post(json.dumps(challenge).encode(), JSON, sign=False)
        assert unsigned.status == 401
    finally:
        code = sandbox.interrupt()
    assert code == 0, sandbox.log()
    assert not listening(sandbox.port)
    assert "Traceback" not in sandbox.log()


def test_ctrl_c_stops_it_with_a_page_listening_even_when_started_as_a_background_job(tmp_path: Path) -> None:
    sandbox = SandboxProcess(tmp_path).start(as_background_job=True)
    stream = urllib.request.urlopen(sandbox.url + "api/events", timeout=5)  # a page's live updates
    try:
        assert stream.readline().startswith(b"retry:")
        assert sandbox.interrupt(timeout=10) == 0, sandbox.log()
        assert stream.read() is not None  # the stream ended with the process
    finally:
        stream.close()
        sandbox.stop()
    assert not listening(sandbox.port)


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        sandbox = SandboxProcess(tmp_path, port=taken.getsockname()[1])
        with pytest.raises(AssertionError, match="exited with 1"):
            sandbox.start()
    assert "cannot listen on 127.0.0.1" in sandbox.log() and "--port" in sandbox.log()
    assert "Traceback" not in sandbox.log()
    assert not (tmp_path / "sandbox.db").exists()
