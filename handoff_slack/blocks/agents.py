"""Agents' statuses as `/handoff-status` and `/handoff-agents` show them.

Everything shown is either a Slack ID we checked (rendered as a mention) or a value core.agent_profiles
validated (availability, numbers, language codes, skill tags), so nothing here can ping or link.
"""

from __future__ import annotations

from collections import Counter

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.core.agent_profiles import AgentStatus, Availability

SECTION_CHARS = 2900  # a section's text may hold 3,000 characters
AGENTS_PER_PAGE = 100  # 100 lines fit in well under Slack's 50 blocks a message

_MARKS = {
    Availability.AVAILABLE: ":large_green_circle:",
    Availability.AWAY: ":large_yellow_circle:",
    Availability.OFFLINE: ":white_circle:",
}


def status_facts(status: AgentStatus) -> str:
    """`available · 2 of 3 conversations · languages de, fr · skills billing`."""
    profile = status.profile
    facts = [
        f"{_MARKS[profile.availability]} *{profile.availability}*",
        f"{status.open_conversations} of {status.capacity} conversations",
    ]
    if profile.languages:
        facts.append("languages " + ", ".join(profile.languages))
    if profile.skills:
        facts.append("skills " + ", ".join(profile.skills))
    return " · ".join(facts)


def status_answer(status: AgentStatus, *, yours: bool, changed: bool = False) -> str:
    whose = "Your status" if yours else f"<@{status.user_id}>'s status"
    verb = "is now" if changed else "is"
    return f"{whose} {verb}: {status_facts(status)}."


def agents_listing(statuses: list[AgentStatus], page: int = 1) -> Rendered:
    """One page of the agents (in the order given), with counts of everyone and "and N more"."""
    if not statuses:
        return Rendered(text="No agents yet.", blocks=[])
    pages = (len(statuses) + AGENTS_PER_PAGE - 1) // AGENTS_PER_PAGE
    page = min(max(page, 1), pages)
    shown = statuses[(page - 1) * AGENTS_PER_PAGE : page * AGENTS_PER_PAGE]
    counts = Counter(status.profile.availability for status in statuses)
    busy = sum(status.open_conversations for status in statuses)
    summary = (
        f"{counts[Availability.AVAILABLE]} available, {counts[Availability.AWAY]} away, "
        f"{counts[Availability.OFFLINE]} offline · {busy} open conversations"
    )
    blocks = [
        HeaderBlock(text=f"Agents: {len(statuses)}").to_dict(),
        ContextBlock(elements=[MarkdownTextObject(text=summary)]).to_dict(),
    ]
    section: list[str] = []
    for status in shown:
        line = f"<@{status.user_id}> · {status_facts(status)}"
        if section and sum(len(part) + 1 for part in section) + len(line) > SECTION_CHARS:
            blocks.append(SectionBlock(text="\n".join(section)).to_dict())
            section = []
        section.append(line)
    blocks.append(SectionBlock(text="\n".join(section)).to_dict())
    after = len(statuses) - page * AGENTS_PER_PAGE
    if after > 0:
        more = f"…and {after} more: `/handoff-agents {page + 1}` shows the next {min(after, AGENTS_PER_PAGE)}."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]).to_dict())
    text = f"Agents: {len(statuses)} ({summary})" + (f", page {page} of {pages}" if pages > 1 else "")
    return Rendered(text=text, blocks=blocks)
