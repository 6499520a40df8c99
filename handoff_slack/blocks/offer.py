"""Routing's messages: an offer in an agent's DM (Accept / Decline), the offer once it ended, and
the ticket thread's note when offers stop and anyone may claim (core.routing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import OFFER_ACCEPT, OFFER_DECLINE
from handoff_slack.blocks.mrkdwn import escape
from handoff_slack.blocks.ticket import customer_with_mention, reason_label, slack_date
from handoff_slack.blocks.ticket_needs import needs_line
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.routing import OfferOutcome, RoundEnd
from handoff_slack.core.routing_pass import OfferView
from handoff_slack.core.views import PendingOffer, TicketView

ROUTING_NOTICES = frozenset({NoticeKind.OPEN_TO_ALL, NoticeKind.FILTERS_DROPPED})

# What an ended offer's DM says instead of its buttons.
_ENDED = {
    OfferOutcome.ACCEPTED: ":white_check_mark: You accepted ticket #{id}: reply in its thread in the support channel.",
    OfferOutcome.DECLINED: "You declined ticket #{id}; it was offered to someone else.",
    OfferOutcome.TIMED_OUT: ":hourglass: Ticket #{id} was offered to someone else: the offer was not answered in time.",
    OfferOutcome.WITHDRAWN: "Ticket #{id} no longer needs you: it was claimed or the customer left the queue.",
}


def _summary(ticket: TicketView) -> str:
    # The mention shows who it is even before the ticket message looked up their name.
    who = customer_with_mention(ticket.customer, bold=True)
    return (
        f"{who} is waiting for a person "
        f"({reason_label(ticket.reason)}, since {slack_date(ticket.created_at, '{time}')})."
    )


def offer_message(offer: OfferView, ticket: TicketView) -> Rendered:
    text = f"Ticket #{ticket.id} is offered to you"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"*{text}.* {_summary(ticket)}", verbatim=True)).to_dict(),
        ActionsBlock(
            block_id="offer",
            elements=[
                ButtonElement(text="Accept", action_id=OFFER_ACCEPT, value=str(offer.id), style="primary"),
                ButtonElement(text="Decline", action_id=OFFER_DECLINE, value=str(offer.id)),
            ],
        ).to_dict(),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Answer by {slack_date(offer.expires_at, '{time}')}, or it moves on.")]
        ).to_dict(),
    ]
    needs = needs_line(ticket)  # routing's filters: why it may be offered to you
    if needs is not None:
        blocks.insert(1, ContextBlock(block_id="offer.needs", elements=[MarkdownTextObject(text=needs)]).to_dict())
    return Rendered(text=f"{text}.", blocks=blocks)


def offer_ended(offer: OfferView) -> Rendered:
    """The offer's DM once answered or moved on: its buttons are gone."""
    text = _ENDED.get(offer.outcome, "Ticket #{id} was offered to you.").format(id=offer.ticket_id)
    return Rendered(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])


def _filters_dropped(notice: Notice) -> Rendered:
    facts = notice.facts
    asked = []
    if facts.get("language"):
        asked.append(f"speaks {escape(str(facts['language']))}")
    skills = [escape(str(skill)) for skill in facts.get("skills") or ()]
    if skills:
        asked.append("has " + ", ".join(skills))
    if facts.get("time_zone_hours") is not None:
        asked.append(f"is within {int(facts['time_zone_hours'])} h of the customer's time zone")
    who = "who " + " and ".join(asked) if asked else "matching this ticket"
    minutes = max(1, round(int(facts.get("waited_seconds") or 0) / 60))
    text = f"No agent {who} took this ticket within {minutes} min: it is now offered to every available agent."
    return Rendered(text=text, blocks=[])


def pending_offers(offers: Sequence[PendingOffer]) -> list[dict[str, Any]]:
    """The ticket message's line for each offer awaiting an answer (none: no block)."""
    lines = []
    for offer in offers:
        until = slack_date(offer.until, "{time}")
        if offer.from_user_id is None:
            lines.append(
                f":incoming_envelope: Offered to <@{offer.to_user_id}>, waiting for an answer (until {until})."
            )
        else:
            lines.append(
                f":arrows_counterclockwise: <@{offer.from_user_id}> offered a transfer to <@{offer.to_user_id}>, "
                f"waiting for an answer (until {until})"
            )
    if not lines:
        return []
    return [ContextBlock(elements=[MarkdownTextObject(text="\n".join(lines))]).to_dict()]


def render_routing_notice(notice: Notice) -> Rendered:
    if notice.kind is NoticeKind.FILTERS_DROPPED:
        return _filters_dropped(notice)
    if notice.facts.get("reason") == RoundEnd.FALLBACK:
        text = "Nobody could be offered this ticket in time (no agent available with room): anyone can claim it."
    else:
        text = "Everyone available was offered this ticket and nobody accepted it: anyone can claim it."
    return Rendered(text=text, blocks=[])
