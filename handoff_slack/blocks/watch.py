"""Watching the bot: the `/handoff-watch` list, a watch's read-only message, and its thread's notices.

Everything the customer wrote is made safe (`make_safe`), the bot's configured texts too (their
links as written); the mirror shows the bot's buttons as words, never as buttons: pressing one in
the support channel would act as the agent in the customer's conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import STOP_WATCHING, TAKE_OVER, WATCH_CONVERSATION
from handoff_slack.blocks.mrkdwn import escape, make_safe, quote, shorten
from handoff_slack.blocks.queue import age
from handoff_slack.blocks.ticket import (
    SECTION_LIMIT,
    customer_label,
    customer_with_mention,
    slack_date,
    transcript_line,
)
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView
from handoff_slack.core.watching import BotConversations, BotConversationView

LAST_MESSAGE_CHARS = 150  # of the customer's last message, in the list
MIRROR_CHARS = 2900  # of a bot reply in the thread (a section holds 3,000)
AUTHOR_CHARS = 80  # of an author's name in the recap (Slack's display names are shorter)
WATCH_NOTICES = frozenset(
    {
        NoticeKind.WATCH_RECAP,
        NoticeKind.MIRRORED_REPLY,
        NoticeKind.MIRRORED_PRESS,
        NoticeKind.WATCH_NOTE,
        NoticeKind.JOINED,
    }
)
READ_ONLY = (
    ":lock: *Read-only.* This thread mirrors the customer's conversation with the bot as it happens. "
    "Replies here are not sent to the customer: press *Take over* to talk to them yourself."
)
PRESSES = {
    "talk_to_agent": "pressed “Talk to an agent”",
    "form": "sent the triage form",
    "skip": "skipped a question",
    "no_thanks": "said no thanks",
    "menu": "asked for the menu",
}


# -- /handoff-watch -----------------------------------------------------------------------------


def watch_list(conversations: BotConversations, now: datetime) -> Rendered:
    if conversations.total == 0:
        return Rendered(text="Nobody is talking with the bot right now.", blocks=[])
    title = f"Talking with the bot: {conversations.total}"
    blocks = [HeaderBlock(text=title).to_dict()]
    for entry in conversations.entries:
        section = SectionBlock(text=MarkdownTextObject(text=_entry_line(entry, now), verbatim=True))
        if entry.watch_ticket_id is None:
            section.accessory = ButtonElement(
                text="Watch", action_id=WATCH_CONVERSATION, value=str(entry.conversation_id)
            )
        blocks.append(section.to_dict())
    hidden = conversations.total - len(conversations.entries)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"…and {hidden} more.")]).to_dict())
    lines = [f"{customer_label(e.customer)}: {age(e.first_at, now)}" for e in conversations.entries]
    return Rendered(text=f"{title}\n" + "\n".join(lines), blocks=blocks)


def _entry_line(entry: BotConversationView, now: datetime) -> str:
    who = customer_with_mention(entry.customer, bold=True)
    if entry.scenario:
        where = f"in “{make_safe(entry.scenario, plain=True)}”"
    elif entry.in_triage:
        where = "answering the triage questions"
    else:
        where = "at the menu"
    parts = [who, where, f"for {age(entry.first_at, now)}", f"last message {age(entry.last_at, now)} ago"]
    if entry.watched_by_user_id:
        parts.append(f":eyes: watched by <@{entry.watched_by_user_id}>")
    line = " · ".join(parts)
    if entry.last_message is not None:
        said = " ".join(transcript_line(entry.last_message).split())
        line += "\n" + quote(shorten(said, LAST_MESSAGE_CHARS), LAST_MESSAGE_CHARS + 1)
    return shorten(line, SECTION_LIMIT)


# -- the watch's message ------------------------------------------------------------------------------


def watch_message(ticket: TicketView) -> Rendered:
    """The read-only root of the mirror, with Take over and Stop watching while the watch is on."""
    who = customer_label(ticket.customer)
    status = _status(ticket)
    blocks = [
        HeaderBlock(text=f"Watching the bot · #{ticket.id}").to_dict(),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Customer*\n{customer_with_mention(ticket.customer)}"),
                MarkdownTextObject(text=f"*Watched by*\n<@{ticket.watched_by_user_id}>"),
                MarkdownTextObject(text=f"*Since*\n{slack_date(ticket.created_at)}"),
                MarkdownTextObject(text=f"*Status*\n{status}"),
            ]
        ).to_dict(),
    ]
    if ticket.state is TicketState.WATCHED:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=READ_ONLY)]).to_dict())
        value = str(ticket.id)
        take_over = ButtonElement(
            text="Take over",
            action_id=TAKE_OVER,
            value=value,
            style="primary",
            confirm=ConfirmObject(
                title="Take over from the bot?",
                text="The customer is told a person joined, and your replies in this thread go to them.",
                confirm="Take over",
                deny="Keep watching",
            ),
        )
        stop = ButtonElement(text="Stop watching", action_id=STOP_WATCHING, value=value)
        blocks.append(ActionsBlock(block_id="watch", elements=[take_over, stop]).to_dict())
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"Watch {ticket.id} · {ticket.state.value}")]).to_dict()
    )
    return Rendered(text=f"Watching {who}'s conversation with the bot ({status})", blocks=blocks)


def _status(ticket: TicketView) -> str:
    if ticket.state is TicketState.WATCHED:
        return ":eyes: Watching"
    if ticket.closed_by_user_id:
        return f":stop_sign: Stopped by <@{ticket.closed_by_user_id}>"
    return ":stop_sign: Ended: the customer left the bot"


# -- the thread's notices ---------------------------------------------------------------------------


def render_watch_notice(notice: Notice, note_prefix: str) -> Rendered:
    facts, kind = notice.facts, notice.kind
    if kind is NoticeKind.MIRRORED_REPLY:
        return _mirrored_reply(notice)
    if kind is NoticeKind.WATCH_RECAP:
        lines = [_said(line) for line in facts.get("lines") or ()]
        return _plain(":eyes: *Before watching began:*\n" + "\n".join(lines))
    if kind is NoticeKind.MIRRORED_PRESS:
        action, value = str(facts.get("action") or ""), str(facts.get("value") or "")
        did = PRESSES.get(action) or f"pressed a button ({escape(action)}{': ' + escape(value) if value else ''})"
        return _plain(f":point_up: _The customer {did}._")
    if kind is NoticeKind.JOINED:
        who = f"*{make_safe(str(facts['agent_name']), plain=True)}*" if facts.get("agent_name") else "Someone"
        return _plain(f"{who} from our support team has joined the conversation. You are now talking with a person.")
    return _plain(_watch_note(notice, note_prefix))


def _watch_note(notice: Notice, note_prefix: str) -> str:
    facts = notice.facts
    what, user = facts.get("what"), facts.get("user_id")
    if what == "read_only":
        return READ_ONLY
    if what == "stopped":
        return f":stop_sign: <@{user}> stopped watching. Later messages with the bot are not mirrored here."
    if what == "taken_over":
        return (
            f"<@{user}> took over from the bot. Your replies in this thread go to the customer. "
            f"Start a reply with `{note_prefix}` to keep it internal; other people's replies stay internal too."
        )
    ticket = facts.get("ticket_id")
    where = f": ticket {int(ticket)} has its own message in this channel" if ticket else ""
    return f":stop_sign: The customer left the bot{where}. Watching ended."


def _mirrored_reply(notice: Notice) -> Rendered:
    reply = notice.reply()
    text = make_safe(reply.text, trusted_links=True)
    blocks = [SectionBlock(text=shorten(f":robot_face: *Bot:* {text}", MIRROR_CHARS)).to_dict()]
    if reply.buttons:
        labels = " · ".join(f"[{make_safe(b.label, plain=True)}]" for b in reply.buttons)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(labels, MIRROR_CHARS))]).to_dict())
    return Rendered(text=f":robot_face: Bot: {text}", blocks=blocks)


def _said(line: dict[str, Any]) -> str:
    """A recap line: the bot's, or a customer's under its author's name (older recaps: "Customer")."""
    text = str(line.get("text") or "")
    if line.get("who") == "bot":
        return quote(f"*Bot:* {make_safe(text, trusted_links=True)}", 400)
    name = shorten(make_safe(str(line.get("name") or "Customer"), plain=True), AUTHOR_CHARS)
    return quote(f"*{name}:* {make_safe(text, keep_user_mentions=False)}", 400)


def _plain(text: str) -> Rendered:
    return Rendered(text=text, blocks=[])
