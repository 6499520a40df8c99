"""Every message the app writes on its own behalf reaches Slack exactly once, whatever Slack answers.

Each kind of bot message (the bot's replies, queue notices, "you are now talking with …", the
ticket message, notes in its thread, closing words, warnings to an author; in supervised mode the
proposal, the "checking" note and the approved answer; the satisfaction survey after a close, and
the rating's note in the ticket's thread) is driven through the
real HTTP edge while the fake Slack fails that one post: with a 500 after it took the post, with an
answer later than the client waits, with a 429, and with a 500 before it took it. What the people
in Slack see is counted in the fake's channels, not in the calls: each message is there once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import PROPOSAL_APPROVE, SURVEY_RATE
from tests.conftest import AGENT, CUSTOMER
from tests.support.app_process import AppProcess
from tests.support.app_under_test import PLAIN_HANDOFF_CONFIG, SUPPORT_CHANNEL, AppUnderTest, SlackEdge, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    TicketPost,
    agent_reply,
    block_text,
    claim,
    connected_ticket,
    dm,
    escalate_by_typing,
    press_close,
    stored_notices,
    stored_tickets,
    ticket_message_recorded,
    wait_for_dm,
    wait_for_new_ticket,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_supervised_mode import ANSWER, SUPERVISED_CONFIG, press

SUPERVISED = str(SUPERVISED_CONFIG)  # one supervised scenario: "wifi not working", a question, an answer

POST = "chat.postMessage"
DM = f"D{CUSTOMER}"
# The restarted app's repair job leaves a new ticket's message to its own listener for two Slack
# timeouts (scheduler.TICKET_PUBLISH_GRACE_TIMEOUTS): 6 s here instead of 30 s with the default. The
# app is killed within milliseconds of Slack taking the held post, well inside one timeout.
SIGKILL_SLACK_TIMEOUT = 3
CLIENT_TIMEOUT = 1  # seconds the app's Web API client waits for an answer (HANDOFF_SLACK_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Kind:
    """A kind of bot message: how a person makes the app write it, and how to recognise it."""

    channel: str  # where it appears (the customer's DM or the support channel)
    in_thread: bool  # in the ticket's thread (else top level)
    marker: str  # text only this kind of message contains
    before: Callable[[AppUnderTest, FakeSlack], Any]  # the journey up to just before it (unfaulted)
    act: Callable[[AppUnderTest, FakeSlack, Any], None]  # what makes the app write it
    config: str = PLAIN_HANDOFF_CONFIG  # the bot's YAML file (HANDOFF_CONFIG)

    def matches(self, params: dict[str, Any]) -> bool:
        return (
            params.get("channel") == self.channel
            and bool(params.get("thread_ts")) == self.in_thread
            and self.marker in (params.get("text") or "") + block_text(params.get("blocks"))
        )


def _nothing(app: AppUnderTest, fake: FakeSlack) -> None:
    return None


def _waiting(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    return waiting_ticket(app, fake, CUSTOMER)


def _connected(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    return connected_ticket(app, fake, CUSTOMER, AGENT)


def _undeliverable_reply(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost) -> None:
    # The customer's DM refuses the reply for good: the agent is warned in the thread.
    fake.fail_when(POST, lambda p: p.get("text") == "this will not arrive", status=200, error="channel_not_found")
    agent_reply(app, AGENT, ticket, "this will not arrive")


def _surveyed(app: AppUnderTest, fake: FakeSlack) -> str:
    """Closed: the satisfaction survey (core.satisfaction) in the customer's DM; its rating button's value."""
    ticket = connected_ticket(app, fake, CUSTOMER, AGENT)
    press_close(app, fake, AGENT, ticket)
    survey = wait_for_dm(fake, CUSTOMER, "How did we do?")
    return str(next(b for b in survey.params["blocks"] if b["type"] == "actions")["elements"][3]["value"])


def _rate(app: AppUnderTest, fake: FakeSlack, value: str) -> None:
    reply = app.slack.block_action(CUSTOMER, f"{SURVEY_RATE}:4", value, channel_id=DM, message_ts="1.0")
    assert reply.status == 200, reply


def _asked_about_the_wifi(app: SlackEdge, fake: FakeSlack) -> None:
    # Supervised: the scenario's one question; its answer makes the bot propose.
    dm(app, CUSTOMER, "wifi not working")
    wait_for_dm(fake, CUSTOMER, "Is the Wi-Fi light on?")


def _answer_the_wifi_question(app: SlackEdge, fake: FakeSlack, _: Any) -> None:
    dm(app, CUSTOMER, "Off")


def _proposed(app: SlackEdge, fake: FakeSlack) -> TicketPost:
    _asked_about_the_wifi(app, fake)
    _answer_the_wifi_question(app, fake, None)
    return wait_for_new_ticket(fake, 0)


def _approve(app: SlackEdge, fake: FakeSlack, card: TicketPost) -> None:
    press(app, fake, AGENT, PROPOSAL_APPROVE, card, "approve")  # type: ignore[arg-type]


KINDS = {
    "the bot's menu": Kind(DM, False, "Talk to an agent", _nothing, lambda app, fake, _: dm(app, CUSTOMER, "hello")),
    "the queue notice": Kind(
        DM, False, "in the queue; I'll let you know", _nothing, lambda app, fake, _: dm(app, CUSTOMER, "agent please")
    ),
    "the ticket message": Kind(
        SUPPORT_CHANNEL, False, "Support request", _nothing, lambda app, fake, _: dm(app, CUSTOMER, "agent please")
    ),
    "the still-waiting notice": Kind(
        DM, False, "You are still waiting", _waiting, lambda app, fake, _: dm(app, CUSTOMER, "order 4411")
    ),
    "the left-the-queue notice": Kind(
        DM, False, "you've left the queue", _waiting, lambda app, fake, _: dm(app, CUSTOMER, "never mind")
    ),
    "the connected notice": Kind(
        DM, False, "You are now talking with", _waiting, lambda app, fake, ticket: claim(app, fake, AGENT, ticket)
    ),
    "the claimed note": Kind(
        SUPPORT_CHANNEL,
        True,
        "claimed this ticket",
        _waiting,
        lambda app, fake, ticket: claim(app, fake, AGENT, ticket),
    ),
    "the closing notice": Kind(
        DM, False, "has closed this conversation", _connected, lambda app, fake, t: press_close(app, fake, AGENT, t)
    ),
    "the closed note": Kind(
        SUPPORT_CHANNEL, True, "closed this ticket", _connected, lambda app, fake, t: press_close(app, fake, AGENT, t)
    ),
    "the satisfaction survey": Kind(
        DM, False, "How did we do?", _connected, lambda app, fake, t: press_close(app, fake, AGENT, t)
    ),
    "the rating note": Kind(SUPPORT_CHANNEL, True, "rated this conversation", _surveyed, _rate),
    "the undelivered warning": Kind(
        SUPPORT_CHANNEL, True, "could not be delivered to the customer", _connected, _undeliverable_reply
    ),
    "the proposal": Kind(
        SUPPORT_CHANNEL, False, "Proposed answer", _asked_about_the_wifi, _answer_the_wifi_question, SUPERVISED
    ),
    "the checking note": Kind(
        DM, False, "check my answer with a colleague", _asked_about_the_wifi, _answer_the_wifi_question, SUPERVISED
    ),
    "the approved answer": Kind(DM, False, ANSWER, _proposed, _approve, SUPERVISED),
}


def _arm_500_after_taking(fake: FakeSlack, kind: Kind) -> None:
    fake.fail_when(POST, kind.matches, status=500, after_handling=True)


def _arm_late_answer(fake: FakeSlack, kind: Kind) -> None:
    fake.delay_when(POST, kind.matches, CLIENT_TIMEOUT + 1.5, after_handling=True)


def _arm_429(fake: FakeSlack, kind: Kind) -> None:
    fake.fail_when(POST, kind.matches, status=429, retry_after=1)


def _arm_500_before_taking(fake: FakeSlack, kind: Kind) -> None:
    fake.fail_when(POST, kind.matches, status=500, count=2)


FAULTS = {
    "500 after Slack took it": _arm_500_after_taking,
    "an answer later than the client waits": _arm_late_answer,
    "429 with Retry-After": _arm_429,
    "500s before Slack took it": _arm_500_before_taking,
}


def config_for(request: pytest.FixtureRequest) -> str:
    """The bot's YAML file the test's kind of message needs (the plain one without a kind)."""
    callspec = getattr(request.node, "callspec", None)
    kind = KINDS.get(callspec.params.get("kind_name", "")) if callspec is not None else None
    return kind.config if kind is not None else PLAIN_HANDOFF_CONFIG


@pytest.fixture
def quick_app(request: pytest.FixtureRequest, fake_slack: FakeSlack, sqlite_url: str) -> Iterator[AppUnderTest]:
    """The app with a client that gives up on Slack after CLIENT_TIMEOUT seconds."""
    settings = settings_for(
        fake_slack, sqlite_url, HANDOFF_SLACK_TIMEOUT_SECONDS=str(CLIENT_TIMEOUT), HANDOFF_CONFIG=config_for(request)
    )
    running = AppUnderTest(settings).start()
    try:
        yield running
    finally:
        running.stop()


def shown(fake: FakeSlack, kind: Kind) -> list[dict[str, Any]]:
    """The messages of this kind people see in Slack now (the fake's channel, threads included)."""
    return [
        m
        for m in fake.messages(kind.channel)
        if bool(m.get("thread_ts")) == kind.in_thread
        and kind.marker in (m.get("text") or "") + block_text(m.get("blocks"))
    ]


def settled(app: AppUnderTest) -> bool:
    """Nothing of the bot's is left to send: every notice delivered (or dropped), every ticket posted."""
    notices_done = all(row.delivery_state != "pending" for row in stored_notices(app))
    tickets_posted = all(ticket.message_ts is not None for ticket in stored_tickets(app))
    return notices_done and tickets_posted


def check_shown_once(
    app: AppUnderTest, fake: FakeSlack, kind_name: str, arm: Callable[[FakeSlack, Kind], None]
) -> None:
    kind = KINDS[kind_name]
    context = kind.before(app, fake)
    arm(fake, kind)
    kind.act(app, fake, context)
    wait_until(lambda: fake.targeted_faults_left(POST) == 0, timeout=10, message="the fault to be met")
    wait_until(
        # The fake's own state first: the database is read only once Slack has nothing in hand (polled
        # every 10 ms through a held answer, reading it cost about 0.3 s of CPU per test).
        lambda: len(shown(fake, kind)) >= 1 and fake.answers_pending(POST) == 0 and settled(app),
        timeout=20,
        message=f"{kind_name} to be shown and everything sent",
    )
    assert len(shown(fake, kind)) == 1, fake.dump()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("kind_name", KINDS)
def test_each_bot_message_is_shown_once_whatever_slack_answers(
    quick_app: AppUnderTest, fake_slack: FakeSlack, kind_name: str, fault: str
) -> None:
    check_shown_once(quick_app, fake_slack, kind_name, FAULTS[fault])


@pytest.mark.postgres
@pytest.mark.parametrize(
    "kind_name",
    [
        "the queue notice",
        "the ticket message",
        "the connected notice",
        "the proposal",
        "the checking note",
        "the approved answer",
    ],
)
def test_bot_messages_are_shown_once_after_a_500_on_postgresql(
    fake_slack: FakeSlack, postgres_database_url: str, kind_name: str
) -> None:
    config = KINDS[kind_name].config
    running = AppUnderTest(settings_for(fake_slack, postgres_database_url, HANDOFF_CONFIG=config)).start()
    try:
        check_shown_once(running, fake_slack, kind_name, _arm_500_after_taking)
    finally:
        running.stop()


# -- the app dies while Slack takes the post ----------------------------------------------------------


@dataclass(frozen=True)
class Afterwards:
    """After the restart: something the app sends later to the same place, which proves the kind settled."""

    act: Callable[[AppProcess, FakeSlack, TicketPost | None], None]
    channel: str
    marker: str
    timeout: float = 15  # seconds to wait for it after the restart


def _customer_writes_again(app: AppProcess, fake: FakeSlack, ticket: TicketPost | None) -> None:
    dm(app, CUSTOMER, "order 4411")  # type: ignore[arg-type]  # anything with a signed sender


def _agent_writes(app: AppProcess, fake: FakeSlack, ticket: TicketPost | None) -> None:
    assert ticket is not None
    agent_reply(app, AGENT, ticket, "hello from Alice")  # type: ignore[arg-type]


def _escalated(app: SlackEdge, fake: FakeSlack) -> TicketPost:
    return escalate_by_typing(app, fake, CUSTOMER)  # type: ignore[arg-type]


DIES_DURING: dict[str, tuple[Callable[[SlackEdge, FakeSlack], Any] | None, Afterwards]] = {
    "the queue notice": (None, Afterwards(_customer_writes_again, DM, "You are still waiting")),
    "the connected notice": (_escalated, Afterwards(_agent_writes, DM, "hello from Alice")),
    # The customer's next message goes to the proposal's thread, once the repair job (it leaves a new
    # ticket's message to its first post for two Slack timeouts: see SIGKILL_SLACK_TIMEOUT) has posted it.
    "the proposal": (
        _asked_about_the_wifi,
        Afterwards(_customer_writes_again, SUPPORT_CHANNEL, "order 4411", timeout=30),
    ),
    "the checking note": (_asked_about_the_wifi, Afterwards(_customer_writes_again, DM, "still checking")),
    # Back with the bot after the answer: it does not know "order 4411".
    "the approved answer": (_proposed, Afterwards(_customer_writes_again, DM, "Sorry, I can't help with that")),
}


@pytest.mark.slow
@pytest.mark.parametrize("slack_took_it", [True, False], ids=["Slack took the post", "Slack was failing"])
@pytest.mark.parametrize("kind_name", DIES_DURING)
def test_a_bot_message_in_flight_when_the_app_is_killed_is_shown_once_after_the_restart(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path, kind_name: str, slack_took_it: bool
) -> None:
    kind = KINDS[kind_name]
    before, afterwards = DIES_DURING[kind_name]
    app_process = AppProcess(
        fake_slack,
        database_url,
        tmp_path,
        HANDOFF_CONFIG=kind.config,
        HANDOFF_SLACK_TIMEOUT_SECONDS=str(SIGKILL_SLACK_TIMEOUT),
    ).start()
    try:
        ticket = before(app_process, fake_slack) if before is not None else None
        dies_and_restarts(app_process, fake_slack, kind, afterwards, ticket, slack_took_it)
    finally:
        app_process.stop()


def dies_and_restarts(
    app_process: AppProcess,
    fake_slack: FakeSlack,
    kind: Kind,
    afterwards: Afterwards,
    ticket: TicketPost | None,
    slack_took_it: bool,
) -> None:
    """`kind`'s post in flight when the app is SIGKILLed; after the restart it is there once."""
    if slack_took_it:  # ... but its answer is held back: the app dies not knowing
        fake_slack.delay_when(POST, kind.matches, 5, after_handling=True)
    else:  # Slack answers 500 to every try until the app dies
        fake_slack.fail_when(POST, kind.matches, status=500, count=1000)
    kind.act(app_process, fake_slack, ticket)  # type: ignore[arg-type]
    if slack_took_it:
        wait_until(lambda: len(shown(fake_slack, kind)) == 1, message=f"Slack to take {kind.marker!r}")
    else:
        wait_until(lambda: fake_slack.targeted_faults_left(POST) < 1000, message=f"the app to try {kind.marker!r}")
    app_process.kill()
    fake_slack.heal()
    app_process.start()  # same database: the delivery retry at start-up sends it, or finds the post Slack took

    afterwards.act(app_process, fake_slack, ticket)
    wait_until(
        lambda: any(afterwards.marker in (m.get("text") or "") for m in fake_slack.messages(afterwards.channel)),
        timeout=afterwards.timeout,
        message="what was sent after it (the conversation's messages go in order)",
    )
    assert len(shown(fake_slack, kind)) == 1, fake_slack.dump()


# -- a notice that is no longer true is not sent late ----------------------------------------------------


def test_a_queue_notice_slack_could_not_take_is_dropped_once_the_customer_is_connected(
    quick_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app, queue_notice = quick_app, KINDS["the queue notice"]
    fake_slack.fail_when(POST, queue_notice.matches, status=500, count=1000)  # Slack refuses it for now
    dm(app, CUSTOMER, "agent please")
    ticket = ticket_message_recorded(app, wait_for_new_ticket(fake_slack, 0))
    wait_until(lambda: fake_slack.targeted_faults_left(POST) < 1000, message="the queue notice to be tried")

    claim(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")
    fake_slack.heal()  # Slack would take it now: too late, it is no longer true
    wait_until(lambda: settled(app), message="every notice sent or dropped")

    assert shown(fake_slack, queue_notice) == []
    states = {row.notice["kind"]: row.delivery_state for row in stored_notices(app)}
    assert states["queued"] == "dropped" and states["connected"] == "delivered"
