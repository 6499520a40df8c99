"""Accounts: a Slack Connect customer's organisation, seen as one customer account.

A ticket of a customer of another organisation shows the account's recent history: its other open
tickets and the last few closed ones. The account is the customer's team (Slack's team ID, which a
rename does not change), within the installing workspace, whether or not Slack has told us its
name; customers of the installing team have no account. The name (team.info's) is only shown:
while Slack has not told it (team.info failed) it is unknown (None, never a placeholder with the
team ID, which would stick as the name) and "another organisation" stands in. Plain values here;
storage reads them (storage.accounts), the ticket board adds each ticket message's link and
blocks.ticket renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.states import TicketState

# An account's open tickets: a proposal's is open too (one open ticket per conversation, whichever).
OPEN_STATES = (TicketState.WAITING, TicketState.CONNECTED, TicketState.PROPOSED)
# Ended by support: closed by an agent, or a supervised answer approved. A customer leaving the
# queue (cancelled) and watches are not the account's history.
CLOSED_STATES = (TicketState.CLOSED, TicketState.ANSWERED)
OPEN_SHOWN = 5  # open tickets a ticket message lists (and how many more there are)
CLOSED_SHOWN = 3  # the last closed tickets it lists
UNNAMED_ORG = "another organisation"  # shown while Slack has not told us an organisation's name


def of_another_org(team_id: str | None, workspace_id: str | None) -> bool:
    """Whether a customer of team `team_id` is of another organisation than the installing team
    `workspace_id` (a Slack Connect customer, whose team is their account). Not when either is
    unknown (a conversation's workspace is '' until start-up records it, migration 0009)."""
    return bool(team_id) and bool(workspace_id) and team_id != workspace_id


def profile_unknown(conversation: Any) -> bool:
    """Whether Slack has not told us a conversation's customer's name, or (of another organisation)
    their organisation's: from its row's `customer_name`, `customer_team_id`, `customer_org_name`
    and `workspace_id`. The ticket board asks again at their next message."""
    if conversation.customer_name is None:
        return True
    return conversation.customer_org_name is None and of_another_org(
        conversation.customer_team_id, conversation.workspace_id
    )


@dataclass(frozen=True)
class AccountTicket:
    """One ticket of the account, as another ticket's message lists it."""

    id: int
    state: TicketState
    customer_name: str | None
    door: FrontDoor
    created_at: datetime
    closed_at: datetime | None = None
    agent_user_id: str | None = None
    message_channel_id: str | None = None  # where its ticket message is, once posted
    message_ts: str | None = None
    link: str | None = None  # its ticket message's permalink, when the delivery side found it
    customer_user_id: str = ""  # shown (as a mention) while Slack has not told us the name

    @classmethod
    def from_rows(cls, ticket: Any, conversation: Any) -> AccountTicket:
        return cls(
            id=int(ticket.id),
            state=TicketState(ticket.state),
            customer_name=conversation.customer_name,
            door=FrontDoor(conversation.channel_id, conversation.thread_ts),
            created_at=ticket.created_at,
            closed_at=ticket.closed_at,
            agent_user_id=ticket.agent_user_id,
            message_channel_id=ticket.message_channel_id,
            message_ts=ticket.message_ts,
            customer_user_id=conversation.customer_user_id,
        )


@dataclass(frozen=True)
class AccountHistory:
    """A ticket's account: the organisation, and its other tickets (newest closed first)."""

    org_name: str | None  # None: Slack has not told us the name yet (UNNAMED_ORG is shown)
    open_tickets: tuple[AccountTicket, ...] = ()
    open_total: int = 0  # all the account's other open tickets, also those beyond `open_tickets`
    closed_tickets: tuple[AccountTicket, ...] = ()

    def with_links(self, link: Callable[[str, str], str | None]) -> AccountHistory:
        """The same history with each posted ticket message's link (`link(channel, ts)`)."""

        def linked(ticket: AccountTicket) -> AccountTicket:
            if ticket.message_channel_id is None or ticket.message_ts is None:
                return ticket
            return replace(ticket, link=link(ticket.message_channel_id, ticket.message_ts))

        return replace(
            self,
            open_tickets=tuple(linked(t) for t in self.open_tickets),
            closed_tickets=tuple(linked(t) for t in self.closed_tickets),
        )


class Accounts(Protocol):
    """What the helpdesk needs from storage for accounts (storage.accounts): tickets come back as
    (ticket row, conversation row) pairs, in the installing workspace."""

    def open_tickets(self, team_id: str, except_ticket: int, limit: int) -> tuple[int, Sequence[tuple[Any, Any]]]:
        """How many other open tickets the team has, and the first `limit` of them (oldest first)."""
        ...

    def closed_tickets(self, team_id: str, except_ticket: int, limit: int) -> Sequence[tuple[Any, Any]]:
        """The team's last `limit` closed tickets, newest first."""
        ...

    def waiting_orgs(self) -> Sequence[tuple[str, str | None]]:
        """The organisations of the waiting tickets' customers of another organisation: (team ID,
        name as stored, None while unknown), each pair once."""
        ...

    def waiting_of_teams(self, team_ids: Sequence[str], limit: int) -> tuple[int, Sequence[tuple[int, Any, Any]]]:
        """How many tickets of customers of these teams wait, and the first `limit` of them with
        their place in the whole queue: (position, ticket row, conversation row)."""
        ...


def account_history(rows: Accounts, team_id: str | None, org_name: str | None, ticket_id: int) -> AccountHistory | None:
    """The account of a ticket whose customer is of another organisation, team `team_id` (named
    `org_name`, None while Slack has not told us): None for no known team. The caller checks the
    team is not the installing one (`of_another_org`)."""
    if not team_id:
        return None
    total, open_rows = rows.open_tickets(team_id, ticket_id, OPEN_SHOWN)
    closed_rows = rows.closed_tickets(team_id, ticket_id, CLOSED_SHOWN)
    return AccountHistory(
        org_name=org_name,
        open_tickets=tuple(AccountTicket.from_rows(t, c) for t, c in open_rows),
        open_total=total,
        closed_tickets=tuple(AccountTicket.from_rows(t, c) for t, c in closed_rows),
    )


@dataclass(frozen=True)
class OrgQueue:
    """`/handoff-queue org:<name>`: the waiting tickets of the organisations named so, or of the
    team with that ID (how an organisation Slack has not named yet is asked for)."""

    asked: str  # the name (or team ID) as the agent typed it
    matched: tuple[str, ...]  # the matched organisations' names as stored (case and spacing may differ)
    teams: tuple[str, ...] = ()  # the matched accounts' team IDs: what the queue is cut by
    waiting: tuple[str, ...] = ()  # every named organisation with waiting tickets (suggested when none matched)
    unnamed: tuple[str, ...] = ()  # the team IDs of the waiting organisations Slack has not named yet

    @property
    def matched_unnamed(self) -> tuple[str, ...]:
        """The matched teams whose name is not known (asked for by team ID)."""
        return tuple(team for team in self.teams if team in self.unnamed)


def org_key(name: str) -> str:
    """An organisation's name compared without case or extra spaces ("ACME  corp" is "Acme Corp")."""
    return " ".join(name.casefold().split())


def org_queue(asked: str, waiting: Sequence[tuple[str, str | None]]) -> OrgQueue:
    """Which of the `waiting` organisations ((team ID, name or None), storage's `waiting_orgs`)
    `asked` names: by name (case-insensitive, spaces collapsed) or by team ID. A team matched by
    one of its names is cut whole: its customers' conversations stored under another name (a
    rename) or none yet (team.info failed) are the same account."""
    key = org_key(asked)
    teams = sorted({team for team, name in waiting if org_key(team) == key or (name and org_key(name) == key)})
    named = {team for team, name in waiting if name}
    return OrgQueue(
        asked,
        matched=_by_name(name for team, name in waiting if name and team in teams),
        teams=tuple(teams),
        waiting=_by_name(name for _team, name in waiting if name),
        unnamed=tuple(sorted({team for team, _name in waiting if team not in named})),
    )


def _by_name(names: Iterable[str]) -> tuple[str, ...]:
    """Each name once, in alphabetical order without case (then as written, for ties)."""
    return tuple(sorted(set(names), key=lambda name: (org_key(name), name)))
