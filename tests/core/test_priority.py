"""The pure parts of ticket priority: levels, triage rules, the VIP list, the mood reading, who is
told, and how the ticket message and the queue show it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff_slack.blocks.ticket import priority_label, priority_with_source, ticket_message
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.priority import (
    FrustrationRaise,
    Prioritised,
    Priority,
    PriorityConfig,
    PrioritySource,
    TriageRule,
    customer_told,
)
from handoff_slack.core.priority_rules import PriorityRules, triage_level
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketCustomer, TicketView

RULES = (
    TriageRule("impact", ("production is down", "outage"), Priority.URGENT),
    TriageRule("impact", ("just curious",), Priority.LOW),
    TriageRule("plan", ("enterprise",), Priority.HIGH),
)
CONFIG = PriorityConfig(triage=RULES, vip_users=frozenset({"UVIP"}), vip_teams=frozenset({"TVIPORG"}))


def test_levels_are_named_and_ordered() -> None:
    assert [level.label for level in Priority] == ["low", "normal", "high", "urgent"]
    assert Priority.named(" URGENT ") is Priority.URGENT and Priority.named("critical") is None
    assert Priority.LOW < Priority.NORMAL < Priority.HIGH < Priority.URGENT


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ([("impact", "Our PRODUCTION is down!!")], Priority.URGENT),  # case and punctuation don't matter
        ([("impact", "a short outages earlier")], Priority.URGENT),  # word endings don't matter
        ([("impact", "just curious, really")], Priority.LOW),
        ([("impact", "just curious"), ("plan", "Enterprise")], Priority.HIGH),  # the highest match wins
        ([("impact", "production is slow")], None),  # every word of the phrase, in order
        ([("plan", "outage")], None),  # another question's phrase
        ([("impact", None)], None),  # skipped
        ([], None),
    ],
)
def test_triage_rules_match_phrases_in_their_questions_answer(
    answers: list[tuple[str, str | None]], level: Priority | None
) -> None:
    assert triage_level(RULES, answers) is level


def test_a_new_tickets_level_triage_then_vip_raises_never_lowers() -> None:
    rules = PriorityRules(CONFIG, measuring=False)

    assert rules.for_new_ticket((), "UANY", None) == Prioritised()
    assert rules.for_new_ticket([("impact", "just curious")], "UANY", "T0HOME") == Prioritised(
        Priority.LOW, PrioritySource.TRIAGE
    )
    assert rules.for_new_ticket([("impact", "just curious")], "UVIP", None) == Prioritised(
        Priority.HIGH, PrioritySource.VIP
    )
    assert rules.for_new_ticket((), "UORGPERSON", "TVIPORG") == Prioritised(Priority.HIGH, PrioritySource.VIP)
    assert rules.for_new_ticket([("impact", "outage")], "UVIP", "TVIPORG") == Prioritised(
        Priority.URGENT, PrioritySource.TRIAGE
    )


def test_the_mood_of_a_waiting_message_and_turning_it_off() -> None:
    rules = PriorityRules(PriorityConfig(), frustration_threshold=0.5)
    assert rules.sounds_frustrated("WHY IS NOBODY ANSWERING ME?!")
    assert rules.sounds_frustrated("this is ridiculous, I've been waiting an hour")
    assert not rules.sounds_frustrated("ok, thanks, I'll wait")
    assert not rules.sounds_frustrated("   ")
    for off in (PriorityRules(PriorityConfig(frustration=FrustrationRaise.OFF)), PriorityRules(measuring=False)):
        assert not off.sounds_frustrated("WHY IS NOBODY ANSWERING ME?!")


def test_only_a_move_forward_is_told() -> None:
    assert customer_told(5, 1) and not customer_told(1, 1) and not customer_told(1, 2)


def ticket(priority: Priority, source: PrioritySource | None = None, set_by: str | None = None) -> TicketView:
    return TicketView(
        id=7,
        conversation_id=1,
        state=TicketState.WAITING,
        reason="menu",
        customer=TicketCustomer("UCUST", FrontDoor("DUCUST"), name="Jane"),
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
        priority=priority,
        priority_source=source.value if source else None,
        priority_set_by=set_by,
    )


def test_the_ticket_message_shows_a_priority_other_than_normal_and_why() -> None:
    assert priority_label(ticket(Priority.NORMAL)) is None
    assert priority_with_source(ticket(Priority.URGENT, PrioritySource.AGENT, "UAGENT")) == (
        ":rotating_light: urgent (set by <@UAGENT>)"
    )
    assert priority_with_source(ticket(Priority.HIGH, PrioritySource.VIP)) == ":small_red_triangle: high (VIP)"
    assert priority_with_source(ticket(Priority.HIGH, PrioritySource.FRUSTRATION)) == (
        ":small_red_triangle: high (raised: sounded frustrated while waiting)"
    )
    assert priority_with_source(ticket(Priority.LOW, PrioritySource.TRIAGE)) == (
        ":small_blue_diamond: low (from the triage answers)"
    )
    shown = ticket_message(ticket(Priority.URGENT, PrioritySource.VIP), [])
    fields = [field["text"] for field in shown.blocks[1]["fields"]]
    assert fields[-1] == "*Priority*\n:rotating_light: urgent (VIP)" and "urgent priority" in shown.text
    plain = ticket_message(ticket(Priority.NORMAL), [])
    assert not any("Priority" in field["text"] for field in plain.blocks[1]["fields"])
    assert "priority" not in plain.text
