"""The mirror of a watched bot conversation, stored inside the customer's own steps.

While an agent watches (core.watching), each message the customer writes to the bot is stored
with the watch's ticket and left pending, so the outbox posts it in the watch's thread under the
customer's name; each reply of the bot is also stored as a notice for that thread, after the
customer's message, so the thread shows both sides in order, once. A hand-over (the customer asks
for a person, or a supervised answer awaits approval) ends the watch: the new ticket is posted and
queued as usual (a watch is older than the tickets that queued meanwhile: turning it into one would
jump the queue), and the thread says where the conversation went.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from handoff_slack.core.bot import ButtonAction, FormFilled, Pressed, Reply
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredLine
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.states import DeliveryState, Direction

RECAP_LINES = 6  # messages before watching began, both sides, shown first in the thread
RECAP_CHARS = 300  # of each


class WatchNote(StrEnum):
    """What the bot says in a watch's thread about the watch itself."""

    READ_ONLY = "read_only"  # someone replied here: not relayed (said once per thread)
    STOPPED = "stopped"
    TAKEN_OVER = "taken_over"
    HANDED_OVER = "handed_over"  # the customer left the bot: a ticket (or proposal) took over


def watch_note(what: WatchNote, **facts: Any) -> Notice:
    return Notice(NoticeKind.WATCH_NOTE, {"what": what.value, **facts})


def mirrored_reply(reply: Reply) -> Notice:
    return Notice(NoticeKind.MIRRORED_REPLY, Notice.bot_reply(reply).facts)


def mirrored_press(received: Pressed | FormFilled) -> Notice:
    if isinstance(received, FormFilled):
        return Notice(NoticeKind.MIRRORED_PRESS, {"action": "form", "value": ""})
    value = received.value if received.action is not ButtonAction.TALK_TO_AGENT else ""
    return Notice(NoticeKind.MIRRORED_PRESS, {"action": received.action.value, "value": value[:RECAP_CHARS]})


def watch_recap(lines: Sequence[StoredLine], customer_name: str | None = None) -> Notice | None:
    """The last messages before watching began (`lines`: newest first), or None when there were none.

    Each customer line names its author as the mirror's relayed copies do: their own name in a
    shared channel's thread (a colleague's too), else the conversation's customer's, if known.
    """
    shown: list[dict[str, str]] = []
    for line in reversed(lines):
        if line.direction == Direction.FROM_CUSTOMER:
            names = [str(f.get("name") or f.get("title") or "a file") for f in line.files or ()]
            text = line.text[:RECAP_CHARS] + (f" (shared {', '.join(names)})" if names else "")
            author = line.author_name or customer_name
            shown.append({"who": "customer", "text": text, **({"name": author} if author else {})})
        elif line.notice and line.notice.get("kind") == NoticeKind.BOT_REPLY.value:
            shown.append({"who": "bot", "text": str(line.notice.get("text") or "")[:RECAP_CHARS]})
    return Notice(NoticeKind.WATCH_RECAP, {"lines": shown}) if shown else None


def watched(tx: HelpdeskTransaction, conversation_id: int | None) -> int | None:
    """The ID of the watch on this conversation with the bot, if an agent watches it."""
    if conversation_id is None:
        return None
    found = tx.watches.watch_of(conversation_id)
    return None if found is None or found.id is None else int(found.id)


def mirror_message(message: dict[str, Any], watch_id: int) -> None:
    """The customer's message row (to the bot) goes to the watch's thread too."""
    message["ticket_id"] = watch_id
    message["delivery_state"] = DeliveryState.PENDING.value


def after_turn(
    tx: HelpdeskTransaction,
    now: datetime,
    conversation_id: int,
    watch_id: int,
    replies: Sequence[Reply],
    new_ticket_id: int | None,
    pressed: Pressed | FormFilled | None = None,
) -> None:
    """After the bot's turn is stored: its replies in the thread; a hand-over ends the watch."""
    said = [mirrored_press(pressed)] if pressed is not None else []
    said.extend(mirrored_reply(reply) for reply in replies)
    if new_ticket_id is not None and tx.watches.end(watch_id, None, now):
        said.append(watch_note(WatchNote.HANDED_OVER, ticket_id=new_ticket_id))
    if said:
        tx.store_notices(conversation_id, watch_id, Audience.AGENTS, said)


def note_read_only(tx: HelpdeskTransaction, conversation_id: int, watch_id: int) -> bool:
    """Someone replied in the watch's thread: the bot says, once per thread, that it is not relayed."""
    if not tx.watches.note_read_only(watch_id):
        return False
    tx.store_notices(conversation_id, watch_id, Audience.AGENTS, [watch_note(WatchNote.READ_ONLY)])
    return True
