"""Supervised mode through the signed Slack edge (SQLite and PostgreSQL): the bot proposes, an agent
approves, edits or rejects; the timeout hands over; the customer's messages meanwhile are kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from handoff_slack.blocks.action_ids import (
    CLAIM_TICKET,
    PROPOSAL_APPROVE,
    PROPOSAL_EDIT,
    PROPOSAL_EDIT_FORM,
    PROPOSAL_REJECT,
    PROPOSAL_REJECT_CHOICE,
    PROPOSAL_REJECT_FORM,
    PROPOSAL_TEXT,
    REJECT_AND_TAKE,
    REJECT_TO_QUEUE,
    TRANSFER_TICKET,
)
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.storage.models import Proposal
from tests.conftest import AGENT, AGENT_2, CUSTOMER, OUTSIDER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    block_text,
    dm,
    dm_posts,
    posted_to,
    ticket_message_recorded,
    ticket_posts,
    wait_for_dm,
    wait_for_new_ticket,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until
from tests.test_bot_conversations import say
from tests.test_bot_diagnosis import answer_the_questions
from tests.test_claim_race import released_together
from tests.test_config_file import DEFAULT_FILE

SUPERVISED_CONFIG = Path(__file__).parent / "fixtures" / "bot" / "supervised.yaml"
ANSWER = "Restart the router, then forget and re-join the network."
CHECKING = "Let me check my answer with a colleague"


class MovableClock:
    """Real time, moved on by the test (the app's clock: proposals' time runs out when it says)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, config: Path = SUPERVISED_CONFIG) -> AppUnderTest:
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(config)), clock).start()


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock)
    try:
        yield running
    finally:
        running.stop()


