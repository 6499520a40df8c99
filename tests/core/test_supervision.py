"""Supervised mode in the core, on a real database (SQLite file and PostgreSQL), no Slack: a
supervised answer becomes a proposal, and approve, edit, reject, take, the timeout and "never mind"
each decide it once, with its record kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from handoff_slack.core.bot import BotEngine, ButtonAction, Pressed
from handoff_slack.core.bot_config import BotConfig, Choice, Scenario, Step, SupervisionConfig
from handoff_slack.core.bot_turn import CauseScore, Diagnosis
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.core.notices import NoticeKind
from handoff_slack.core.proposals import (
    DecisionResult,
    ProposalOutcome,
    ProposalView,
    ScenarioApproval,
    diagnosis_from_json,
    diagnosis_to_json,
)
from handoff_slack.core.states import ConversationMode, Direction, EscalationReason, TicketState
from handoff_slack.storage.audit_log import AuditLog
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Conversation, Message, Proposal
from tests.support.migrated_template import from_migrated_template

JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"), team_id="T1")
ALICE, BOB = "UALICE", "UBOB"
ANSWER = "Restart the router, then forget and re-join the network."
WIFI = Scenario(
    id="wifi",
    title="Wi-Fi trouble",
    triggers=("wifi not working",),
    steps=(
        Step(id="light", ask="Is the Wi-Fi light on?", choices=(Choice("On", "fix"), Choice("Off", "fix"))),
        Step(id="fix", answer=ANSWER),
    ),
    supervised=True,
)
CONFIG = BotConfig(scenarios=(WIFI,), supervision=SupervisionConfig(timeout_seconds=300))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(database_url: str, clock: Clock) -> Iterator[SqlHelpdesk]:
    from_migrated_template(database_url)
    db = Database(database_url)
    yield SqlHelpdesk(db, BotEngine(CONFIG), clock=clock, supervision=CONFIG.supervision)
    db.dispose()


_ts = iter(range(1, 10_000))


def ts() -> str:
    return f"1700000000.{next(_ts):06d}"


def propose(desk: SqlHelpdesk) -> int:
    """Jane asks about Wi-Fi and picks "Off": the answer is proposed, not sent."""
    started = desk.receive_customer_message(JANE, ts(), "wifi not working")
    assert started.action is CustomerMessageAction.BOT_REPLY
    outcome = desk.receive_customer_input(JANE, Pressed(ButtonAction.CHOICE, "wifi:light:1"))
    assert outcome.created and outcome.mode is ConversationMode.SUPERVISED and outcome.ticket_id is not None
    desk.attach_ticket_message(outcome.ticket_id, "CSUPPORT", ts())
    return outcome.ticket_id


def notices(desk: SqlHelpdesk) -> list[tuple[str, str, str]]:
    """(direction, kind, text) of every notice stored, in order."""
    with desk.db.transaction() as session:
        rows = session.exec(select(Message).where(col(Message.notice).is_not(None)).order_by(col(Message.id))).all()
        return [(r.direction, r.notice["kind"], str(r.notice.get("text", ""))) for r in rows if r.notice]


def mode(desk: SqlHelpdesk) -> str:
    with desk.db.transaction() as session:
        found = session.exec(select(Conversation).where(Conversation.customer_user_id == JANE.user_id)).one()
        return found.mode


def test_a_supervised_answer_is_proposed_and_nothing_of_it_reaches_the_customer(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    said = notices(desk)
    assert all(ANSWER not in text for _, _, text in said)
    assert said[-1] == (Direction.TO_CUSTOMER, NoticeKind.BOT_REPLY, CONFIG.supervision.checking_message)
    proposal = desk.proposal(ticket_id)
    assert proposal is not None and proposal.pending
    assert proposal.proposed_text == ANSWER and proposal.scenario_title == "Wi-Fi trouble"
    assert proposal.answers == (("Is the Wi-Fi light on?", "Off"),)
    assert proposal.expires_at - proposal.created_at == timedelta(seconds=300)
    ticket = desk.ticket(ticket_id)
    assert ticket is not None and ticket.state is TicketState.PROPOSED and ticket.reason == EscalationReason.SUPERVISED
    # Not in the queue, and nobody can claim it.
    assert desk.queue().total == 0
    assert desk.claim(ticket_id, ALICE).result.value == "not_waiting"
    assert mode(desk) == ConversationMode.SUPERVISED


def test_approve_sends_exactly_the_proposed_text_once_and_records_who(desk: SqlHelpdesk, clock: Clock) -> None:
    ticket_id = propose(desk)

    first = desk.approve(ticket_id, ALICE)
    second = desk.approve(ticket_id, BOB)

    assert first.result is DecisionResult.DECIDED
    assert second.result is DecisionResult.ALREADY_DECIDED
    assert second.proposal is not None and second.proposal.decided_by_user_id == ALICE
    assert second.proposal.outcome is ProposalOutcome.APPROVED and second.proposal.sent_text == ANSWER
    answers = [n for n in notices(desk) if n[2] == ANSWER]
    assert answers == [(Direction.TO_CUSTOMER, NoticeKind.BOT_REPLY, ANSWER)]
    assert first.ticket is not None and first.ticket.state is TicketState.ANSWERED
    assert mode(desk) == ConversationMode.BOT


def test_edit_sends_the_edit_and_keeps_both_texts(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    decision = desk.approve(ticket_id, ALICE, edited_text="Please restart the router first.")

    assert decision.decided and decision.proposal is not None
    assert decision.proposal.outcome is ProposalOutcome.EDITED
    assert decision.proposal.proposed_text == ANSWER
    assert decision.proposal.sent_text == "Please restart the router first."
    sent = [text for _, kind, text in notices(desk) if kind == NoticeKind.BOT_REPLY]
    assert "Please restart the router first." in sent and ANSWER not in sent


def test_reject_to_the_queue_makes_a_normal_waiting_ticket(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    decision = desk.reject(ticket_id, ALICE, take=False)

    assert decision.decided and decision.ticket is not None
    assert decision.ticket.state is TicketState.WAITING
    assert decision.ticket.reason == EscalationReason.SUPERVISOR_REJECTED
    assert [e.ticket.id for e in desk.queue().entries] == [ticket_id]
    assert notices(desk)[-1][1] == NoticeKind.QUEUED
    assert mode(desk) == ConversationMode.WAITING
    assert desk.claim(ticket_id, BOB).result.value == "claimed"


def test_reject_and_take_connects_the_rejecting_agent_at_once(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    decision = desk.reject(ticket_id, ALICE, take=True, agent_name="Alice")

    assert decision.decided and decision.ticket is not None
    assert decision.ticket.state is TicketState.CONNECTED and decision.ticket.agent_user_id == ALICE
    assert decision.proposal is not None and decision.proposal.outcome is ProposalOutcome.TAKEN
    kinds = [(d, k) for d, k, _ in notices(desk)[-2:]]
    assert kinds == [(Direction.TO_AGENTS, NoticeKind.CLAIMED_NOTE), (Direction.TO_CUSTOMER, NoticeKind.CONNECTED)]
    assert mode(desk) == ConversationMode.CONNECTED
    assert desk.queue().total == 0
    (claimed,) = AuditLog(desk.db, desk.workspace_id).entries(ticket_id=ticket_id)
    assert (claimed.action, claimed.actor_user_id, claimed.details) == ("claim", ALICE, {"via": "proposal"})


def test_the_timeout_hands_over_once_and_a_late_click_changes_nothing(desk: SqlHelpdesk, clock: Clock) -> None:
    ticket_id = propose(desk)
    assert desk.time_out_proposals() == []  # not yet

    clock.now += timedelta(seconds=301)
    late = desk.approve(ticket_id, ALICE)  # the click comes after the time ran out: the timeout wins
    again = desk.time_out_proposals()

    assert late.result is DecisionResult.ALREADY_DECIDED
    assert late.proposal is not None and late.proposal.outcome is ProposalOutcome.TIMED_OUT
    assert late.proposal.decided_by_user_id is None
    assert again == []
    ticket = desk.ticket(ticket_id)
    assert ticket is not None and ticket.state is TicketState.WAITING
    assert ticket.reason == EscalationReason.SUPERVISION_TIMEOUT
    assert all(text != ANSWER for _, _, text in notices(desk))
    assert [k for _, k, _ in notices(desk)].count(NoticeKind.QUEUED) == 1


def test_the_scheduler_timeout_fires_once(desk: SqlHelpdesk, clock: Clock) -> None:
    ticket_id = propose(desk)
    clock.now += timedelta(seconds=300)

    fired = desk.time_out_proposals()

    assert [d.ticket.id for d in fired if d.ticket] == [ticket_id]
    assert desk.time_out_proposals() == []
    assert desk.approve(ticket_id, ALICE).result is DecisionResult.ALREADY_DECIDED


def test_messages_while_pending_are_kept_for_the_proposal_thread_and_not_answered(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    outcome = desk.receive_customer_message(JANE, ts(), "also my printer is off")

    assert outcome.action is CustomerMessageAction.WAITING and outcome.ticket_id == ticket_id
    with desk.db.transaction() as session:
        kept = session.exec(select(Message).where(Message.text == "also my printer is off")).one()
        assert kept.ticket_id == ticket_id and kept.delivery_state == "pending"
    assert notices(desk)[-1][1] == NoticeKind.STILL_CHECKING
    assert mode(desk) == ConversationMode.SUPERVISED


def test_never_mind_withdraws_the_proposal(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)

    outcome = desk.receive_customer_message(JANE, ts(), "never mind")

    assert outcome.action is CustomerMessageAction.CANCELLED
    proposal = desk.proposal(ticket_id)
    assert proposal is not None and proposal.outcome is ProposalOutcome.WITHDRAWN
    ticket = desk.ticket(ticket_id)
    assert ticket is not None and ticket.state is TicketState.CANCELLED
    assert mode(desk) == ConversationMode.BOT
    assert desk.approve(ticket_id, ALICE).result is DecisionResult.ALREADY_DECIDED
    assert all(text != ANSWER for _, _, text in notices(desk))


def test_the_card_quotes_the_conversation_with_the_bot(desk: SqlHelpdesk) -> None:
    ticket_id = propose(desk)
    ticket = desk.ticket(ticket_id)
    assert ticket is not None

    lines = desk.bot_conversation(ticket)

    assert lines[0].from_customer and lines[0].line.text == "wifi not working"
    assert any(not line.from_customer and "Wi-Fi light" in line.line.text for line in lines)


def test_records_and_approval_rate_per_scenario(desk: SqlHelpdesk) -> None:
    decisions = [
        lambda t: desk.approve(t, ALICE),
        lambda t: desk.approve(t, ALICE),
        lambda t: desk.approve(t, ALICE, edited_text="Edited."),
        lambda t: desk.reject(t, BOB, take=False),
    ]
    for decide in decisions:
        ticket_id = propose(desk)
        assert decide(ticket_id).decided
        if desk.ticket(ticket_id).state is TicketState.WAITING:  # type: ignore[union-attr]
            desk.claim(ticket_id, BOB)
            desk.close(ticket_id, BOB, is_admin=False)
    withdrawn = propose(desk)
    desk.receive_customer_message(JANE, ts(), "never mind")

    (wifi,) = desk.approval_rates()

    assert wifi.scenario_id == "wifi" and wifi.scenario_title == "Wi-Fi trouble"
    assert wifi.count(ProposalOutcome.APPROVED) == 2 and wifi.count(ProposalOutcome.EDITED) == 1
    assert wifi.count(ProposalOutcome.REJECTED_TO_QUEUE) == 1 and wifi.count(ProposalOutcome.WITHDRAWN) == 1
    assert wifi.approval_rate == pytest.approx(0.5)  # 2 of 4 decided by agents; the withdrawal is not one
    with desk.db.transaction() as session:
        rows = session.exec(select(Proposal).order_by(Proposal.id)).all()
        assert [r.decided_by_user_id for r in rows] == [ALICE, ALICE, ALICE, BOB, JANE.user_id]
        assert all(r.decided_at is not None for r in rows)
        assert rows[-1].ticket_id == withdrawn


def test_approval_rate_without_agent_decisions_is_unknown() -> None:
    assert ScenarioApproval("s", "S", {ProposalOutcome.TIMED_OUT: 3}).approval_rate is None


def test_a_diagnosis_is_stored_and_read_back(desk: SqlHelpdesk) -> None:
    diagnosis = Diagnosis(
        CauseScore("driver", "A driver issue", 0.8, ("Is the Wi-Fi light on? → Off",)),
        CauseScore("router", "The router", 0.3),
    )
    assert diagnosis_from_json(diagnosis_to_json(diagnosis)) == diagnosis
    ticket_id = propose(desk)
    with desk.db.transaction() as session:
        row = session.exec(select(Proposal).where(Proposal.ticket_id == ticket_id)).one()
        row.diagnosis, row.cause_id, row.cause_score = diagnosis_to_json(diagnosis), "driver", 0.8
    found = desk.proposal(ticket_id)
    assert isinstance(found, ProposalView) and found.diagnosis == diagnosis
