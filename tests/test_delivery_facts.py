"""Delivery facts at the HTTP edge: who may talk to the app, how often things happen, how fast it
answers, and what survives Slack failures and restarts.

Every test drives the real app over HTTP with signed (or deliberately mis-signed) Slack requests
and asserts on what the fake Slack Web API received. Absence is only ever asserted after a later
effect showed that the app had finished with the earlier requests.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import select

from handoff_slack.blocks.action_ids import CLAIM_TICKET
from handoff_slack.core.bot_config import DEFAULT_GREETING as GREETING
from handoff_slack.core.states import DeliveryState, TicketState
from handoff_slack.storage.models import ProcessedEvent
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2, OUTSIDER
from tests.support.app_under_test import SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    agent_says,
    block_text,
    claim,
    connect,
    customer_says,
    dm,
    dm_posts,
    escalate_by_typing,
    posted_to,
    stored_messages,
    thread_posts,
)
from tests.support.slack_requests import (
    Reply,
    SlackSender,
    bot_message,
    channel_message,
    dm_message,
    next_event_id,
    sign,
)
from tests.support.waiting import wait_until

QUEUE = "/handoff-queue"
QUEUE_REFUSAL = "Sorry, the queue is only visible to the support team."
WAITING_NOTICE = "Got it, I've passed that on."
ACK_BUDGET = 2.5  # seconds; Slack gives up after 3


# -- helpers ------------------------------------------------------------------------------------


def menus_to(fake: FakeSlack, user: str) -> list[Call]:
    return [c for c in dm_posts(fake, user) if c.params.get("text") == GREETING]


def wait_for_menus(fake: FakeSlack, user: str, count: int) -> None:
    fake.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("channel") == f"D{user}" and c.params.get("text") == GREETING,
        count=count,
    )


def show_queue(app: AppUnderTest, fake: FakeSlack, user: str, name: str) -> Call:
    """Run /handoff-queue as `user` and wait for the answer on its response_url."""
    reply = app.slack.slash_command(QUEUE, "", user, SUPPORT_CHANNEL, fake.response_url(name))
    assert reply.status == 200, reply
    return fake.wait_for(f"response_url:{name}")[0]


def calls_since(fake: FakeSlack, mark: int) -> list[Call]:
    return fake.calls()[mark:]


def processed_event_ids(app: AppUnderTest) -> set[str]:
    assert app.app is not None
    with app.app.db.transaction() as session:
        return set(session.exec(select(ProcessedEvent.event_id)).all())


class _Keeper(SlackSender):
    """Builds a request exactly like SlackSender, but keeps it instead of sending it."""

    def __init__(self) -> None:
        super().__init__("http://unused.invalid/", "unused")
        self.body = b""
        self.content_type = ""

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None, **_: Any) -> Reply:
        self.body, self.content_type = body, content_type
        return Reply(0, "", {})


def build(request: Callable[[SlackSender], Any]) -> tuple[bytes, str]:
    keeper = _Keeper()
    request(keeper)
    return keeper.body, keeper.content_type


def forge(app: AppUnderTest, request: Callable[[SlackSender], Any], decoy: Callable[[SlackSender], Any]) -> None:
    """Send `request` four ways Slack never would; each must be refused with 401.

    `decoy` is a different, harmless request: its valid signature is sent along with `request`'s
    body, as if the body had been altered after signing.
    """
    body, content_type = build(request)
    decoy_body, _ = build(decoy)
    assert decoy_body != body
    sender = app.slack
    forgeries = {
        "signed with the wrong secret": lambda: sender.post(body, content_type, secret="not-the-signing-secret"),
        "no signature headers": lambda: sender.post(body, content_type, sign=False),
        "timestamp 6 minutes old": lambda: sender.post(body, content_type, timestamp=int(time.time()) - 6 * 60),
        "body altered after signing": lambda: sender.post(
            body, content_type, sign=False, headers=sign(decoy_body, SIGNING_SECRET)
        ),
    }
    for name, send in forgeries.items():
        reply = send()
        assert reply.status == 401, f"{name}: {reply}"


def http_get(url: str, method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def timed(send: Callable[[], Any]) -> tuple[float, float]:
    """Run `send`; returns (seconds it took, wall-clock time it returned)."""
    started = time.monotonic()
    send()
    return time.monotonic() - started, time.time()


def client_attempts(app: AppUnderTest) -> int:
    """How often the app's Web API client tries one call before giving up (1 + its retries)."""
    assert app.app is not None
    return 1 + max(handler.max_retry_count for handler in app.app.bolt.client.retry_handlers)


