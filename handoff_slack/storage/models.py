"""The tables. Enum-valued columns are stored as short strings so migrations stay simple."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, TicketState


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(nullable: bool = False) -> Column[Any]:
    return Column(DateTime(timezone=True), nullable=nullable)


# The door of a DM (core.front_doors): no thread.
DM_DOOR = "thread_ts IS NULL"


class Conversation(SQLModel, table=True):
    """A conversation with the app at one front door (core.front_doors): a customer's DM, or a
    thread of a served shared channel; and who the customer is talking to now."""

    __tablename__ = "conversation"
    __table_args__ = (
        # One conversation per door of a workspace. A DM has no thread (NULL), and NULLs never
        # collide in a unique index (SQLite, PostgreSQL before 15): DMs get a partial index of their own.
        UniqueConstraint("workspace_id", "channel_id", "thread_ts", name="uq_conversation_thread"),
        Index(
            "uq_conversation_dm",
            "workspace_id",
            "channel_id",
            unique=True,
            sqlite_where=text(DM_DOOR),
            postgresql_where=text(DM_DOOR),
        ),
        # A customer's conversations, whichever door.
        Index("ix_conversation_customer", "customer_user_id"),
        # An account's (a customer organisation's) conversations: its history on a ticket (storage.accounts),
        # and its waiting tickets for `/handoff-queue org:` (storage.queue_pages; matched by name or team ID).
        Index("ix_conversation_account", "workspace_id", "customer_team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The installing workspace (team) the door belongs to: auth.test's team_id. '' on rows carried
    # over by migration 0009 until the app's next start-up records its team there
    # (storage.conversations.record_workspace).
    workspace_id: str = Field(sa_type=String(32))
    channel_id: str = Field(sa_type=String(32))  # the door's channel: the DM, or the shared channel
    thread_ts: str | None = Field(default=None, sa_type=String(32))  # the thread's root message; NULL: a DM
    customer_user_id: str = Field(sa_type=String(32))  # who started it (one person may have several)
    customer_team_id: str | None = Field(default=None, sa_type=String(32))
    mode: str = Field(default=ConversationMode.BOT, sa_type=String(16))
    active_ticket_id: int | None = Field(default=None)
    customer_name: str | None = Field(default=None, sa_type=String(255))
    customer_avatar_url: str | None = Field(default=None, sa_type=String(1024))
    # Set only for customers of another organisation (Slack Connect), once team.info told it: NULL
    # while it has not (never a placeholder with the team ID, migration 0030); shown, never the account.
    customer_org_name: str | None = Field(default=None, sa_type=String(255))
    # When the customer was last asked to slow down (flood control tells them once per window).
    flood_notice_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Where the customer is with the bot (scenario step, triage answers so far, mood): core.bot.BotState.
    bot_state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


# A proposal's ticket is open too: one open ticket per conversation, whichever state it is in.
OPEN_TICKET_STATES = "state IN ('waiting', 'connected', 'proposed')"


CUSTOMER_UNKNOWN = "state = 'waiting' AND NOT customer_looked_up"


class Ticket(SQLModel, table=True):
    """One hand-off from the bot to a person, from escalation to close or cancel."""

    __tablename__ = "ticket"
    __table_args__ = (
        # The queue: waiting tickets in arrival order.
        Index("ix_ticket_state_id", "state", "id"),
        # Thread replies find their ticket by the ticket message.
        Index("ix_ticket_message", "message_channel_id", "message_ts"),
        Index("ix_ticket_agent_state", "agent_user_id", "state"),
        # Routing's idle times: an agent's latest claim (storage.offers.last_taken).
        Index("ix_ticket_agent_claimed", "agent_user_id", "claimed_at"),
        # The scheduler's repair: ticket messages that show an older state.
        Index("ix_ticket_message_stale", "message_stale"),
        # A conversation has at most one open ticket, whatever races the app loses.
        Index(
            "uq_ticket_open_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(OPEN_TICKET_STATES),
            postgresql_where=text(OPEN_TICKET_STATES),
        ),
        # Routing's look-ups of customers' locales and time zones: the few waiting tickets not looked up.
        Index(
            "ix_ticket_customer_unknown",
            "id",
            sqlite_where=text(CUSTOMER_UNKNOWN),
            postgresql_where=text(CUSTOMER_UNKNOWN),
        ),
        # At most one watch per conversation, however many agents press Watch at once.
        Index(
            "uq_ticket_watch_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("state = 'watched'"),
            postgresql_where=text("state = 'watched'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    state: str = Field(default=TicketState.WAITING, sa_type=String(16))
    reason: str = Field(sa_type=String(32))
    # Triage answers shown on the ticket: a list of {id, label, answer, source} (core.bot.TriageAnswer).
    triage: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # How frustrated the customer sounded when handed over (0..1), if measured.
    frustration_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # What fired the hand-over when the bot offered a person unasked (core.bot_signals): signal names, comma-separated.
    escalation_signals: str | None = Field(default=None, sa_type=String(255))
    # The customer sounded frustrated after the hand-over (waiting or connected): what fired; None: calm since.
    mood_signals: str | None = Field(default=None, sa_type=String(255))
    agent_user_id: str | None = Field(default=None, sa_type=String(32))
    agent_name: str | None = Field(default=None, sa_type=String(255))
    agent_avatar_url: str | None = Field(default=None, sa_type=String(1024))
    message_channel_id: str | None = Field(default=None, sa_type=String(32))
    message_ts: str | None = Field(default=None, sa_type=String(32))
    # Posts of the ticket message begun (counted before each post: after a crash or a lost answer
    # the channel is searched for the message's metadata before posting again).
    message_attempts: int = Field(default=0)
    # The ticket message shows an older state than the ticket's (set with the change, cleared by
    # the update that shows it): the scheduler brings it up to date if the update failed.
    message_stale: bool = Field(default=False)
    closed_by_user_id: str | None = Field(default=None, sa_type=String(32))
    # A watch (state watched): who started it, and whether the bot said in its thread that replies
    # there are not relayed (said once; set by a conditional UPDATE).
    watched_by_user_id: str | None = Field(default=None, sa_type=String(32))
    watch_reply_noted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    claimed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Its priority (core.priority.Priority: 0 low, 1 normal, 2 high, 3 urgent), why it has it
    # (a PrioritySource; NULL: the default), and who chose it with /handoff-priority.
    priority: int = Field(default=1, sa_column=Column(SmallInteger, nullable=False, server_default=text("1")))
    priority_source: str | None = Field(default=None, sa_type=String(16))
    priority_set_by: str | None = Field(default=None, sa_type=String(32))
    # Changes of its offers (routing's and transfers'), counted: the ticket message shows the
    # pending ones, and is up to date only if it showed the latest count (migration 0020).
    offer_revision: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    # The customer's satisfaction survey after a close (core.satisfaction): 1-5, set once by a
    # conditional UPDATE; the optional comment, also once; who answered (a colleague in a thread may).
    rating: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    rating_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rated_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    rated_by: str | None = Field(default=None, sa_type=String(32))
    # What it asks of its agent (core.eligibility.TicketNeeds): its language (a triage answer, else
    # the customer's Slack locale), the skills it needs, the customer's UTC offset in seconds; and
    # whether routing looked up the customer's locale and time zone (once, off the ack path).
    language: str | None = Field(default=None, sa_type=String(16))
    skills: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    customer_utc_offset: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    customer_looked_up: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # It arrived outside business hours (core.business_hours): the ticket message says so.
    outside_hours: bool = Field(default=False)
    # Reminders and the first-response target (core.reminders): when it last entered the queue (NULL:
    # when created), the reminder steps fired since (moved on by a conditional UPDATE), and the
    # first response's outcome (NULL: not decided yet), the target it was measured against and the wait.
    waiting_since: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    reminder_steps: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, server_default=text("0")))
    sla_outcome: str | None = Field(default=None, sa_type=String(16))
    sla_target_minutes: int | None = Field(default=None, nullable=True)
    sla_waited_seconds: int | None = Field(default=None, nullable=True)
    # Waiting timers (core.waiting_offers, core.queue_updates, core.idle_close; migration 0019).
    # The waiting timeout's offers made (at most 2), when the customer chose to keep waiting, and when
    # they chose to leave a message to be answered later (the ticket stays in the queue, marked async).
    wait_offers: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, server_default=text("0")))
    kept_waiting_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    async_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # The place in the queue the customer was last told by a queue update, and when (rate limit).
    position_told: int | None = Field(default=None)
    position_told_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # Idle auto-close: when both sides were warned, and until when an agent snoozed it.
    idle_warned_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    idle_snoozed_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class Message(SQLModel, table=True):
    """Every message that passed through the app, and whether it reached the other side."""

    __tablename__ = "message"
    __table_args__ = (
        # One row per Slack message, however often Slack delivers it.
        UniqueConstraint("source_channel_id", "source_ts", name="uq_message_source"),
        # The outbox: a conversation's undelivered messages in order.
        Index("ix_message_outbox", "delivery_state", "conversation_id", "id"),
        Index("ix_message_stale_copies", "copy_stale", "conversation_id"),
        Index("ix_message_conversation", "conversation_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    direction: str = Field(default=Direction.FROM_CUSTOMER, sa_type=String(16))
    # Who wrote it and where (None for the bot's own notices, which have no Slack source).
    author_user_id: str | None = Field(default=None, sa_type=String(32))
    # How a customer's message is shown when its author is not the conversation's customer (a
    # colleague in a shared channel's thread); NULL: as the conversation's customer (every DM).
    author_name: str | None = Field(default=None, sa_type=String(255))
    author_avatar_url: str | None = Field(default=None, sa_type=String(1024))
    source_channel_id: str | None = Field(default=None, sa_type=String(32))
    source_ts: str | None = Field(default=None, sa_type=String(32))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    # A notice of the bot's (direction to_customer / to_agents): what to say, core.notices.Notice.
    notice: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Files shared with the message, as Slack described them when it arrived: a list of
    # {id, name, title, mimetype, size, url_private_download, mode} (core.deliveries.SharedFile).
    files: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    delivery_state: str = Field(default=DeliveryState.PENDING, sa_type=String(16))
    dest_channel_id: str | None = Field(default=None, sa_type=String(32))
    dest_ts: str | None = Field(default=None, sa_type=String(32))
    # A long text is posted in parts; the timestamps of the parts after the first, space-separated.
    dest_extra_ts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # How many of `files` have been passed on (uploaded, or replaced by a notice), in order.
    dest_files_done: int = Field(default=0)
    # The Slack file ID of the upload started for file number `dest_files_done`, recorded before
    # its bytes are sent: a retry asks Slack whether that upload was already shared.
    dest_file_pending_id: str | None = Field(default=None, sa_type=String(64))
    # Attempts started (counted before the post, so a crash mid-post is known on restart).
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=String(255))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    delivered_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    edited_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    # The delivered copy no longer matches the source (edited or deleted since).
    copy_stale: bool = Field(default=False)


class Proposal(SQLModel, table=True):
    """Supervised mode: the bot's answer held for an agent's decision, and what became of it.

    One per proposal ticket. The workspace is the conversation's (`workspace_id`), one join away.
    """

    __tablename__ = "proposal"
    __table_args__ = (
        # The scheduler's timeout: pending proposals past their time.
        Index("ix_proposal_outcome_expires", "outcome", "expires_at"),
        # Approval rates per scenario.
        Index("ix_proposal_scenario_outcome", "scenario_id", "outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    scenario_id: str = Field(sa_type=String(64))
    scenario_title: str = Field(sa_type=String(255))
    proposed_text: str = Field(sa_column=Column(Text, nullable=False))
    # What the customer was sent: the proposed text (approved) or the agent's edit; else NULL.
    sent_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The customer's answers so far: a list of [question, answer] (core.bot_turn.Proposal.answers).
    answers: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The likely cause: {best, runner_up}, each {cause_id, title, score, evidence} (core.bot_turn.Diagnosis);
    # the best cause's ID and score are columns too, for reports.
    diagnosis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cause_id: str | None = Field(default=None, sa_type=String(64))
    cause_score: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # core.supervision.ProposalOutcome: pending, approved, edited, rejected_to_queue, taken, timed_out, withdrawn.
    outcome: str = Field(default="pending", sa_type=String(24))
    decided_by_user_id: str | None = Field(default=None, sa_type=String(32))
    decided_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    expires_at: datetime = Field(sa_column=_timestamp())


class ProcessedEvent(SQLModel, table=True):
    """Slack event IDs already handled, so a redelivered event is processed once."""

    __tablename__ = "processed_event"

    event_id: str = Field(sa_type=String(64), primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class ServedChannel(SQLModel, table=True):
    """A shared channel an admin turned on (`/handoff-channel on`): a customer's top-level message
    there starts a conversation in its thread. The bot never speaks in a channel without a row."""

    __tablename__ = "served_channel"

    workspace_id: str = Field(sa_type=String(32), primary_key=True)  # the installing team, as on conversations
    channel_id: str = Field(sa_type=String(32), primary_key=True)
    turned_on_by_user_id: str = Field(sa_type=String(32))
    turned_on_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    # The channel's own choices (/handoff-channel greeting|triage, core.channel_settings); NULL: the bot's YAML.
    greeting: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    triage: bool | None = Field(default=None, nullable=True)


class TicketOwner(SQLModel, table=True):
    """One period of a ticket with one agent (core.transfers): its history of owners.

    A period is recorded when it ends by a transfer, release or reassignment (the one a claim began
    is written then, from the ticket's claim), and the new owner's period is opened; the current
    owner's open row (`ended_at` NULL) ends with the next change.
    """

    __tablename__ = "ticket_owner"
    __table_args__ = (Index("ix_ticket_owner_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    agent_user_id: str = Field(sa_type=String(32))
    agent_name: str | None = Field(default=None, sa_type=String(255))
    began_how: str = Field(sa_type=String(16))  # core.transfers.OwnershipStart
    began_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    ended_how: str | None = Field(default=None, sa_type=String(16))  # core.transfers.OwnershipEnd
    ended_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    ended_by_user_id: str | None = Field(default=None, sa_type=String(32))


class TransferOffer(SQLModel, table=True):
    """An owner's offer of a connected ticket to another agent, and its answer (core.transfers)."""

    __tablename__ = "transfer_offer"
    __table_args__ = (
        Index("ix_transfer_offer_ticket", "ticket_id", "state"),
        Index("ix_transfer_offer_state_created", "state", "created_at"),  # the scheduler's lapsed offers
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    conversation_id: int = Field(foreign_key="conversation.id")
    from_user_id: str = Field(sa_type=String(32))
    to_user_id: str = Field(sa_type=String(32))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # for the next agent only
    state: str = Field(default="pending", sa_type=String(16))  # core.transfers.OfferState
    notice_id: int | None = Field(default=None)  # the offer's message in the ticket's thread (its buttons)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    decided_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


# The tables themselves, for the Core statements the relay's hot path prebuilds (core.helpdesk,
# storage.delivery_ledger): building ORM statements per event costs more CPU than running them.
conversation_table: Table = SQLModel.metadata.tables[Conversation.__tablename__]
ticket_table: Table = SQLModel.metadata.tables[Ticket.__tablename__]
message_table: Table = SQLModel.metadata.tables[Message.__tablename__]
proposal_table: Table = SQLModel.metadata.tables[Proposal.__tablename__]
# The queue's order: waiting tickets by priority (urgent first), then age (storage.tickets).
Index("ix_ticket_queue", ticket_table.c.state, ticket_table.c.priority.desc(), ticket_table.c.id)
# The reminders' job (storage.reminders): tickets whose first response is not decided yet, a few.
SLA_UNDECIDED = "sla_outcome IS NULL OR sla_outcome = 'breaching'"
Index(
    "ix_ticket_sla_undecided",
    ticket_table.c.state,
    ticket_table.c.id,
    sqlite_where=text(SLA_UNDECIDED),
    postgresql_where=text(SLA_UNDECIDED),
)


# The agents' profiles and the audit log, and routing's tables, live in modules of their own;
# importing them registers them.
from handoff_slack.storage import roster_tables, routing_tables  # noqa: E402, F401
