"""The ticket message in the support channel, and the notes posted in its thread."""

from __future__ import annotations

from collections.abc import Sequence
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
from handoff_slack.blocks.action_ids import CLAIM_TICKET, CLOSE_TICKET, RELEASE_TICKET, TRANSFER_TICKET
from handoff_slack.blocks.mrkdwn import escape, make_safe, quote, shorten, user_mention
from handoff_slack.blocks.reminder import ticket_sla_line
from handoff_slack.blocks.satisfaction import ticket_rating_line
from handoff_slack.blocks.ticket_needs import needs_line
from handoff_slack.blocks.waiting import answer_later_line
from handoff_slack.core.accounts import UNNAMED_ORG, AccountHistory, AccountTicket
from handoff_slack.core.audit import BOT_ACTOR
from handoff_slack.core.bot import TriageAnswer
from handoff_slack.core.clock import as_utc
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.priority import Priority, PrioritySource
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.core.views import TicketCustomer, TicketView, TranscriptLine

REASON_LABELS: dict[str, str] = {
    EscalationReason.MENU: "pressed “Talk to an agent”",
    EscalationReason.ASKED_FOR_HUMAN: "asked for a person",
    EscalationReason.NO_SCENARIO: "the bot could not help",
    EscalationReason.FRUSTRATION: "sounded frustrated",
    EscalationReason.STUCK: "was getting nowhere with the bot",
    EscalationReason.TRIAGE: "answered the opening questions",
    EscalationReason.SCENARIO: "a bot scenario needs a person",
    EscalationReason.DIAGNOSIS_UNSURE: "the bot was not sure of the cause",
    EscalationReason.SUPERVISED: "the bot's answer awaits approval",
    EscalationReason.SUPERVISOR_REJECTED: "an agent rejected the bot's answer",
    EscalationReason.SUPERVISION_TIMEOUT: "nobody approved the bot's answer in time",
    EscalationReason.WATCHED: "an agent watches the bot conversation",
    EscalationReason.TAKEN_OVER: "an agent took over from the bot",
    EscalationReason.REACTION: "ticketed from their message in a shared channel",
}
TRIAGE_SOURCES = {"slack": " _(from Slack)_", "form": "", "typed": ""}
# Shown only when not normal, to keep the ticket message and the queue's lines short.
PRIORITY_LABELS = {
    Priority.URGENT: ":rotating_light: urgent",
    Priority.HIGH: ":small_red_triangle: high",
    Priority.LOW: ":small_blue_diamond: low",
}
PRIORITY_SOURCES: dict[str, str] = {
    PrioritySource.TRIAGE: "from the triage answers",
    PrioritySource.VIP: "VIP",
    PrioritySource.FRUSTRATION: "raised: sounded frustrated while waiting",
    PrioritySource.REMINDER: "raised: waited unclaimed too long",
}
SECTION_LIMIT = 3000  # characters of a section's text


OUTSIDE_HOURS_LINE = ":crescent_moon: Arrived outside business hours"


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, reason)


def priority_label(ticket: TicketView) -> str | None:
    """The ticket's priority, e.g. ":rotating_light: urgent"; None for normal (not shown)."""
    return PRIORITY_LABELS.get(ticket.priority)


def priority_with_source(ticket: TicketView) -> str | None:
    """The priority and why it is so: "… urgent (VIP)", "… high (set by @agent)"; None for normal."""
    label = priority_label(ticket)
    if label is None:
        return None
    if ticket.priority_source == PrioritySource.AGENT and ticket.priority_set_by:
        return f"{label} (set by <@{ticket.priority_set_by}>)"
    why = PRIORITY_SOURCES.get(ticket.priority_source or "")  # StrEnum keys: the stored value finds its member
    return f"{label} ({why})" if why else label


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A date every reader sees in their own time zone."""
    moment = as_utc(moment)
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"


def customer_label(customer: TicketCustomer, name_chars: int | None = None, org_chars: int | None = None) -> str:
    """The customer's profile name (plain text, shown as written; cut to `name_chars`) and Slack
    Connect organisation. While Slack has not told us the name (users.info failed), their mention:
    Slack shows agents the name, and the ID is never shown as if it were one; while it has not told
    the organisation's (team.info failed), "another organisation"."""
    if customer.name:
        name = make_safe(shorten(customer.name, name_chars) if name_chars else customer.name, plain=True)
    else:
        name = user_mention(customer.user_id)
    if customer.org_name:
        org = shorten(customer.org_name, org_chars) if org_chars else customer.org_name
        return f"{name} ({make_safe(org, plain=True)}, Slack Connect)"
    if customer.external:
        return f"{name} ({UNNAMED_ORG}, Slack Connect)"
    return name


def customer_with_mention(customer: TicketCustomer, bold: bool = False) -> str:
    """The label and the customer's mention ("Jane (@Jane)"); an unknown name's mention stands alone."""
    label = f"*{customer_label(customer)}*" if bold else customer_label(customer)
    return f"{label} (<@{customer.user_id}>)" if customer.name else label


