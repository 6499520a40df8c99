"""The waiting timeout (core.waiting_offers) through the signed Slack edge, on SQLite and PostgreSQL:
after `after_minutes` in the queue the customer is offered keep waiting / leave a message for later /
cancel, at its time (the app's clock is moved), once, on the scheduler leader only; keeping waiting
earns one more offer and no third; "later" marks the ticket async (its message, the queue's data);
second clicks, old copies and forged values; a claim racing the offer; a restart between scheduling
and firing; a shared channel's thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import WAIT_CANCEL, WAIT_KEEP, WAIT_LATER
from handoff_slack.core.helpdesk import ClaimResult
from handoff_slack.core.states import TicketState
from handoff_slack.scheduler import JOBS, _as_leader
from handoff_slack.waiting_jobs import IDLE_CLOSE_JOB, QUEUE_UPDATES_JOB, WAIT_OFFERS_JOB, offer_waiting_options
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import PLAIN_HANDOFF_CONFIG, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_says,
    block_text,
    claim,
    claim_and_wait,
    dm_posts,
    posted_to,
    stored_notices,
    stored_tickets,
    ticket_message_recorded,
    wait_for_dm,
    wait_for_new_ticket,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_shared_channels import SHARED, customer_writes, in_thread, serve
from tests.test_supervised_mode import MovableClock

OFFER = "Sorry for the wait"
T = timedelta(minutes=15)  # the default `after_minutes`


def bot_yaml(tmp_path: Path, **sections: Any) -> str:
    """The plain hand-off's configuration with `sections` added (e.g. idle_close={...})."""
    config = yaml.safe_load(Path(PLAIN_HANDOFF_CONFIG).read_text())
    config.update(sections)
    path = tmp_path / f"bot-{len(list(tmp_path.glob('bot-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def start(
    fake: FakeSlack, database_url: str, clock: MovableClock, config: str = PLAIN_HANDOFF_CONFIG, **env: str
) -> AppUnderTest:
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=config, **env), clock).start()


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


