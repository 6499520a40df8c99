"""Who may decide on the bot's proposals (supervised mode): agents, or a user group's members.

`supervision.approvers` in the bot's YAML file is "agents" (the support channel's members, as for
claiming) or a user group's ID (S…): its members, from usergroups.users.list, cached for a few
minutes. Admins always may. When Slack cannot say and nothing is cached, nobody is let through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.core.bot_config import AGENTS_APPROVE
from handoff_slack.slack.directory import AgentCheckUnavailable, AgentDirectory

logger = logging.getLogger(__name__)

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
        self.client = client
        self.agents = agents
        self.group_id = None if approvers == AGENTS_APPROVE else approvers
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._members: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()  # one look-up at a time; the others use its result

    @property
    def who(self) -> str:
        """Who may decide, for a refusal ("members of <#C…>", "members of the <!subteam^S…> group")."""
        return "agents" if self.group_id is None else f"members of <!subteam^{self.group_id}>"

    def may_decide(self, user_id: str) -> bool:
        """Raises AgentCheckUnavailable when Slack cannot say (and nothing is known from before)."""
        if self.group_id is None:
            return self.agents.is_agent(user_id)
        return self.agents.is_admin(user_id) or user_id in self._group_members(self.group_id)

    def _group_members(self, group_id: str) -> frozenset[str]:
        with self._lock:
            if self._members is not None and self.clock() - self._loaded_at < self.ttl_seconds:
                return self._members
            try:
                response = self.client.usergroups_users_list(usergroup=group_id)
            except (SlackApiError, OSError) as error:
                if self._members is None:
                    raise AgentCheckUnavailable("approver group members unavailable") from error
                # A stale list beats locking every approver out while Slack has a bad minute.
                logger.warning("could not refresh the approvers' user group %s; using the last list", group_id)
                return self._members
            self._members = frozenset(str(user) for user in response.get("users") or ())
            self._loaded_at = self.clock()
            return self._members
