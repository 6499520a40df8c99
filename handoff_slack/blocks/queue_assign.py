"""The Assign modal of a `/handoff-queue` line (admins): an agent to give the ticket to at once,
with who could take it now named above the picker (and picked first)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks.action_ids import QUEUE_ASSIGN_FORM, QUEUE_ASSIGN_TARGET
from handoff_slack.blocks.queue import eligible_text
from handoff_slack.blocks.ticket import customer_label
from handoff_slack.blocks.ticket_forms import agent_picker, ticket_form

METADATA_CHARS = 3000  # Slack's limit for a view's private_metadata
URL_CHARS = 500


@dataclass(frozen=True)
class AssignContext:
    """What the modal carries back (its private_metadata): the ticket, the page's options, and
    where the page is, to show it again once assigned (the line's response_url)."""

    ticket_id: int
    state: str
    response_url: str | None

    def as_metadata(self) -> str:
        whole = json.dumps({"ticket": self.ticket_id, "state": self.state, "url": self.response_url})
        if len(whole) <= METADATA_CHARS:
            return whole
        return json.dumps({"ticket": self.ticket_id, "state": "", "url": self.response_url})

    @classmethod
    def from_metadata(cls, text: Any, max_ticket_id: int) -> AssignContext | None:
        """None unless `text` is metadata of ours (it comes back in a payload: checked like any input)."""
        try:
            found = json.loads(text) if isinstance(text, str) and len(text) <= METADATA_CHARS else None
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        ticket, state, url = found.get("ticket"), found.get("state"), found.get("url")
        if type(ticket) is not int or not 0 < ticket <= max_ticket_id or not isinstance(state, str):
            return None
        good_url = isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= URL_CHARS
        return cls(ticket, state, url if good_url else None)


def assign_form(ticket_id: int, customer: Any, eligible: tuple[str, ...], context: AssignContext) -> dict[str, Any]:
    """`customer`: the ticket's TicketCustomer."""
    first = eligible[0] if eligible else None  # picked already: the least busy who could take it
    intro = (
        f"Give ticket #{ticket_id} ({customer_label(customer)}) to an agent now: they are not asked "
        "first, and the customer is told who they are talking with."
    )
    blocks = [
        SectionBlock(text=intro),
        ContextBlock(elements=[MarkdownTextObject(text=f"Could take it now: {eligible_text(eligible)}")]),
        agent_picker(QUEUE_ASSIGN_TARGET, first),
    ]
    return ticket_form(QUEUE_ASSIGN_FORM, "Assign ticket", "Assign", context.as_metadata(), blocks)
