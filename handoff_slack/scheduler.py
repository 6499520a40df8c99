"""Timed work, driven by APScheduler: retrying deliveries, repairing half-done hand-offs, and the
timers (proposal timeouts, transfer offer lapses, routing offers' timeouts, forgetting old event
IDs), which run on the scheduler leader only (scheduler_leader.py: what a timer is, and the leader).

Reminders of waiting tickets and first-response targets (core.reminders), the waiting timeout, queue
position updates and idle auto-close (waiting_jobs.py) are rows here too, with `leader_only=True`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler

from handoff_slack.scheduler_leader import SchedulerLeadership
from handoff_slack.services import Services
from handoff_slack.settings import Settings
from handoff_slack.waiting_jobs import (
    IDLE_CLOSE_JOB,
    QUEUE_UPDATES_JOB,
    WAIT_OFFERS_JOB,
    close_idle_conversations,
    offer_waiting_options,
    tell_queue_positions,
)

logger = logging.getLogger(__name__)

# A ticket younger than this many Slack timeouts is still being published by its own listener (its
# look-up of the customer and its post each wait at most one): 30 s with the default 15 s timeout.
TICKET_PUBLISH_GRACE_TIMEOUTS = 2
RETRY_JOB = "retry_pending_deliveries"
REPAIR_JOB = "repair_ticket_messages"
LEADER_CHECK_JOB = "check_scheduler_leader"
PRUNE_JOB = "prune_processed_events"
PROPOSAL_TIMEOUT_JOB = "time_out_proposals"
LAPSE_OFFERS_JOB = "lapse_transfer_offers"
ROUTING_JOB = "route_waiting_tickets"
REMINDERS_JOB = "remind_of_waiting_tickets"
PRUNE_INTERVAL = timedelta(hours=1)
PRUNE_FIRST_RUN_DELAY = timedelta(minutes=1)  # start-up's own work first


def retry_pending_deliveries(services: Services) -> None:
    delivered = services.outbox.retry()
    if delivered:
        logger.info("delivered %d pending message(s) on retry", delivered)


def repair_ticket_messages(services: Services) -> None:
    """Post ticket messages that were never posted (Slack failed, or the app died mid-way), and
    bring up to date those whose update failed."""
    grace = timedelta(seconds=services.settings.slack_timeout_seconds * TICKET_PUBLISH_GRACE_TIMEOUTS)
    for ticket_id in services.helpdesk.tickets_missing_their_message(services.clock() - grace):
        try:
            ticket = services.board.publish(ticket_id)
        except Exception:  # one bad ticket must not stop the others; the job runs again
            logger.exception("could not publish ticket %s", ticket_id)
            continue
        if ticket is not None:  # its thread's messages and notes waited for it
            services.outbox.deliver(ticket.conversation_id)
    for ticket_id in services.helpdesk.tickets_with_stale_message():
        try:
            services.board.refresh(ticket_id)
        except Exception:
            logger.exception("could not update ticket %s", ticket_id)


def time_out_proposals(services: Services) -> None:
    """Supervised mode: hand over the proposals nobody decided in time (read from the database, so
    a restart changes nothing; of several replicas' runs, the conditional update lets one win)."""
    for decision in services.helpdesk.time_out_proposals():
        if decision.ticket is None:
            continue
        logger.info("proposal on ticket %s timed out: handed over to the queue", decision.ticket.id)
        try:
            services.effects.decided(decision.ticket)
        except Exception:  # the outbox's retry and the ticket message repair finish it
            logger.exception("could not show the timeout of ticket %s's proposal", decision.ticket.id)


def lapse_transfer_offers(services: Services) -> None:
    """Transfer offers nobody answered in time lapse; their owners are told in the thread (core.transfers)."""
    for conversation_id in services.helpdesk.lapse_offers():
        try:
            services.outbox.deliver(conversation_id)
        except Exception:  # the outbox's retry sends it
            logger.exception("could not deliver the lapse of a transfer offer")


def route_waiting_tickets(services: Services) -> None:
    """Routing (core.routing): end the offers nobody answered in time (read from the database, so a
    restart changes nothing; of several replicas' runs, the conditional update lets one win), then
    offer what waits to the next agents, oldest ticket first."""
    if not services.offers.config.offers:
        return
    for offer in services.offers.time_out():
        logger.info("offer %s of ticket %s ended: %s", offer.id, offer.ticket_id, offer.outcome)
    services.offers.route()


def remind_of_waiting_tickets(services: Services) -> None:
    """Reminders and first-response targets (core.reminders): fire the steps due for waiting tickets
    (each once: read from the database by the app's clock, fired by a conditional UPDATE under the
    conversation's lock, so a claim that lands first wins), then decide the first response of those
    that left the queue undecided (an ended watch, or a ticket from before claims decided their own:
    core.first_response). Notes go to the tickets' threads through the outbox; marks to their messages."""
    helpdesk = services.helpdesk
    for ticket_id in helpdesk.tickets_due_for_timers():
        try:
            fired = helpdesk.fire_timers(ticket_id)
            if fired.steps:
                logger.info("ticket %s: reminder step(s) %s fired", ticket_id, fired.steps)
            if fired.conversation_id is not None:
                services.outbox.deliver(fired.conversation_id)
            if fired.message_changed:
                services.board.refresh(ticket_id)
        except Exception:  # one bad ticket must not stop the others; the outbox retry and repair finish it
            logger.exception("could not fire the reminders of ticket %s", ticket_id)
    for ticket_id in helpdesk.decide_first_responses():
        try:
            services.board.refresh(ticket_id)
        except Exception:  # its message is marked stale: the repair job updates it
            logger.exception("could not show the first-response breach of ticket %s", ticket_id)


def prune_old_event_ids(services: Services) -> None:
    """Forget event IDs older than HANDOFF_EVENT_RETENTION_HOURS (redeliveries come long before)."""
    cutoff = services.clock() - timedelta(hours=services.settings.event_retention_hours)
    removed = services.helpdesk.forget_events_before(cutoff)
    if removed:
        logger.info("forgot %d processed event ID(s) older than %s", removed, cutoff.isoformat(timespec="seconds"))


def deliver_now(services: Services) -> None:
    """Run the delivery retry at once, e.g. when the lazy backlog drained after deferring relays.

    As lazy work, not through the scheduler: APScheduler skips a run asked for while the job is
    still running, which would leave what was deferred meanwhile for the next interval. The retry
    is coalesced instead (`Outbox.retry`): a running one goes round once more.
    """
    with contextlib.suppress(RuntimeError):  # shut down meanwhile
        services.lazy_work.submit(_retry_reporting_failure, services)


def _retry_reporting_failure(services: Services) -> None:
    try:
        retry_pending_deliveries(services)
    except Exception:  # the interval's retry tries again; a lazy task's exception would go unseen
        logger.exception("the delivery retry failed")


@dataclass(frozen=True)
class TimedJob:
    """One interval job. `leader_only`: timers, which must fire once across replicas, run on the
    scheduler leader (scheduler_leader.py); the others run on every replica."""

    run: Callable[[Services], None]
    id: str
    every: Callable[[Settings], timedelta]
    leader_only: bool
    # The first run after start-up; a leader's job without a delay also runs as its process takes the lead.
    first_run_after: timedelta = timedelta()


def _retry_interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.delivery_retry_seconds)