# -- 1. requests that are not from Slack ---------------------------------------------------------


def test_forged_events_are_refused_and_change_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    dm(app, CUSTOMER_2, "hello")  # a real request first: Bolt's own one-off start-up work is done
    wait_for_menus(fake_slack, CUSTOMER_2, 1)
    mark = len(fake_slack.calls())
    escalation = dm_message(CUSTOMER, "I need a human please")
    forged_id = next_event_id()

    forge(
        app,
        lambda s: s.event(escalation, event_id=forged_id),
        lambda s: s.event(dm_message(CUSTOMER, "hello"), event_id=forged_id),
    )

    dm(app, CUSTOMER_2, "hello again")
    wait_for_menus(fake_slack, CUSTOMER_2, 2)
    assert [(c.method, c.params.get("channel")) for c in calls_since(fake_slack, mark)] == [
        ("chat.postMessage", f"D{CUSTOMER_2}")
    ], fake_slack.dump()
    assert [m.author_user_id for m in stored_messages(app)] == [CUSTOMER_2, CUSTOMER_2]
    assert app.helpdesk.queue().total == 0
    assert forged_id not in processed_event_ids(app)


def test_forged_claim_is_refused_and_changes_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    mark = len(fake_slack.calls())
    forged_url = fake_slack.response_url("forged-claim")

    def claim_as(user: str) -> Callable[[SlackSender], Any]:
        return lambda s: s.block_action(
            user,
            CLAIM_TICKET,
            str(ticket.ticket_id),
            channel_id=SUPPORT_CHANNEL,
            message_ts=ticket.ts,
            response_url=forged_url,
        )

    forge(app, claim_as(AGENT), claim_as(OUTSIDER))

    listing = show_queue(app, fake_slack, AGENT_2, "queue-after")
    assert f"ticket {ticket.ticket_id}" in listing.params["text"]  # still waiting, as the agent sees it
    assert [c.method for c in calls_since(fake_slack, mark)] == [
        "conversations.members",
        "response_url:queue-after",
    ], fake_slack.dump()
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    assert found.state == TicketState.WAITING and found.agent_user_id is None


def test_forged_slash_command_is_refused_and_changes_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    escalate_by_typing(app, fake_slack, CUSTOMER)
    show_queue(app, fake_slack, AGENT, "queue-before")
    mark = len(fake_slack.calls())
    forged_url = fake_slack.response_url("forged-queue")

    forge(
        app,
        lambda s: s.slash_command(QUEUE, "", AGENT, SUPPORT_CHANNEL, forged_url),
        lambda s: s.slash_command(QUEUE, "please", AGENT, SUPPORT_CHANNEL, forged_url),
    )

    show_queue(app, fake_slack, AGENT_2, "queue-after")
    assert [c.method for c in calls_since(fake_slack, mark)] == ["response_url:queue-after"], fake_slack.dump()


# -- 2. duplicate deliveries ----------------------------------------------------------------------


