"""What `/handoff-queue` asks for, and what one page of the answer holds: plain values.

A `QueueRequest` is the command's options as the agent wrote them (validated by the edge's parser,
listeners/commands/queue_arguments.py); the helpdesk turns it into a `QueueFilter` (the organisation
matched to its team by the stored names or the team ID, the agent's languages, skills and time
zone for `mine`), which the query layer takes (core.queue_storage), and answers a `QueuePage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handoff_slack.core.accounts import OrgQueue
from handoff_slack.core.views import TicketView

PAGE_SIZE = 10  # tickets a page shows (blocks.queue_page proves the worst case fits Slack's limits)
MAX_PAGE = 10_000  # 100,000 waiting tickets, at PAGE_SIZE a page


@dataclass(frozen=True)
class QueueRequest:
    """`/handoff-queue [org:…] [lang:…] [skill:…] [mine] [page N]`, validated."""

    org: str | None = None  # the organisation's name (or team ID) as asked (matched without case)
    languages: tuple[str, ...] = ()  # tickets in any of these languages, by primary (core.agent_profiles.language_from)
    skills: tuple[str, ...] = ()  # tickets needing any of these skills (core.agent_profiles.skill_from)
    mine: bool = False  # only tickets the asking agent could take now
    page: int = 1

    @property
    def filtered(self) -> bool:
        return self.org is not None or bool(self.languages or self.skills) or self.mine

    def on_page(self, page: int) -> QueueRequest:
        return QueueRequest(self.org, self.languages, self.skills, self.mine, page)


@dataclass(frozen=True)
class AgentFit:
    """`mine`: what of the asking agent core.eligibility's filters compare with a ticket's needs."""

    languages: tuple[str, ...] = ()  # none: any language (core.eligibility.speaks)
    skills: tuple[str, ...] = ()
    utc_offset: int | None = None  # None: unknown (the time zone excludes nothing)
    time_zone_hours: int | None = None  # routing.time_zone_hours; None: off


@dataclass(frozen=True)
class QueueFilter:
    """Which waiting tickets a page is cut from: the query layer's input (core.queue_storage)."""

    # None: every customer's; else those of these organisations' teams (matched by name or team ID).
    org_teams: tuple[str, ...] | None = None
    languages: tuple[str, ...] = ()  # in any of these languages, by primary language (empty: any)
    skills: tuple[str, ...] = ()  # needing any of these skills (empty: any)
    # `mine` (None: not): only the tickets this agent is eligible for (the agent is available with room:
    # core.queue_listing checks), or whose filters routing dropped (core.queue_eligibility).
    mine: AgentFit | None = None

    @property
    def cuts(self) -> bool:
        """Keeps only some waiting tickets (else: the whole queue)."""
        return self.org_teams is not None or self.by_topic or self.mine is not None

    @property
    def by_topic(self) -> bool:
        """Cut by the tickets' language, skills or the agent's eligibility (storage.queue_topics)."""
        return bool(self.languages or self.skills) or self.mine is not None


class Unlisted(StrEnum):
    """Why a page lists nothing although tickets may wait."""

    NOT_AVAILABLE = "not_available"  # `mine`, and the agent is away or offline
    FULL = "full"  # `mine`, and the agent is at capacity


@dataclass(frozen=True)
class QueueLine:
    position: int  # in the whole queue; 1 is next
    ticket: TicketView
    eligible: tuple[str, ...]  # who could take it now (user IDs), core.queue_eligibility's order


@dataclass(frozen=True)
class QueuePage:
    request: QueueRequest
    lines: tuple[QueueLine, ...]
    total: int  # the waiting tickets that match, on every page
    waiting: int  # the whole queue
    page_size: int = PAGE_SIZE
    orgs: OrgQueue | None = None  # the organisations matched (org:…)
    unlisted: Unlisted | None = None

    @property
    def page(self) -> int:
        return self.request.page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def beyond_end(self) -> bool:
        return self.total > 0 and self.page > self.pages

    @property
    def first_position(self) -> int:
        """The place in the matching tickets of the page's first line (1-based)."""
        return (self.page - 1) * self.page_size + 1
