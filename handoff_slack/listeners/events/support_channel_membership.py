"""Joins and leaves of the support channel keep the cached list of agents current."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    support_channel = services.settings.support_channel

    def in_support_channel(event: dict[str, Any]) -> bool:
        return event.get("channel") == support_channel

    @app.event("member_joined_channel", matchers=[in_support_channel])
    def member_joined(event: dict[str, Any]) -> None:
        services.agents.member_joined(event["user"])

    @app.event("member_left_channel", matchers=[in_support_channel])
    def member_left(event: dict[str, Any]) -> None:
        services.agents.member_left(event["user"])

    # Other channels' joins and leaves are none of our business, but Slack must get its 200.
    def ignore() -> None:
        pass

    app.event("member_joined_channel")(ignore)
    app.event("member_left_channel")(ignore)
