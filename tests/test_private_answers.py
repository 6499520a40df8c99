"""Answers only the acting person sees, when the payload's response_url fails.

Before, a refused or unreachable response_url left the person without an answer and the operator
without a trace (slack_sdk logs it at DEBUG). Now the failure is a WARNING (no text, no URL) and
the answer arrives as chat.postEphemeral to the same person in the payload's channel.
"""

from __future__ import annotations

import logging

import pytest

from handoff_slack.blocks.action_ids import CLAIM_TICKET, CLOSE_TICKET
from handoff_slack.listeners.commands.handoff_queue import REFUSAL
from tests.conftest import AGENT, CUSTOMER, OUTSIDER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import block_text, told_in_thread, waiting_ticket
from tests.support.waiting import wait_until

LOGGER = "handoff_slack.listeners.private_answers"


def ephemeral_to(fake: FakeSlack, user: str, channel: str) -> Call:
    return fake.wait_for(
        "chat.postEphemeral", lambda c: c.params.get("user") == user and c.params.get("channel") == channel
    )[0]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_the_queue_arrives_as_an_ephemeral_message_when_the_response_url_fails(
    app: AppUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    waiting_ticket(app, fake_slack, CUSTOMER, "I need a human, my secret is hunter2")
    url = fake_slack.response_url("queue")
    fake_slack.fail("response_url:queue", 500)

    reply = app.slack.slash_command("/handoff-queue", "", AGENT, SUPPORT_CHANNEL, url)

    assert reply.status == 200
    answer = ephemeral_to(fake_slack, AGENT, SUPPORT_CHANNEL)
    assert "Waiting tickets: 1" in answer.params["text"]
    assert "Waiting tickets: 1" in block_text(answer.params["blocks"])
    [warning] = warnings_of(caplog)
    assert "HTTP 500" in warning.getMessage()
    assert url not in warning.getMessage() and "Waiting" not in warning.getMessage()


def test_a_refusal_arrives_when_the_response_url_is_unreachable(
    app: AppUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unreachable = "http://127.0.0.1:9/response/gone"  # the discard port: nothing listens
    # Slack refuses an ephemeral message to someone outside the channel: the outsider asks where they are.
    fake_slack.set_members("CLOBBY", [OUTSIDER])

    app.slack.slash_command("/handoff-queue", "", OUTSIDER, "CLOBBY", unreachable)

    assert ephemeral_to(fake_slack, OUTSIDER, "CLOBBY").params["text"] == REFUSAL
    assert any("response_url" in r.getMessage() for r in warnings_of(caplog))


def test_a_buttons_answer_arrives_when_the_response_url_fails(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    # The agent check refuses an outsider (listeners/agent_check.py) ...
    fake_slack.fail("response_url:claim", 404, error="expired_url")
    app.slack.block_action(
        OUTSIDER,
        CLAIM_TICKET,
        str(ticket.ticket_id),
        channel_id=SUPPORT_CHANNEL,
        message_ts=ticket.ts,
        response_url=fake_slack.response_url("claim"),
    )
    # Slack refuses an ephemeral message for someone outside the channel: the answer goes to their DM.
    [in_dm] = fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == OUTSIDER)
    assert "can claim tickets" in in_dm.params["text"]

    # ... and `tell` answers a button that names no ticket (listeners/payloads.py).
    fake_slack.fail("response_url:close", 500)
    app.slack.block_action(
        AGENT,
        CLOSE_TICKET,
        "nope",
        channel_id=SUPPORT_CHANNEL,
        message_ts=ticket.ts,
        response_url=fake_slack.response_url("close"),
    )
    assert "nothing was closed" in ephemeral_to(fake_slack, AGENT, SUPPORT_CHANNEL).params["text"]


def test_a_working_response_url_needs_no_fallback(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    app.slack.slash_command("/handoff-queue", "", AGENT, SUPPORT_CHANNEL, fake_slack.response_url("queue"))
    fake_slack.wait_for("response_url:queue")
    # A later answer proves the app finished the first one; still no ephemeral message.
    app.slack.slash_command("/handoff-queue", "", OUTSIDER, SUPPORT_CHANNEL, fake_slack.response_url("later"))
    fake_slack.wait_for("response_url:later")
    fake_slack.assert_no_call("chat.postEphemeral")


def test_when_the_ephemeral_fallback_fails_too_the_operator_sees_both(
    app: AppUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.fail("response_url:queue", 500)
    fake_slack.fail("chat.postEphemeral", 200, error="restricted_action")

    app.slack.slash_command("/handoff-queue", "", AGENT, SUPPORT_CHANNEL, fake_slack.response_url("queue"))

    wait_until(lambda: len(warnings_of(caplog)) == 2, message="two warnings")
    assert "restricted_action" in warnings_of(caplog)[1].getMessage()
    assert [c.status for c in fake_slack.calls("chat.postEphemeral")] == [200]  # tried once, refused


def test_a_press_in_a_thread_is_answered_in_that_thread(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    """Slack shows a response_url's ephemeral answer at the channel's top level, away from a button
    pressed in a thread (slackapi/bolt-js#963): such a press is answered with chat.postEphemeral in
    its thread; someone outside the channel still gets their DM, and the response_url stays the
    last resort."""
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    note = fake_slack.record_post(AGENT, SUPPORT_CHANNEL, "a message in the ticket's thread", thread_ts=ticket.ts)

    def press(user: str, action_id: str, value: str, url: str) -> None:
        reply = app.slack.block_action(
            user,
            action_id,
            value,
            channel_id=SUPPORT_CHANNEL,
            message_ts=note["ts"],
            thread_ts=ticket.ts,
            response_url=fake_slack.response_url(url),
        )
        assert reply.status == 200, reply

    press(AGENT, CLOSE_TICKET, "nope", "in-thread")
    assert "nothing was closed" in told_in_thread(fake_slack, AGENT, SUPPORT_CHANNEL, ticket.ts)["text"]

    press(OUTSIDER, CLAIM_TICKET, str(ticket.ticket_id), "outsider")  # not in the channel: their DM
    [in_dm] = fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == OUTSIDER)
    assert "can claim tickets" in in_dm.params["text"]

    # The ticket message itself, a thread's root, is at the top level: Slack gives it its own ts as
    # thread_ts once it has replies, and the response_url's answer shows right there.
    root = {"ts": ticket.ts, "thread_ts": ticket.ts, "reply_count": 1, "text": ""}
    app.slack.block_action(
        AGENT,
        CLOSE_TICKET,
        "nope",
        channel_id=SUPPORT_CHANNEL,
        message_ts=ticket.ts,
        message=root,
        response_url=fake_slack.response_url("on-the-root"),
    )
    assert "nothing was closed" in fake_slack.wait_for("response_url:on-the-root")[0].params["text"]

    fake_slack.fail("chat.postEphemeral", 200, error="restricted_action")
    press(AGENT, CLOSE_TICKET, "nope", "last-resort")
    assert "nothing was closed" in fake_slack.wait_for("response_url:last-resort")[0].params["text"]
    assert fake_slack.calls("response_url:in-thread") == fake_slack.calls("response_url:outsider") == []
