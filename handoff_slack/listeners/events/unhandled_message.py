"""Every other message event (bot posts, joins, other channels, edits for now) is acked quietly.

Without this Bolt answers 404, Slack retries, and repeated failures can disable the app's events.
"""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    @app.event("message")
    def ignore_message() -> None:
        pass
