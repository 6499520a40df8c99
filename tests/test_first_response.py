"""The first response decided in the transaction that takes a ticket out of the queue (core.first_response),
through the signed Slack edge and the fake Slack, on SQLite and PostgreSQL.

The reminders' job is paused while a path acts: what is stored when the path's own update of the
ticket message is seen was decided by that path. Then, once the app has nothing left in hand (the
message marked as shown, every notice sent), the job is run by hand: it finds nothing to decide or
to mark, and the ticket message is not updated again. A breach is still marked by the job when
nobody claims in time, and a claim racing it has one outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.blocks.action_ids import (
    OFFER_ACCEPT,
    PROPOSAL_APPROVE,
    PROPOSAL_REJECT,
    PROPOSAL_REJECT_CHOICE,
    PROPOSAL_REJECT_FORM,
    REJECT_AND_TAKE,
    TAKE_OVER,
    TRANSFER_TICKET,
)
from handoff_slack.core.reminder_desk import TimersFired
from handoff_slack.core.reminders import SlaOutcome, SlaState
from handoff_slack.scheduler import REMINDERS_JOB
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    block_text,
    claim_and_wait,
    escalate_by_typing,
    press_cancel,
    stored_notices,
    ticket_message_recorded,
    ticket_updates,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_reminders import PLAIN, REMINDERS, pause, reminders, run_job_and_deliver
from tests.test_routing import MovableClock, available, wait_for_offer
from tests.test_routing import press as answer_offer
from tests.test_supervised_mode import SUPERVISED_CONFIG, open_modal, propose
from tests.test_supervised_mode import press as press_on_card
from tests.test_transfer import press as press_in_channel
from tests.test_transfer import submit_transfer
from tests.test_watch import press as press_on_watch
from tests.test_watch import start_watching_after_hello

CLAIMED = "Claimed by"
MARKED = "SLA breached:* no first response within the 20 min target"  # normal: 20 min (tests.test_reminders)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, config: Path) -> AppUnderTest:
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(config)), clock).start()


def reminders_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "first_response.yaml"
    config.write_text(PLAIN + REMINDERS + extra)
    return config


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, reminders_config(tmp_path))
    try:
        yield running
    finally:
        running.stop()


def sla(app: AppUnderTest, ticket: TicketPost) -> SlaState:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found.sla


def decided(app: AppUnderTest, ticket: TicketPost) -> tuple[SlaOutcome | None, int | None, int]:
    shown = sla(app, ticket)
    return shown.outcome, shown.target_minutes, shown.waited_minutes


def settled(app: AppUnderTest, ticket: TicketPost) -> bool:
    """Nothing of the path left in the app's hands: the ticket message shows the ticket, every notice sent."""
    found = app.helpdesk.ticket(ticket.ticket_id)
    shown = found is not None and found.message_ts is not None and not found.message_stale
    return shown and all(row.delivery_state != "pending" for row in stored_notices(app))


def updates_after_the_job(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost) -> tuple[list[Call], list[Call]]:
    """The ticket message's updates once the app settled, and again after a run of the job by hand
    (its refreshes are made before it returns) and the app settled again."""
    wait_until(lambda: settled(app, ticket), message=f"ticket {ticket.ticket_id} settled")
    before = ticket_updates(fake, ticket)
    run_job_and_deliver(app)
    wait_until(lambda: settled(app, ticket), message=f"ticket {ticket.ticket_id} settled after the job")
    return before, ticket_updates(fake, ticket)


# -- the Claim button ---------------------------------------------------------------------------------