@pytest.fixture
def still(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    """An app whose timed jobs run only when the test runs them. Its scheduler is shut down once
    started (waiting for any start-up run in progress): a job's first run, late on a busy machine,
    would find the moved clock, fire and flush the conversation's outbox (the offer with it) before
    the test says so (seen with the reminders job, then with another one on a clean-clone run)."""
    config = bot_yaml(tmp_path, reminders={"steps": []})
    running = start(fake_slack, database_url, clock, config, HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    assert running.app is not None
    running.app.scheduler.shutdown(wait=True)  # it keeps the lead (SQLite always leads; a held lock on PostgreSQL)
    try:
        yield running
    finally:
        running.stop()


# -- steps --------------------------------------------------------------------------------------------------


def offers_to(fake: FakeSlack, user: str) -> list[Call]:
    return [c for c in dm_posts(fake, user) if OFFER in c.params["text"]]


def offer_id(offer: Call) -> str:
    values = [e["value"] for b in offer.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(set(values)) == 1
    return str(values[0])


def press(app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, value: str, name: str, **kwargs: Any) -> str:
    kwargs.setdefault("channel_id", f"D{user}")
    reply = app.slack.block_action(user, action_id, value, response_url=fake.response_url(name), **kwargs)
    assert (reply.status, reply.body) == (200, ""), reply
    return name


def lazy_work_done(app: AppUnderTest) -> None:
    assert app.app is not None
    executor = app.app.services.lazy_work
    wait_until(lambda: executor.backlog == 0, message="the lazy listeners to finish")


def run_offers_job(app: AppUnderTest) -> None:
    """The job once more, then every conversation's outbox: whatever it stored has been sent."""
    assert app.app is not None
    offer_waiting_options(app.app.services)
    app.app.services.outbox.retry()


def wait_for_offer_update(fake: FakeSlack, offer: Call, contains: str) -> Call:
    return fake.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == offer.response["ts"] and contains in block_text(c.params.get("blocks")),
    )[0]


def ticket_row(app: AppUnderTest, ticket: TicketPost) -> Any:
    return next(t for t in stored_tickets(app) if t.id == ticket.ticket_id)


# -- at its time, once ---------------------------------------------------------------------------------------


def test_the_jobs_are_timers_on_the_leader_only() -> None:
    leader_only = {job.id: job.leader_only for job in JOBS}
    assert leader_only[WAIT_OFFERS_JOB] and leader_only[QUEUE_UPDATES_JOB] and leader_only[IDLE_CLOSE_JOB]


def test_the_offer_comes_at_its_time_once_and_keeping_waiting_earns_one_more_but_no_third(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = T - timedelta(minutes=1)
    run_offers_job(app)
    assert offers_to(fake_slack, CUSTOMER) == []  # not yet

    clock.offset = T + timedelta(seconds=1)
    offer = wait_for_dm(fake_slack, CUSTOMER, OFFER)  # the scheduler's run
    assert action_ids(offer.params["blocks"]) == [WAIT_KEEP, WAIT_LATER, WAIT_CANCEL]
    assert "15 minutes" in offer.params["text"]
    run_offers_job(app)
    assert len(offers_to(fake_slack, CUSTOMER)) == 1  # once

    press(app, fake_slack, CUSTOMER, WAIT_KEEP, offer_id(offer), "keep")
    kept = wait_for_offer_update(fake_slack, offer, "You chose to keep waiting")
    assert action_ids(kept.params["blocks"]) == [] and "*#1*" in block_text(kept.params["blocks"])
    press(app, fake_slack, CUSTOMER, WAIT_LATER, offer_id(offer), "again")  # an old copy's other button
    said = fake_slack.wait_for("response_url:again")[0]
    assert said.params["text"] == "You already chose “Keep waiting”."

    clock.offset = 2 * T + timedelta(seconds=5)  # `after_minutes` after keeping waiting
    second = wait_for_dm(fake_slack, CUSTOMER, OFFER, count=2)
    assert "a while" in second.params["text"] and offer_id(second) != offer_id(offer)
    press(app, fake_slack, CUSTOMER, WAIT_KEEP, offer_id(second), "keep-2")
    wait_for_offer_update(fake_slack, second, "You chose to keep waiting")

    clock.offset = 4 * T
    run_offers_job(app)
    assert len(offers_to(fake_slack, CUSTOMER)) == 2  # no third offer
    lazy_work_done(app)
    assert fake_slack.calls("response_url:keep") == []  # the updated copy says it: no ephemeral besides


def test_leaving_a_message_marks_the_ticket_async_and_the_agents_reply_reaches_the_customer(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = T + timedelta(seconds=1)
    offer = wait_for_dm(fake_slack, CUSTOMER, OFFER)

    press(app, fake_slack, CUSTOMER, WAIT_LATER, offer_id(offer), "later")
    told = wait_for_dm(fake_slack, CUSTOMER, "you don't need to keep this open")
    assert "right here in this chat" in told.params["text"]
    wait_for_offer_update(fake_slack, offer, "You chose to leave a message for later")
    fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "leave a message to be answered later", thread_ts=ticket.ts)
    )
    wait_for_ticket_update(fake_slack, ticket, "Answer later")
    row = ticket_row(app, ticket)
    assert row.state == TicketState.WAITING and row.async_at is not None  # still in the queue
    [entry] = app.helpdesk.queue().entries
    assert entry.ticket.id == ticket.ticket_id and entry.ticket.async_at is not None  # the queue's data

    clock.offset = 3 * T
    run_offers_job(app)
    assert len(offers_to(fake_slack, CUSTOMER)) == 1  # answered later: no more offers

    claim_and_wait(app, fake_slack, AGENT, ticket, CUSTOMER)
    agent_says(app, fake_slack, AGENT, ticket, "Sorry for the delay, here is your answer")
    app.helpdesk.release(ticket.ticket_id, AGENT, False)  # back in the queue: waiting again, told so
    assert ticket_row(app, ticket).async_at is None


def test_cancel_on_the_offer_leaves_the_queue(app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = T + timedelta(seconds=1)
    offer = wait_for_dm(fake_slack, CUSTOMER, OFFER)
    press(app, fake_slack, CUSTOMER, WAIT_CANCEL, offer_id(offer), "cancel")
    wait_for_dm(fake_slack, CUSTOMER, "you've left the queue")
    wait_for_offer_update(fake_slack, offer, "You left the queue.")
    wait_for_ticket_update(fake_slack, ticket, "Cancelled by the customer")
    assert ticket_row(app, ticket).state == TicketState.CANCELLED
    press(app, fake_slack, CUSTOMER, WAIT_KEEP, offer_id(offer), "late")
    assert fake_slack.wait_for("response_url:late")[0].params["text"] == "You already chose “Cancel”."


def test_forged_values_and_other_peoples_offers_change_nothing(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    clock.offset = T + timedelta(seconds=1)
    offer = wait_for_dm(fake_slack, CUSTOMER, OFFER)
    not_an_offer = min(n.id for n in stored_notices(app))  # the bot's first notice: no offer
    forged = {
        "someone-elses": (CUSTOMER_2, WAIT_LATER, offer_id(offer)),
        "not-an-offer": (CUSTOMER, WAIT_LATER, str(not_an_offer)),
        "not-a-number": (CUSTOMER, WAIT_CANCEL, "12;DROP"),
        "no-such-row": (CUSTOMER, WAIT_CANCEL, "2147483000"),
    }
    for name, (user, action, value) in forged.items():
        press(app, fake_slack, user, action, value, name)
    lazy_work_done(app)
    for name in forged:
        assert fake_slack.calls(f"response_url:{name}") == [], name
    row = ticket_row(app, ticket)
    assert (row.state, row.async_at) == (TicketState.WAITING, None)
    assert [c for c in fake_slack.calls("chat.update") if c.params.get("ts") == offer.response["ts"]] == []


# -- races, restarts, the leader ----------------------------------------------------------------------------------


def test_a_claim_before_the_offer_is_sent_drops_it_and_a_press_after_the_claim_is_told_so(
    still: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    assert still.app is not None
    first = waiting_ticket(still, fake_slack, CUSTOMER)
    lazy_work_done(still)  # the customer's message's work after the ack (which may flush) is over
    clock.offset = T + timedelta(seconds=1)
    assert still.app.services.helpdesk.offer_waiting_options()  # due, fired, stored: not yet sent
    claim_and_wait(still, fake_slack, AGENT, first, CUSTOMER)  # the claim flushes the conversation
    still.app.services.outbox.retry()
    assert offers_to(fake_slack, CUSTOMER) == []  # untrue once claimed: dropped, never sent

    clock.offset = timedelta()
    second = waiting_ticket(still, fake_slack, CUSTOMER_2)
    clock.offset = T + timedelta(seconds=1)
    run_offers_job(still)
    [offer] = offers_to(fake_slack, CUSTOMER_2)
    claim_and_wait(still, fake_slack, AGENT, second, CUSTOMER_2)
    press(still, fake_slack, CUSTOMER_2, WAIT_KEEP, offer_id(offer), "after-claim")
    said = fake_slack.wait_for("response_url:after-claim")[0]
    assert "no longer waiting" in said.params["text"]
    assert ticket_row(still, second).kept_waiting_at is None


def test_claims_racing_the_timeout_never_leave_a_claimed_customer_with_an_offer(
    still: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    """Claims and the offers' job at the same moment, on threads: whichever wins the conversation's
    lock first, no deadlock, and no claimed customer is ever shown an offer (made after the claim:
    none; made before it: dropped as untrue before it is sent)."""
    assert still.app is not None
    services = still.app.services
    customers = [CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER]
    tickets = [waiting_ticket(still, fake_slack, user) for user in customers]
    lazy_work_done(still)
    clock.offset = T + timedelta(seconds=1)
    with ThreadPoolExecutor(len(tickets) + 1) as pool:
        offers = pool.submit(services.helpdesk.offer_waiting_options)
        claims = [pool.submit(services.helpdesk.claim, t.ticket_id, AGENT) for t in tickets]
        offers.result()
        assert all(claim.result().result is ClaimResult.CLAIMED for claim in claims)
    services.outbox.retry()
    for user in customers:
        wait_for_dm(fake_slack, user, "You are now talking with")
        assert offers_to(fake_slack, user) == [], user
    assert {ticket_row(still, t).state for t in tickets} == {TicketState.CONNECTED}


def test_an_offer_due_while_no_app_ran_is_made_once_after_start(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock
) -> None:
    app = start(fake_slack, database_url, clock)
    try:
        waiting_ticket(app, fake_slack, CUSTOMER)
        app.stop()
        clock.offset = T + timedelta(minutes=1)  # it came due while the app was down
        app.start()
        wait_for_dm(fake_slack, CUSTOMER, OFFER)  # the leader's first run is at start-up
        app.restart()
        run_offers_job(app)
        assert len(offers_to(fake_slack, CUSTOMER)) == 1
    finally:
        app.stop()


@pytest.mark.postgres
def test_of_two_replicas_only_the_leader_makes_the_offer_and_a_takeover_does_not_repeat_it(
    fake_slack: FakeSlack, postgres_database_url: str, clock: MovableClock
) -> None:
    leader = start(fake_slack, postgres_database_url, clock, HANDOFF_LEADER_CHECK_SECONDS="1")
    follower = start(fake_slack, postgres_database_url, clock, HANDOFF_LEADER_CHECK_SECONDS="1")
    try:
        assert leader.app is not None and follower.app is not None
        assert leader.app.leadership.leading and not follower.app.leadership.leading
        leader.app.scheduler.shutdown(wait=True)  # it keeps the lead, but fires only when told to
        waiting_ticket(follower, fake_slack, CUSTOMER)
        clock.offset = T + timedelta(seconds=1)

        _as_leader(offer_waiting_options, follower.app.leadership, follower.app.services)
        follower.app.services.outbox.retry()
        assert offers_to(fake_slack, CUSTOMER) == []  # a follower's run fires nothing
        _as_leader(offer_waiting_options, leader.app.leadership, leader.app.services)
        wait_for_dm(fake_slack, CUSTOMER, OFFER)

        leader.stop()  # the lead passes to the other replica, whose jobs then run: nothing is due any more
        wait_until(lambda: follower.app is not None and follower.app.leadership.leading, message="the takeover")
        run_offers_job(follower)
        assert len(offers_to(fake_slack, CUSTOMER)) == 1
    finally:
        leader.stop()
        follower.stop()


# -- a shared channel's thread ------------------------------------------------------------------------------------


def test_in_a_shared_channel_the_offer_is_in_the_customers_thread_and_only_their_side_answers(
    app: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    serve(app, fake_slack)
    root = customer_writes(app, "I need a human please")
    ticket = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, 0))
    in_thread(fake_slack, root, "#1")
    clock.offset = T + timedelta(seconds=1)
    offer = in_thread(fake_slack, root, OFFER)
    where = {"channel_id": SHARED, "message_ts": offer.response["ts"], "thread_ts": root}

    press(app, fake_slack, AGENT, WAIT_LATER, offer_id(offer), "internal", **where)
    refusal = fake_slack.wait_for(
        "chat.postEphemeral", lambda c: c.params.get("user") == AGENT and c.params.get("channel") == SHARED
    )[0]
    assert "for the customer who is waiting" in refusal.params["text"]
    assert ticket_row(app, ticket).async_at is None

    press(app, fake_slack, EXTERNAL_CUSTOMER, WAIT_LATER, offer_id(offer), "later", team_id=EXTERNAL_TEAM, **where)
    told = in_thread(fake_slack, root, "you don't need to keep this open")
    assert "right here in this thread" in told.params["text"]
    wait_for_ticket_update(fake_slack, ticket, "Answer later")
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")

    # Nothing of the agents' side reached the shared channel, and the bot wrote only in the thread.
    lazy_work_done(app)
    calls = [c for c in fake_slack.calls() if SHARED in (c.params.get("channel"), c.params.get("channel_id"))]
    seen = json.dumps([c.params for c in calls])
    for internal in ("The customer chose", "Answer later", "Support request #", "Claimed by"):
        assert internal not in seen, internal
    posts = [c for c in calls if c.method == "chat.postMessage"]
    assert {c.params.get("thread_ts") for c in posts} == {root}