# The delivery retry and the ticket message repair run on every replica: each claims its work in
# storage (a conversation's flush and a ticket's message take an advisory lock each, and a
# delivery is marked as it goes), so two replicas never post the same thing, and with the work
# spread a replica's backlog is not left to one leader. Timers must fire once, so they run on the
# leader only: of several replicas' runs only one would win the conditional UPDATE anyway, but a
# timer that says something (a reminder, a CSAT prompt) must not be computed N times, nor raced.
JOBS: tuple[TimedJob, ...] = (
    TimedJob(retry_pending_deliveries, RETRY_JOB, _retry_interval, leader_only=False),
    TimedJob(repair_ticket_messages, REPAIR_JOB, _retry_interval, leader_only=False),
    TimedJob(time_out_proposals, PROPOSAL_TIMEOUT_JOB, _retry_interval, leader_only=True),
    TimedJob(lapse_transfer_offers, LAPSE_OFFERS_JOB, _retry_interval, leader_only=True),
    TimedJob(route_waiting_tickets, ROUTING_JOB, _retry_interval, leader_only=True),
    TimedJob(remind_of_waiting_tickets, REMINDERS_JOB, _retry_interval, leader_only=True),
    # The waiting timers (waiting_jobs.py): the waiting timeout, queue updates, idle auto-close.
    TimedJob(offer_waiting_options, WAIT_OFFERS_JOB, _retry_interval, leader_only=True),
    TimedJob(tell_queue_positions, QUEUE_UPDATES_JOB, _retry_interval, leader_only=True),
    TimedJob(close_idle_conversations, IDLE_CLOSE_JOB, _retry_interval, leader_only=True),
    # Later than start-up's own work, also for a process restarted more often than hourly.
    TimedJob(
        prune_old_event_ids,
        PRUNE_JOB,
        lambda _: PRUNE_INTERVAL,
        leader_only=True,
        first_run_after=PRUNE_FIRST_RUN_DELAY,
    ),
)