def propose(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    """Jane asks about her Wi-Fi and answers the bot's question: a proposal is posted."""
    before = len(ticket_posts(fake))
    dm(app, CUSTOMER, "wifi not working")
    wait_for_dm(fake, CUSTOMER, "Is the Wi-Fi light on?")
    dm(app, CUSTOMER, "Off")
    return ticket_message_recorded(app, wait_for_new_ticket(fake, before))


def press(app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, card: TicketPost, name: str) -> str:
    """`user` clicks a button of the proposal; returns its response_url (ephemeral answers land there)."""
    url = fake.response_url(name)
    reply = app.slack.block_action(
        user,
        action_id,
        str(card.ticket_id),
        channel_id=SUPPORT_CHANNEL,
        message_ts=card.ts,
        response_url=url,
        trigger_id=fake.issue_trigger(user),
    )
    assert reply.status == 200, reply
    return url


def answer_to(fake: FakeSlack, name: str) -> str:
    return str(fake.wait_for(f"response_url:{name}")[0].params["text"])


def proposal_row(app: AppUnderTest, ticket_id: int) -> Proposal:
    assert app.app is not None
    with app.app.db.transaction() as session:
        return session.exec(select(Proposal).where(col(Proposal.ticket_id) == ticket_id)).one()


def answers_sent(fake: FakeSlack, text: str = ANSWER) -> list[Call]:
    return [c for c in dm_posts(fake, CUSTOMER) if text in (c.params.get("text") or "")]


def open_modal(fake: FakeSlack, user: str, callback_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: next((v for v in fake.open_views(user) if v.get("callback_id") == callback_id), None),
        message=f"the {callback_id} modal",
    )


def test_the_proposal_is_posted_nothing_reaches_the_customer_and_approve_sends_it_once(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    card = propose(app, fake_slack)

    shown = block_text(card.call.params["blocks"])
    for part in ("Proposed answer", "Jane", "Wi-Fi trouble", "Is the Wi-Fi light on?", "Off", ANSWER):
        assert part in shown, part
    assert "wifi not working" in shown  # the conversation with the bot
    assert action_ids(card.call.params["blocks"]) == [PROPOSAL_APPROVE, PROPOSAL_EDIT, PROPOSAL_REJECT]
    wait_for_dm(fake_slack, CUSTOMER, CHECKING)
    assert answers_sent(fake_slack) == []

    press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "approve")
    wait_for_dm(fake_slack, CUSTOMER, ANSWER)
    updated = wait_for_ticket_update(fake_slack, card, f"Approved by <@{AGENT}>")
    assert action_ids(updated.params["blocks"]) == []

    late = press(app, fake_slack, AGENT_2, PROPOSAL_APPROVE, card, "late")
    assert f"already approved by <@{AGENT}>" in answer_to(fake_slack, "late")
    stale_edit = press(app, fake_slack, AGENT_2, PROPOSAL_EDIT, card, "stale-edit")
    assert "already approved" in answer_to(fake_slack, "stale-edit")
    assert late and stale_edit
    assert len(answers_sent(fake_slack)) == 1
    row = proposal_row(app, card.ticket_id)
    assert (row.outcome, row.decided_by_user_id, row.sent_text) == ("approved", AGENT, ANSWER)
    assert fake_slack.open_views(AGENT_2) == []


def test_twenty_simultaneous_approves_on_two_replicas_send_once(
    app: AppUnderTest, fake_slack: FakeSlack, database_url: str, clock: MovableClock
) -> None:
    if database_url.startswith("sqlite"):
        # Two app processes on one SQLite file is not a deployment (README: SQLite serves one process;
        # only PostgreSQL's advisory locks keep two replicas from flushing one conversation at once).
        pytest.skip("replicas share work on PostgreSQL only")
    agents = [f"URACER{i:02d}" for i in range(20)]
    for agent in agents:
        fake_slack.add_user(agent, name=agent.lower())
    fake_slack.set_members(SUPPORT_CHANNEL, agents)
    card = propose(app, fake_slack)
    replica = start(fake_slack, database_url, clock)
    try:
        replicas = [app, replica]

        def approve(i: int) -> str:
            url = fake_slack.response_url(f"race-{i}")
            reply = replicas[i % 2].slack.block_action(
                agents[i], PROPOSAL_APPROVE, str(card.ticket_id), channel_id=SUPPORT_CHANNEL, response_url=url
            )
            assert reply.status == 200, reply
            return url

        released_together(20, approve)
        losers = wait_until(
            lambda: (
                (found := [c for c in fake_slack.calls() if c.method.startswith("response_url:race-")])
                and len(found) >= 19
                and found
            ),
            timeout=20,
            message="19 losers told",
        )
        wait_for_dm(fake_slack, CUSTOMER, ANSWER)
        winner = proposal_row(app, card.ticket_id).decided_by_user_id
        assert winner in agents
        assert len(losers) == 19 and all(f"already approved by <@{winner}>" in c.params["text"] for c in losers)
        wait_for_ticket_update(fake_slack, card, f"Approved by <@{winner}>")
        assert len(answers_sent(fake_slack)) == 1
    finally:
        replica.stop()


def test_edit_sends_the_edited_text_and_both_are_stored(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    card = propose(app, fake_slack)

    press(app, fake_slack, AGENT, PROPOSAL_EDIT, card, "edit")
    modal = open_modal(fake_slack, AGENT, PROPOSAL_EDIT_FORM)
    assert ANSWER in str(modal["blocks"])  # pre-filled
    edited = "Please restart the router first, then tell me if the light comes on."
    reply = app.slack.view_submission(
        AGENT, PROPOSAL_EDIT_FORM, {PROPOSAL_TEXT: {PROPOSAL_TEXT: edited}}, private_metadata=modal["private_metadata"]
    )
    assert reply.status == 200, reply

    wait_for_dm(fake_slack, CUSTOMER, edited)
    wait_for_ticket_update(fake_slack, card, "Sent instead (edited)")
    assert answers_sent(fake_slack) == []
    row = proposal_row(app, card.ticket_id)
    assert (row.outcome, row.proposed_text, row.sent_text) == ("edited", ANSWER, edited)


@pytest.mark.parametrize("choice", [REJECT_TO_QUEUE, REJECT_AND_TAKE])
def test_reject_puts_the_customer_in_the_queue_or_with_the_agent(
    app: AppUnderTest, fake_slack: FakeSlack, choice: str
) -> None:
    card = propose(app, fake_slack)

    press(app, fake_slack, AGENT, PROPOSAL_REJECT, card, "reject")
    modal = open_modal(fake_slack, AGENT, PROPOSAL_REJECT_FORM)
    selected = {"type": "radio_buttons", "selected_option": {"value": choice}}
    reply = app.slack.view_submission(
        AGENT,
        PROPOSAL_REJECT_FORM,
        {PROPOSAL_REJECT_CHOICE: {PROPOSAL_REJECT_CHOICE: selected}},
        private_metadata=modal["private_metadata"],
    )
    assert reply.status == 200, reply

    if choice == REJECT_TO_QUEUE:
        wait_for_dm(fake_slack, CUSTOMER, "in the queue")
        updated = wait_for_ticket_update(fake_slack, card, "Waiting for an agent")
        assert action_ids(updated.params["blocks"]) == [CLAIM_TICKET, TRANSFER_TICKET]
        state, outcome = TicketState.WAITING, "rejected_to_queue"
    else:
        wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")
        updated = wait_for_ticket_update(fake_slack, card, f"Claimed by <@{AGENT}>")
        fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "claimed this ticket", card.ts))
        state, outcome = TicketState.CONNECTED, "taken"
    assert "The bot's proposal" in block_text(updated.params["blocks"])  # its context stays on the ticket
    ticket = app.helpdesk.ticket(card.ticket_id)
    assert ticket is not None and ticket.state is state and ticket.reason == EscalationReason.SUPERVISOR_REJECTED
    assert proposal_row(app, card.ticket_id).outcome == outcome
    assert answers_sent(fake_slack) == []


