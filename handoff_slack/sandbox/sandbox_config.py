"""The sandbox's own bot configuration and the agents' starting status, so routing can be tried.

The sandbox runs the built-in bot configuration with two changes: `routing.strategy: round_robin`,
so a customer's escalation is offered to an agent persona by DM (Accept / Decline) as well as shown
in #support for anyone's Claim; and `idle_close.enabled: true` (its built-in times: a warning after
30 quiet minutes, the close 10 minutes later), so idle auto-close can be seen with the page's
"⏩ Time" control (sandbox_clock.py). The two agent personas start *available* with the default capacity
(3), as if each had run `/handoff-status available`, so there is someone to offer it to. A
developer's own `HANDOFF_CONFIG` is used as it is instead (its routing included).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.core.clock import Clock, utcnow
from handoff_slack.storage.agent_profiles import AgentProfiles

CONFIG_FILE = "sandbox-bot.yaml"
# The built-in file's lines the sandbox changes, and the sandbox's. A test loads the result and checks
# that only these differ from the built-in configuration (it fails if a built-in line changes).
BUILT_IN_STRATEGY = "  strategy: manual # manual, round_robin or least_busy"
SANDBOX_STRATEGY = "  strategy: round_robin # the sandbox: each waiting ticket is offered to an available agent by DM"
BUILT_IN_IDLE_CLOSE = "idle_close:\n  enabled: false\n"
SANDBOX_IDLE_CLOSE = "idle_close:\n  enabled: true # the sandbox: move the clock on (⏩ Time) to see it\n"
SANDBOX_CAPACITY = 3


def write_config(directory: Path) -> Path:
    """The built-in configuration with round robin routing and idle auto-close, written to `directory`; its path."""
    text = files("handoff_slack").joinpath("default_config.yaml").read_text(encoding="utf-8")
    for built_in, sandbox in ((BUILT_IN_STRATEGY, SANDBOX_STRATEGY), (BUILT_IN_IDLE_CLOSE, SANDBOX_IDLE_CLOSE)):
        if text.count(built_in) != 1:
            what = built_in.split(":")[0].strip()
            raise RuntimeError(f"the built-in configuration's {what} changed: update sandbox_config.py")
        text = text.replace(built_in, sandbox)
    path = directory / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def agents_available(profiles: AgentProfiles, agent_ids: list[str], admin_id: str, clock: Clock = utcnow) -> None:
    """The agent personas start available (set by the admin, as `/handoff-status @agent available`)."""
    change = ProfileChange(availability=Availability.AVAILABLE, capacity=SANDBOX_CAPACITY)
    for user_id in agent_ids:
        profiles.change(user_id, change, admin_id, clock())