# Logged when a timer's statement is cut (given the seconds).
TIMER_STATEMENT_CUT = (
    "a timer's database statement had no answer within %s s (HANDOFF_TIMER_STATEMENT_SECONDS): its connection was cut"
)


def _as_leader(job: Callable[[Services], None], leadership: SchedulerLeadership, services: Services) -> None:
    if leadership.confirm():  # a follower's run does nothing; a leader that lost its lock stops now
        # A database that hangs must not hold a timer job forever: its statement fails instead (as a
        # lost connection), and the job's next run, confirming the lead first, tries again.
        with services.helpdesk.db.statements_bounded(services.settings.timer_statement_seconds, TIMER_STATEMENT_CUT):
            job(services)


def run_timers_once(services: Services, leadership: SchedulerLeadership) -> None:
    """The leader's timers, once, here and now, in JOBS' order (the sandbox, after its clock jumped:
    what came due shows at once). A run of a job the scheduler started meanwhile is harmless, as two
    replicas' are: their conditional UPDATEs let one win. One job's failure does not stop the others."""
    for job in JOBS:
        if job.leader_only and not job.first_run_after:
            try:
                _as_leader(job.run, leadership, services)
            except Exception:  # its next interval's run tries again
                logger.exception("the timer job %s failed", job.id)


def build_scheduler(services: Services, leadership: SchedulerLeadership) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    # APScheduler keeps real time; the app's clock (services.clock) is what jobs decide by.
    now = datetime.now(UTC)
    # First runs right at start-up: a restart picks up what the last process left undone, and
    # fires the timers that came due while no app was running.
    for job in JOBS:
        scheduler.add_job(
            partial(_as_leader, job.run, leadership) if job.leader_only else job.run,
            "interval",
            seconds=job.every(services.settings).total_seconds(),
            args=[services],
            id=job.id,
            next_run_time=now + job.first_run_after,
        )
    check = services.settings.leader_check_seconds
    scheduler.add_job(
        leadership.check, "interval", seconds=check, id=LEADER_CHECK_JOB, next_run_time=now + timedelta(seconds=check)
    )

    def run_timers_now() -> None:  # a new leader fires what came due while nobody led
        for job in JOBS:
            if job.leader_only and not job.first_run_after and scheduler.running:
                scheduler.modify_job(job.id, next_run_time=datetime.now(UTC))

    leadership.on_taken = run_timers_now
    return scheduler
