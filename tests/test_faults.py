"""Zero loss under faults: the app killed mid-burst, the database away for a moment, two replicas
sharing the work, and Slack answering 429, 500 or too late.

Every message is numbered and unique; each test ends with a later message in each direction and
waits for it, so that when it counts what reached the fake Slack, nothing earlier is still on its
way (delivery is in order per conversation). Order is checked as happened-before: a message that
Slack got a 200 for before another was first sent must be shown before it.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from sqlmodel import select

from handoff_slack.blocks.action_ids import CLAIM_TICKET
from handoff_slack.core.bot_config import DEFAULT_GREETING as GREETING
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.states import DeliveryState
from handoff_slack.storage.models import ProcessedEvent
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2
from tests.support.app_process import AppProcess
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    ask_for_queue,
    block_text,
    claim,
    claim_and_wait,
    connect_over_http,
    connected_ticket,
    dm,
    escalate_by_typing,
    is_menu,
    posted_to,
    stored_messages,
    waiting_ticket,
)
from tests.support.slack_requests import Reply, SlackSender, channel_message, dm_message, next_event_id
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

T = TypeVar("T")

POST = "chat.postMessage"
ACK_BUDGET = 2.5  # seconds; Slack gives up after 3 and retries
SLACK_LATENCY = 0.03  # seconds a chat.postMessage takes during the bursts: deliveries are in flight
MANY = 100_000  # "every call from now on" for the fake's per-call scripts


# -- messages that must arrive once and in order --------------------------------------------------


@dataclass
class Outgoing:
    """One message a person sends, as Slack delivers it to the app: resent until it gets a 200."""

    direction: str  # "customer" (DM -> ticket thread) or "agent" (thread reply -> DM)
    text: str
    event: dict[str, Any]
    event_id: str
    attempts: int = 0
    first_sent: float | None = None
    acked: float | None = None

    def send(self, sender: SlackSender) -> int | None:
        """One delivery attempt, as Slack makes it (retries carry the same event ID and a retry number)."""
        self.attempts += 1
        if self.first_sent is None:
            self.first_sent = time.monotonic()
        retry = self.attempts - 1 or None
        try:
            status = sender.event(self.event, event_id=self.event_id, retry_num=retry, retry_reason="http_error").status
        except OSError:  # refused, reset, or the process died while answering
            return None
        if status == 200:
            self.acked = time.monotonic()
        return status


def customer_message(customer: str, text: str) -> Outgoing:
    return Outgoing("customer", text, dm_message(customer, text), next_event_id())


def agent_message(agent: str, ticket: TicketPost, text: str) -> Outgoing:
    return Outgoing("agent", text, channel_message(agent, text, SUPPORT_CHANNEL, thread_ts=ticket.ts), next_event_id())


def delivery_problems(sent: list[Outgoing], shown: list[str]) -> list[str]:
    """What is wrong with `shown` (texts at the destination, oldest first) as the delivery of `sent`.

    Each message exactly once; and if Slack had a 200 for Y before X was first sent, Y before X.
    """
    problems: list[str] = []
    counts = Counter(shown)
    missing = [m.text for m in sent if counts[m.text] == 0]
    twice = {text: n for text, n in counts.items() if n > 1}
    unknown = sorted(set(counts) - {m.text for m in sent})
    if missing:
        problems.append(f"{len(missing)} never shown: {missing[:10]}")
    if twice:
        problems.append(f"{len(twice)} shown more than once: {dict(list(twice.items())[:10])}")
    if unknown:
        problems.append(f"{len(unknown)} shown but never sent: {unknown[:10]}")
    position = {}
    for index, text in enumerate(shown):
        position.setdefault(text, index)
    overtaken = [
        f"{later.text!r} (sent after {earlier.text!r} was acked) is shown before it"
        for earlier in sent
        for later in sent
        if earlier.acked is not None
        and later.first_sent is not None
        and earlier.acked < later.first_sent
        and earlier.text in position
        and later.text in position
        and position[later.text] < position[earlier.text]
    ]
    if overtaken:
        problems.append(f"{len(overtaken)} out of order, e.g. {overtaken[:5]}")
    return problems


class Burst:
    """Slack delivering many events from a few threads, each resent until it gets a 200.

    While `app_up` is clear (the test is restarting the app) the senders hold their retries. With
    `shown` (how many of the messages Slack shows so far), a new message is only sent while fewer
    than `backlog` acked ones are still waiting to be shown: people write on as answers come in.
    """

    def __init__(
        self,
        sender: SlackSender,
        messages: list[Outgoing],
        app_up: threading.Event,
        shown: Callable[[], int] | None = None,
        backlog: int = 20,
        max_attempts: int = 25,
    ) -> None:
        self.sender = sender
        self.messages = messages
        self.app_up = app_up
        self.shown = shown
        self.backlog = backlog
        self.max_attempts = max_attempts
        self._lock = threading.Lock()
        self._next = 0
        self._acked = 0
        self._in_flight = 0
        self._throttled = True
        self._stopped = False
        self.failures: list[str] = []
        self._threads: list[threading.Thread] = []

    @property
    def acked(self) -> int:
        with self._lock:
            return self._acked

    @property
    def in_flight(self) -> int:
        """Requests sent and not answered yet."""
        with self._lock:
            return self._in_flight

    def unthrottle(self) -> None:
        """From now on send without waiting for the backlog to shrink."""
        with self._lock:
            self._throttled = False

    def stop(self) -> None:
        """No further attempts (the test is over, one way or another)."""
        with self._lock:
            self._stopped = True
        self.app_up.set()  # releases senders holding their retries

    def start(self, threads: int) -> Burst:
        self._threads = [threading.Thread(target=self._run, name=f"slack-{i}", daemon=True) for i in range(threads)]
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        assert not stuck, f"senders still busy after {timeout}s: {stuck}; {self.acked} of {len(self.messages)} acked"
        assert not self.failures, "\n".join(self.failures)

    def _take(self) -> Outgoing | None:
        with self._lock:
            if self._stopped or self._next >= len(self.messages):
                return None
            self._next += 1
            return self.messages[self._next - 1]

    def _run(self) -> None:
        while (message := self._take()) is not None:
            if self.shown is not None and not self._wait_for_backlog(message):
                return
            statuses: list[int | None] = []
            while message.attempts < self.max_attempts:
                if not self.app_up.wait(timeout=30):
                    self.failures.append(f"{message.text!r}: the app did not come back")
                    return
                if self._stopped:
                    return
                with self._lock:
                    self._in_flight += 1
                try:
                    status = message.send(self.sender)
                finally:
                    with self._lock:
                        self._in_flight -= 1
                statuses.append(status)
                if status == 200:
                    with self._lock:
                        self._acked += 1
                    break
            else:
                self.failures.append(f"{message.text!r}: no 200 in {self.max_attempts} attempts: {statuses}")

    def _wait_for_backlog(self, message: Outgoing) -> bool:
        assert self.shown is not None
        shown = self.shown
        try:
            wait_until(
                lambda: self._stopped or not self._throttled or self.acked - shown() < self.backlog,
                timeout=30,
                message="the backlog to shrink",
            )
        except AssertionError as error:
            self.failures.append(f"{message.text!r} never sent: {error} ({self.acked} acked, {shown()} shown)")
            return False
        return True


def texts_in_thread(fake: FakeSlack, ticket: TicketPost, prefix: str) -> list[str]:
    """What Slack shows in the ticket's thread (whether or not the app learnt of its post), oldest first."""
    return [m["text"] for m in fake.messages(SUPPORT_CHANNEL, thread_ts=ticket.ts) if m["text"].startswith(prefix)]