def test_redelivered_events_are_relayed_once_in_each_direction(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    question = dm_message(CUSTOMER, "Order 42 never arrived")
    first = app.slack.event(question)
    retried = app.slack.event(question, event_id=first.event_id, retry_num=1, retry_reason="http_timeout")
    # The same message under a fresh event ID: recognised by its timestamp.
    reissued = app.slack.event(question)
    answer = channel_message(AGENT, "Sorry! Looking into it.", SUPPORT_CHANNEL, thread_ts=ticket.ts)
    answered = app.slack.event(answer)
    answered_again = app.slack.event(answer, event_id=answered.event_id, retry_num=1, retry_reason="http_error")
    assert [r.status for r in (first, retried, reissued, answered, answered_again)] == [200] * 5

    # Later messages arrive after the earlier ones in each direction: those are settled.
    customer_says(app, fake_slack, CUSTOMER, ticket, "It was a blue teapot")
    agent_says(app, fake_slack, AGENT, ticket, "Found it, it ships today.")

    assert len(thread_posts(fake_slack, ticket, "Order 42 never arrived")) == 1
    assert len(dm_posts(fake_slack, CUSTOMER, "Sorry! Looking into it.")) == 1
    assert len(stored_messages(app, "Order 42 never arrived")) == 1
    assert len(stored_messages(app, "Sorry! Looking into it.")) == 1


def test_an_ordinary_relay_posts_without_looking_for_a_copy_first(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    # Each message's first attempt is counted as it is stored, and this process knows it has not
    # made it yet: only after a crash (or in another replica) is the copy looked for before posting.
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "Where is my order?")
    agent_says(app, fake_slack, AGENT, ticket, "Checking now.")
    customer_says(app, fake_slack, CUSTOMER, ticket, "Thanks")
    assert [
        m.attempts for m in stored_messages(app) if m.text in ("Where is my order?", "Checking now.", "Thanks")
    ] == [
        1,
        1,
        1,
    ]
    assert not fake_slack.calls("conversations.replies") and not fake_slack.calls("conversations.history")


def test_redelivered_event_in_bot_mode_gets_one_menu(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    hello = dm_message(CUSTOMER, "hello")
    first = app.slack.event(hello)
    retried = app.slack.event(hello, event_id=first.event_id, retry_num=1)
    assert (first.status, retried.status) == (200, 200)

    dm(app, CUSTOMER, "I need a human please")  # a later, different effect: the queue notice
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are *#1* in the queue"))

    assert len(menus_to(fake_slack, CUSTOMER)) == 1, fake_slack.dump()


def test_redelivered_event_while_waiting_is_passed_on_once(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    detail = dm_message(CUSTOMER, "It is about order 42")
    first = app.slack.event(detail)
    retried = app.slack.event(detail, event_id=first.event_id, retry_num=1)
    assert (first.status, retried.status) == (200, 200)

    customer_says(app, fake_slack, CUSTOMER, ticket, "and it was paid already")

    assert len(thread_posts(fake_slack, ticket, "It is about order 42")) == 1
    # The notice of the last message follows its relay (same flush): wait for it, then count.
    fake_slack.wait_for("chat.postMessage", lambda c: (c.params.get("text") or "").startswith(WAITING_NOTICE), count=2)
    notices = [c for c in dm_posts(fake_slack, CUSTOMER) if (c.params.get("text") or "").startswith(WAITING_NOTICE)]
    assert len(notices) == 2, fake_slack.dump()  # one per distinct message


@pytest.mark.parametrize("mode", ["bot", "connected"])
def test_same_event_delivered_concurrently_is_processed_once(
    app: AppUnderTest, fake_slack: FakeSlack, mode: str
) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT) if mode == "connected" else None
    text = "hello" if mode == "bot" else "Sent once, delivered five times"
    event, event_id = dm_message(CUSTOMER, text), next_event_id()
    deliveries = 5
    barrier = threading.Barrier(deliveries)

    def deliver(attempt: int) -> int:
        barrier.wait(timeout=5)
        return app.slack.event(event, event_id=event_id, retry_num=attempt or None).status

    with ThreadPoolExecutor(deliveries) as pool:
        statuses = list(pool.map(deliver, range(deliveries)))
    assert statuses == [200] * deliveries

    if ticket is None:
        dm(app, CUSTOMER, "I need a human please")
        fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "in the queue"))
        assert len(menus_to(fake_slack, CUSTOMER)) == 1, fake_slack.dump()
    else:
        customer_says(app, fake_slack, CUSTOMER, ticket, "a later message")
        assert len(thread_posts(fake_slack, ticket, text)) == 1, fake_slack.dump()
    assert len(stored_messages(app, text)) == 1


