"""core.reminders' plain decisions: which steps are due, a step's raise, the first response's outcome,
and who a mention reaches (the stored tokens render only as the Slack markup they name)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import (
    Mention,
    Mentions,
    RaiseBy,
    ReminderStep,
    SlaOutcome,
    decide_sla,
    mention_markup,
    steps_due,
)

STEPS = (
    ReminderStep(timedelta(minutes=10)),
    ReminderStep(timedelta(minutes=30), Mention.ADMINS, RaiseBy.ONE_LEVEL),
    ReminderStep(timedelta(minutes=60), raise_to=Priority.HIGH),
)


@pytest.mark.parametrize(
    ("fired", "waited_minutes", "due"),
    [(0, 9.9, ()), (0, 10, (0,)), (1, 10, ()), (1, 45, (1,)), (0, 90, (0, 1, 2)), (3, 500, ())],
)
def test_the_steps_due_are_those_not_fired_whose_time_came(fired: int, waited_minutes: float, due: tuple[int]) -> None:
    assert steps_due(STEPS, fired, waited_minutes * 60) == due


def test_a_raise_is_one_level_or_to_a_level_never_lower_never_past_urgent() -> None:
    assert STEPS[0].level_after(Priority.LOW) is Priority.LOW
    assert STEPS[1].level_after(Priority.NORMAL) is Priority.HIGH
    assert STEPS[1].level_after(Priority.URGENT) is Priority.URGENT
    assert STEPS[2].level_after(Priority.LOW) is Priority.HIGH
    assert STEPS[2].level_after(Priority.URGENT) is Priority.URGENT


def test_the_first_response_outcome() -> None:
    target = timedelta(minutes=15)
    assert decide_sla(14 * 60, target, claimed=True, was=None) is SlaOutcome.MET
    assert decide_sla(16 * 60, target, claimed=True, was=None) is SlaOutcome.BREACHED
    assert decide_sla(60, target, claimed=True, was=SlaOutcome.BREACHING) is SlaOutcome.BREACHED
    assert decide_sla(99 * 60, None, claimed=True, was=None) is SlaOutcome.MET  # no target for its level
    assert decide_sla(0, target, claimed=False, was=None) is SlaOutcome.NONE
    assert decide_sla(0, target, claimed=False, was=SlaOutcome.BREACHING) is SlaOutcome.BREACHED


def test_agents_are_the_group_or_here_admins_are_named_and_bad_tokens_never_render() -> None:
    assert Mentions().tokens(Mention.AGENTS) == ["here"]
    assert Mentions().tokens(Mention.ADMINS) == ["here"]  # no admins: the agents instead
    assert Mentions("SAGENTS").tokens(Mention.AGENTS) == ["group:SAGENTS"]
    admins = tuple(f"U{n:03d}" for n in range(12, 0, -1))
    assert Mentions(None, admins).tokens(Mention.ADMINS) == [f"user:U{n:03d}" for n in range(1, 11)]
    assert [mention_markup(t) for t in ("here", "group:SAGENTS", "user:U123")] == [
        "<!here>",
        "<!subteam^SAGENTS>",
        "<@U123>",
    ]
    assert [mention_markup(t) for t in ("channel", "group:<!channel>", "user:u1", "everyone:")] == [None] * 4
