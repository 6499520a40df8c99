"""The waiting timers' notices (core.waiting_offers, core.idle_close) as Slack messages: the waiting
timeout's offer and what the customer chose, the "answered later" notes, an idle conversation's
warnings (Snooze in the ticket's thread) and its close; and the async line on the ticket message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import IDLE_SNOOZE, WAIT_CANCEL, WAIT_KEEP, WAIT_LATER
from handoff_slack.blocks.mrkdwn import make_safe
from handoff_slack.core.clock import as_utc
from handoff_slack.core.idle_close import WarningState
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView
from handoff_slack.core.waiting_offers import OfferState

WAITING_NOTICES = frozenset(
    {
        NoticeKind.WAIT_OFFER,
        NoticeKind.ANSWER_LATER,
        NoticeKind.ANSWER_LATER_NOTE,
        NoticeKind.IDLE_WARNING,
        NoticeKind.IDLE_WARNING_NOTE,
        NoticeKind.IDLE_CLOSED,
        NoticeKind.IDLE_CLOSED_NOTE,
        NoticeKind.IDLE_SNOOZED_NOTE,
    }
)
KEEP_LABEL, LATER_LABEL, CANCEL_LABEL = "Keep waiting", "Leave a message for later", "Cancel"
CHOICES = {OfferState.KEPT: KEEP_LABEL, OfferState.LATER: LATER_LABEL, OfferState.CANCELLED: CANCEL_LABEL}
HEAR_BACK = {
    "dm": "An agent will answer you right here in this chat when one is free",
    "thread": "An agent will answer you right here in this thread when one is free",
}


def _date(moment: datetime) -> str:
    """A time every reader sees in their own time zone."""
    moment = as_utc(moment)
    return f"<!date^{int(moment.timestamp())}^{{time}}|{moment.strftime('%H:%M UTC')}>"


def _plain(text: str) -> Rendered:
    return Rendered(text=text, blocks=[])


def render_waiting_notice(notice: Notice) -> Rendered:
    facts = notice.facts
    kind = notice.kind
    if kind is NoticeKind.WAIT_OFFER:
        return wait_offer(facts)
    if kind is NoticeKind.ANSWER_LATER:
        how = HEAR_BACK.get(str(facts.get("where")), HEAR_BACK["dm"])
        return _plain(
            f"Thanks, your request stays with our support team. {how}: you don't need to keep this open, "
            "and you'll get a notification when they reply. Anything you add here meanwhile is passed on."
        )
    if kind is NoticeKind.ANSWER_LATER_NOTE:
        return _plain(
            ":envelope: The customer chose to leave a message to be answered later: they are not waiting "
            "now. Claim it when you can; your reply reaches them where they wrote."
        )
    if kind is NoticeKind.IDLE_WARNING:
        return _plain(
            f"Is there anything else we can help with? This conversation has been quiet for "
            f"{int(facts['quiet'])} minutes and will close in {int(facts['closes_in'])} minutes unless "
            "someone writes. Just reply to keep it open."
        )
    if kind is NoticeKind.IDLE_WARNING_NOTE:
        return idle_warning_note(facts)
    if kind is NoticeKind.IDLE_SNOOZED_NOTE:
        until = datetime.fromisoformat(str(facts["until"]))
        return _plain(f":zzz: <@{facts['by_user_id']}> snoozed the automatic close until {_date(until)}.")
    if kind is NoticeKind.IDLE_CLOSED:
        name = facts.get("agent_name")
        who = f" with *{make_safe(str(name), plain=True)}*" if name else ""
        return _plain(
            f"This conversation{who} was closed after {int(facts['quiet'])} minutes without messages. "
            "If you need anything else, just send me a message."
        )
    return _plain(
        f":zzz: Closed automatically: no messages for {int(facts['quiet'])} minutes. "
        "The customer was told, and their next message goes to the bot again."
    )


def wait_offer(facts: Mapping[str, Any]) -> Rendered:
    """Open: three buttons. Answered: what was chosen, buttons gone."""
    offer_id = str(int(facts["offer_id"]))
    minutes = int(facts["minutes"])
    state = str(facts.get("state"))
    waited = "a while" if int(facts.get("number") or 1) > 1 else f"{minutes} minutes"
    text = (
        f"Sorry for the wait: you've been in the queue for {waited}. You can keep waiting, leave a "
        "message for an agent to answer later (you don't need to stay here), or cancel."
    )
    if state == OfferState.OPEN:
        buttons = [
            ButtonElement(text=KEEP_LABEL, action_id=WAIT_KEEP, value=offer_id, style="primary"),
            ButtonElement(text=LATER_LABEL, action_id=WAIT_LATER, value=offer_id),
            ButtonElement(text=CANCEL_LABEL, action_id=WAIT_CANCEL, value=offer_id),
        ]
        blocks = [SectionBlock(text=text).to_dict(), ActionsBlock(block_id="wait_offer", elements=buttons).to_dict()]
        return Rendered(text=text, blocks=blocks)
    chosen = {
        OfferState.KEPT: f"You chose to keep waiting: you are *#{int(facts.get('position') or 1)}* in the queue.",
        OfferState.LATER: "You chose to leave a message for later.",
        OfferState.CANCELLED: "You left the queue.",
    }.get(OfferState(state), "")
    blocks = [SectionBlock(text=text).to_dict(), ContextBlock(elements=[MarkdownTextObject(text=chosen)]).to_dict()]
    return Rendered(text=f"{text} {chosen}", blocks=blocks)


def already_chosen(chosen: OfferState | None) -> str:
    """A second click, or one on an old copy of the offer."""
    label = CHOICES.get(chosen) if chosen is not None else None
    return f"You already chose “{label}”." if label else "You already answered this."


def idle_warning_note(facts: Mapping[str, Any]) -> Rendered:
    text = (
        f":hourglass: No messages for {int(facts['quiet'])} minutes: this conversation closes automatically "
        f"in {int(facts['closes_in'])} minutes unless someone writes."
    )
    if facts.get("state") == WarningState.SNOOZED:
        until = datetime.fromisoformat(str(facts["until"]))
        said = f":zzz: Snoozed by <@{facts['by_user_id']}> until {_date(until)}."
        blocks = [SectionBlock(text=text).to_dict(), ContextBlock(elements=[MarkdownTextObject(text=said)]).to_dict()]
        return Rendered(text=f"{text} {said}", blocks=blocks)
    button = ButtonElement(text="Snooze", action_id=IDLE_SNOOZE, value=str(int(facts["warning_id"])))
    blocks = [SectionBlock(text=text).to_dict(), ActionsBlock(block_id="idle", elements=[button]).to_dict()]
    return Rendered(text=text, blocks=blocks)


def snoozed_until(until: datetime | None, by_user_id: str | None) -> str:
    """The answer to Snooze pressed on a warning snoozed before."""
    who = f" by <@{by_user_id}>" if by_user_id else ""
    return f"Already snoozed{who} until {_date(until)}." if until else "Already snoozed."


def answer_later_line(ticket: TicketView) -> dict[str, Any] | None:
    """The ticket message of a waiting ticket whose customer chose to be answered later."""
    if ticket.state is not TicketState.WAITING or ticket.async_at is None:
        return None
    line = f":envelope: *Answer later* since {_date(ticket.async_at)}: the customer is not waiting now."
    return ContextBlock(elements=[MarkdownTextObject(text=line)]).to_dict()