def texts_in_dm(fake: FakeSlack, user: str, prefix: str) -> list[str]:
    return [m["text"] for m in fake.messages(f"D{user}") if m.get("text", "").startswith(prefix)]


def last_word(app: Any, fake: FakeSlack, ticket: TicketPost, customer: str, agent: str, timeout: float = 20) -> None:
    """One more message each way, waited for: everything sent before has been delivered (in-order delivery)."""
    dm(app, customer, "customer: that is all")
    fake.wait_for(POST, lambda c: c.params.get("text") == "customer: that is all", timeout=timeout)
    reply = app.slack.event(channel_message(agent, "agent: bye", SUPPORT_CHANNEL, thread_ts=ticket.ts))
    assert reply.status == 200, reply
    fake.wait_for(POST, lambda c: c.params.get("text") == "agent: bye", timeout=timeout)


def released_together(*work: Callable[[], T]) -> list[T]:
    """Run each callable on its own thread, all starting at the same moment."""
    barrier = threading.Barrier(len(work))

    def run(job: Callable[[], T]) -> T:
        barrier.wait(timeout=10)
        return job()

    with ThreadPoolExecutor(len(work)) as pool:
        return list(pool.map(run, work))


def timed(send: Callable[[], T]) -> tuple[float, T]:
    started = time.monotonic()
    result = send()
    return time.monotonic() - started, result