def test_a_conversation_stuck_on_a_slow_post_holds_back_no_other(fake_slack: FakeSlack, database_url: str) -> None:
    # Two threads for the work after the ack. Each message's relay asks for a flush of its
    # conversation; while one is under way, later requests ride on it instead of each taking a
    # thread to queue behind it, so the threads stay free for other conversations.
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_HTTP_THREADS="2")).start()
    try:
        stuck = connect(app, fake_slack, CUSTOMER, AGENT)
        other = connect(app, fake_slack, CUSTOMER_2, AGENT_2)
        # The next post, the stuck conversation's first message: Slack takes it and answers late.
        fake_slack.delay("chat.postMessage", 6, after_handling=True)
        dm(app, CUSTOMER, "first")
        wait_until(lambda: fake_slack.answers_pending("chat.postMessage") == 1, message="the slow post to start")
        for text in ("second", "third", "fourth"):
            dm(app, CUSTOMER, text)

        customer_says(app, fake_slack, CUSTOMER_2, other, "meanwhile, elsewhere")
        assert fake_slack.answers_pending("chat.postMessage") == 1, "relayed only after the slow post ended"

        fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == "fourth", timeout=15)
        assert [c.params["text"] for c in thread_posts(fake_slack, stuck) if c.params.get("username") == "Jane"] == [
            "first",
            "second",
            "third",
            "fourth",
        ]
    finally:
        app.stop()


# -- 3. the ack does not wait for Slack -------------------------------------------------------------


def test_acks_are_fast_while_slack_is_slow(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    show_queue(app, fake_slack, AGENT, "warm-up")  # the claim's first Slack call is then users.info

    fake_slack.delay("chat.postMessage", 4)  # the escalation's first call: the customer's queue notice
    escalation_took, escalation_acked_at = timed(lambda: dm(app, CUSTOMER_2, "I need a human please"))
    fake_slack.delay("users.info", 4)  # the claim's first call: who the agent is
    claim_took, claim_acked_at = timed(lambda: claim(app, fake_slack, AGENT, ticket))

    assert escalation_took < ACK_BUDGET
    assert claim_took < ACK_BUDGET
    # Both still happen, and the slow calls really were theirs and ended well after the acks.
    notice = fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER_2}", "in the queue"), timeout=15)[0]
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"), timeout=15)
    agent_lookup = fake_slack.calls("users.info", user=AGENT)[0]
    assert notice.at - escalation_acked_at > 2
    assert agent_lookup.at - claim_acked_at > 2


