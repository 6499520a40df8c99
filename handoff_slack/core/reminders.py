"""Unclaimed reminders, their further steps, and first-response targets (issue 19): plain values and
the decisions on them (core.reminder_desk applies them to tickets; the scheduler's leader runs it).

**Reminder steps.** A ticket waiting unclaimed gets, after each step's `after` of waiting, a note in
its thread (for agents only: nothing reaches the customer) that mentions the agents (the agent user
group, HANDOFF_AGENT_GROUP, else `@here` in the support channel: never 50 agents one by one) or the
admins (HANDOFF_ADMINS), and may raise its priority one level or to a level (audited, actor `bot`;
never over an agent's own choice). Each step fires once per wait: the ticket counts the steps fired
(`reminder_steps`), moved on by a conditional UPDATE. Back in the queue (released), it waits anew:
the count and the waiting time start again. Steps stop once the ticket is claimed, accepted,
assigned, cancelled or closed: only a ticket still waiting when its step fires gets it (the firing
locks the conversation, as a claim does, and reads the ticket as it is now), and a reminder stored
just before a claim is dropped by the outbox if the ticket no longer waits when it is sent.

**First-response target.** The first response is the first claim (Claim, a routing offer accepted,
an admin's assignment): the moment a person owns the ticket. It is measured from when the ticket
first entered the queue against the target of the ticket's priority when it is decided (a raised
ticket has the tighter target). A ticket still waiting past its target is marked breached at once;
once claimed, the final wait is stored (met or breached); a ticket that left the queue unclaimed
(cancelled) has no outcome. Each is decided in the transaction that takes the ticket out of the queue
(core.first_response). Released tickets keep their first outcome.

**Waiting time** is one function (`WaitingTime`), wall-clock seconds by default: business hours plug
in there (`working_seconds_between`), pausing reminders and SLA clocks outside opening hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from handoff_slack.core.priority import Priority


class WaitingTime(Protocol):
    """Seconds of waiting that count between two moments (wall time, or business hours' working time)."""

    def __call__(self, start: datetime, end: datetime) -> float: ...


def wall_seconds(start: datetime, end: datetime) -> float:
    """The default: every second counts."""
    return max(0.0, (end - start).total_seconds())


# How far back `due_since` looks for enough waiting time: beyond any schedule's longest closure.
_LONGEST_LOOK_BACK = timedelta(days=400)
_PRECISION = timedelta(seconds=1)


def due_since(waiting_time: WaitingTime, now: datetime, after: timedelta) -> datetime:
    """The latest moment from which `after` of waiting time has passed by `now`: a ticket waiting since
    then or earlier is due. With wall time that is `now - after`; with business hours it lies further
    back (closed time does not count), found by halving (waiting time only grows as the start moves
    back), to the second. The scheduler's read of due tickets cuts by it, so tickets whose clock is
    paused outside opening hours are not read, locked and found not due again every second."""
    if waiting_time is wall_seconds:
        return now - after
    needed = after.total_seconds()
    late = now - after  # waiting time never exceeds wall time: nothing later can be due
    if waiting_time(late, now) >= needed:
        return late
    span = after * 2
    while waiting_time(now - span, now) < needed:
        if span >= _LONGEST_LOOK_BACK:
            return now - span
        span = min(span * 2, _LONGEST_LOOK_BACK)
    early = now - span  # enough waiting time since here, not since `late`
    while late - early > _PRECISION:
        middle = early + (late - early) / 2
        if waiting_time(middle, now) >= needed:
            early = middle
        else:
            late = middle
    return early


class Mention(StrEnum):
    AGENTS = "agents"  # the agent user group, else @here in the support channel
    ADMINS = "admins"  # each of HANDOFF_ADMINS


class RaiseBy(StrEnum):
    ONE_LEVEL = "one_level"


@dataclass(frozen=True)
class ReminderStep:
    """After `after` of waiting unclaimed: mention `mention`, and raise the priority (`raise_to`: a
    level, or one level up; None: leave it)."""

    after: timedelta
    mention: Mention = Mention.AGENTS
    raise_to: Priority | RaiseBy | None = None

    def level_after(self, level: Priority) -> Priority:
        """The ticket's level once this step fired (never lower than it was)."""
        if self.raise_to is None:
            return level
        if self.raise_to is RaiseBy.ONE_LEVEL:
            return Priority(min(int(level) + 1, int(Priority.URGENT)))
        return max(level, self.raise_to)


DEFAULT_STEPS = (
    ReminderStep(timedelta(minutes=15), Mention.AGENTS),
    ReminderStep(timedelta(minutes=45), Mention.ADMINS),
)
DEFAULT_TARGETS: Mapping[Priority, timedelta] = {
    Priority.URGENT: timedelta(minutes=5),
    Priority.HIGH: timedelta(minutes=15),
    Priority.NORMAL: timedelta(minutes=60),
    Priority.LOW: timedelta(minutes=240),
}


@dataclass(frozen=True)
class RemindersConfig:
    """The YAML's `reminders`: the steps (in order of `after`) and the first-response targets (a
    priority left out has none)."""

    steps: tuple[ReminderStep, ...] = DEFAULT_STEPS
    first_response: Mapping[Priority, timedelta] = field(default_factory=lambda: dict(DEFAULT_TARGETS))

    @property
    def earliest(self) -> timedelta | None:
        """The shortest wait after which anything may be due (a reminder step or a target)."""
        times = [step.after for step in self.steps] + list(self.first_response.values())
        return min(times) if times else None

    def target(self, level: Priority) -> timedelta | None:
        return self.first_response.get(level)


def steps_due(steps: tuple[ReminderStep, ...], fired: int, waited_seconds: float) -> tuple[int, ...]:
    """The indexes of the steps not fired yet whose time has come, in order."""
    return tuple(i for i in range(fired, len(steps)) if waited_seconds >= steps[i].after.total_seconds())


class SlaOutcome(StrEnum):
    BREACHING = "breaching"  # still waiting, past its target
    BREACHED = "breached"  # claimed after its target
    MET = "met"  # claimed within its target
    NONE = "none"  # left the queue unclaimed (cancelled): no first response to measure


SLA_BREACHES = frozenset({SlaOutcome.BREACHING, SlaOutcome.BREACHED})


@dataclass(frozen=True)
class SlaState:
    """A ticket's first-response measure, as shown on its message (None outcome: not decided yet)."""

    outcome: SlaOutcome | None = None
    target_minutes: int | None = None
    waited_seconds: int | None = None

    @property
    def breached(self) -> bool:
        return self.outcome in SLA_BREACHES

    @property
    def waited_minutes(self) -> int:
        return int((self.waited_seconds or 0) // 60)


def decide_sla(waited_seconds: float, target: timedelta | None, claimed: bool, was: SlaOutcome | None) -> SlaOutcome:
    """The outcome of a ticket's first response so far (`claimed`: a person took it)."""
    if claimed:
        late = was is SlaOutcome.BREACHING or (target is not None and waited_seconds > target.total_seconds())
        return SlaOutcome.BREACHED if late else SlaOutcome.MET
    return SlaOutcome.BREACHED if was is SlaOutcome.BREACHING else SlaOutcome.NONE


# -- who is mentioned ---------------------------------------------------------------------------------

_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,30}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
ADMIN_MENTIONS_MAX = 10  # more admins than this: the first ten (sorted) are mentioned


@dataclass(frozen=True)
class Mentions:
    """Who a step's mention reaches, from the settings (HANDOFF_AGENT_GROUP, HANDOFF_ADMINS)."""

    agent_group: str | None = None
    admins: tuple[str, ...] = ()

    def tokens(self, mention: Mention) -> list[str]:
        """What the note mentions, as stored with it: `here`, `group:S…` or `user:U…`."""
        if mention is Mention.ADMINS and self.admins:
            return [f"user:{admin}" for admin in sorted(self.admins)[:ADMIN_MENTIONS_MAX]]
        if self.agent_group:
            return [f"group:{self.agent_group}"]
        return ["here"]


def mention_markup(token: str) -> str | None:
    """A stored mention as Slack markup (None for anything malformed: never shown)."""
    kind, _, value = token.partition(":")
    if token == "here":
        return "<!here>"
    if kind == "group" and _GROUP_ID.fullmatch(value):
        return f"<!subteam^{value}>"
    if kind == "user" and _USER_ID.fullmatch(value):
        return f"<@{value}>"
    return None


@dataclass(frozen=True)
class ReminderRules:
    """What the app gives the reminders: the YAML's `reminders`, who a mention reaches, and how waiting
    time counts (wall time by default; business hours plug in here)."""

    config: RemindersConfig = field(default_factory=RemindersConfig)
    mentions: Mentions = field(default_factory=Mentions)
    waiting_time: WaitingTime = wall_seconds
