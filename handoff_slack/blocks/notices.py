"""The bot's notices (core.notices) as Slack messages, rendered when the outbox sends them."""

from __future__ import annotations

from handoff_slack.blocks import Rendered
from handoff_slack.blocks import customer as customer_blocks
from handoff_slack.blocks import offer as offer_blocks
from handoff_slack.blocks import reminder as reminder_blocks
from handoff_slack.blocks import satisfaction as satisfaction_blocks
from handoff_slack.blocks import shared_channel as shared_channel_blocks
from handoff_slack.blocks import transfer as transfer_blocks
from handoff_slack.blocks import waiting as waiting_blocks
from handoff_slack.blocks import watch as watch_blocks
from handoff_slack.blocks.assist import suggestion
from handoff_slack.blocks.mrkdwn import escape, make_safe, quote
from handoff_slack.blocks.ticket import claimed_note, mood_note
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.states import Direction

QUOTED_CHARS = 500  # of an undelivered message, quoted back to its author


def render_notice(notice: Notice, note_prefix: str) -> Rendered:
    facts = notice.facts
    kind = notice.kind
    if kind in watch_blocks.WATCH_NOTICES:
        return watch_blocks.render_watch_notice(notice, note_prefix)
    if kind in shared_channel_blocks.CHANNEL_NOTICES:
        return shared_channel_blocks.render_channel_notice(notice)
    if kind in transfer_blocks.TRANSFER_NOTICES:
        return transfer_blocks.render_transfer_notice(notice, note_prefix)
    if kind in offer_blocks.ROUTING_NOTICES:
        return offer_blocks.render_routing_notice(notice)
    if kind in reminder_blocks.REMINDER_NOTICES:
        return reminder_blocks.render_reminder_notice(notice)
    if kind in satisfaction_blocks.SATISFACTION_NOTICES:
        return satisfaction_blocks.render_satisfaction_notice(notice)
    if kind in waiting_blocks.WAITING_NOTICES:
        return waiting_blocks.render_waiting_notice(notice)
    if kind is NoticeKind.BOT_REPLY:
        return customer_blocks.bot_reply(notice.reply(), notice.away)
    if kind is NoticeKind.QUEUED:
        return customer_blocks.queued(int(facts["position"]), int(facts["ticket_id"]), notice.away)
    if kind is NoticeKind.STILL_WAITING:
        return customer_blocks.still_waiting(int(facts["position"]), int(facts["ticket_id"]))
    if kind is NoticeKind.MOVED_UP:
        return customer_blocks.moved_up(int(facts["position"]), int(facts["ticket_id"]))
    if kind is NoticeKind.STILL_CHECKING:
        return customer_blocks.still_checking()
    if kind is NoticeKind.ALREADY_CONNECTED:
        return customer_blocks.already_connected(facts.get("agent_name"))
    if kind is NoticeKind.LEFT_QUEUE:
        return customer_blocks.left_queue()
    if kind is NoticeKind.CANCEL_TOO_LATE:
        return customer_blocks.cancel_too_late()
    if kind is NoticeKind.CONNECTED:
        return customer_blocks.connected(facts.get("agent_name") or "an agent")
    if kind is NoticeKind.CLOSED:
        return customer_blocks.closed(facts.get("agent_name"))
    if kind is NoticeKind.SLOW_DOWN:
        return customer_blocks.slow_down()
    if kind is NoticeKind.CLAIMED_NOTE:
        return _plain(claimed_note(str(facts["agent_user_id"]), note_prefix))
    if kind is NoticeKind.MOOD_NOTE:
        return _plain(mood_note([str(s) for s in facts.get("signals") or ()]))
    if kind is NoticeKind.CLOSED_NOTE:
        return _plain(f"<@{facts['user_id']}> closed this ticket.")
    if kind is NoticeKind.SUGGESTION:
        return suggestion(facts)
    if kind is NoticeKind.UNDELIVERED:
        return _plain(_undelivered(notice))
    if kind is NoticeKind.FILE_REFUSED:
        name = make_safe(str(facts["file"]), plain=True)
        return _plain(f":warning: Your file {name} could not be passed on: {facts['problem']}.")
    if kind is NoticeKind.TOO_LONG:
        return _plain(
            f":warning: Your message was not passed on: it is longer than the {int(facts['limit']):,} characters "
            "a Slack message can hold. Please send it in shorter parts."
        )
    raise ValueError(f"no rendering for notice {kind}")  # pragma: no cover - every kind is rendered above


def _plain(text: str) -> Rendered:
    return Rendered(text=text, blocks=[])


def _undelivered(notice: Notice) -> str:
    """The author of a message that was given up on learns which one, and why."""
    facts = notice.facts
    shown = quote(make_safe(str(facts.get("text") or ""), keep_user_mentions=False), QUOTED_CHARS)
    files = [str(name) for name in facts.get("files") or ()]
    if files:
        shown += "\n> (files: " + ", ".join(make_safe(name, plain=True) for name in files) + ")"
    reason = escape(str(facts.get("reason") or "unknown"))
    if facts.get("of") == Direction.FROM_AGENT.value:
        return f":warning: This reply could not be delivered to the customer ({reason}):\n{shown}"
    return f":warning: Sorry, this message of yours could not reach our support team ({reason}):\n{shown}"
