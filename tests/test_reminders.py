"""Reminders of unclaimed tickets, their further steps and first-response targets (core.reminders),
through the signed Slack edge and the fake Slack, on SQLite and PostgreSQL. The app's clock is moved
on by the test (no test waits minutes); the scheduler's job runs by itself every second, or is
driven directly where a test needs to place a claim between its read and its firing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import SlaOutcome
from handoff_slack.scheduler import JOBS, REMINDERS_JOB, RETRY_JOB, _as_leader, remind_of_waiting_tickets
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import ADMIN, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    block_text,
    claim_and_wait,
    dm_posts,
    thread_posts,
    ticket_updates,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_priority import queue_values, run_priority
from tests.test_routing import MovableClock

PLAIN = (Path(__file__).parent / "fixtures" / "bot" / "plain_handoff.yaml").read_text()
REMINDERS = """
reminders:
  steps:
    - after_minutes: 10
    - after_minutes: 30
      mention: admins
      raise_priority: urgent
  first_response_minutes:
    normal: 20
# The waiting timeout speaks to the customer (tests/test_waiting_timeout.py): off, so that what the
# customer receives here is what the reminders would have sent them (nothing).
waiting_timeout:
  enabled: false
"""
WAITED = "has waited unclaimed for"
FIRST = timedelta(minutes=10, seconds=1)
SECOND = timedelta(minutes=30, seconds=1)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, **env: str) -> AppUnderTest:
    config = tmp_path / "reminders.yaml"
    config.write_text(PLAIN + REMINDERS)
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(config), **env), clock).start()


@pytest.fixture
def app(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def reminders(fake: FakeSlack, ticket: TicketPost) -> list[Call]:
    return [c for c in thread_posts(fake, ticket) if WAITED in c.params.get("text", "")]


def wait_for_reminders(fake: FakeSlack, ticket: TicketPost, count: int) -> list[Call]:
    def enough() -> list[Call] | None:
        found = reminders(fake, ticket)
        return found if len(found) >= count else None

    return wait_until(enough, message=f"{count} reminder(s) in ticket {ticket.ticket_id}'s thread")


def run_job_and_deliver(app: AppUnderTest) -> None:
    """The leader's job once more, and the outbox's retry: whatever it would send now is sent."""
    assert app.app is not None
    remind_of_waiting_tickets(app.app.services)
    app.app.services.outbox.retry()


def pause(app: AppUnderTest, *job_ids: str) -> None:
    assert app.app is not None
    for job_id in job_ids:
        app.app.scheduler.pause_job(job_id)


def stored_ticket(app: AppUnderTest, ticket: TicketPost):  # type: ignore[no-untyped-def]
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found


def priority_audit(app: AppUnderTest, ticket: TicketPost) -> list[tuple[str, dict[str, str] | None]]:
    assert app.app is not None
    entries = reversed(app.app.services.audit.entries(ticket_id=ticket.ticket_id))
    return [(e.actor_user_id, e.details) for e in entries if e.action == "priority"]


# -- each step at its time, once, in the thread only -----------------------------------------------------


def test_each_step_fires_at_its_time_once_and_nothing_reaches_the_customer(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    told_customer = len(dm_posts(fake_slack, CUSTOMER))

    clock.offset = timedelta(minutes=9, seconds=50)
    run_job_and_deliver(app)
    assert reminders(fake_slack, ticket) == []  # not yet

    clock.offset = FIRST
    [first] = wait_for_reminders(fake_slack, ticket, 1)
    assert first.params["text"].startswith(":alarm_clock: <!here> This ticket has waited unclaimed for 10 min")
    run_job_and_deliver(app)
    run_job_and_deliver(app)
    assert len(reminders(fake_slack, ticket)) == 1  # once
    assert stored_ticket(app, ticket).priority is Priority.NORMAL

    clock.offset = SECOND
    second = wait_for_reminders(fake_slack, ticket, 2)[1]
    assert second.params["text"].startswith(f":alarm_clock: <@{ADMIN}> This ticket has waited unclaimed for 30 min")
    assert "Its priority was raised from normal to urgent." in second.params["text"]
    run_job_and_deliver(app)
    assert len(reminders(fake_slack, ticket)) == 2

    now = stored_ticket(app, ticket)
    assert (now.priority, now.priority_source) == (Priority.URGENT, "reminder")
    assert priority_audit(app, ticket) == [("bot", {"from": "normal", "to": "urgent", "why": "reminder step 2"})]
    shown = wait_for_ticket_update(fake_slack, ticket, "raised: waited unclaimed too long")
    assert "urgent" in block_text(shown.params["blocks"])
    # The target (normal: 20 min) passed too: the ticket message says so.
    wait_for_ticket_update(fake_slack, ticket, "SLA breached:* no first response within the 20 min target")
    [entry] = app.helpdesk.queue().entries  # what /handoff-queue reads carries the breach too
    assert (entry.ticket.sla.breached, entry.ticket.sla.target_minutes) == (True, 20)

    run_job_and_deliver(app)
    assert len(dm_posts(fake_slack, CUSTOMER)) == told_customer  # not a word to the customer
    assert all(c.params["channel"] != f"D{CUSTOMER}" for c in reminders(fake_slack, ticket))


def test_steps_stop_once_the_ticket_is_claimed_and_the_breach_shows_the_wait(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=23)  # the first step, and the 20 min target passed
    wait_for_reminders(fake_slack, ticket, 1)
    wait_for_ticket_update(fake_slack, ticket, "no first response within the 20 min target")

    claim_and_wait(app, fake_slack, AGENT, ticket)
    shown = wait_for_ticket_update(fake_slack, ticket, "SLA breached:* waited 23 min, target 20 min")
    assert "Claimed by" in block_text(shown.params["blocks"])
    sla = stored_ticket(app, ticket).sla
    assert (sla.outcome, sla.target_minutes, sla.waited_minutes) == (SlaOutcome.BREACHED, 20, 23)

    clock.offset = timedelta(hours=2)  # the admins' step would be due: the ticket is claimed
    run_job_and_deliver(app)
    assert len(reminders(fake_slack, ticket)) == 1
    assert stored_ticket(app, ticket).priority is Priority.NORMAL


def test_a_ticket_claimed_within_its_target_meets_it_and_its_message_shows_no_breach(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = timedelta(minutes=5)
    claim_and_wait(app, fake_slack, AGENT, ticket)
    wait_until(lambda: stored_ticket(app, ticket).sla.outcome is SlaOutcome.MET, message="the target met")
    assert stored_ticket(app, ticket).sla.waited_minutes == 5

    clock.offset = timedelta(hours=1)
    run_job_and_deliver(app)
    assert reminders(fake_slack, ticket) == []
    assert not any("SLA breached" in block_text(c.params.get("blocks")) for c in ticket_updates(fake_slack, ticket))


def test_a_cancelled_ticket_gets_no_reminder(app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock) -> None:
    from tests.support.journeys import press_cancel

    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    press_cancel(app, CUSTOMER, ticket.ticket_id)
    wait_for_ticket_update(fake_slack, ticket, "Cancelled")
    clock.offset = SECOND
    run_job_and_deliver(app)
    assert reminders(fake_slack, ticket) == []
    wait_until(lambda: stored_ticket(app, ticket).sla.outcome is SlaOutcome.NONE, message="no first response")


# -- a claim racing a reminder ----------------------------------------------------------------------------


def test_a_claim_landing_between_the_due_read_and_the_firing_gets_no_reminder(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    pause(app, REMINDERS_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = FIRST
    assert app.helpdesk.tickets_due_for_timers() == [ticket.ticket_id]  # the job's read: due

    claim_and_wait(app, fake_slack, AGENT, ticket)  # lands before the firing
    fired = app.helpdesk.fire_timers(ticket.ticket_id)

    assert (fired.steps, fired.conversation_id) == ((), None)
    run_job_and_deliver(app)
    assert reminders(fake_slack, ticket) == []


def test_a_reminder_stored_just_before_a_claim_is_not_sent_after_it(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    """The firing wins the race (stored), the claim lands before the outbox sends it: it is dropped, as
    no longer true, rather than asking for a claim on a claimed ticket."""
    pause(app, REMINDERS_JOB, RETRY_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = FIRST
    fired = app.helpdesk.fire_timers(ticket.ticket_id)
    assert fired.steps == (1,)

    claim_and_wait(app, fake_slack, AGENT, ticket)
    assert app.app is not None
    app.app.services.outbox.retry()
    assert reminders(fake_slack, ticket) == []
    engine = app.app.db.engine

    def thread_notes() -> list[str]:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT delivery_state FROM message WHERE ticket_id = :t AND direction = 'to_agents'"),
                {"t": ticket.ticket_id},
            ).scalars()
            return sorted(found)

    # The stored reminder was dropped, not left pending; the claim's note was sent.
    wait_until(lambda: thread_notes() == ["delivered", "dropped"], message="the reminder dropped")
    assert reminders(fake_slack, ticket) == []


# -- restarts, and two processes -------------------------------------------------------------------------


def test_a_step_due_while_no_app_ran_fires_once_after_start(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    app.stop()
    clock.offset = FIRST  # the first step came due while the app was down

    app.start()
    wait_for_reminders(fake_slack, ticket, 1)

    app.restart()  # scheduled and fired before: a new process fires nothing again
    run_job_and_deliver(app)
    assert len(reminders(fake_slack, ticket)) == 1


@pytest.mark.postgres
def test_two_apps_on_one_database_fire_each_step_once_and_only_the_leader_runs_the_job(
    fake_slack: FakeSlack, postgres_database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    assert next(job for job in JOBS if job.id == REMINDERS_JOB).leader_only
    first = start(fake_slack, postgres_database_url, clock, tmp_path)
    second = start(fake_slack, postgres_database_url, clock, tmp_path)
    try:
        assert first.app is not None and second.app is not None
        leader, follower = (first, second) if first.app.leadership.leading else (second, first)
        assert leader.app is not None and follower.app is not None
        assert leader.app.leadership.leading and not follower.app.leadership.leading
        pause(leader, REMINDERS_JOB)
        ticket = waiting_ticket(follower, fake_slack, CUSTOMER)
        clock.offset = FIRST

        _as_leader(remind_of_waiting_tickets, follower.app.leadership, follower.app.services)  # a follower's run
        follower.app.services.outbox.retry()
        assert reminders(fake_slack, ticket) == []

        _as_leader(remind_of_waiting_tickets, leader.app.leadership, leader.app.services)
        wait_for_reminders(fake_slack, ticket, 1)
        run_job_and_deliver(follower)  # even run anyway on both, the step fired once
        run_job_and_deliver(leader)
        assert len(reminders(fake_slack, ticket)) == 1
    finally:
        second.stop()
        first.stop()


def test_of_racing_firings_of_one_ticket_exactly_one_fires_its_step(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    """As two replicas' jobs (or an old leader's and a new one's) would: the conversation's lock and the
    conditional UPDATE on the steps fired let one of them fire."""
    pause(app, REMINDERS_JOB)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = FIRST
    start_together = threading.Barrier(4)
    fired: list[tuple[int, ...]] = []

    def fire() -> None:
        start_together.wait()
        fired.append(app.helpdesk.fire_timers(ticket.ticket_id).steps)

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(fired) == [(), (), (), (1,)]
    run_job_and_deliver(app)
    assert len(wait_for_reminders(fake_slack, ticket, 1)) == 1


# -- the priority step, the agent user group ----------------------------------------------------------------


def test_a_raise_step_moves_the_ticket_up_the_queue_but_never_over_an_agents_choice(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    chosen = waiting_ticket(app, fake_slack, CUSTOMER)
    raised = waiting_ticket(app, fake_slack, CUSTOMER_2)
    run_priority(app, fake_slack, AGENT, f"#{chosen.ticket_id} high", "set")
    told = len(dm_posts(fake_slack, CUSTOMER_2))
    assert [value for value, _ in queue_values(app, fake_slack, "before")] == [
        str(chosen.ticket_id),
        str(raised.ticket_id),
    ]

    clock.offset = SECOND
    wait_for_reminders(fake_slack, raised, 2)
    wait_for_reminders(fake_slack, chosen, 2)

    assert [value for value, _ in queue_values(app, fake_slack, "after")] == [
        str(raised.ticket_id),
        str(chosen.ticket_id),
    ]
    assert stored_ticket(app, chosen).priority is Priority.HIGH  # the agent's choice stands
    assert "raised" not in reminders(fake_slack, chosen)[1].params["text"]
    assert len(dm_posts(fake_slack, CUSTOMER_2)) == told  # moved up, but the reminders tell the customer nothing


def test_with_an_agent_user_group_the_reminder_mentions_the_group(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    fake_slack.set_user_group("SAGENTS", [AGENT])
    app = start(fake_slack, database_url, clock, tmp_path, HANDOFF_AGENT_GROUP="SAGENTS")
    try:
        ticket = waiting_ticket(app, fake_slack, CUSTOMER)
        clock.offset = FIRST
        [reminder] = wait_for_reminders(fake_slack, ticket, 1)
        assert reminder.params["text"].startswith(":alarm_clock: <!subteam^SAGENTS> This ticket has waited")
    finally:
        app.stop()
