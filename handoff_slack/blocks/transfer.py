"""Transfer and release as Slack shows them: the modals, the offer and notes in a ticket's thread,
the customer's plain notice, and the ticket message's previous owners."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import (
    CANCEL_WAITING,
    RELEASE_FORM,
    TRANSFER_ACCEPT,
    TRANSFER_DECLINE,
    TRANSFER_FORM,
    TRANSFER_NOTE,
    TRANSFER_TARGET,
)
from handoff_slack.blocks.mrkdwn import make_safe, quote
from handoff_slack.blocks.ticket import slack_date
from handoff_slack.blocks.ticket_forms import agent_picker, form_field, ticket_form
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.transfer_values import (
    CannotAccept,
    OfferEnd,
    OfferState,
    OwnerPeriod,
    OwnershipEnd,
    OwnershipStart,
)
from handoff_slack.core.views import TicketView

TRANSFER_NOTICES = frozenset(
    {
        NoticeKind.TRANSFER_OFFER,
        NoticeKind.HANDED_NOTE,
        NoticeKind.DECLINED_NOTE,
        NoticeKind.LAPSED_NOTE,
        NoticeKind.RELEASED_NOTE,
        NoticeKind.BACK_IN_QUEUE,
    }
)
NOTE_INPUT_LIMIT = 3000
NOTE_CHARS = 1000  # of a note, quoted in the thread
OWNERS_SHOWN = 10  # previous owners listed on the ticket message (the most recent)
STARTS = {
    OwnershipStart.CLAIMED: "claimed",
    OwnershipStart.TAKEN_OVER: "took over",
    OwnershipStart.TRANSFERRED: "accepted a transfer",
    OwnershipStart.ASSIGNED: "assigned",
}
ENDS = {
    OwnershipEnd.TRANSFERRED: "transferred",
    OwnershipEnd.RELEASED: "released",
    OwnershipEnd.REASSIGNED: "reassigned",
}


# Why a transfer offer went stale (core.transfer_values.OfferEnd), and why its target could not
# accept it (CannotAccept); None: notices stored before the reason was kept.
STALE_BECAUSE: dict[str | None, str] = {
    OfferEnd.CLOSED: "this ticket was closed.",
    OfferEnd.RELEASED: "this ticket was released back to the queue.",
    OfferEnd.CHANGED_HANDS: "this ticket changed hands.",
    None: "the ticket was closed, released or changed hands.",
}
CANNOT_ACCEPT: dict[str, str] = {
    CannotAccept.NOT_AN_AGENT: "they are no longer an agent",
    CannotAccept.AWAY: "they are away",
    CannotAccept.OFFLINE: "they are offline",
    CannotAccept.AT_CAPACITY: "they are at their capacity",
}


def duration(seconds: int) -> str:
    """10 minutes, 1 minute 30 seconds, 45 seconds, 2 hours."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
    ]
    return " ".join(part for part, n in zip(parts, (hours, minutes, secs), strict=True) if n) or "0 seconds"


# -- the modals -----------------------------------------------------------------------------------


def transfer_form(ticket: TicketView, assigning: bool) -> dict[str, Any]:
    """The Transfer modal: an agent to pick, and a note for them. `assigning` (an admin): given at
    once; else offered, and the agent accepts."""
    intro = (
        f"Give ticket #{ticket.id} to an agent now: they are not asked first."
        if assigning
        else f"Offer ticket #{ticket.id} to another agent. It stays yours until they accept."
    )
    return ticket_form(
        TRANSFER_FORM,
        "Assign ticket" if assigning else "Transfer ticket",
        "Assign" if assigning else "Offer",
        str(ticket.id),
        [SectionBlock(text=intro), agent_picker(TRANSFER_TARGET), _note_input()],
    )


def release_form(ticket: TicketView) -> dict[str, Any]:
    """The Release modal: a note for whoever claims the ticket next."""
    intro = f"Ticket #{ticket.id} goes back to the queue, in its old place; the customer is told."
    return ticket_form(
        RELEASE_FORM, "Release ticket", "Release", str(ticket.id), [SectionBlock(text=intro), _note_input()]
    )


def _note_input() -> InputBlock:
    return InputBlock(
        block_id=TRANSFER_NOTE,
        label="Note for the next agent (only agents see it)",
        optional=True,
        element=PlainTextInputElement(action_id=TRANSFER_NOTE, multiline=True, max_length=NOTE_INPUT_LIMIT),
    )


def written_note(view: dict[str, Any]) -> str | None:
    field = form_field(view, TRANSFER_NOTE)
    value = field.get("value") if field else None
    return value if isinstance(value, str) else None


# -- the notices ------------------------------------------------------------------------------------


