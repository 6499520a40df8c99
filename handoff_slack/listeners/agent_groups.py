"""subteam_members_changed: a user group's new and departed members keep the cached lists current
(the agents' group, HANDOFF_AGENT_GROUP, and the approvers' group of supervised mode)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App

from handoff_slack.services import Services

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def register(app: App, services: Services) -> None:
    @app.event("subteam_members_changed")
    def group_changed(event: dict[str, Any]) -> None:
        group = event.get("subteam_id")
        if not isinstance(group, str):
            return  # wrong-shaped: nothing to apply (Slack gets its 200 all the same)
        added, removed = _user_ids(event.get("added_users")), _user_ids(event.get("removed_users"))
        services.agents.group_changed(group, added, removed)
        services.approvers.group_changed(group, added, removed)


def _user_ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [user for user in value if isinstance(user, str) and _USER_ID.fullmatch(user)]
