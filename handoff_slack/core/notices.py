"""What the bot itself tells people: notices, as plain values the outbox stores and delivers.

Every message the app writes on its own behalf (the bot's replies, queue notices, "you are now
talking with …", notes in a ticket's thread, warnings that something did not arrive) is decided
here as a `Notice`, stored as a message row of its conversation in the transaction that made the
decision, and delivered by the outbox like a relayed message: in order with everything else of
that conversation, once (its copy carries its message ID in Slack metadata), retried, or given up
and logged. The Slack edge renders a notice only when it is sent.

A notice may stop being true before it can be sent (Slack was down while the customer was
connected): `still_true` says so, and such a notice is dropped instead of being sent late. A
queue notice is also dropped when a newer one for the same ticket waits behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handoff_slack.core.bot import Button, ButtonAction, Reply, ReplyKind
from handoff_slack.core.business_hours import AgentsAway
from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.states import Direction, TicketState


class NoticeKind(StrEnum):
    # To the customer, in their DM.
    BOT_REPLY = "bot_reply"  # one of the bot's replies (text and buttons)
    QUEUED = "queued"  # handed over: their place in the queue
    STILL_WAITING = "still_waiting"  # a message while waiting: passed on, and their place now
    ALREADY_CONNECTED = "already_connected"  # a bot button pressed while talking with an agent
    LEFT_QUEUE = "left_queue"
    CANCEL_TOO_LATE = "cancel_too_late"  # Cancel pressed after the ticket was claimed or closed
    CONNECTED = "connected"  # who they are talking to now
    CLOSED = "closed"
    SLOW_DOWN = "slow_down"  # flood control, once per window
    STILL_CHECKING = "still_checking"  # a message while an agent checks the bot's answer: kept, passed on
    JOINED = "joined"  # an agent who watched the bot conversation took it over
    MOVED_UP = "moved_up"  # an agent raised their ticket's priority: their better place (core.priority)
    BACK_IN_QUEUE = "back_in_queue"  # the agent released the ticket: their place (core.transfers)
    SURVEY = "survey"  # after a close: rate us 1-5, then thanks and a comment (core.satisfaction)
    # Waiting timers (blocks.waiting renders them): the waiting timeout's offer, and the customer's choice.
    WAIT_OFFER = "wait_offer"  # keep waiting / leave a message for later / cancel (core.waiting_offers)
    ANSWER_LATER = "answer_later"  # they left a message: how they will hear back
    IDLE_WARNING = "idle_warning"  # a quiet conversation closes soon unless someone writes (core.idle_close)
    IDLE_CLOSED = "idle_closed"
    # To the ticket's thread, for the agents.
    CLAIMED_NOTE = "claimed_note"
    CLOSED_NOTE = "closed_note"
    RATING_NOTE = "rating_note"  # the customer's rating, and later their comment (core.satisfaction)
    MOOD_NOTE = "mood_note"  # the connected customer sounds frustrated now (core.customer_mood): for the agent only
    SUGGESTION = "suggestion"  # agent assist: a reply the owning agent may send (core.assist)
    ANSWER_LATER_NOTE = "answer_later_note"  # the customer left a message to be answered later
    IDLE_WARNING_NOTE = "idle_warning_note"  # the same warning, with Snooze (core.idle_close)
    IDLE_CLOSED_NOTE = "idle_closed_note"
    IDLE_SNOOZED_NOTE = "idle_snoozed_note"  # snoozed with the command word (`note: snooze`)
    # Transfer and release (core.transfers): the offer with Accept / Decline, and who has it now.
    TRANSFER_OFFER = "transfer_offer"
    HANDED_NOTE = "handed_note"
    DECLINED_NOTE = "declined_note"
    LAPSED_NOTE = "lapsed_note"  # an offer not answered in time
    RELEASED_NOTE = "released_note"
    # To a watch's thread (core.watch_mirror): the bot conversation as it happens, and what the watch does.
    WATCH_RECAP = "watch_recap"  # the recent messages before watching began
    MIRRORED_REPLY = "mirrored_reply"  # a copy of the bot's reply to the customer
    MIRRORED_PRESS = "mirrored_press"  # the customer pressed one of the bot's buttons, or sent its form
    WATCH_NOTE = "watch_note"  # read-only reminder, stopped, taken over, handed over
    # To whichever side wrote a message that could not be passed on.
    UNDELIVERED = "undelivered"  # a message given up on
    FILE_REFUSED = "file_refused"  # a file that could not be passed on
    TOO_LONG = "too_long"  # a message longer than any Slack can send, acked but not taken
    # To a ticket's thread about a shared channel's thread (blocks.shared_channel renders them).
    TICKETED_NOTE = "ticketed_note"  # an internal person opened the ticket by reacting to the customer's message
    CHANNEL_OFF_NOTE = "channel_off_note"  # the customer's channel is no longer served: replies stay here
    # To a ticket's thread about routing (blocks.offer renders it).
    OPEN_TO_ALL = "open_to_all"  # offers ended (a full round, or nobody could be offered it): anyone may claim
    FILTERS_DROPPED = "filters_dropped"  # nobody eligible took it in time: offered to every available agent
    # To a ticket's thread about its wait (core.reminders; blocks.reminder renders it).
    REMINDER_NOTE = "reminder_note"  # waiting unclaimed for N minutes: mentions, maybe a raised priority


# A notice about the queue is true only while its ticket waits; "connected" only while it is open.
_TRUE_WHILE: Mapping[NoticeKind, frozenset[TicketState]] = {
    NoticeKind.QUEUED: frozenset({TicketState.WAITING}),
    NoticeKind.STILL_WAITING: frozenset({TicketState.WAITING}),
    NoticeKind.MOVED_UP: frozenset({TicketState.WAITING}),
    NoticeKind.STILL_CHECKING: frozenset({TicketState.PROPOSED}),
    NoticeKind.ALREADY_CONNECTED: frozenset({TicketState.CONNECTED}),
    NoticeKind.CONNECTED: frozenset({TicketState.CONNECTED}),
    NoticeKind.JOINED: frozenset({TicketState.CONNECTED}),
    NoticeKind.CLAIMED_NOTE: frozenset({TicketState.CONNECTED, TicketState.CLOSED}),
    NoticeKind.SUGGESTION: frozenset({TicketState.CONNECTED}),
    NoticeKind.MOOD_NOTE: frozenset({TicketState.CONNECTED}),
    NoticeKind.BACK_IN_QUEUE: frozenset({TicketState.WAITING}),
    NoticeKind.OPEN_TO_ALL: frozenset({TicketState.WAITING}),
    NoticeKind.FILTERS_DROPPED: frozenset({TicketState.WAITING}),
    NoticeKind.REMINDER_NOTE: frozenset({TicketState.WAITING}),  # claimed before it went out: not sent
    NoticeKind.WAIT_OFFER: frozenset({TicketState.WAITING}),
    NoticeKind.ANSWER_LATER: frozenset({TicketState.WAITING}),
    NoticeKind.IDLE_WARNING: frozenset({TicketState.CONNECTED}),
    NoticeKind.IDLE_WARNING_NOTE: frozenset({TicketState.CONNECTED}),
}
# A newer one of these for the same ticket that says otherwise makes the older ones untrue: "still
# waiting, #3" held up by an outage is not sent after "#2" was decided. (The first "you are #N in the
# queue" stays: it is the one with the introduction and the Cancel button.)
_REPLACED_BY_NEWER = frozenset({NoticeKind.STILL_WAITING})


class Audience(StrEnum):
    """Who reads the notice: the message row's direction says where it goes."""

    CUSTOMER = Direction.TO_CUSTOMER.value  # the customer's DM
    AGENTS = Direction.TO_AGENTS.value  # the ticket's thread in the support channel

    @property
    def direction(self) -> Direction:
        return Direction(self.value)


