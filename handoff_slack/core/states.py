"""The named states and reasons of the hand-off; stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class ConversationMode(StrEnum):
    """Who the customer is talking to right now."""

    BOT = "bot"
    WAITING = "waiting"
    CONNECTED = "connected"
    SUPERVISED = "supervised"  # the bot's answer awaits an agent's decision: the bot holds its tongue


class TicketState(StrEnum):
    WAITING = "waiting"
    CONNECTED = "connected"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    # Supervised mode: a proposal's ticket awaits a decision (never in the queue), and ends
    # answered when the approved (or edited) answer is sent; rejected or timed out, it waits.
    PROPOSED = "proposed"
    ANSWERED = "answered"
    # An agent watches a bot conversation (never in the queue, never claimable): its ticket message
    # is the read-only root of the mirror. Taken over it becomes connected; stopped, it ends.
    WATCHED = "watched"
    WATCH_ENDED = "watch_ended"


class EscalationReason(StrEnum):
    """Why the bot handed the customer to a person (shown to agents, kept for reporting)."""

    MENU = "menu"  # pressed "Talk to an agent"
    ASKED_FOR_HUMAN = "asked_for_human"  # typed "agent", "human", ...
    NO_SCENARIO = "no_scenario"  # the bot matched nothing, N times in a row
    FRUSTRATION = "frustration"  # sentiment over recent messages and explicit signals
    STUCK = "stuck"  # going nowhere with the bot: a scenario restarted, "did you mean" declined twice, ...
    TRIAGE = "triage"  # triage_first: answered the opening questions
    SCENARIO = "scenario"  # a scenario's answer hands over (e.g. identity checks)
    DIAGNOSIS_UNSURE = "diagnosis_unsure"  # a scenario's diagnosis found no cause it could trust
    SUPERVISED = "supervised"  # a supervised scenario's answer awaits approval (the proposal's ticket)
    SUPERVISOR_REJECTED = "supervisor_rejected"  # an agent rejected the bot's proposal
    SUPERVISION_TIMEOUT = "supervision_timeout"  # nobody decided on the proposal in time
    WATCHED = "watched"  # not a hand-off: an agent watches the bot conversation (a watch's ticket)
    TAKEN_OVER = "taken_over"  # an agent watching the bot conversation took it over, without the queue
    REACTION = "reaction"  # an internal person reacted to the customer's message in a shared channel (the ticket emoji)


class Direction(StrEnum):
    """Which way a stored message travelled."""

    FROM_CUSTOMER = "from_customer"
    FROM_AGENT = "from_agent"
    # The bot's own notices (core.notices): no Slack source, delivered by the outbox like relays.
    TO_CUSTOMER = "to_customer"  # to the customer's DM
    TO_AGENTS = "to_agents"  # to the ticket's thread in the support channel

    @property
    def to_thread(self) -> bool:
        """Whether the message goes to the ticket's thread (else to the customer's DM)."""
        return self in (Direction.FROM_CUSTOMER, Direction.TO_AGENTS)

    @property
    def is_notice(self) -> bool:
        return self in (Direction.TO_CUSTOMER, Direction.TO_AGENTS)


class DeliveryState(StrEnum):
    PENDING = "pending"  # stored, not yet shown on the other side
    DELIVERED = "delivered"
    NOT_RELAYED = "not_relayed"  # kept for the record only (bot-mode chat, queue commands)
    FAILED = "failed"  # given up on after retries
    DROPPED = "dropped"  # a notice no longer true (or replaced by a newer one) before it could be sent
