"""The shell of the modals that give a ticket to someone (core.transfers): the ticket message's
Transfer / Assign and Release (blocks.transfer) and a `/handoff-queue` line's Assign
(blocks.queue_assign). Each is a modal closed with Cancel whose private_metadata says which ticket,
most with an agent picker; what was picked or written comes back in the submitted view's state,
read here like any other input (anything of the wrong shape reads as nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, UserSelectElement
from slack_sdk.models.views import View


def ticket_form(callback_id: str, title: str, submit: str, metadata: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A modal about one ticket: `metadata` carries the ticket back in the submission."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        private_metadata=metadata,
        blocks=list(blocks),
    ).to_dict()


def agent_picker(block_and_action: str, first: str | None = None) -> InputBlock:
    """Any user may be picked (Slack has no picker of a channel's members): the submission's ack
    checks they are an agent. `first`: picked already."""
    return InputBlock(
        block_id=block_and_action,
        label="Agent",
        element=UserSelectElement(action_id=block_and_action, placeholder="Choose an agent", initial_user=first),
    )


def picked_agent(view: dict[str, Any], block_and_action: str) -> str | None:
    """The user picked in `agent_picker(block_and_action)`; None if none (or not of that shape)."""
    field = form_field(view, block_and_action)
    value = field.get("selected_user") if field else None
    return value if isinstance(value, str) and value else None


def form_field(view: dict[str, Any], block_and_action: str) -> dict[str, Any] | None:
    """The submitted state of the input whose block and action share the ID `block_and_action`."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(block_and_action) if isinstance(values, dict) else None
    field = block.get(block_and_action) if isinstance(block, dict) else None
    return field if isinstance(field, dict) else None
