"""The `/handoff-queue` answer: one page of the waiting tickets in queue order (core.queue_filter).

Each line: place, priority, who (and their organisation), where, how long, why, the ticket, its
language and skills (blocks.ticket_needs), and who could take it now (mentions, as /handoff-agents
shows agents: the answer is ephemeral); then Claim,
and for admins Assign…. Previous / Next / Refresh replace the message with another page. Every
button carries the command's options (`state`, listeners/commands/queue_arguments.carried): they
come back to us and are read again as forged input would be.

Slack's limits, met in the worst case (tests/blocks/test_queue_page.py): 50 blocks (an admin's
page is 2 + 2 × PAGE_SIZE + 3), 3,000 characters of a section's text, 150 of a header, 2,000 of
a button's value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.action_ids import QUEUE_ASSIGN, QUEUE_CLAIM, QUEUE_NEXT, QUEUE_PREVIOUS, QUEUE_REFRESH
from handoff_slack.blocks.mrkdwn import make_safe, shorten
from handoff_slack.blocks.ticket import customer_label, priority_label, reason_label
from handoff_slack.blocks.ticket_needs import needs_line
from handoff_slack.core.accounts import UNNAMED_ORG, OrgQueue
from handoff_slack.core.clock import as_utc
from handoff_slack.core.queue_filter import QueueLine, QueuePage, QueueRequest, Unlisted
from handoff_slack.core.views import TicketView

HEADER_CHARS = 150  # Slack's limit for a header's text
VALUE_CHARS = 2000  # Slack's limit for a button's value
SUGGESTED_ORGS = 10  # organisations named when none matched
ELIGIBLE_SHOWN = 3  # agents named on a line; the rest are counted
NAME_CHARS = 80  # of a customer's name on a line
ORG_CHARS = 100  # of an organisation's name on a line
REASON_CHARS = 100


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


def queue_page(
    page: QueuePage, now: datetime, state_of: Any, *, admin: bool, usage: str | None = None, notice: str | None = None
) -> Rendered:
    """`page` as `/handoff-queue` shows it. `state_of(request)`: the options a button carries (a
    string); `usage`: the help, above the page; `notice`: what the last action did, above it too."""
    top: list[dict[str, Any]] = []
    if usage:
        top.append(SectionBlock(text=usage).to_dict())
    if notice:
        top.append(ContextBlock(elements=[MarkdownTextObject(text=notice)]).to_dict())
    said = _nothing_listed(page)
    if said is not None:
        blocks = [*top, SectionBlock(text=said).to_dict()] if top else []
        if page.beyond_end:
            blocks = [*top, SectionBlock(text=said).to_dict(), _navigation(page, state_of)]
        text = "\n\n".join(part for part in (usage, notice, said) if part)
        return Rendered(text=text, blocks=blocks)
    plain_title, title = _titles(page)
    blocks = [*top, HeaderBlock(text=shorten(plain_title, HEADER_CHARS)).to_dict()]
    if page.request.filtered or page.pages > 1:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_summary(page))]).to_dict())
    for line in page.lines:
        blocks.extend(_line(line, now, state_of(page.request), admin))
    blocks.append(_navigation(page, state_of))
    lines = [f"#{line.position} ticket {line.ticket.id}" for line in page.lines]
    text = "\n\n".join(part for part in (usage, notice, f"{title}\n" + "\n".join(lines)) if part)
    return Rendered(text=text, blocks=blocks)


def _nothing_listed(page: QueuePage) -> str | None:
    """What the answer says instead of lines; None when it has lines."""
    request, everyone = page.request, f"{page.waiting} waiting in all (`/handoff-queue` shows them)."
    if page.unlisted is Unlisted.NOT_AVAILABLE:
        return f"You are not available, so no ticket is yours to take now (`/handoff-status available`). {everyone}"
    if page.unlisted is Unlisted.FULL:
        return f"You are at your capacity, so no ticket is yours to take now. {everyone}"
    if page.orgs is not None and page.total == 0:
        return _no_such_org(page.orgs)
    if page.waiting == 0:
        return "Nobody is waiting. :tada:"
    if page.total == 0:
        return f"No waiting tickets match {_filters(request)}. {everyone}"
    if page.beyond_end:
        return f"There is no page {page.page}: the {page.total} waiting tickets fill {page.pages}."
    return None


def _no_such_org(orgs: OrgQueue) -> str:
    """Nobody of the organisation asked for waits: the named organisations that have waiting
    tickets, and how to ask for those Slack has not named yet (by team ID: the only handle there
    is until team.info answers)."""
    text = f"No waiting tickets from “{_echo(orgs.asked)}”."
    if orgs.waiting:
        names = ", ".join(make_safe(name, plain=True) for name in orgs.waiting[:SUGGESTED_ORGS])
        more = len(orgs.waiting) - SUGGESTED_ORGS
        text += f" Organisations with waiting tickets: {names}{f' and {more} more' if more > 0 else ''}."
    if orgs.unnamed:
        teams = ", ".join(f"`org:{make_safe(team, plain=True)}`" for team in orgs.unnamed[:SUGGESTED_ORGS])
        more = len(orgs.unnamed) - SUGGESTED_ORGS
        text += (
            f" Organisations Slack has not named yet (shown as “{UNNAMED_ORG}”), by team:"
            f" {teams}{f' and {more} more' if more > 0 else ''}."
        )
    return text


def _titles(page: QueuePage) -> tuple[str, str]:
    """The header (plain text, shown as written) and the message's text (mrkdwn, made safe)."""
    if page.orgs is not None:
        # Asked for by team ID while Slack has not told its name: the team, said to be unnamed.
        unnamed = [f"{team} (name not known yet)" for team in page.orgs.matched_unnamed]
        name = shorten(" / ".join([*page.orgs.matched, *unnamed]), 100)
        plain, safe = f"Waiting tickets from {name}", f"Waiting tickets from {make_safe(name, plain=True)}"
    else:
        plain = safe = "Waiting tickets"
    return f"{plain}: {page.total}", f"{safe}: {page.total}"