def render_transfer_notice(notice: Notice, note_prefix: str) -> Rendered:
    facts = notice.facts
    kind = notice.kind
    if kind is NoticeKind.BACK_IN_QUEUE:  # to the customer: plain words, no names, no notes
        return back_in_queue(int(facts["position"]), int(facts["ticket_id"]))
    if kind is NoticeKind.TRANSFER_OFFER:
        return offer(facts)
    if kind is NoticeKind.DECLINED_NOTE:
        cannot = facts.get("cannot")
        if cannot:
            said = f"<@{facts['to']}> could not accept the transfer: {CANNOT_ACCEPT.get(cannot, cannot)}."
        else:
            said = f"<@{facts['to']}> declined the transfer."
        return _plain(f"{said} <@{facts['from']}>, the ticket stays with you.")
    if kind is NoticeKind.LAPSED_NOTE:
        seconds = facts.get("seconds", int(facts.get("minutes", 10)) * 60)  # notices stored before: minutes
        return _plain(
            f"<@{facts['to']}> did not answer the transfer within {duration(int(seconds))}. "
            f"<@{facts['from']}>, the ticket stays with you."
        )
    if kind is NoticeKind.RELEASED_NOTE:
        text = f"<@{facts['by']}> released this ticket: it is back in the queue, in its old place."
        return _plain(text + _note(facts.get("note")))
    if kind is NoticeKind.HANDED_NOTE:
        return _plain(handed(facts, note_prefix))
    raise ValueError(f"no rendering for notice {kind}")  # pragma: no cover - the kinds above


def offer(facts: dict[str, Any] | Any) -> Rendered:
    """The offer in the ticket's thread: Accept / Decline while pending, then what became of it."""
    state = OfferState(facts["state"])
    text = f"<@{facts['to']}>, <@{facts['from']}> would like to transfer this ticket to you." + _note(facts.get("note"))
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=text, verbatim=True)).to_dict()]
    if state is OfferState.PENDING:
        value = str(facts["offer_id"])
        blocks.append(
            ActionsBlock(
                block_id="transfer_offer",
                elements=[
                    ButtonElement(text="Accept", action_id=TRANSFER_ACCEPT, value=value, style="primary"),
                    ButtonElement(text="Decline", action_id=TRANSFER_DECLINE, value=value),
                ],
            ).to_dict()
        )
    else:
        said = {
            OfferState.ACCEPTED: f"Accepted by <@{facts['to']}>.",
            OfferState.DECLINED: f"Declined by <@{facts['to']}>.",
            OfferState.STALE: "No longer open: " + STALE_BECAUSE.get(facts.get("why"), STALE_BECAUSE[None]),
            OfferState.LAPSED: "Not answered in time: the ticket stayed with its owner.",
            OfferState.REFUSED: f"<@{facts['to']}> could not accept: "
            f"{CANNOT_ACCEPT.get(str(facts.get('why')), 'they could not take it')}. The ticket stayed with its owner.",
        }[state]
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"_{said}_")).to_dict())
    return Rendered(text=text, blocks=blocks)


def handed(facts: dict[str, Any] | Any, note_prefix: str) -> str:
    to, by = facts["to"], facts["by"]
    if facts.get("how") == OwnershipStart.TRANSFERRED:
        head = f"<@{to}> accepted the transfer from <@{facts['from']}>."
    elif facts.get("from"):
        head = f"<@{by}> reassigned this ticket from <@{facts['from']}> to <@{to}>."
    else:
        head = f"<@{by}> assigned this ticket to <@{to}>."
    hint = (
        f" <@{to}>, your replies in this thread go to the customer now (start with `{note_prefix}` "
        "to keep one internal); others' replies stay internal."
    )
    return head + hint + _note(facts.get("note"))


def _note(note: Any) -> str:
    if not note:
        return ""
    return "\n*Note for the next agent:*\n" + quote(make_safe(str(note), plain=True), NOTE_CHARS)


def _plain(text: str) -> Rendered:
    return Rendered(text=text, blocks=[])


def back_in_queue(position: int, ticket_id: int) -> Rendered:
    text = (
        f"An agent will be with you shortly; you're *#{position}* in the queue. "
        "Anything you write meanwhile is passed on."
    )
    return Rendered(
        text=text,
        blocks=[
            SectionBlock(text=text).to_dict(),
            ActionsBlock(
                block_id="waiting",
                elements=[ButtonElement(text="Cancel", action_id=CANCEL_WAITING, value=str(ticket_id))],
            ).to_dict(),
        ],
    )


# -- the ticket message -------------------------------------------------------------------------------


def previous_owners(periods: Sequence[OwnerPeriod]) -> list[dict[str, Any]]:
    """The ticket message's list of previous owners (names escaped), most recent last; none: no block."""
    ended = [p for p in periods if p.ended_how is not None]
    if not ended:
        return []
    lines = [_owner_line(p) for p in ended[-OWNERS_SHOWN:]]
    more = len(ended) - OWNERS_SHOWN
    head = "*Previous owners*" + (f" (the last {OWNERS_SHOWN} of {len(ended)})" if more > 0 else "")
    text = head + "\n" + "\n".join(lines)
    return [SectionBlock(text=MarkdownTextObject(text=text, verbatim=True)).to_dict()]


def _owner_line(period: OwnerPeriod) -> str:
    name = make_safe(period.agent_name, plain=True) if period.agent_name else f"<@{period.agent_user_id}>"
    began = slack_date(period.began_at) if period.began_at else "?"
    ended = slack_date(period.ended_at) if period.ended_at else "?"
    how = f"{STARTS[period.began_how]} {began}, {ENDS[period.ended_how] if period.ended_how else 'still'} {ended}"
    return f"• {name} ({how})"