def processed_event_ids(app: AppUnderTest) -> set[str]:
    assert app.app is not None
    with app.app.db.transaction() as session:
        return set(session.exec(select(ProcessedEvent.event_id)).all())


def menus_to(fake: FakeSlack, user: str) -> list[Call]:
    """The bot's answers in bot mode (the menu, or "can't help" with the menu's buttons)."""
    return [c for c in fake.calls(POST, channel=f"D{user}") if c.ok and is_menu(c)]


def client_attempts(app: AppUnderTest) -> int:
    """How often the app's Web API client tries one call before giving up (1 + its retries)."""
    assert app.app is not None
    return 1 + max(handler.max_retry_count for handler in app.app.bolt.client.retry_handlers)


# -- 1. SIGKILL in the middle of a burst ------------------------------------------------------------


class Deadline:
    """One time budget for a whole test: every wait gets what is left of it (at most its own limit)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, at_most: float) -> float:
        return max(0.1, min(at_most, self.end - time.monotonic()))


BURST_EACH_WAY = 100
KILL_AFTER_ACKS = (2 * BURST_EACH_WAY) // 3


@pytest.mark.slow
def test_sigkill_mid_burst_loses_and_duplicates_nothing(app_process: AppProcess, fake_slack: FakeSlack) -> None:
    app = app_process
    ticket = connect_over_http(app, fake_slack, CUSTOMER, AGENT)
    burst: list[Outgoing] = []
    for i in range(1, BURST_EACH_WAY + 1):
        burst.append(customer_message(CUSTOMER, f"customer {i:03d}"))
        burst.append(agent_message(AGENT, ticket, f"agent {i:03d}"))
    # Slack is slow-ish (deliveries are in flight all the time) and rate-limits now and then.
    fake_slack.delay(POST, SLACK_LATENCY, count=MANY, after_handling=True)
    fake_slack.succeed(POST, 20)
    fake_slack.fail(POST, status=429, retry_after=1)
    fake_slack.succeed(POST, 40)
    fake_slack.fail(POST, status=429, retry_after=1)

    def shown() -> int:
        return len(texts_in_thread(fake_slack, ticket, "customer ")) + len(texts_in_dm(fake_slack, CUSTOMER, "agent "))

    deadline = Deadline(55)  # with set-up: about a minute, however it fails
    app_up = threading.Event()
    app_up.set()
    sending = Burst(app.slack, burst, app_up, shown=shown).start(threads=4)
    try:
        wait_until(
            lambda: sending.acked >= KILL_AFTER_ACKS, timeout=deadline.left(15), message=f"{KILL_AFTER_ACKS} acks"
        )
        # The next relay reaches Slack, but its answer is held back: the process dies not knowing it was
        # posted. And it dies with Slack's requests in flight (whether their work was committed or not).
        fake_slack.clear_delays(POST)
        fake_slack.delay(POST, 5, after_handling=True)
        fake_slack.delay(POST, SLACK_LATENCY, count=MANY, after_handling=True)
        sending.unthrottle()
        wait_until(
            lambda: fake_slack.delays_left(POST) <= MANY and sending.in_flight > 0,
            timeout=deadline.left(10),
            message="a relay post whose answer is held back, and events in flight",
        )
        app_up.clear()
        app.kill()
        acked_at_kill, posted_at_kill = sending.acked, shown()
        app.start(timeout=deadline.left(20))  # same port, same database: Slack's retries reach the new process
        app_up.set()
        sending.join(timeout=deadline.left(30))
    finally:
        sending.stop()
    fake_slack.clear_delays(POST)  # the burst is over; the backlog may go fast
    last_word(app, fake_slack, ticket, CUSTOMER, AGENT, timeout=deadline.left(20))

    assert 0 < posted_at_kill < acked_at_kill < len(burst)  # the kill really was mid-burst
    customers = [m for m in burst if m.direction == "customer"]
    agents = [m for m in burst if m.direction == "agent"]
    problems = [
        f"ticket thread: {p}" for p in delivery_problems(customers, texts_in_thread(fake_slack, ticket, "customer "))
    ] + [f"customer's DM: {p}" for p in delivery_problems(agents, texts_in_dm(fake_slack, CUSTOMER, "agent "))]
    assert not problems, (
        f"killed after {acked_at_kill} acks and {posted_at_kill} relays; "
        f"{sum(m.attempts for m in burst) - len(burst)} redeliveries\n" + "\n".join(problems) + "\n" + app.log_tail(20)
    )


# -- 2. the database goes away for a moment (PostgreSQL behind a TCP proxy) ----------------------------


@pytest.fixture
def proxied_app(fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str]) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, postgres_proxy[1])).start()
    try:
        yield running
    finally:
        postgres_proxy[0].resume()
        running.stop()


def health(app: AppUnderTest) -> int:
    try:
        with urllib.request.urlopen(app.base_url + "/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code)


def refused_fast(app: AppUnderTest, event: dict[str, Any]) -> Reply:
    took, reply = timed(lambda: app.slack.event(event))
    assert reply.status >= 500, f"{reply} while the database is away: Slack would not redeliver"
    assert took < ACK_BUDGET, f"answered {reply.status} only after {took:.1f}s: Slack gives up after 3"
    return reply


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["bot", "connected"])
def test_while_the_database_is_away_events_get_a_fast_5xx_and_their_redelivery_is_processed(
    proxied_app: AppUnderTest, fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str], mode: str
) -> None:
    app, proxy = proxied_app, postgres_proxy[0]
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT) if mode == "connected" else None
    if ticket is None:
        dm(app, CUSTOMER_2, "hello")  # the pool holds connections, Bolt's first-request work is done
        fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER_2}", GREETING))
    question = dm_message(CUSTOMER, "good morning" if ticket is None else "Is my order lost?")
    answer = channel_message(AGENT, "No, it ships today.", SUPPORT_CHANNEL, thread_ts=ticket.ts) if ticket else None
    mark = len(fake_slack.calls())

    assert proxy.pause() >= 1  # the server goes away under open connections
    asked = refused_fast(app, question)
    answered = refused_fast(app, answer) if answer else None
    assert health(app) == 503
    proxy.resume()

    assert health(app) == 200  # without a restart
    # Nothing half-done: neither the message nor its event ID was kept, so the redelivery counts.
    assert not stored_messages(app, question["text"])
    assert asked.event_id not in processed_event_ids(app)
    if answer is not None and answered is not None:
        assert not stored_messages(app, answer["text"])
        assert answered.event_id not in processed_event_ids(app)
    assert [c for c in fake_slack.calls()[mark:] if c.method == POST] == []

    retried = app.slack.event(question, event_id=asked.event_id, retry_num=1, retry_reason="http_error")
    assert retried.status == 200, retried
    if ticket is None:
        fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER}", GREETING))
        dm(app, CUSTOMER, "I need a human please")  # a later effect: the earlier ones are done
        fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER}", "in the queue"))
        assert len(menus_to(fake_slack, CUSTOMER)) == 1, fake_slack.dump()
    else:
        assert answer is not None and answered is not None
        again = app.slack.event(answer, event_id=answered.event_id, retry_num=1, retry_reason="http_error")
        assert again.status == 200, again
        last_word(app, fake_slack, ticket, CUSTOMER, AGENT)
        assert texts_in_thread(fake_slack, ticket, question["text"]) == [question["text"]]
        assert texts_in_dm(fake_slack, CUSTOMER, answer["text"]) == [answer["text"]]
    assert len(stored_messages(app, question["text"])) == 1


@pytest.mark.postgres
def test_connections_cut_under_the_app_are_replaced_on_the_next_request(
    proxied_app: AppUnderTest, fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str]
) -> None:
    app, proxy = proxied_app, postgres_proxy[0]
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    for round_ in range(3):
        cut = proxy.pause()
        proxy.resume()  # a database restart, or a load balancer dropping idle connections
        assert cut >= 1, "the app held no connection to cut: the test would prove nothing"
        text = f"After cut {round_}"
        took, reply = timed(lambda text=text: app.slack.event(dm_message(CUSTOMER, text)))
        assert (reply.status, took < ACK_BUDGET) == (200, True), (reply, took)
        fake_slack.wait_for(POST, lambda c, text=text: c.params.get("text") == text)
        # Settled before the next cut: this test is about idle pooled connections (a cut between the
        # post and its recording is the next test's).
        wait_until(
            lambda text=text: [m for m in stored_messages(app, text) if m.delivery_state == DeliveryState.DELIVERED],
            message=f"{text!r} to be recorded as delivered",
        )

    last_word(app, fake_slack, ticket, CUSTOMER, AGENT)
    assert texts_in_thread(fake_slack, ticket, "After cut ") == [f"After cut {i}" for i in range(3)]


@pytest.mark.postgres
def test_a_database_blip_just_after_slack_took_a_post_does_not_post_it_twice(
    proxied_app: AppUnderTest, fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str]
) -> None:
    app, proxy = proxied_app, postgres_proxy[0]
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    assert app.app is not None
    app.app.scheduler.pause()  # only the relay uses the database until the blip is over
    text = "Posted just before the database blinked"
    fake_slack.delay(POST, 0.5, after_handling=True)

    dm(app, CUSTOMER, text)
    wait_until(lambda: fake_slack.answers_pending(POST) == 1, message="Slack to take the post")
    tried = proxy.accepted
    proxy.pause()  # while the app waits for Slack's answer
    wait_until(lambda: fake_slack.answers_pending(POST) == 0, message="Slack's answer to go out")
    wait_until(lambda: proxy.accepted > tried, message="the app to try to record the delivery")
    proxy.resume()
    app.app.scheduler.resume()
    last_word(app, fake_slack, ticket, CUSTOMER, AGENT)

    assert texts_in_thread(fake_slack, ticket, text) == [text], fake_slack.dump()


@pytest.mark.postgres
def test_an_unanswering_database_still_gets_a_fast_5xx(
    proxied_app: AppUnderTest, fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str]
) -> None:
    """The server is gone behind a firewall that drops packets: connecting hangs instead of failing."""
    app, proxy = proxied_app, postgres_proxy[0]
    dm(app, CUSTOMER_2, "hello")
    fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER_2}", GREETING))
    hello = dm_message(CUSTOMER, "hello")

    proxy.pause(blackhole=True)
    try:
        took, reply = timed(lambda: app.slack.event(hello))
    finally:
        proxy.resume()

    retried = app.slack.event(hello, event_id=reply.event_id, retry_num=1, retry_reason="http_timeout")
    assert retried.status == 200
    fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER}", GREETING))
    assert reply.status >= 500, reply
    assert took < ACK_BUDGET, f"answered {reply.status} only after {took:.1f}s: Slack gives up after 3"


def test_a_claim_while_the_database_is_down_is_answered_not_lost(
    proxied_app: AppUnderTest, fake_slack: FakeSlack, postgres_proxy: tuple[TcpProxy, str]
) -> None:
    """A click is acked before the claim is made; if the database then fails, the agent is told."""
    app, proxy = proxied_app, postgres_proxy[0]
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    ask_for_queue(app, fake_slack, AGENT)  # the agent list is cached: only the database is left to fail

    proxy.pause()
    try:
        answer_url = claim(app, fake_slack, AGENT, ticket)
        answer = fake_slack.wait_for(f"response_url:{answer_url.rsplit('/', 1)[-1]}")[0]
    finally:
        proxy.resume()

    assert "Please press Claim again" in answer.params["text"]
    claim_and_wait(app, fake_slack, AGENT, ticket)  # and pressing again works


# -- 3. two replicas, one PostgreSQL ------------------------------------------------------------------


@pytest.fixture
def replicas(fake_slack: FakeSlack, postgres_database_url: str) -> Iterator[tuple[AppUnderTest, AppUnderTest]]:
    first = AppUnderTest(settings_for(fake_slack, postgres_database_url)).start()
    second = AppUnderTest(settings_for(fake_slack, postgres_database_url))
    try:
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()


def to_both(replicas: tuple[AppUnderTest, AppUnderTest], message: Outgoing) -> None:
    """Slack's delivery and its retry reach the two replicas at the same moment; both must be acked."""
    first, second = replicas
    message.first_sent = time.monotonic()
    statuses = released_together(
        lambda: first.slack.event(message.event, event_id=message.event_id).status,
        lambda: second.slack.event(message.event, event_id=message.event_id, retry_num=1).status,
    )
    message.acked = time.monotonic()
    assert statuses == [200, 200], (message.text, statuses)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "mode",
    ["bot", "connected"],
)
def test_the_same_event_reaching_two_replicas_at_once_is_processed_once(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack, mode: str
) -> None:
    first, _ = replicas
    ticket = connected_ticket(first, fake_slack, CUSTOMER, AGENT) if mode == "connected" else None
    fake_slack.delay(POST, SLACK_LATENCY, count=MANY)  # Slack takes a moment: deliveries overlap

    if ticket is None:
        hellos = [customer_message(CUSTOMER, f"hello {i:02d}") for i in range(20)]
        for message in hellos:
            to_both(replicas, message)
        dm(first, CUSTOMER, "I need a human please")  # a later effect: the menus are all sent
        fake_slack.wait_for(POST, posted_to(f"D{CUSTOMER}", "in the queue"), timeout=15)
        assert len(menus_to(fake_slack, CUSTOMER)) == len(hellos), fake_slack.dump()
        assert all(len(stored_messages(first, m.text)) == 1 for m in hellos)
        return

    messages: list[Outgoing] = []
    for i in range(20):
        messages += [customer_message(CUSTOMER, f"customer {i:02d}"), agent_message(AGENT, ticket, f"agent {i:02d}")]
    for message in messages:
        to_both(replicas, message)
    last_word(first, fake_slack, ticket, CUSTOMER, AGENT)

    customers = [m for m in messages if m.direction == "customer"]
    agents = [m for m in messages if m.direction == "agent"]
    problems = [
        f"ticket thread: {p}" for p in delivery_problems(customers, texts_in_thread(fake_slack, ticket, "customer "))
    ] + [f"customer's DM: {p}" for p in delivery_problems(agents, texts_in_dm(fake_slack, CUSTOMER, "agent "))]
    assert not problems, "\n".join(problems)
    assert all(len(stored_messages(first, m.text)) == 1 for m in messages)


