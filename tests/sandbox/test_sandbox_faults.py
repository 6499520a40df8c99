"""The page's "Slack faults" drawer over HTTP: faults armed on the sandbox's Slack, as a visitor arms them,
and the app (in `python main.py sandbox`) recovering from them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.sandbox_process import SandboxProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

CUSTOMER = "UCUST1"
DM = f"D{CUSTOMER}"
BOT = "UBOT"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    running = SandboxProcess(tmp_path_factory.mktemp("sandbox")).start()
    yield running
    running.stop()


def call(sandbox: SandboxProcess, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        sandbox.url.rstrip("/") + path, data=data, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def bot_replies(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    status, state = call(sandbox, f"/api/state?as={CUSTOMER}")
    assert status == 200
    return [m for m in state["dm"]["messages"] if m.get("user") == BOT]


def test_a_500_armed_on_the_dm_is_consumed_and_the_bot_reply_arrives_once(sandbox: SandboxProcess) -> None:
    status, armed = call(sandbox, "/api/faults", {"method": "chat.postMessage", "channel": DM, "kind": "500"})
    assert status == 200
    assert [(f["method"], f["channel"], f["status"], f["left"]) for f in armed["armed"]] == [
        ("chat.postMessage", DM, 500, 1)
    ]
    before = len(bot_replies(sandbox))

    status, acted = call(sandbox, "/api/act", {"as": CUSTOMER, "kind": "message", "channel": DM, "text": "hello"})
    assert (status, acted["ok"]) == (200, True)

    # The first post is answered 500; the app's outbox posts it again (HANDOFF_DELIVERY_RETRY_SECONDS=2).
    wait_until(lambda: len(bot_replies(sandbox)) > before, timeout=15, message="the bot's reply in the DM")
    assert call(sandbox, "/api/faults")[1]["armed"] == []  # the fault was taken by the app's first try
    assert len(bot_replies(sandbox)) == before + 1  # once: the failed try posted nothing


def test_until_healed_429_slow_and_drop_are_armed_and_heal_all_ends_them(sandbox: SandboxProcess) -> None:
    requests = [
        {"method": "conversations.history", "kind": "429", "retry_after": 2, "count": None},
        {"method": "users.info", "kind": "slow", "seconds": 1.5, "count": 3},
        {"method": "file_download", "channel": "", "kind": "drop", "count": 2},
    ]
    for request in requests:
        assert call(sandbox, "/api/faults", request)[0] == 200
    armed = call(sandbox, "/api/faults")[1]["armed"]
    assert [(f["method"], f["kind"], f["status"], f["retry_after"], f["seconds"], f["left"]) for f in armed] == [
        ("conversations.history", "error", 429, 2, None, None),
        ("file_download", "drop", 0, None, None, 2),
        ("users.info", "slow", None, None, 1.5, 3),
    ]
    status, healed = call(sandbox, "/api/faults/heal", {})
    assert (status, healed["armed"]) == (200, [])


@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        ({"method": "chat.explode", "kind": "500"}, "invalid_method"),
        ({"method": "chat.postMessage", "kind": "418"}, "invalid_kind"),
        ({"method": "chat.postMessage", "kind": "500", "channel": "CNOWHERE"}, "invalid_channel"),
        ({"method": "chat.postMessage", "kind": "500", "count": 0}, "invalid_count"),
        ({"method": "chat.postMessage", "kind": "500", "count": True}, "invalid_count"),
        ({"method": "chat.postMessage", "kind": "slow", "seconds": 600}, "invalid_seconds"),
        ({"method": "chat.postMessage", "kind": "429", "retry_after": -1}, "invalid_retry_after"),
    ],
)
def test_a_bad_arm_request_is_refused_and_arms_nothing(
    sandbox: SandboxProcess, request_body: dict[str, Any], error: str
) -> None:
    assert call(sandbox, "/api/faults", request_body) == (400, {"ok": False, "error": error})
    assert call(sandbox, "/api/faults")[1]["armed"] == []


def test_the_page_has_the_faults_drawer(sandbox: SandboxProcess, tmp_path: Path) -> None:
    with urllib.request.urlopen(sandbox.url, timeout=5) as answer:
        page = answer.read().decode()
    assert 'id="faults-drawer"' in page and "/static/faults.js" in page
