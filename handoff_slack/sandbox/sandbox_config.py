"""The sandbox's own bot configuration and the agents' starting status, so routing can be tried.

The sandbox runs the built-in bot configuration with one change: `routing.strategy: round_robin`,
so a customer's escalation is offered to an agent persona by DM (Accept / Decline) as well as shown
in #support for anyone's Claim. The two agent personas start *available* with the default capacity
(3), as if each had run `/handoff-status available`, so there is someone to offer it to. A
developer's own `HANDOFF_CONFIG` is used as it is instead (its routing included).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.core.clock import utcnow
from handoff_slack.storage.agent_profiles import AgentProfiles

CONFIG_FILE = "sandbox-bot.yaml"
# The built-in file's routing line, and the sandbox's. A test loads the result and checks that only
# the strategy differs from the built-in configuration (it fails if the built-in line changes).
BUILT_IN_STRATEGY = "  strategy: manual # manual, round_robin or least_busy"
SANDBOX_STRATEGY = "  strategy: round_robin # the sandbox: each waiting ticket is offered to an available agent by DM"
SANDBOX_CAPACITY = 3


def write_config(directory: Path) -> Path:
    """The built-in configuration with round robin routing, written to `directory`; its path."""
    text = files("handoff_slack").joinpath("default_config.yaml").read_text(encoding="utf-8")
    if text.count(BUILT_IN_STRATEGY) != 1:
        raise RuntimeError("the built-in configuration's routing strategy line changed: update sandbox_config.py")
    path = directory / CONFIG_FILE
    path.write_text(text.replace(BUILT_IN_STRATEGY, SANDBOX_STRATEGY), encoding="utf-8")
    return path


def agents_available(profiles: AgentProfiles, agent_ids: list[str], admin_id: str) -> None:
    """The agent personas start available (set by the admin, as `/handoff-status @agent available`)."""
    change = ProfileChange(availability=Availability.AVAILABLE, capacity=SANDBOX_CAPACITY)
    for user_id in agent_ids:
        profiles.change(user_id, change, admin_id, utcnow())
