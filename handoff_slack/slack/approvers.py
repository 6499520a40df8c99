"""Who may decide on the bot's proposals (supervised mode): agents, or a user group's members.

`supervision.approvers` in the bot's YAML file is "agents" (the support channel's members, as for
claiming) or a user group's ID (S…): its members, from usergroups.users.list, cached for a few
minutes (slack.member_lists; kept current by subteam_members_changed). Admins always may. When
Slack cannot say and nothing is cached, nobody is let through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient

from handoff_slack.core.bot_config import AGENTS_APPROVE
from handoff_slack.slack.directory import AgentDirectory
from handoff_slack.slack.member_lists import MemberList, group_members

GROUP_CACHE_SECONDS = 300


class Approvers:
    def __init__(
        self,
        client: WebClient,
        agents: AgentDirectory,
        approvers: str,
        ttl_seconds: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agents = agents
        self.group_id = None if approvers == AGENTS_APPROVE else approvers
        self._members: MemberList | None = None
        if self.group_id is not None and self.group_id == agents.group_id:
            self._members = agents.members  # the agents' own group: one list, one refresh
        elif self.group_id is not None:
            self._members = MemberList(
                group_members(client, self.group_id), f"the approvers' user group {self.group_id}", ttl_seconds, clock
            )

    @property
    def who(self) -> str:
        """Who may decide, for a refusal ("members of <#C…>", "members of the <!subteam^S…> group")."""
        return "agents" if self.group_id is None else f"members of <!subteam^{self.group_id}>"

    def may_decide(self, user_id: str) -> bool:
        """Raises AgentCheckUnavailable when Slack cannot say (and nothing is known from before)."""
        if self._members is None:
            return self.agents.is_agent(user_id)
        return self.agents.is_admin(user_id) or user_id in self._members

    def group_changed(self, group_id: str, added: Iterable[str], removed: Iterable[str]) -> None:
        """A user group's subteam_members_changed (the agents' own group is kept by AgentDirectory)."""
        if group_id == self.group_id and self._members is not self.agents.members and self._members is not None:
            self._members.joined(added)
            self._members.left(removed)
