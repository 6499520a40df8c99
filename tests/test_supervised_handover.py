"""Supervised mode's follow-ups through the signed Slack edge (SQLite and PostgreSQL): a customer who
asks for a person while a proposal is pending is handed over at once (typed, or an earlier "Talk to
an agent" button), and an approved answer reaches the customer as the bot would have sent it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handoff_slack.blocks.action_ids import (
    CLAIM_TICKET,
    PROPOSAL_APPROVE,
    PROPOSAL_EDIT,
    PROPOSAL_EDIT_FORM,
    PROPOSAL_TEXT,
    TRANSFER_TICKET,
)
from handoff_slack.core.proposals import ProposalOutcome
from handoff_slack.core.states import EscalationReason, TicketState
from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import AppUnderTest
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    block_text,
    dm,
    dm_posts,
    press_talk_to_agent,
    wait_for_dm,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until
from tests.test_bot_conversations import buttons
from tests.test_claim_race import released_together
from tests.test_supervised_mode import (
    ANSWER,
    MovableClock,
    answer_to,
    answers_sent,
    open_modal,
    press,
    proposal_row,
    propose,
    start,
)

QUEUED = "in the queue; I'll let you know"
HANDED_OVER = "Handed over at the customer's request"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock)
    try:
        yield running
    finally:
        running.stop()


def queue_notices(fake: FakeSlack) -> list[str]:
    return [str(c.params["text"]) for c in dm_posts(fake, CUSTOMER) if QUEUED in (c.params.get("text") or "")]


def assert_handed_over(app: AppUnderTest, fake: FakeSlack, card: TicketPost, reason: EscalationReason) -> None:
    """The customer waits in the queue (told their place once), the card is a normal ticket's with
    Claim, and the proposal ended without an agent's decision and without sending its answer."""
    wait_for_dm(fake, CUSTOMER, QUEUED)
    assert "*#1* in the queue" in queue_notices(fake)[0]
    updated = wait_for_ticket_update(fake, card, "Waiting for an agent")
    shown = block_text(updated.params["blocks"])
    assert action_ids(updated.params["blocks"]) == [CLAIM_TICKET, TRANSFER_TICKET]
    assert HANDED_OVER in shown and "The bot's proposal" in shown and ANSWER in shown
    ticket = app.helpdesk.ticket(card.ticket_id)
    assert ticket is not None and (ticket.state, ticket.reason) == (TicketState.WAITING, reason)
    row = proposal_row(app, card.ticket_id)
    assert (row.outcome, row.decided_by_user_id, row.sent_text) == ("handed_over", CUSTOMER, None)
    assert answers_sent(fake) == []
    assert len(queue_notices(fake)) == 1
    assert [c for c in dm_posts(fake, CUSTOMER) if "still checking" in (c.params.get("text") or "")] == []


@pytest.mark.parametrize("text", ["agent", "a human please"])
def test_asking_for_a_person_while_pending_hands_over_at_once(
    app: AppUnderTest, fake_slack: FakeSlack, text: str
) -> None:
    card = propose(app, fake_slack)

    dm(app, CUSTOMER, text)

    assert_handed_over(app, fake_slack, card, EscalationReason.ASKED_FOR_HUMAN)
    late = press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "late-approve")
    assert "already handed over at the customer's request" in answer_to(fake_slack, "late-approve")
    assert late and answers_sent(fake_slack) == []
    # Not an agent's decision: it says nothing about the answer's quality.
    (rates,) = app.helpdesk.approval_rates()
    assert rates.count(ProposalOutcome.HANDED_OVER) == 1
    assert (rates.decided_by_agents, rates.approval_rate) == (0, None)


def test_an_earlier_talk_to_an_agent_button_hands_over_with_the_menu_reason(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    card = propose(app, fake_slack)

    press_talk_to_agent(app, CUSTOMER)  # the button of a bot message from before the proposal

    assert_handed_over(app, fake_slack, card, EscalationReason.MENU)


def test_a_hand_over_racing_an_approve_has_one_winner_and_the_loser_is_told(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    card = propose(app, fake_slack)
    wait_for_dm(fake_slack, CUSTOMER, "Let me check my answer")

    def act(i: int) -> None:
        if i == 0:
            dm(app, CUSTOMER, "agent")
        else:
            press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "racing-approve")

    released_together(2, act)
    wait_until(lambda: proposal_row(app, card.ticket_id).outcome != "pending", message="a decision")
    outcome = proposal_row(app, card.ticket_id).outcome
    if outcome == "handed_over":
        assert "already handed over" in answer_to(fake_slack, "racing-approve")
        wait_for_dm(fake_slack, CUSTOMER, QUEUED)
        assert answers_sent(fake_slack) == []
    else:  # the approval first: the answer is sent, then "agent" asks the bot for a person as usual
        assert outcome == "approved"
        wait_for_dm(fake_slack, CUSTOMER, ANSWER)
        wait_for_dm(fake_slack, CUSTOMER, QUEUED)
        assert len(answers_sent(fake_slack)) == 1
        assert not [c for c in fake_slack.calls() if c.method == "response_url:racing-approve"]
    assert len(queue_notices(fake_slack)) == 1


def test_the_approved_answer_has_the_buttons_an_unsupervised_answer_has(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    card = propose(app, fake_slack)

    press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "approve")

    answer = wait_for_dm(fake_slack, CUSTOMER, ANSWER)
    assert [b["text"]["text"] for b in buttons(answer)] == ["Show the menu", "Talk to an agent"]


def test_the_edited_answer_has_the_buttons_an_unsupervised_answer_has(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    card = propose(app, fake_slack)
    press(app, fake_slack, AGENT, PROPOSAL_EDIT, card, "edit")
    modal = open_modal(fake_slack, AGENT, PROPOSAL_EDIT_FORM)
    edited = "Please restart the router first."
    reply = app.slack.view_submission(
        AGENT, PROPOSAL_EDIT_FORM, {PROPOSAL_TEXT: {PROPOSAL_TEXT: edited}}, private_metadata=modal["private_metadata"]
    )
    assert reply.status == 200, reply

    answer = wait_for_dm(fake_slack, CUSTOMER, edited)
    assert [b["text"]["text"] for b in buttons(answer)] == ["Show the menu", "Talk to an agent"]
