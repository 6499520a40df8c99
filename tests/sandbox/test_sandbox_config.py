"""The sandbox's bot configuration: the built-in one with round robin routing and idle auto-close on
(and nothing else changed), unless the developer brings their own HANDOFF_CONFIG."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.routing import Strategy
from handoff_slack.sandbox import runner
from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.personas import seed
from handoff_slack.sandbox.sandbox_config import write_config


def test_the_sandbox_routes_round_robin_closes_idle_chats_and_is_otherwise_the_built_in_bot(tmp_path: Path) -> None:
    sandbox = load_bot_config(str(write_config(tmp_path)))
    built_in = load_bot_config(None)
    assert built_in.routing.strategy is Strategy.MANUAL
    assert sandbox.routing == dataclasses.replace(built_in.routing, strategy=Strategy.ROUND_ROBIN)
    idle = built_in.waiting.idle_close
    assert not idle.enabled
    assert sandbox.waiting == dataclasses.replace(built_in.waiting, idle_close=dataclasses.replace(idle, enabled=True))
    assert dataclasses.replace(sandbox, routing=built_in.routing, waiting=built_in.waiting) == built_in


@pytest.mark.parametrize("own", [None, "/somewhere/my-bot.yaml"])
def test_a_developers_own_config_is_used_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own: str | None
) -> None:
    if own is None:
        monkeypatch.delenv("HANDOFF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("HANDOFF_CONFIG", own)
    cast = seed(SlackEmulator())
    sandbox_yaml = tmp_path / "sandbox-bot.yaml"
    env = runner._settings_env("http://127.0.0.1:1/api/", "xoxb-x", "secret", tmp_path / "db", cast, sandbox_yaml)
    assert env["HANDOFF_CONFIG"] == (own or str(sandbox_yaml))
