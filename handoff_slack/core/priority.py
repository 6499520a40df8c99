"""Ticket priority: the levels, where a new ticket's level comes from, and the queue's order.

Four levels, as Slack help desks usually have them: `low`, `normal` (the default), `high` and
`urgent`. The queue is ordered by priority (urgent first), then by age (the ticket's number: the
older first). A new ticket's level comes from:

- its triage answers: rules in the bot's YAML file (`priority.triage`) map an answer to a level
  (the answer contains the rule's phrase, compared like a diagnosis clue: case, punctuation and
  word endings don't matter); the highest matching rule wins, so a rule can also make a ticket `low`;
- the VIP list (`priority.vip`): customers by Slack user ID, or whole organisations by Slack team
  ID, get at least the VIP level (`high` by default);
- otherwise `normal`.

While waiting, a message that sounds frustrated (core.frustration, on that message alone) raises
the level by one, once per ticket, never above urgent, and never over a level an agent chose with
`/handoff-priority` (their decision stands).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Priority(IntEnum):
    """Stored as the number: the higher, the sooner served."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, word: str) -> Priority | None:
        """The level a word names (any case); None for anything else."""
        return next((level for level in cls if level.label == word.strip().lower()), None)


LEVEL_NAMES = tuple(level.label for level in Priority)


class PrioritySource(StrEnum):
    """Why a ticket has its level (shown on the ticket message; stored with the level)."""

    DEFAULT = "default"
    TRIAGE = "triage"  # a triage answer matched a rule
    VIP = "vip"  # the customer or their organisation is on the VIP list
    FRUSTRATION = "frustration"  # raised while waiting: a frustrated message
    AGENT = "agent"  # set with /handoff-priority (by whom is stored too)
    REMINDER = "reminder"  # raised by a reminder step: waited unclaimed too long (core.reminders)


class FrustrationRaise(StrEnum):
    RAISE = "raise"  # a frustrated message while waiting raises the level by one (once)
    OFF = "off"


@dataclass(frozen=True)
class TriageRule:
    """An answer to triage question `question_id` containing one of `answers` gives `level`."""

    question_id: str
    answers: tuple[str, ...]
    level: Priority


@dataclass(frozen=True)
class PriorityConfig:
    triage: tuple[TriageRule, ...] = ()
    vip_users: frozenset[str] = frozenset()  # Slack user IDs (U…, W…)
    vip_teams: frozenset[str] = frozenset()  # Slack team IDs of organisations (T…, E…)
    vip_level: Priority = Priority.HIGH
    frustration: FrustrationRaise = FrustrationRaise.RAISE


@dataclass(frozen=True)
class Prioritised:
    """A ticket's level and why it has it."""

    level: Priority = Priority.NORMAL
    source: PrioritySource = PrioritySource.DEFAULT


DEFAULT_PRIORITY = Prioritised()


# A frustrated message raises a ticket once, and never over an agent's choice.
NOT_RAISED_AFTER = frozenset({PrioritySource.FRUSTRATION, PrioritySource.AGENT})


def customer_told(old_position: int, new_position: int) -> bool:
    """Whether the ticket's own customer hears of a change of priority: only when it moved them up.

    Customers a change moves back are not told at that moment: one urgent ticket would message every
    customer behind it (thousands of Slack calls, rate-limited, each saying somebody else was
    preferred). Every notice they get afterwards says their exact place."""
    return new_position < old_position