def _summary(page: QueuePage) -> str:
    parts = [f"Page {page.page} of {page.pages}"]
    if page.request.filtered:
        parts.append(f"{_filters(page.request)}, {page.waiting} waiting in all")
    return " · ".join(parts)


def _filters(request: QueueRequest) -> str:
    parts = []
    if request.org is not None:
        parts.append(f"org “{_echo(request.org)}”")
    if request.languages:
        parts.append("language " + " or ".join(request.languages))
    if request.skills:
        parts.append("skill " + " or ".join(request.skills))
    if request.mine:
        parts.append("yours to take")
    return ", ".join(parts)


def _echo(name: str) -> str:
    return make_safe(shorten(" ".join(name.split()), 60), plain=True)


def _line(line: QueueLine, now: datetime, state: str, admin: bool) -> list[dict[str, Any]]:
    ticket = line.ticket
    door = ticket.customer.door
    where = f" · in <#{door.channel_id}>" if door.is_thread else ""
    level = priority_label(ticket)
    priority = f" · {level}" if level else ""
    reason = make_safe(shorten(reason_label(ticket.reason), REASON_CHARS), plain=True)
    who = customer_label(ticket.customer, NAME_CHARS, ORG_CHARS)  # their mention while the name is unknown
    text = (
        f"*#{line.position}*{priority}{_marks(ticket)} · {who}{where} · waiting "
        f"{age(ticket.created_at, now)} · {reason} · ticket {ticket.id}\n{_needs(ticket)}{_eligible(line.eligible)}"
    )
    value = f"{ticket.id} {state}".strip()
    if len(value) > VALUE_CHARS:  # options too long to carry: the buttons bring back the whole queue
        value = str(ticket.id)
    claim = ButtonElement(text="Claim", action_id=QUEUE_CLAIM, value=value)
    if not admin:
        return [SectionBlock(block_id=f"queue.line.{ticket.id}", text=text, accessory=claim).to_dict()]
    assign = ButtonElement(text="Assign…", action_id=QUEUE_ASSIGN, value=value)
    return [
        SectionBlock(block_id=f"queue.line.{ticket.id}", text=text).to_dict(),
        ActionsBlock(block_id=f"queue.actions.{ticket.id}", elements=[claim, assign]).to_dict(),
    ]


def _marks(ticket: TicketView) -> str:
    """What the ticket message marks, short: a breached first-response target (core.reminders), the
    customer's choice to be answered later (core.waiting_offers), a mood that turned while waiting
    (core.customer_mood)."""
    marks = []
    if ticket.sla.breached:
        marks.append(":warning: SLA breached")
    if ticket.async_at is not None:
        marks.append(":envelope: answer later")
    if ticket.mood_signals:
        marks.append(":rage: sounds frustrated")
    return "".join(f" · {mark}" for mark in marks)


def eligible_text(eligible: tuple[str, ...]) -> str:
    """`<@U1>, <@U2>, <@U3> +4 more`, or "nobody" (user IDs we checked: mentions cannot be forged)."""
    if not eligible:
        return "nobody (everyone is away, offline, full or not a match for its language, skills or time zone)"
    named = ", ".join(f"<@{user_id}>" for user_id in eligible[:ELIGIBLE_SHOWN])
    more = len(eligible) - ELIGIBLE_SHOWN
    return f"{named} +{more} more" if more > 0 else named


def _needs(ticket: TicketView) -> str:
    needs = needs_line(ticket)
    return "" if needs is None else f"{needs} · "


def _eligible(eligible: tuple[str, ...]) -> str:
    return f"Could take it now: {eligible_text(eligible)}"


def _navigation(page: QueuePage, state_of: Any) -> dict[str, Any]:
    buttons = []
    last = min(page.page - 1, page.pages) if page.beyond_end else page.page - 1
    if last >= 1:
        buttons.append(_page_button("Previous", QUEUE_PREVIOUS, state_of(page.request.on_page(last))))
    if page.page < page.pages:
        buttons.append(_page_button("Next", QUEUE_NEXT, state_of(page.request.on_page(page.page + 1))))
    buttons.append(_page_button("Refresh", QUEUE_REFRESH, state_of(page.request)))
    return ActionsBlock(block_id="queue.pages", elements=buttons).to_dict()


def _page_button(label: str, action_id: str, state: str) -> ButtonElement:
    # An empty value is the first page of the whole queue: Slack wants a value, so "page 1" stands in.
    value = state if 0 < len(state) <= VALUE_CHARS else "page 1"
    return ButtonElement(text=label, action_id=action_id, value=value)
