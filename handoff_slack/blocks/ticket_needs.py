"""A ticket's language and skills in one short line (core.eligibility.TicketNeeds), as the queue's
lines, the ticket message and a routing offer show them."""

from __future__ import annotations

from handoff_slack.blocks.mrkdwn import make_safe, shorten
from handoff_slack.core.views import TicketView

NEEDS_CHARS = 200  # codes and tags are short and checked when stored; a bound all the same


def needs_line(ticket: TicketView) -> str | None:
    """`Language: pt-BR · Skills: billing, hardware` (either part alone); None when it asks neither."""
    parts = []
    if ticket.language:
        parts.append(f"Language: {ticket.language}")
    if ticket.skills:
        parts.append(f"Skills: {', '.join(ticket.skills)}")
    if not parts:
        return None
    # Validated when stored (core.agent_profiles, config/schema.py); escaped as any stored text is.
    return make_safe(shorten(" · ".join(parts), NEEDS_CHARS), plain=True)
