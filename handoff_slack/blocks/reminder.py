"""Reminders in a waiting ticket's thread, and the first-response target's mark on the ticket
message (core.reminders)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject

from handoff_slack.blocks import Rendered
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import SlaOutcome, mention_markup
from handoff_slack.core.views import TicketView

REMINDER_NOTICES = frozenset({NoticeKind.REMINDER_NOTE})


def render_reminder_notice(notice: Notice) -> Rendered:
    """E.g. "@here Ticket waiting unclaimed for 15 min: can someone claim it?" (only stored, checked IDs mention)."""
    facts = notice.facts
    mentions = [shown for token in facts.get("mentions") or () if (shown := mention_markup(str(token)))]
    who = " ".join(mentions)
    waited = int(facts.get("waited_minutes") or 0)
    said = f"This ticket has waited unclaimed for {waited} min: can someone claim it?"
    text = f":alarm_clock: {who} {said}" if who else f":alarm_clock: {said}"
    raised_to = Priority.named(str(facts.get("raised_to") or ""))
    raised_from = Priority.named(str(facts.get("raised_from") or ""))
    if raised_to is not None and raised_from is not None:
        text += f" Its priority was raised from {raised_from.label} to {raised_to.label}."
    return Rendered(text=text, blocks=[])


def ticket_sla_line(ticket: TicketView) -> dict[str, Any] | None:
    """The ticket message's mark of a breached first-response target; None when not breached."""
    sla = ticket.sla
    if not sla.breached or sla.target_minutes is None:
        return None
    if sla.outcome is SlaOutcome.BREACHING:
        text = f":warning: *SLA breached:* no first response within the {sla.target_minutes} min target"
    else:
        text = f":warning: *SLA breached:* waited {sla.waited_minutes} min, target {sla.target_minutes} min"
    return ContextBlock(elements=[MarkdownTextObject(text=text)]).to_dict()
