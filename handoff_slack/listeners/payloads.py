"""Small readers for Slack payload fields shared by several listeners."""

from __future__ import annotations

from typing import Any

OUTCOME_KEY = "handoff_outcome"  # where the ack phase leaves its result for the lazy phase


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def ticket_id_from_action(body: dict[str, Any]) -> int | None:
    value = action_value(body)
    return int(value) if value.isdigit() and len(value) < 19 else None


def acting_user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def action_channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