@dataclass(frozen=True)
class Notice:
    """What to say (its kind and the facts it needs), not how it looks in Slack."""

    kind: NoticeKind
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, **self.facts}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notice:
        facts = dict(data)
        return cls(NoticeKind(facts.pop("kind")), facts)

    # -- the notices, by kind ------------------------------------------------------------------------

    @classmethod
    def bot_reply(cls, reply: Reply, away: AgentsAway | None = None) -> Notice:
        """`away`: the greeting's note outside business hours (core.business_hours), after its text."""
        buttons = [{"label": b.label, "action": b.action.value, "value": b.value} for b in reply.buttons]
        facts: dict[str, Any] = {"reply_kind": reply.kind.value, "text": reply.text, "buttons": buttons}
        if away is not None:
            facts["away"] = away.to_json()
        return cls(NoticeKind.BOT_REPLY, facts)

    def reply(self) -> Reply:
        """The bot's reply a BOT_REPLY notice carries."""
        buttons = tuple(
            Button(str(b["label"]), ButtonAction(b["action"]), str(b.get("value") or ""))
            for b in self.facts.get("buttons", ())
        )
        return Reply(ReplyKind(self.facts["reply_kind"]), str(self.facts["text"]), buttons)

    @classmethod
    def queued(cls, position: int, ticket_id: int, away: AgentsAway | None = None) -> Notice:
        """`away`: queued outside business hours, and when agents are back (core.business_hours)."""
        facts: dict[str, Any] = {"position": position, "ticket_id": ticket_id}
        if away is not None:
            facts["away"] = away.to_json()
        return cls(NoticeKind.QUEUED, facts)

    @property
    def away(self) -> AgentsAway | None:
        """A queue notice's or greeting's word that agents are away, and until when."""
        found = self.facts.get("away")
        return AgentsAway.from_json(found) if found else None

    @classmethod
    def still_waiting(cls, position: int, ticket_id: int) -> Notice:
        return cls(NoticeKind.STILL_WAITING, {"position": position, "ticket_id": ticket_id})

    @classmethod
    def moved_up(cls, position: int, ticket_id: int) -> Notice:
        return cls(NoticeKind.MOVED_UP, {"position": position, "ticket_id": ticket_id})

    @classmethod
    def still_checking(cls, ticket_id: int) -> Notice:
        return cls(NoticeKind.STILL_CHECKING, {"ticket_id": ticket_id})

    @classmethod
    def already_connected(cls, agent_name: str | None) -> Notice:
        return cls(NoticeKind.ALREADY_CONNECTED, {"agent_name": agent_name})

    @classmethod
    def connected(cls, agent_name: str | None) -> Notice:
        return cls(NoticeKind.CONNECTED, {"agent_name": agent_name})

    @classmethod
    def joined(cls, agent_name: str | None) -> Notice:
        return cls(NoticeKind.JOINED, {"agent_name": agent_name})

    @classmethod
    def closed(cls, agent_name: str | None) -> Notice:
        return cls(NoticeKind.CLOSED, {"agent_name": agent_name})

    @classmethod
    def claimed_note(cls, agent_user_id: str) -> Notice:
        return cls(NoticeKind.CLAIMED_NOTE, {"agent_user_id": agent_user_id})

    @classmethod
    def mood_note(cls, signals: Iterable[str]) -> Notice:
        """The customer's latest message sounds frustrated; `signals`: what fired (core.frustration)."""
        return cls(NoticeKind.MOOD_NOTE, {"signals": list(signals)})

    @classmethod
    def closed_note(cls, user_id: str) -> Notice:
        return cls(NoticeKind.CLOSED_NOTE, {"user_id": user_id})

    @classmethod
    def undelivered(cls, direction: Direction, reason: str, text: str, file_names: Iterable[str]) -> Notice:
        """The author of a message that was given up on learns which one (`direction`: the message's)."""
        return cls(
            NoticeKind.UNDELIVERED,
            {"of": direction.value, "reason": reason, "text": text, "files": list(file_names)},
        )

    @classmethod
    def too_long(cls, limit: int) -> Notice:
        return cls(NoticeKind.TOO_LONG, {"limit": limit})

    @classmethod
    def file_refused(cls, file_name: str, problem: str) -> Notice:
        return cls(NoticeKind.FILE_REFUSED, {"file": file_name, "problem": problem})

    @classmethod
    def ticketed_note(cls, reacted_by: str, emoji: str, text: str) -> Notice:
        """`reacted_by` opened the ticket with `emoji` on the customer's message `text` (quoted in full)."""
        return cls(NoticeKind.TICKETED_NOTE, {"user_id": reacted_by, "emoji": emoji, "text": text})

    @classmethod
    def open_to_all(cls, reason: str) -> Notice:
        """The ticket's offers ended (core.routing.RoundEnd): anyone in the channel may claim it."""
        return cls(NoticeKind.OPEN_TO_ALL, {"reason": reason})

    @classmethod
    def filters_dropped(cls, needs: TicketNeeds, waited_seconds: int, time_zone_hours: int | None) -> Notice:
        """No agent matching the ticket's language, skills and time zone took it: everyone is offered it."""
        hours = time_zone_hours if needs.utc_offset is not None else None
        facts = {
            "language": needs.language,
            "skills": list(needs.skills),
            "waited_seconds": waited_seconds,
            "time_zone_hours": hours,
        }
        return cls(NoticeKind.FILTERS_DROPPED, facts)

    @classmethod
    def channel_off_note(cls, channel_id: str) -> Notice:
        return cls(NoticeKind.CHANNEL_OFF_NOTE, {"channel_id": channel_id})


def still_true(notice: Notice, ticket_state: TicketState | None) -> bool:
    """Whether the notice is still worth sending, given its ticket's state now (None: no ticket)."""
    true_while = _TRUE_WHILE.get(notice.kind)
    return true_while is None or ticket_state in true_while


def replaced(pending: Sequence[tuple[int, int | None, Notice]]) -> set[int]:
    """Of pending notices (message ID, ticket ID, notice), oldest first, those a newer one contradicts."""
    newest: dict[tuple[int | None, NoticeKind], Notice] = {}
    for _, ticket_id, notice in pending:
        if notice.kind in _REPLACED_BY_NEWER:
            newest[ticket_id, notice.kind] = notice
    return {
        message_id
        for message_id, ticket_id, notice in pending
        if notice.kind in _REPLACED_BY_NEWER and newest[ticket_id, notice.kind].facts != notice.facts
    }
