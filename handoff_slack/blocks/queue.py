"""The `/handoff-queue` answer: waiting tickets in queue order."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import ButtonElement, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import CLAIM_TICKET
from handoff_slack.blocks.ticket import customer_label, reason_label
from handoff_slack.core.clock import as_utc
from handoff_slack.core.views import QueueSnapshot


def age(since: datetime, now: datetime) -> str:
    minutes = int((as_utc(now) - as_utc(since)).total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


def queue_listing(snapshot: QueueSnapshot, now: datetime) -> Rendered:
    if snapshot.total == 0:
        return Rendered(text="Nobody is waiting. :tada:", blocks=[])
    blocks = [HeaderBlock(text=f"Waiting tickets: {snapshot.total}").to_dict()]
    for entry in snapshot.entries:
        ticket = entry.ticket
        blocks.append(
            SectionBlock(
                text=(
                    f"*#{entry.position}* · {customer_label(ticket.customer)} · waiting "
                    f"{age(ticket.created_at, now)} · {reason_label(ticket.reason)} · ticket {ticket.id}"
                ),
                accessory=ButtonElement(text="Claim", action_id=CLAIM_TICKET, value=str(ticket.id)),
            ).to_dict()
        )
    hidden = snapshot.total - len(snapshot.entries)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {hidden} more.")]).to_dict())
    lines = [f"#{e.position} ticket {e.ticket.id}" for e in snapshot.entries]
    return Rendered(text=f"Waiting tickets: {snapshot.total}\n" + "\n".join(lines), blocks=blocks)