def transcript_line(message: TranscriptLine) -> str:
    """A customer message as the ticket shows it: its text, and the names of files it shared."""
    text = make_safe(message.text, keep_user_mentions=False)
    names = [make_safe(name or "a file", plain=True) for name in message.file_names]
    if names:
        shared = f"_(shared {', '.join(names)})_"
        text = f"{text} {shared}" if text.strip() else shared
    if message.author:  # not the ticket's customer: a colleague of theirs in the thread
        text = f"*{make_safe(message.author, plain=True)}:* {text}"
    return text


def triage_line(answer: TriageAnswer) -> str:
    """One triage answer for agents; the customer's words can't ping anyone or hide a link."""
    label = make_safe(answer.label or answer.question_id or "?", plain=True)
    value, source = answer.answer, answer.source
    if not value:
        return f"*{label}:* _{'skipped' if source == 'skipped' else 'not answered'}_"
    # Typed in the DM: Slack markup, made safe. From the form or a Slack profile: raw text, escaped
    # so it is shown as written.
    shown = make_safe(str(value), keep_user_mentions=False, plain=source != "typed")
    if "\n" in shown:
        return f"*{label}:*\n{quote(shown, 1000)}"
    return f"*{label}:* {shorten(shown, 1000)}{TRIAGE_SOURCES.get(source, '')}"


def ticket_message(
    ticket: TicketView,
    transcript: Sequence[TranscriptLine],
    context: Sequence[dict[str, Any]] = (),
    account: AccountHistory | None = None,
) -> Rendered:
    """The ticket message; `context`: blocks shown above its buttons (e.g. the bot's rejected proposal);
    `account`: the customer's organisation and its other tickets (Slack Connect customers only)."""
    who = customer_label(ticket.customer)
    reason = reason_label(ticket.reason)
    if ticket.frustration_score is not None and ticket.reason == EscalationReason.FRUSTRATION:
        reason = f"{reason} (score {ticket.frustration_score:.2f})"
    if ticket.escalation_signals:
        reason = f"{reason}\n{signals_line(ticket.escalation_signals)}"
    state = ticket.state
    blocks = [
        HeaderBlock(text=f"Support request #{ticket.id}").to_dict(),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Customer*\n{customer_with_mention(ticket.customer)}"),
                MarkdownTextObject(text=f"*Why*\n{reason}"),
                MarkdownTextObject(text=f"*Since*\n{slack_date(ticket.created_at)}"),
                MarkdownTextObject(text=f"*Status*\n{_status(ticket)}"),
                *_priority_field(ticket),
            ]
        ).to_dict(),
    ]
    if ticket.outside_hours:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=OUTSIDE_HOURS_LINE)]).to_dict())
    if ticket.mood_signals and state in (TicketState.WAITING, TicketState.CONNECTED):
        mood = f":warning: *Sounded frustrated since the hand-over* ({signal_names(ticket.mood_signals)})"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=mood)]).to_dict())
    needs = needs_line(ticket)  # routing's filters: what it asks of its agent
    if needs is not None:
        blocks.append(ContextBlock(block_id="ticket.needs", elements=[MarkdownTextObject(text=needs)]).to_dict())
    if account is not None:
        blocks.append(account_section(ticket.customer.door, account))
    if ticket.triage:
        answers = "\n".join(triage_line(answer) for answer in ticket.triage)
        blocks.append(customer_section(f"*Triage*\n{answers}"))
    if transcript:
        lines = "\n".join(quote(transcript_line(m), 300) for m in transcript)
        blocks.append(customer_section(f"*Recent messages*\n{lines}"))
    blocks.extend(context)
    if state is TicketState.WAITING:
        blocks.append(
            ActionsBlock(
                block_id="ticket",
                elements=[
                    ButtonElement(text="Claim", action_id=CLAIM_TICKET, value=str(ticket.id), style="primary"),
                    ButtonElement(text="Assign…", action_id=TRANSFER_TICKET, value=str(ticket.id)),  # admins
                ],
            ).to_dict()
        )
    elif state is TicketState.CONNECTED:
        blocks.append(
            ActionsBlock(
                block_id="ticket",
                elements=[
                    ButtonElement(
                        text="Close",
                        action_id=CLOSE_TICKET,
                        value=str(ticket.id),
                        style="danger",
                        confirm=ConfirmObject(
                            title="Close this ticket?",
                            text="The customer is told, and their next message goes to the bot again.",
                            confirm="Close",
                            deny="Keep open",
                        ),
                    ),
                    # core.transfers: the owner offers it to an agent (an admin assigns it), or releases it.
                    ButtonElement(text="Transfer…", action_id=TRANSFER_TICKET, value=str(ticket.id)),
                    ButtonElement(text="Release…", action_id=RELEASE_TICKET, value=str(ticket.id)),
                ],
            ).to_dict()
        )
    sla = ticket_sla_line(ticket)  # core.reminders: a breached first-response target
    if sla is not None:
        blocks.append(sla)
    later = answer_later_line(ticket)  # core.waiting_offers: the customer is not waiting now
    if later is not None:
        blocks.append(later)
    rating = ticket_rating_line(ticket)  # core.satisfaction: the customer's rating after the close
    if rating is not None:
        blocks.append(rating)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Ticket {ticket.id} · {state.value}")]).to_dict())
    level = f", {ticket.priority.label} priority" if priority_label(ticket) else ""
    text = f"Support request #{ticket.id} from {who}: {reason} ({_status(ticket)}{level})"
    return Rendered(text=text, blocks=blocks)


