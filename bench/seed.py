"""The queue-scale data set, written straight into a migrated database before the app starts.

`python -m bench.seed DATABASE_URL [--waiting 10000] [--connected 1000] [--agents 200]`

- `waiting` customers waiting in the queue: a conversation in mode *waiting*, its ticket
  (state *waiting*, ticket message already posted, created over the last hours, oldest first) and
  the message that escalated it (kept, not relayed);
- `connected` customers talking with an agent: conversation *connected*, ticket claimed by one
  of the bench agents, and a short history of five delivered messages both ways;
- `agents` agents (bench.common.ROSTER, the fake Slack's support channel) with profiles: about
  60 % available, 25 % away, 10 % offline and 5 % with no profile (offline too); half with their
  own capacity (2 to 8), the others the default (3); one to three languages, up to three skills.
  The connected conversations are their loads: each available agent has between none and their
  capacity (so some are full and some have room), the rest go to the away and offline ones (who
  keep their conversations). Random but the same every time (a fixed seed).
- the waiting tickets ask what routing's filters look at (core.eligibility): about 70 % a language
  (of the agents' languages), about 30 % one or two skills (their `ticket_skill` rows too), so the
  routing decisions and `/handoff-queue` (`lang:`, `skill:`, `mine`) are timed with filters.
Every message also has its `processed_event` row, as if Slack had delivered it.

Rows are built with the app's own models (so defaults of columns added later are filled in) and
inserted in bulk with SQLAlchemy Core, with explicit IDs; PostgreSQL's sequences are moved past them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.common import ADMIN, ROSTER, SUPPORT_CHANNEL, TEAM_ID
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason, TicketState
from handoff_slack.storage.database import create_database_engine
from handoff_slack.storage.models import Conversation, Message, ProcessedEvent, Ticket
from handoff_slack.storage.roster_tables import AgentProfileRow
from handoff_slack.storage.routing_tables import ticket_skill_table

HISTORY = 5  # delivered messages per connected conversation
DEFAULT_CAPACITY = 3  # the app's default HANDOFF_AGENT_CAPACITY, which the bench leaves as it is
LANGUAGES = ("en", "de", "fr", "es", "pt-BR", "ja")
SKILLS = ("billing", "hardware", "shipping", "returns", "api", "security")
ROSTER_SEED = 18  # the number: the same roster every run
NEEDS_SEED = 1818  # the waiting tickets' languages and skills (apart: the roster stays as it was)


def roster(agents: int, connected: int, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The agents' profile rows, and who has each connected conversation (in order)."""
    rng = random.Random(ROSTER_SEED)
    profiles: list[dict[str, Any]] = []
    loads: list[tuple[str, int]] = []  # available agents: how many they have
    others: list[str] = []  # away, offline, no profile: the rest of the conversations
    for user in ROSTER[:agents]:
        draw = rng.random()
        availability = "available" if draw < 0.60 else "away" if draw < 0.85 else "offline" if draw < 0.95 else None
        capacity = None if rng.random() < 0.5 else rng.randint(2, 8)
        languages = rng.sample(LANGUAGES, rng.randint(1, 3))
        skills = rng.sample(SKILLS, rng.randint(0, 3))
        if availability is None:  # never set a status: offline, as the app reads a missing profile
            others.append(user)
            continue
        profiles.append(
            _row(
                AgentProfileRow(
                    workspace_id=TEAM_ID,
                    user_id=user,
                    availability=availability,
                    capacity=capacity,
                    languages=languages,
                    skills=skills,
                    updated_at=now - timedelta(hours=1),
                    updated_by_user_id=user if rng.random() < 0.9 else ADMIN,
                )
            )
        )
        if availability == "available":
            loads.append((user, rng.randint(0, capacity or DEFAULT_CAPACITY)))
        else:
            others.append(user)
    owners = [user for user, load in loads for _ in range(load)][:connected]
    rest = others or ROSTER[:agents]
    owners += [rest[k % len(rest)] for k in range(connected - len(owners))]
    return profiles, owners


def needs(rng: random.Random) -> tuple[str | None, list[str]]:
    """A waiting ticket's language and skills."""
    language = rng.choice(LANGUAGES) if rng.random() < 0.7 else None
    draw = rng.random()
    skills = [] if draw < 0.7 else rng.sample(SKILLS, 1 if draw < 0.95 else 2)
    return language, skills


def _row(model: Any) -> dict[str, Any]:
    return {column.name: getattr(model, column.name) for column in model.__table__.columns}


def _ts(base: float, n: int) -> str:
    micros = int(base * 1_000_000) + n
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def build(waiting: int, connected: int, agents: int = len(ROSTER)) -> dict[str, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    profiles, owners = roster(agents, connected, now)
    base = time.time() - 6 * 3600  # Slack timestamps of the seeded messages, six hours ago onwards
    conversations, tickets, messages, events, skill_rows = [], [], [], [], []
    needs_rng = random.Random(NEEDS_SEED)
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
        agent = owners[i - waiting - 1] if not is_waiting else ""
        language, skills = needs(needs_rng) if is_waiting else (None, [])
        skill_rows.extend({"ticket_id": i, "skill": skill} for skill in skills)
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
                    language=language,
                    skills=skills or None,
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
    return {
        "conversation": conversations,
        "ticket": tickets,
        "ticket_skill": skill_rows,
        "message": messages,
        "processed_event": events,
        "agent_profile": profiles,
    }


def seed(database_url: str, waiting: int, connected: int, agents: int = len(ROSTER)) -> dict[str, int]:
    rows = build(waiting, connected, agents)
    engine = create_database_engine(database_url)
    tables = {
        "conversation": Conversation.__table__,
        "ticket": Ticket.__table__,
        "ticket_skill": ticket_skill_table,
        "message": Message.__table__,
        "processed_event": ProcessedEvent.__table__,
        "agent_profile": AgentProfileRow.__table__,
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
    parser.add_argument("--agents", type=int, default=len(ROSTER), help=f"agents with profiles (1 to {len(ROSTER)})")
    args = parser.parse_args(argv[1:])
    if not 1 <= args.agents <= len(ROSTER):
        parser.error(f"--agents: 1 to {len(ROSTER)}")
    started = time.monotonic()
    counts = seed(args.database_url, args.waiting, args.connected, args.agents)
    print(f"seeded {counts} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
