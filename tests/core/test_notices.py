"""The bot's notices as plain values: stored as JSON, true while their ticket is where they say."""

from __future__ import annotations

import pytest

from handoff_slack.core.bot import Button, ButtonAction, Reply, ReplyKind
from handoff_slack.core.notices import Notice, NoticeKind, replaced, still_true
from handoff_slack.core.states import TicketState


def test_a_bot_reply_survives_its_trip_through_the_database() -> None:
    reply = Reply(
        ReplyKind.MENU,
        "How can I help?",
        (Button("Billing", ButtonAction.SCENARIO, "billing"), Button("Talk to an agent", ButtonAction.TALK_TO_AGENT)),
    )
    stored = Notice.from_json(Notice.bot_reply(reply).to_json())
    assert stored.kind is NoticeKind.BOT_REPLY and stored.reply() == reply


@pytest.mark.parametrize(
    ("notice", "true_while"),
    [
        (Notice.queued(3, 7), {TicketState.WAITING}),
        (Notice.still_waiting(2, 7), {TicketState.WAITING}),
        (Notice.still_checking(7), {TicketState.PROPOSED}),
        (Notice.connected("Alice"), {TicketState.CONNECTED}),
        (Notice.already_connected("Alice"), {TicketState.CONNECTED}),
        (Notice.claimed_note("UALICE"), {TicketState.CONNECTED, TicketState.CLOSED}),
        (Notice.closed("Alice"), set(TicketState)),
        (Notice(NoticeKind.LEFT_QUEUE), set(TicketState)),
    ],
)
def test_a_notice_is_sent_only_while_it_is_true(notice: Notice, true_while: set[TicketState]) -> None:
    assert {state for state in TicketState if still_true(notice, state)} == true_while


def test_a_still_waiting_notice_is_replaced_by_a_newer_one_that_says_otherwise() -> None:
    pending = [
        (1, 7, Notice.queued(3, 7)),
        (2, 7, Notice.still_waiting(3, 7)),
        (3, 7, Notice.still_waiting(3, 7)),  # the same: both are still true
        (4, 8, Notice.still_waiting(5, 8)),  # another ticket's
        (5, 7, Notice.still_waiting(2, 7)),
    ]
    assert replaced(pending) == {2, 3}