def test_a_claim_within_the_target_decides_it_met_and_the_message_is_updated_once(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    pause(app, REMINDERS_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=5)

    claim_and_wait(app, fake_slack, AGENT, ticket)

    assert decided(app, ticket) == (SlaOutcome.MET, 20, 5)  # by the claim: the job is paused
    before, after = updates_after_the_job(app, fake_slack, ticket)
    assert after == before and len(after) == 1  # the claim's update, and nothing after it
    shown = block_text(after[0].params["blocks"])
    assert CLAIMED in shown and "SLA breached" not in shown


def test_a_claim_past_the_target_before_the_job_marks_it_shows_the_breach_on_its_own_update(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    """The claim lands between the job's read of due tickets and its firing: the claim decides the
    breach (its wait against the target), the firing finds the ticket claimed and marks nothing."""
    pause(app, REMINDERS_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=23)
    assert app.helpdesk.tickets_due_for_timers() == [ticket.ticket_id]  # the job's read: due

    claim_and_wait(app, fake_slack, AGENT, ticket)
    fired = app.helpdesk.fire_timers(ticket.ticket_id)

    assert fired == TimersFired(ticket.ticket_id)  # no reminder, no mark
    assert decided(app, ticket) == (SlaOutcome.BREACHED, 20, 23)
    before, after = updates_after_the_job(app, fake_slack, ticket)
    assert after == before and len(after) == 1
    shown = block_text(after[0].params["blocks"])
    assert CLAIMED in shown and "SLA breached:* waited 23 min, target 20 min" in shown
    assert reminders(fake_slack, ticket) == []


def test_a_breach_marked_before_the_claim_stands_and_the_claims_update_shows_the_wait(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    pause(app, REMINDERS_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=21)
    run_job_and_deliver(app)  # the job first: it marks the breach
    wait_for_ticket_update(fake_slack, ticket, MARKED)
    assert decided(app, ticket) == (SlaOutcome.BREACHING, 20, 21)

    clock.offset = timedelta(minutes=24)
    claim_and_wait(app, fake_slack, AGENT, ticket)

    assert decided(app, ticket) == (SlaOutcome.BREACHED, 20, 24)
    before, after = updates_after_the_job(app, fake_slack, ticket)
    assert after == before and len(after) == 2  # the mark's, then the claim's
    shown = block_text(after[1].params["blocks"])
    assert CLAIMED in shown and "SLA breached:* waited 24 min, target 20 min" in shown


def test_nobody_claims_in_time_the_job_marks_the_breach_and_the_cancel_shows_the_final_wait(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=21)

    wait_for_ticket_update(fake_slack, ticket, MARKED)  # the job, running by itself

    assert decided(app, ticket) == (SlaOutcome.BREACHING, 20, 21)
    pause(app, REMINDERS_JOB)
    clock.offset = timedelta(minutes=25)
    press_cancel(app, CUSTOMER, ticket.ticket_id)
    cancelled = wait_for_ticket_update(fake_slack, ticket, "Cancelled")
    assert "SLA breached:* waited 25 min, target 20 min" in block_text(cancelled.params["blocks"])
    assert decided(app, ticket) == (SlaOutcome.BREACHED, 20, 25)
    before, after = updates_after_the_job(app, fake_slack, ticket)
    assert after == before and after[-1] == cancelled


# -- every other way out of the queue -------------------------------------------------------------------


def accept_a_routing_offer(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    fake.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2])
    available(app, AGENT)
    ticket = ticket_message_recorded(app, escalate_by_typing(app, fake, CUSTOMER))
    answer_offer(app, fake, AGENT, wait_for_offer(fake, AGENT), OFFER_ACCEPT, "accept")
    wait_for_ticket_update(fake, ticket, f"{CLAIMED} <@{AGENT}>")
    return ticket


def assign_as_admin(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    ticket = waiting_ticket(app, fake, CUSTOMER)
    press_in_channel(app, fake, ADMIN, TRANSFER_TICKET, ticket.ticket_id, "assign", ticket.ts)
    fake.wait_for("views.open")
    assert submit_transfer(app, ADMIN, ticket.ticket_id, AGENT_2) is None
    wait_for_ticket_update(fake, ticket, f"{CLAIMED} <@{AGENT_2}>")
    return ticket


def take_over_a_watch(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    watch = start_watching_after_hello(app, fake)
    press_on_watch(app, fake, AGENT_2, TAKE_OVER, str(watch.ticket_id), "take")
    wait_for_ticket_update(fake, watch, "Taken over by")
    return watch


def take_a_proposal(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    card = propose(app, fake)
    press_on_card(app, fake, AGENT, PROPOSAL_REJECT, card, "reject")
    modal = open_modal(fake, AGENT, PROPOSAL_REJECT_FORM)
    selected = {"type": "radio_buttons", "selected_option": {"value": REJECT_AND_TAKE}}
    values = {PROPOSAL_REJECT_CHOICE: {PROPOSAL_REJECT_CHOICE: selected}}
    reply = app.slack.view_submission(AGENT, PROPOSAL_REJECT_FORM, values, private_metadata=modal["private_metadata"])
    assert reply.status == 200, reply
    wait_for_ticket_update(fake, card, f"{CLAIMED} <@{AGENT}>")
    return card


def approve_a_proposal(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    card = propose(app, fake)
    press_on_card(app, fake, AGENT, PROPOSAL_APPROVE, card, "approve")
    wait_for_ticket_update(fake, card, f"Approved by <@{AGENT}>")
    return card


def cancel_while_waiting(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    ticket = waiting_ticket(app, fake, CUSTOMER)
    press_cancel(app, CUSTOMER, ticket.ticket_id)
    wait_for_ticket_update(fake, ticket, "Cancelled")
    return ticket


ROUTING = "routing:\n  strategy: round_robin\n  offer_timeout_seconds: 60\n"
# path: (the config's extra YAML, or None for the supervised fixture; how the ticket leaves; its outcome)
PATHS: dict[str, tuple[str | None, Callable[[AppUnderTest, FakeSlack], TicketPost], SlaOutcome]] = {
    "a routing offer accepted": (ROUTING, accept_a_routing_offer, SlaOutcome.MET),
    "an admin's assignment": ("", assign_as_admin, SlaOutcome.MET),
    "a supervised proposal taken": (None, take_a_proposal, SlaOutcome.MET),
    # Not a claim from the queue: no first response to measure (as the job decides them).
    "a take-over of a watched conversation": ("", take_over_a_watch, SlaOutcome.NONE),
    "a supervised proposal approved": (None, approve_a_proposal, SlaOutcome.NONE),
    "a cancel": ("", cancel_while_waiting, SlaOutcome.NONE),
}


@pytest.mark.parametrize("path", PATHS)
def test_every_way_out_of_the_queue_decides_the_first_response_in_its_own_transaction(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, path: str
) -> None:
    extra, leave, outcome = PATHS[path]
    config = SUPERVISED_CONFIG if extra is None else reminders_config(tmp_path, extra)
    app = start(fake_slack, database_url, clock, config)
    try:
        pause(app, REMINDERS_JOB)

        ticket = leave(app, fake_slack)

        assert sla(app, ticket).outcome is outcome  # seen with the path's update: the job is paused
        before, after = updates_after_the_job(app, fake_slack, ticket)
        assert after == before  # the job had nothing left to show
    finally:
        app.stop()
