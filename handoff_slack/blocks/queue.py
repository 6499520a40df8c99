"""The `/handoff-queue` answer: waiting tickets in queue order (all, or one organisation's)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import ButtonElement, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import CLAIM_TICKET
from handoff_slack.blocks.mrkdwn import make_safe, shorten
from handoff_slack.blocks.ticket import customer_label, priority_label, reason_label
from handoff_slack.core.accounts import OrgQueue
from handoff_slack.core.clock import as_utc
from handoff_slack.core.views import QueueEntry, QueueSnapshot

HEADER_CHARS = 150  # Slack's limit for a header's text
SUGGESTED_ORGS = 10  # organisations named when none matched


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
    title = f"Waiting tickets: {snapshot.total}"
    return _listing(title, title, snapshot, now)


def org_queue_listing(orgs: OrgQueue, snapshot: QueueSnapshot, now: datetime, asked_shown: str) -> Rendered:
    """`/handoff-queue org:<name>`; `asked_shown`: the name as typed, already made safe to echo."""
    if snapshot.total == 0:
        text = f"No waiting tickets from “{asked_shown}”."
        if orgs.waiting:
            names = ", ".join(make_safe(name, plain=True) for name in orgs.waiting[:SUGGESTED_ORGS])
            more = len(orgs.waiting) - SUGGESTED_ORGS
            text += f" Organisations with waiting tickets: {names}{f' and {more} more' if more > 0 else ''}."
        return Rendered(text=text, blocks=[])
    name = shorten(" / ".join(orgs.matched), 100)
    # The header is plain text (shown as written); the message's text is mrkdwn, made safe.
    header = f"Waiting tickets from {name}: {snapshot.total}"
    return _listing(header, f"Waiting tickets from {make_safe(name, plain=True)}: {snapshot.total}", snapshot, now)


def _listing(header: str, title: str, snapshot: QueueSnapshot, now: datetime) -> Rendered:
    blocks = [HeaderBlock(text=shorten(header, HEADER_CHARS)).to_dict()]
    blocks.extend(_entry(entry, now) for entry in snapshot.entries)
    hidden = snapshot.total - len(snapshot.entries)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {hidden} more.")]).to_dict())
    lines = [f"#{e.position} ticket {e.ticket.id}" for e in snapshot.entries]
    return Rendered(text=f"{title}\n" + "\n".join(lines), blocks=blocks)


def _entry(entry: QueueEntry, now: datetime) -> dict[str, object]:
    """One waiting ticket: place, who (and their organisation), where, how long, why, and Claim."""
    ticket = entry.ticket
    door = ticket.customer.door
    where = f" · in <#{door.channel_id}>" if door.is_thread else ""
    level = priority_label(ticket)
    priority = f" · {level}" if level else ""
    return SectionBlock(
        text=(
            f"*#{entry.position}*{priority} · {customer_label(ticket.customer)}{where} · waiting "
            f"{age(ticket.created_at, now)} · {reason_label(ticket.reason)} · ticket {ticket.id}"
        ),
        accessory=ButtonElement(text="Claim", action_id=CLAIM_TICKET, value=str(ticket.id)),
    ).to_dict()