def test_someone_who_may_not_approve_is_refused_and_nothing_changes(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    card = propose(app, fake_slack)

    for action in (PROPOSAL_APPROVE, PROPOSAL_EDIT, PROPOSAL_REJECT):
        press(app, fake_slack, OUTSIDER, action, card, f"outsider-{action}")
        assert "Only members of" in answer_to(fake_slack, f"outsider-{action}")

    assert fake_slack.open_views(OUTSIDER) == []
    assert proposal_row(app, card.ticket_id).outcome == "pending"
    assert answers_sent(fake_slack) == []


def test_with_a_user_group_only_its_members_approve(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    config = tmp_path / "group.yaml"
    config.write_text(SUPERVISED_CONFIG.read_text().replace("timeout_seconds: 300", 'approvers: "SAPPROVE"'))
    fake_slack.set_user_group("SAPPROVE", [AGENT_2])
    app = start(fake_slack, database_url, clock, config)
    try:
        card = propose(app, fake_slack)
        press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "agent-not-in-group")
        assert "<!subteam^SAPPROVE>" in answer_to(fake_slack, "agent-not-in-group")
        assert proposal_row(app, card.ticket_id).outcome == "pending"

        press(app, fake_slack, AGENT_2, PROPOSAL_APPROVE, card, "in-group")
        wait_for_dm(fake_slack, CUSTOMER, ANSWER)
        assert proposal_row(app, card.ticket_id).decided_by_user_id == AGENT_2
    finally:
        app.stop()


def test_an_unanswered_proposal_hands_over_after_the_timeout_also_across_a_restart(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    card = propose(app, fake_slack)
    app.stop()
    clock.offset = timedelta(seconds=301)  # the app was down when the time ran out

    app.start()  # the scheduler's first run is at start-up
    wait_for_dm(fake_slack, CUSTOMER, "in the queue")
    updated = wait_for_ticket_update(fake_slack, card, "Waiting for an agent")

    assert "after the timeout" in block_text(updated.params["blocks"])
    ticket = app.helpdesk.ticket(card.ticket_id)
    assert ticket is not None and ticket.reason == EscalationReason.SUPERVISION_TIMEOUT
    row = proposal_row(app, card.ticket_id)
    assert (row.outcome, row.decided_by_user_id) == ("timed_out", None)
    press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "too-late")
    assert "already handed over after the timeout" in answer_to(fake_slack, "too-late")
    assert answers_sent(fake_slack) == []
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "in the queue" in c.params["text"]]) == 1


def test_messages_while_pending_are_kept_and_shown_on_the_proposal(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    card = propose(app, fake_slack)

    dm(app, CUSTOMER, "the light is blinking orange now")

    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "blinking orange", card.ts))
    wait_for_dm(fake_slack, CUSTOMER, "still checking")
    assert proposal_row(app, card.ticket_id).outcome == "pending"
    assert answers_sent(fake_slack) == []


def test_never_mind_withdraws_the_proposal(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    card = propose(app, fake_slack)

    dm(app, CUSTOMER, "never mind")

    wait_for_dm(fake_slack, CUSTOMER, "I won't send that answer")
    updated = wait_for_ticket_update(fake_slack, card, "Withdrawn by the customer")
    assert action_ids(updated.params["blocks"]) == []
    assert proposal_row(app, card.ticket_id).outcome == "withdrawn"
    press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "after-withdrawal")
    assert "already withdrawn" in answer_to(fake_slack, "after-withdrawal")
    assert answers_sent(fake_slack) == []


def test_the_shipped_wifi_diagnosis_is_proposed_with_its_likely_cause_and_approved(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock
) -> None:
    app = start(fake_slack, database_url, clock, DEFAULT_FILE)  # the Wi-Fi scenario ships supervised
    try:
        before = len(ticket_posts(fake_slack))
        say(app, CUSTOMER, "Hi, my laptop won't connect to the wifi since this morning")
        answer_the_questions(app, fake_slack, "No networks listed", "Yes", "Windows installed updates overnight")
        card = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, before))

        shown = block_text(card.call.params["blocks"])
        assert "Likely cause:" in shown and "(score " in shown and "Runner-up:" in shown
        assert "No networks listed" in shown  # an answer, and evidence for the cause
        assert [c for c in dm_posts(fake_slack, CUSTOMER) if "most likely the Wi-Fi driver" in c.params["text"]] == []
        row = proposal_row(app, card.ticket_id)
        assert row.cause_id and row.cause_score is not None and row.diagnosis is not None

        press(app, fake_slack, AGENT, PROPOSAL_APPROVE, card, "approve-diagnosis")
        wait_for_dm(fake_slack, CUSTOMER, "most likely the Wi-Fi driver")
    finally:
        app.stop()