@pytest.mark.postgres
def test_a_ticket_message_published_by_two_replicas_at_once_is_posted_once(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack
) -> None:
    """E.g. the escalation's lazy listener on one replica and the scheduler's repair on another."""
    first, second = replicas
    # A ticket whose message is not posted yet (the core's step alone, no Slack effects).
    outcome = first.app.services.helpdesk.receive_customer_message(  # type: ignore[union-attr]
        Customer(CUSTOMER, FrontDoor(f"D{CUSTOMER}")), ts="1700000000.000100", text="I need a human please"
    )
    assert outcome.ticket_id is not None
    fake_slack.delay(POST, 1, count=2)  # both posts would be in flight together

    released_together(
        lambda: first.app.services.board.publish(outcome.ticket_id),  # type: ignore[union-attr,arg-type]
        lambda: second.app.services.board.publish(outcome.ticket_id),  # type: ignore[union-attr,arg-type]
    )

    assert len(fake_slack.calls(POST, channel=SUPPORT_CHANNEL)) == 1, fake_slack.dump()


@pytest.mark.postgres
def test_a_conversation_whose_messages_reach_alternate_replicas_is_relayed_once_in_order(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack
) -> None:
    """No duplicate deliveries at all: a load balancer sends each event to one replica, in turn."""
    ticket = connected_ticket(replicas[0], fake_slack, CUSTOMER, AGENT)
    fake_slack.delay(POST, SLACK_LATENCY, count=MANY)  # Slack takes a moment, as it does
    messages: list[Outgoing] = []
    for i in range(10):
        messages += [customer_message(CUSTOMER, f"customer {i:02d}"), agent_message(AGENT, ticket, f"agent {i:02d}")]

    for i, message in enumerate(messages):
        assert message.send(replicas[(i // 2) % 2].slack) == 200  # each person's messages alternate replicas
    last_word(replicas[0], fake_slack, ticket, CUSTOMER, AGENT)

    customers = [m for m in messages if m.direction == "customer"]
    agents = [m for m in messages if m.direction == "agent"]
    problems = [
        f"ticket thread: {p}" for p in delivery_problems(customers, texts_in_thread(fake_slack, ticket, "customer "))
    ] + [f"customer's DM: {p}" for p in delivery_problems(agents, texts_in_dm(fake_slack, CUSTOMER, "agent "))]
    assert not problems, "\n".join(problems)


@pytest.mark.postgres
def test_claims_pressed_at_once_on_two_replicas_have_one_winner(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack
) -> None:
    first, second = replicas
    rounds = 5
    for i in range(rounds):
        customer = f"URACECUST{i}"
        fake_slack.add_user(customer, name=f"racecust{i}", real_name=f"Race Customer {i}")
        ticket = waiting_ticket(first, fake_slack, customer)
        names = {agent: f"race{i}-{agent}" for agent in (AGENT, AGENT_2)}
        urls = {agent: fake_slack.response_url(name) for agent, name in names.items()}
        answered = {f"response_url:{name}" for name in names.values()}

        def press(app: AppUnderTest, agent: str, ticket: TicketPost = ticket, urls: dict[str, str] = urls) -> int:
            return app.slack.block_action(
                agent,
                CLAIM_TICKET,
                str(ticket.ticket_id),
                channel_id=SUPPORT_CHANNEL,
                message_ts=ticket.ts,
                response_url=urls[agent],
            ).status

        assert released_together(lambda: press(first, AGENT), lambda: press(second, AGENT_2)) == [200, 200]

        fake_slack.wait_for(POST, posted_to(f"D{customer}", "You are now talking with"), timeout=10)
        loser_answer = wait_until(
            lambda answered=answered: [c for c in fake_slack.calls() if c.method in answered],
            timeout=10,
            message=f"round {i}: the losing agent to be told",
        )
        found = first.helpdesk.ticket(ticket.ticket_id)
        assert found is not None
        winner = found.agent_user_id
        loser = AGENT_2 if winner == AGENT else AGENT
        assert winner in (AGENT, AGENT_2)
        assert [c.method for c in loser_answer] == [f"response_url:{names[loser]}"], fake_slack.dump()
        assert f"already claimed by <@{winner}>" in loser_answer[0].params["text"]
        told = [c for c in fake_slack.calls(POST, channel=f"D{customer}") if "now talking with" in c.params["text"]]
        assert len(told) == 1, fake_slack.dump()

        def claimed_updates(ts: str = ticket.ts) -> list[str]:
            return [
                block_text(c.params.get("blocks"))
                for c in fake_slack.calls("chat.update", channel=SUPPORT_CHANNEL)
                if c.params.get("ts") == ts and "Claimed by" in block_text(c.params.get("blocks"))
            ]

        # The ticket message's update follows the claim on its own road (it may come after the answers).
        shown = wait_until(claimed_updates, timeout=10, message=f"round {i}: the ticket message to show the claim")
        assert all(f"Claimed by <@{winner}>" in text for text in shown), shown


# -- 4. Slack answering 429, 500, or later than the client waits ------------------------------------


BURST = 30


def burst_from_customer(app: AppUnderTest, count: int = BURST) -> list[Outgoing]:
    messages = [customer_message(CUSTOMER, f"burst {i:02d}") for i in range(count)]
    for message in messages:
        assert message.send(app.slack) == 200
    return messages


def test_a_burst_through_429s_and_500s_is_delivered_once_in_order(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    # Interleaved: some calls through, a short 429, more through, 500s the client rides out, a 429
    # streak longer than the client's own retries (the outbox gives up; the scheduler resumes), a 500.
    fake_slack.succeed(POST, 2)
    fake_slack.fail(POST, status=429, retry_after=1)
    fake_slack.succeed(POST, 3)
    fake_slack.fail(POST, status=500)
    fake_slack.succeed(POST, 4)
    fake_slack.fail(POST, status=429, retry_after=1, count=client_attempts(app))
    fake_slack.succeed(POST, 3)
    fake_slack.fail(POST, status=500)

    messages = burst_from_customer(app)
    last_word(app, fake_slack, ticket, CUSTOMER, AGENT, timeout=30)

    assert fake_slack.faults_left(POST) == 0, "not every scripted fault was met: the test proved less than it says"
    problems = delivery_problems(messages, texts_in_thread(fake_slack, ticket, "burst "))
    assert not problems, "\n".join(problems) + "\n" + fake_slack.dump()


def test_after_an_outage_the_delivery_retry_catches_up_several_conversations_at_once(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    first = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    second = connected_ticket(app, fake_slack, CUSTOMER_2, AGENT)
    fake_slack.fail(POST, status=200, error="service_unavailable", count=2)  # no retry cures it at once
    dm(app, CUSTOMER, "stuck one")
    dm(app, CUSTOMER_2, "stuck two")
    wait_until(lambda: fake_slack.faults_left(POST) == 0, message="both relays to fail")

    # Slack is back but slow to answer: the scheduler's retry (every second here) has both
    # conversations' posts in flight together, not one waiting for the other's.
    fake_slack.hold(POST)
    try:
        wait_until(lambda: fake_slack.held(POST) == 2, timeout=10, message="both conversations' posts at once")
    finally:
        fake_slack.release(POST)
    fake_slack.wait_for(POST, posted_to(SUPPORT_CHANNEL, "stuck one", first.ts))
    fake_slack.wait_for(POST, posted_to(SUPPORT_CHANNEL, "stuck two", second.ts))


CLIENT_TIMEOUT = 2  # seconds the app's Web API clients wait for Slack's answer in this test


@pytest.fixture
def impatient_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    # No flood notice: its post, sent while the relay waits out a late answer, would take the fake's
    # next scripted answer in place of the relay's post the test means it for.
    settings = settings_for(
        fake_slack, database_url, HANDOFF_SLACK_TIMEOUT_SECONDS=str(CLIENT_TIMEOUT), HANDOFF_FLOOD_LIMIT="1000"
    )
    running = AppUnderTest(settings).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_burst_through_answers_later_than_the_client_waits_is_delivered_once_in_order(
    impatient_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = impatient_app
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    # Two posts take effect in Slack but their answers come after the client stopped waiting; a 429 between.
    fake_slack.delay(POST, SLACK_LATENCY, count=3)
    fake_slack.delay(POST, CLIENT_TIMEOUT + 1, after_handling=True)
    fake_slack.delay(POST, SLACK_LATENCY, count=6)
    fake_slack.delay(POST, CLIENT_TIMEOUT + 1, after_handling=True)
    fake_slack.delay(POST, SLACK_LATENCY, count=MANY)
    fake_slack.succeed(POST, 6)
    fake_slack.fail(POST, status=429, retry_after=1)

    messages = burst_from_customer(app)
    last_word(app, fake_slack, ticket, CUSTOMER, AGENT, timeout=30)

    assert fake_slack.delays_left(POST) <= MANY, "the late answers were never met: the test proved less than it says"
    retried = [m.text for m in messages if stored_messages(app, m.text)[0].attempts > 1]
    assert len(retried) >= 2, f"the app did not give up waiting for the late answers: {retried}"
    problems = delivery_problems(messages, texts_in_thread(fake_slack, ticket, "burst "))
    assert not problems, "\n".join(problems)