def _priority_field(ticket: TicketView) -> list[MarkdownTextObject]:
    shown = priority_with_source(ticket)
    return [] if shown is None else [MarkdownTextObject(text=f"*Priority*\n{shown}")]


def customer_section(text: str) -> dict[str, Any]:
    """A section of the customer's words: cut between tokens, and `verbatim` so Slack adds no links
    or mentions of its own to what `make_safe` left as plain words."""
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_LIMIT), verbatim=True)).to_dict()


ACCOUNT_NAME_CHARS = 80  # a customer's name in an account's ticket list
ACCOUNT_STATES = {
    TicketState.WAITING: "waiting since {created}",
    TicketState.CONNECTED: "claimed, open since {created}",
    TicketState.PROPOSED: "the bot's answer awaits approval, since {created}",
    TicketState.CLOSED: "closed {closed}",
    TicketState.ANSWERED: "answered by the bot, approved {closed}",
}


def door_label(door: FrontDoor) -> str:
    """Where the customer wrote: the shared channel (a mention agents can open), or their DM."""
    return f"<#{door.channel_id}>" if door.is_thread else "DM"


def account_section(door: FrontDoor, account: AccountHistory) -> dict[str, Any]:
    """The organisation, where this ticket came from, and the account's other tickets with links."""
    org = make_safe(account.org_name, plain=True) if account.org_name else f"{UNNAMED_ORG} _(name not known yet)_"
    lines = [f"*Account* {org} · from {door_label(door)}"]
    if account.open_tickets:
        lines.append(f"*Other open tickets ({account.open_total})*")
        lines.extend(account_line(ticket) for ticket in account.open_tickets)
        more = account.open_total - len(account.open_tickets)
        if more > 0:
            lines.append(f"…and {more} more open")
    if account.closed_tickets:
        lines.append("*Recently closed*")
        lines.extend(account_line(ticket) for ticket in account.closed_tickets)
    if not account.open_tickets and not account.closed_tickets:
        lines.append("_No other tickets from this organisation._")
    return customer_section("\n".join(lines))


def account_line(ticket: AccountTicket) -> str:
    """One of the account's tickets: its number (linked to its ticket message), state, customer, door."""
    number = f"<{ticket.link}|#{ticket.id}>" if ticket.link else f"#{ticket.id}"
    created = slack_date(ticket.created_at, "{date_short_pretty}")
    closed = slack_date(ticket.closed_at, "{date_short_pretty}") if ticket.closed_at else "?"
    state = ACCOUNT_STATES.get(ticket.state, ticket.state.value).format(created=created, closed=closed)
    if ticket.customer_name:
        name = shorten(make_safe(ticket.customer_name, plain=True), ACCOUNT_NAME_CHARS)
    else:
        name = user_mention(ticket.customer_user_id, "a customer")
    return f"• {number} · {state} · {name} · {door_label(ticket.door)}"


def _status(ticket: TicketView) -> str:
    state = ticket.state
    if state is TicketState.WAITING:
        return ":hourglass_flowing_sand: Waiting for an agent"
    if state is TicketState.CONNECTED:
        verb = "Taken over" if ticket.reason == EscalationReason.TAKEN_OVER else "Claimed"
        return f":speech_balloon: {verb} by <@{ticket.agent_user_id}>"
    if state is TicketState.CLOSED and ticket.closed_by_user_id == BOT_ACTOR:  # core.idle_close
        return ":white_check_mark: Closed automatically (no messages)"
    if state is TicketState.CLOSED:
        return f":white_check_mark: Closed by <@{ticket.closed_by_user_id}>"
    if state is TicketState.PROPOSED:
        return ":eyes: The bot's answer awaits approval"
    if state is TicketState.ANSWERED:
        return f":white_check_mark: Answered, approved by <@{ticket.closed_by_user_id}>"
    return ":no_entry_sign: Cancelled by the customer"


def signal_names(signals: Sequence[str]) -> str:
    """Signal names as an agent reads them: "named feeling, sarcasm" (they are our own words, not user text)."""
    return ", ".join(escape(name.replace("_", " ")) for name in signals)


def signals_line(signals: Sequence[str]) -> str:
    """What fired the bot's offer of a person, in one line of the ticket message."""
    return f"_Signals:_ {signal_names(signals)}"


def mood_note(signals: Sequence[str]) -> str:
    """The internal note to the agent when a connected customer's mood turns (never sent to the customer)."""
    fired = f" ({signal_names(signals)})" if signals else ""
    return f":warning: Internal note: the customer sounds frustrated now{fired}. Only agents see this note."


def claimed_note(agent_user_id: str, note_prefix: str) -> str:
    return (
        f"<@{agent_user_id}> claimed this ticket. Your replies in this thread go to the customer. "
        f"Start a reply with `{note_prefix}` to keep it internal; other people's replies stay internal too."
    )
