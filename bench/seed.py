"""The queue-scale data set, written straight into a migrated database before the app starts.

`python -m bench.seed DATABASE_URL [--waiting 10000] [--connected 1000]`

- `waiting` customers waiting in the queue: a conversation in mode *waiting*, its ticket
  (state *waiting*, ticket message already posted, created over the last hours, oldest first) and
  the message that escalated it (kept, not relayed);
- `connected` customers talking with an agent: conversation *connected*, ticket claimed by one
  of the bench agents, and a short history of five delivered messages both ways.
Every message also has its `processed_event` row, as if Slack had delivered it.

Rows are built with the app's own models (so defaults of columns added later are filled in) and
inserted in bulk with SQLAlchemy Core, with explicit IDs; PostgreSQL's sequences are moved past them.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.common import AGENTS, SUPPORT_CHANNEL, TEAM_ID
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason, TicketState
from handoff_slack.storage.database import create_database_engine
from handoff_slack.storage.models import Conversation, Message, ProcessedEvent, Ticket

HISTORY = 5  # delivered messages per connected conversation


def _row(model: Any) -> dict[str, Any]:
    return {column.name: getattr(model, column.name) for column in model.__table__.columns}


def _ts(base: float, n: int) -> str:
    micros = int(base * 1_000_000) + n
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def build(waiting: int, connected: int) -> dict[str, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    base = time.time() - 6 * 3600  # Slack timestamps of the seeded messages, six hours ago onwards
    conversations, tickets, messages, events = [], [], [], []
    message_id = 0
    seq = 0

    def message(conversation_id: int, ticket_id: int, **fields: Any) -> None:
        nonlocal message_id, seq
        message_id += 1
        seq += 1
        source_ts = _ts(base, seq)
        messages.append(
            _row(
                Message(
                    id=message_id, conversation_id=conversation_id, ticket_id=ticket_id, source_ts=source_ts, **fields
                )
            )
        )
        events.append(_row(ProcessedEvent(event_id=f"EvSeed{message_id:09d}", received_at=fields["created_at"])))

    total = waiting + connected
    for i in range(1, total + 1):
        is_waiting = i <= waiting
        user = f"UW{i:06d}" if is_waiting else f"UC{i:06d}"
        # The queue is in ticket order; the oldest waited longest (spread over the last 5 hours).
        created = now - timedelta(seconds=5 * 3600 * (total - i) / total) - timedelta(minutes=1)
        agent = AGENTS[i % len(AGENTS)]
        conversations.append(
            _row(
                Conversation(
                    id=i,
                    workspace_id=TEAM_ID,  # the fake Slack's auth.test team: the app's workspace
                    channel_id=f"D{user}",
                    customer_user_id=user,
                    customer_team_id=TEAM_ID,
                    mode=ConversationMode.WAITING if is_waiting else ConversationMode.CONNECTED,
                    active_ticket_id=i,
                    customer_name=f"Customer {user}",
                    customer_avatar_url=f"https://fake.slack.com/avatars/{user}_48.png",
                    created_at=created,
                    updated_at=created,
                )
            )
        )
        tickets.append(
            _row(
                Ticket(
                    id=i,
                    conversation_id=i,
                    state=TicketState.WAITING if is_waiting else TicketState.CONNECTED,
                    reason=EscalationReason.ASKED_FOR_HUMAN,
                    agent_user_id=None if is_waiting else agent,
                    agent_name=None if is_waiting else f"Agent {agent}",
                    agent_avatar_url=None if is_waiting else f"https://fake.slack.com/avatars/{agent}_48.png",
                    message_channel_id=SUPPORT_CHANNEL,
                    message_ts=_ts(base - 60, i),
                    created_at=created,
                    claimed_at=None if is_waiting else created + timedelta(seconds=30),
                )
            )
        )
        message(
            i,
            i,
            direction=Direction.FROM_CUSTOMER,
            author_user_id=user,
            source_channel_id=f"D{user}",
            text="I need a human please",
            delivery_state=DeliveryState.NOT_RELAYED,
            created_at=created,
        )
        if not is_waiting:
            for k in range(HISTORY):
                from_customer = k % 2 == 0
                at = created + timedelta(seconds=40 + k)
                message(
                    i,
                    i,
                    direction=Direction.FROM_CUSTOMER if from_customer else Direction.FROM_AGENT,
                    author_user_id=user if from_customer else agent,
                    source_channel_id=f"D{user}" if from_customer else SUPPORT_CHANNEL,
                    text=f"seeded message {k} of conversation {i}",
                    delivery_state=DeliveryState.DELIVERED,
                    dest_channel_id=SUPPORT_CHANNEL if from_customer else f"D{user}",
                    dest_ts=_ts(base + 1, seq),
                    attempts=1,
                    created_at=at,
                    delivered_at=at,
                )
    return {"conversation": conversations, "ticket": tickets, "message": messages, "processed_event": events}


def seed(database_url: str, waiting: int, connected: int) -> dict[str, int]:
    rows = build(waiting, connected)
    engine = create_database_engine(database_url)
    tables = {
        "conversation": Conversation.__table__,
        "ticket": Ticket.__table__,
        "message": Message.__table__,
        "processed_event": ProcessedEvent.__table__,
    }
    try:
        with engine.begin() as connection:
            for name, table in tables.items():
                batch = rows[name]
                for start in range(0, len(batch), 5000):
                    connection.execute(insert(table), batch[start : start + 5000])
            if engine.dialect.name == "postgresql":
                for name in ("conversation", "ticket", "message"):
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                    )
                # Autovacuum would analyse the new rows within minutes; the app starts in seconds.
                # (SQLite is left as the app leaves it: it never runs ANALYZE.)
                connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return {name: len(batch) for name, batch in rows.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--connected", type=int, default=1_000)
    args = parser.parse_args(argv[1:])
    started = time.monotonic()
    counts = seed(args.database_url, args.waiting, args.connected)
    print(f"seeded {counts} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