@pytest.fixture
def fresh_app(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[AppUnderTest]:
    """A just-started app that has not served a request yet (the database plays no part here)."""
    running = AppUnderTest(settings_for(fake_slack, sqlite_url)).start()
    try:
        yield running
    finally:
        running.stop()


def test_first_request_after_start_is_acked_fast_while_slack_is_slow(
    fresh_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.delay("auth.test", 3)
    took, _ = timed(lambda: dm(fresh_app, CUSTOMER, "hello"))
    wait_for_menus(fake_slack, CUSTOMER, 1)
    assert took < ACK_BUDGET


def test_first_message_after_start_is_not_lost_when_slack_fails(fresh_app: AppUnderTest, fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", status=429, retry_after=0, count=client_attempts(fresh_app))
    text = "I need a human please"

    reply = fresh_app.slack.event(dm_message(CUSTOMER, text))

    # A 200 tells Slack not to redeliver, so the message must be stored by then (the ack commits
    # first); otherwise Slack must be told to try again.
    assert reply.status != 200 or stored_messages(fresh_app, text), f"acked with 200 but dropped: {reply.body!r}"


def test_membership_events_are_acked_fast_while_the_member_list_loads_slowly(
    fresh_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.delay("conversations.members", 3)
    reply = fresh_app.slack.slash_command(QUEUE, "", AGENT, SUPPORT_CHANNEL, fake_slack.response_url("slow-queue"))
    assert reply.status == 200
    # The member list is being fetched: the slow call has reached Slack and not been answered yet.
    wait_until(lambda: fake_slack.delays_left("conversations.members") == 0, message="the member list request")

    joined = {"type": "member_joined_channel", "user": "UNEWAGENT", "channel": SUPPORT_CHANNEL, "event_ts": new_ts()}
    took, _ = timed(lambda: fresh_app.slack.event(joined))

    fake_slack.wait_for("response_url:slow-queue", timeout=15)
    assert took < ACK_BUDGET


# -- 4. Slack errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
def test_relay_rides_out_a_short_slack_error(app: AppUnderTest, fake_slack: FakeSlack, status: int) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    text = f"Relayed through two {status}s"
    fake_slack.fail("chat.postMessage", status=status, count=2, retry_after=0 if status == 429 else None)

    customer_says(app, fake_slack, CUSTOMER, ticket, text)
    customer_says(app, fake_slack, CUSTOMER, ticket, "a later message")

    assert [c.status for c in fake_slack.calls("chat.postMessage", text=text)] == [status, status, 200]
    assert len(thread_posts(fake_slack, ticket, text)) == 1


def test_messages_sent_during_an_outage_arrive_later_once_and_in_order(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    outage = client_attempts(app)  # more failures than the client's own retries can ride out
    fake_slack.fail("chat.postMessage", status=500, count=outage)

    dm(app, CUSTOMER, "first")
    wait_until(lambda: fake_slack.calls("chat.postMessage", text="first"), message="the first delivery attempt")
    dm(app, CUSTOMER, "second")  # while the first is still failing
    dm(app, CUSTOMER, "third")
    customers_thread = [
        c.params["text"] for c in thread_posts(fake_slack, ticket) if c.params.get("username") == "Jane"
    ]
    assert customers_thread == []

    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == "third", timeout=20)
    customer_says(app, fake_slack, CUSTOMER, ticket, "fourth")

    relayed = [c.params["text"] for c in thread_posts(fake_slack, ticket) if c.params.get("username") == "Jane"]
    assert relayed == ["first", "second", "third", "fourth"]
    # Every 500 was one attempt at "first" (each counted before its post, each retry preceded by a
    # look for an earlier copy); nothing overtook it while it was pending.
    assert [c.status for c in fake_slack.calls("chat.postMessage", text="first")] == [500] * outage + [200]
    assert [c.status for c in fake_slack.calls("chat.postMessage", text="second")] == [200]
    assert len(fake_slack.calls("conversations.replies", ts=ticket.ts)) >= outage
    (first,) = stored_messages(app, "first")
    assert first.delivery_state == DeliveryState.DELIVERED
    assert first.attempts == outage + 1 and first.last_error is None


def test_the_scheduler_delivers_what_the_relay_gave_up_on(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    assert app.app is not None
    scheduler = app.app.scheduler
    scheduler.pause()  # so that the relay's own attempt is the only one until Slack is back
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, count=10_000)  # Slack is down

    dm(app, CUSTOMER, "Anyone there?")
    (pending,) = wait_until(
        lambda: [m for m in stored_messages(app, "Anyone there?") if m.attempts >= 1 and m.last_error],
        timeout=10,
        message="the relay to give up",
    )
    assert pending.delivery_state == DeliveryState.PENDING and pending.last_error == "ratelimited"
    assert not thread_posts(fake_slack, ticket, "Anyone there?")

    fake_slack.heal("chat.postMessage")  # Slack is back; nothing but the scheduler is left to try
    scheduler.resume()
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == "Anyone there?")
    customer_says(app, fake_slack, CUSTOMER, ticket, "Oh, hi!")
    assert len(thread_posts(fake_slack, ticket, "Anyone there?")) == 1
    (delivered,) = stored_messages(app, "Anyone there?")
    assert delivered.delivery_state == DeliveryState.DELIVERED and delivered.attempts >= 2


# -- 5. restarts --------------------------------------------------------------------------------------


def test_waiting_and_connected_conversations_survive_restarts(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    app.restart()
    claim(app, fake_slack, AGENT, ticket)
    fake_slack.wait_for("chat.update", lambda c: "Claimed by" in block_text(c.params.get("blocks")))
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"))
    question = dm_message(CUSTOMER, "Hi, it's about order 42")
    asked = app.slack.event(question)
    assert asked.status == 200
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == question["text"])
    answer = channel_message(AGENT, "Hello! Let me check.", SUPPORT_CHANNEL, thread_ts=ticket.ts)
    answered = app.slack.event(answer)
    assert answered.status == 200
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == answer["text"])

    app.restart()
    # Slack's late redeliveries of what the last process handled are recognised after the restart.
    assert app.slack.event(question, event_id=asked.event_id, retry_num=3, retry_reason="http_error").status == 200
    assert app.slack.event(answer, event_id=answered.event_id, retry_num=3, retry_reason="http_error").status == 200
    customer_says(app, fake_slack, CUSTOMER, ticket, "Are you still there?")
    agent_says(app, fake_slack, AGENT, ticket, "Yes, it ships today.")

    relayed = [c.params["text"] for c in thread_posts(fake_slack, ticket) if c.params.get("username") == "Jane"]
    assert relayed == ["Hi, it's about order 42", "Are you still there?"]
    assert [c.params["text"] for c in dm_posts(fake_slack, CUSTOMER) if c.params.get("username") == "Alice"] == [
        "Hello! Let me check.",
        "Yes, it ships today.",
    ]


def test_a_message_stored_but_undelivered_is_sent_after_a_restart(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connect(app, fake_slack, CUSTOMER, AGENT)
    assert app.app is not None
    app.app.scheduler.pause()  # only the relay's own attempt before the restart (keeps the test short)
    fake_slack.fail("chat.postMessage", status=429, retry_after=0, count=10_000)  # Slack is down
    text = "Sent while Slack was down"

    dm(app, CUSTOMER, text)
    (pending,) = wait_until(
        lambda: [m for m in stored_messages(app, text) if m.last_error],
        timeout=10,
        message="the client to give up on the message",
    )
    assert pending.delivery_state == DeliveryState.PENDING
    app.stop()
    assert not thread_posts(fake_slack, ticket, text)

    fake_slack.heal("chat.postMessage")
    app.start()  # same database, fresh process state

    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == text)
    customer_says(app, fake_slack, CUSTOMER, ticket, "Thanks!")
    agent_says(app, fake_slack, AGENT, ticket, "You're welcome.")
    relayed = [c.params["text"] for c in thread_posts(fake_slack, ticket) if c.params.get("username") == "Jane"]
    assert relayed == [text, "Thanks!"]
    (delivered,) = stored_messages(app, text)
    assert delivered.delivery_state == DeliveryState.DELIVERED


# -- 6. events the app does not act on -----------------------------------------------------------


def test_events_the_app_does_not_act_on_are_acked_quietly(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    mark = len(fake_slack.calls())
    joined = {"type": "member_joined_channel", "channel_type": "C", "team": "T0HOME", "inviter": AGENT}
    left = {"type": "member_left_channel", "channel_type": "C", "team": "T0HOME"}
    ignored: dict[str, dict[str, Any]] = {
        "another bot in a DM": bot_message("beep", f"D{CUSTOMER_2}"),
        "the app's own DM": dm_message("UBOT", "echo", channel=f"D{CUSTOMER_2}", bot_id="BBOT"),
        "a bot in the ticket thread": bot_message("beep", SUPPORT_CHANNEL, thread_ts=ticket.ts),
        "a channel_join": channel_message(AGENT_2, f"<@{AGENT_2}> has joined", SUPPORT_CHANNEL, subtype="channel_join"),
        "an edited DM": dm_message(CUSTOMER_2, "", subtype="message_changed", message={"text": "agent please"}),
        "a message in another channel": channel_message(CUSTOMER_2, "I need an agent", "CRANDOM"),
        "a thread reply in another channel": channel_message(AGENT, "hi", "CRANDOM", thread_ts=ticket.ts),
        "a top-level support-channel message": channel_message(AGENT, "coffee?", SUPPORT_CHANNEL),
        "a reply in a thread that is no ticket": channel_message(AGENT, "hm", SUPPORT_CHANNEL, thread_ts=new_ts()),
        "a join elsewhere": {**joined, "user": OUTSIDER, "channel": "CRANDOM", "event_ts": new_ts()},
        "a leave elsewhere": {**left, "user": AGENT, "channel": "CRANDOM", "event_ts": new_ts()},
    }
    for name, event in ignored.items():
        reply = app.slack.event(event)
        assert reply.status == 200, f"{name}: {reply}"

    dm(app, CUSTOMER_2, "hello")
    wait_for_menus(fake_slack, CUSTOMER_2, 1)
    assert [(c.method, c.params.get("channel")) for c in calls_since(fake_slack, mark)] == [
        ("chat.postMessage", f"D{CUSTOMER_2}")
    ], fake_slack.dump()
    assert [m.text for m in stored_messages(app)] == ["I need a human please", "hello"]


# -- 7. the other HTTP paths --------------------------------------------------------------------------


def test_url_verification_health_check_and_unknown_paths(app: AppUnderTest) -> None:
    challenge = {
        "token": "legacy-verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    body = json.dumps(challenge).encode()
    answered = app.slack.post(body, "application/json")
    assert answered.status == 200
    assert answered.json() == {"challenge": challenge["challenge"]}
    assert app.slack.post(body, "application/json", sign=False).status == 401

    assert http_get(app.base_url + "/healthz") == (200, "ok")
    assert http_get(app.base_url + "/nowhere")[0] == 404
    assert http_get(app.base_url + "/slack/eventsx", method="POST")[0] == 404
    assert http_get(app.base_url + "/slack/events")[0] == 404  # Slack only POSTs


# -- 8. the cached list of agents ---------------------------------------------------------------------


def test_agent_list_is_cached_and_kept_current_by_membership_events(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    newcomer = "UNEWAGENT"
    fake_slack.add_user(newcomer, name="nia", real_name="Nia Newcomer", display_name="Nia")
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    assert f"ticket {ticket.ticket_id}" in show_queue(app, fake_slack, AGENT, "q-agent").params["text"]
    assert f"ticket {ticket.ticket_id}" in show_queue(app, fake_slack, AGENT_2, "q-agent-2").params["text"]
    assert show_queue(app, fake_slack, newcomer, "q-newcomer-before").params["text"] == QUEUE_REFUSAL
    assert len(fake_slack.calls("conversations.members")) == 1

    # Slack's own member list is deliberately left as it was: only the events can make the change.
    def membership(kind: str, user: str, channel: str) -> None:
        event = {
            "type": kind,
            "user": user,
            "channel": channel,
            "channel_type": "C",
            "team": "T0HOME",
            "event_ts": new_ts(),
        }
        assert app.slack.event(event).status == 200

    membership("member_joined_channel", newcomer, SUPPORT_CHANNEL)
    membership("member_joined_channel", OUTSIDER, "CRANDOM")
    membership("member_left_channel", AGENT_2, SUPPORT_CHANNEL)

    claim(app, fake_slack, newcomer, ticket)
    fake_slack.wait_for("chat.update", lambda c: f"Claimed by <@{newcomer}>" in block_text(c.params.get("blocks")))
    assert show_queue(app, fake_slack, OUTSIDER, "q-outsider").params["text"] == QUEUE_REFUSAL
    assert show_queue(app, fake_slack, AGENT_2, "q-agent-2-after").params["text"] == QUEUE_REFUSAL
    assert show_queue(app, fake_slack, newcomer, "q-newcomer-after").params["text"] != QUEUE_REFUSAL
    assert len(fake_slack.calls("conversations.members")) == 1
