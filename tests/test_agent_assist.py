"""Agent assist through the Slack edge: a connected customer's message that matches a fixed answer
gets a suggested reply in the ticket's thread, which reaches the customer only through the owning
agent's Send (or Edit, then send), once. SQLite and PostgreSQL; two replicas on PostgreSQL.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import ASSIST_EDIT, ASSIST_EDIT_FORM, ASSIST_REPLY, ASSIST_SEND
from handoff_slack.config.load import bot_config_from_text
from handoff_slack.config_file import ConfigError
from handoff_slack.core.bot_config import AssistMode
from handoff_slack.core.notices import Notice, NoticeKind, still_true
from handoff_slack.core.states import Direction, TicketState
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    agent_says,
    block_text,
    claim_and_wait,
    connected_ticket,
    customer_says,
    dm,
    dm_posts,
    press_close,
    stored_messages,
    stored_notices,
    stored_tickets,
    thread_posts,
    told_in_thread,
    wait_for_dm,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_claim_race import released_together

HOURS = "We're open *9:00 to 17:00*, Monday to Friday."
CONFIG: dict[str, Any] = {
    "scenarios": [
        {
            "id": "opening_hours",
            "title": "Opening hours",
            "triggers": ["opening hours", "when are you open"],
            "answer": HOURS,
        },
        {
            "id": "password_reset",
            "title": "Reset my password",
            "triggers": ["forgot my password", "reset my password"],
            "steps": [
                {"id": "email", "ask": "Your e-mail?", "goto": "done"},
                {"id": "done", "answer": "A reset link is on its way to {email}."},
            ],
        },
        {
            "id": "refund",
            "title": "Refunds",
            "triggers": ["i want a refund"],
            "answer": "A colleague handles refunds.",
            "escalate": True,
        },
    ],
    "triage": {"mode": "off"},
    "escalation": {"no_match_limit": 0, "frustration": {"action": "off"}},
}
SUGGESTED = "Suggested reply"

AppFactory = Callable[..., AppUnderTest]


def write_config(tmp_path: Path, name: str, **top: Any) -> str:
    config = copy.deepcopy(CONFIG)
    config.update(top)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture
def assist_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """Starts the app with CONFIG (plus top-level keys such as `assist`)."""
    started: list[AppUnderTest] = []

    def start(**top: Any) -> AppUnderTest:
        path = write_config(tmp_path, f"bot-{len(started)}.yaml", **top)
        app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=path)).start()
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            app.stop()


# -- helpers ------------------------------------------------------------------------------------------


def suggestions(fake: FakeSlack, ticket: TicketPost) -> list[Call]:
    return [c for c in thread_posts(fake, ticket) if SUGGESTED in block_text(c.params.get("blocks"))]


def wait_for_suggestion(fake: FakeSlack, ticket: TicketPost, count: int = 1) -> Call:
    wait_until(lambda: len(suggestions(fake, ticket)) >= count, message=f"suggestion {count} in the thread")
    return suggestions(fake, ticket)[count - 1]


def suggestion_id(suggestion: Call) -> str:
    buttons = [e for b in suggestion.params["blocks"] if b.get("type") == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ASSIST_SEND, ASSIST_EDIT]
    assert buttons[0]["value"] == buttons[1]["value"]
    return str(buttons[0]["value"])


def press(
    app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, suggestion: Call, name: str, trigger_id: str = "trig"
) -> Answer:
    """`user` presses a button of the suggestion, in the ticket's thread (Slack says so in the
    payload's container); where its answer only they see will be (in that thread, not via the
    response_url, which Slack would show at the channel's top level)."""
    thread = str(suggestion.params["thread_ts"])
    before = len(answers_in_thread(fake, user, thread))
    reply = app.slack.block_action(
        user,
        action_id,
        suggestion_id(suggestion),
        channel_id=SUPPORT_CHANNEL,
        message_ts=suggestion.response["ts"],
        thread_ts=thread,
        response_url=fake.response_url(name),
        trigger_id=trigger_id,
    )
    assert reply.status == 200, reply
    return Answer(user, thread, before + 1)


@dataclass(frozen=True)
class Answer:
    user: str
    thread: str
    number: int  # the user's how-many-th answer in the thread


def answers_in_thread(fake: FakeSlack, user: str, thread: str) -> list[str]:
    """What only `user` was told in the ticket's thread, oldest first."""
    return [str(e["text"]) for e in fake.ephemerals(user, SUPPORT_CHANNEL) if e.get("thread_ts") == thread]


def told(fake: FakeSlack, answer: Answer) -> str:
    assert not [c for c in fake.calls() if c.method.startswith("response_url:")], "answered at the top level"
    return str(told_in_thread(fake, answer.user, SUPPORT_CHANNEL, answer.thread, answer.number)["text"])


def updates_of(fake: FakeSlack, suggestion: Call) -> list[str]:
    return [
        block_text(c.params.get("blocks"))
        for c in fake.calls("chat.update", channel=SUPPORT_CHANNEL)
        if c.ok and c.params.get("ts") == suggestion.response["ts"]
    ]


def wait_for_update(fake: FakeSlack, suggestion: Call, contains: str) -> dict[str, Any]:
    found = fake.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == suggestion.response["ts"] and contains in block_text(c.params.get("blocks")),
    )
    return found[-1].params


def sent_to_customer(fake: FakeSlack, text: str) -> list[Call]:
    return dm_posts(fake, CUSTOMER, text)


def agents_replies(app: AppUnderTest) -> list[Any]:
    return [m for m in stored_messages(app) if m.direction == Direction.FROM_AGENT]


def settle(app: AppUnderTest, fake: FakeSlack, ticket: TicketPost, word: str) -> None:
    """The agent's reply reaches the customer: whatever the outbox held before it went first."""
    agent_says(app, fake, AGENT, ticket, word)


# -- the suggestion -------------------------------------------------------------------------------------


def test_a_matching_message_gets_a_suggestion_in_the_thread_that_the_customer_never_sees(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    asked = customer_says(app, fake_slack, CUSTOMER, ticket, "hi, what are your opening hours?")
    suggestion = wait_for_suggestion(fake_slack, ticket)

    posts = thread_posts(fake_slack, ticket)
    assert posts.index(suggestion) == posts.index(asked) + 1  # right after the customer's message
    shown = block_text(suggestion.params["blocks"])
    assert "9:00 to 17:00" in shown and f"<@{AGENT}>" in shown and "Opening hours" in shown
    assert suggestion.params.get("username") is None  # the bot's own post, not a relayed one
    assert int(suggestion_id(suggestion)) > 0

    settle(app, fake_slack, ticket, "Let me check that for you.")
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if "9:00" in c.params["text"]] == []
    assert [m.text for m in agents_replies(app)] == ["Let me check that for you."]
    assert len(suggestions(fake_slack, ticket)) == 1


def test_no_suggestion_with_the_bot_while_waiting_for_notes_and_for_other_messages(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = assist_app()
    dm(app, CUSTOMER, "opening hours")  # with the bot: the bot answers it itself
    wait_for_dm(fake_slack, CUSTOMER, "9:00 to 17:00")
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    dm(app, CUSTOMER, "when are you open?")  # waiting: kept for the agent, no suggestion
    wait_for_dm(fake_slack, CUSTOMER, "passed", count=1)
    claim_and_wait(app, fake_slack, AGENT, ticket)

    agent_reply(app, AGENT, ticket, "note: they asked about opening hours")  # internal note
    agent_reply(app, AGENT_2, ticket, "opening hours are on the website")  # another agent: internal
    agent_says(app, fake_slack, AGENT, ticket, "Our opening hours are on the website.")  # the owner's reply
    customer_says(app, fake_slack, CUSTOMER, ticket, "thanks, and where do I find my invoice?")  # no match
    customer_says(app, fake_slack, CUSTOMER, ticket, "i forgot my password")  # a scenario with questions
    customer_says(app, fake_slack, CUSTOMER, ticket, "i want a refund")  # an answer that hands over
    customer_says(app, fake_slack, CUSTOMER, ticket, "opening hours please")
    suggestion = wait_for_suggestion(fake_slack, ticket)

    # The outbox delivers a conversation's messages in order: any earlier suggestion came first.
    assert suggestions(fake_slack, ticket) == [suggestion]
    posts = thread_posts(fake_slack, ticket)
    assert posts[posts.index(suggestion) - 1].params["text"] == "opening hours please"


def test_assist_off_suggests_nothing(assist_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = assist_app(assist="off")
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "what are your opening hours?")
    settle(app, fake_slack, ticket, "One moment.")
    customer_says(app, fake_slack, CUSTOMER, ticket, "ok")

    assert suggestions(fake_slack, ticket) == []
    assert app.helpdesk.assists is False


# -- Send ---------------------------------------------------------------------------------------------------


def test_send_relays_the_suggestion_once_as_the_agent_even_when_clicked_twice(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "when are you open?")
    suggestion = wait_for_suggestion(fake_slack, ticket)

    answers = released_together(2, lambda i: press(app, fake_slack, AGENT, ASSIST_SEND, suggestion, name=f"send-{i}"))

    relayed = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == f"D{CUSTOMER}" and "9:00" in c.params["text"]
    )
    agent_name = stored_tickets(app)[0].agent_name
    assert relayed[0].params["username"] == agent_name  # shown as the agent's own reply
    update = wait_for_update(fake_slack, suggestion, "sent this reply")
    assert f"<@{AGENT}> sent this reply to the customer" in block_text(update["blocks"])
    assert action_ids(update["blocks"]) == []  # the buttons are gone
    assert told(fake_slack, answers[0]) == f"This suggested reply was already sent by <@{AGENT}>."  # the loser's
    assert len(answers_in_thread(fake_slack, AGENT, answers[0].thread)) == 1

    settle(app, fake_slack, ticket, "Anything else?")
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "9:00" in c.params["text"]]) == 1
    replies = [m for m in agents_replies(app) if "9:00" in m.text]
    assert len(replies) == 1
    assert replies[0].text == HOURS and replies[0].author_user_id == AGENT
    assert replies[0].source_ts == f"suggestion-{suggestion_id(suggestion)}"
    assert len(updates_of(fake_slack, suggestion)) == 1


def test_the_suggestion_shows_it_was_sent_even_when_slack_first_refuses_the_update(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    """The update goes the outbox's durable road: refused now, it is made by the delivery retry."""
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "opening hours?")
    suggestion = wait_for_suggestion(fake_slack, ticket)
    fake_slack.fail_when(
        "chat.update", lambda p: p.get("ts") == suggestion.response["ts"], status=200, error="fatal_error", count=2
    )

    press(app, fake_slack, AGENT, ASSIST_SEND, suggestion, name="send")

    fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == f"D{CUSTOMER}" and "9:00" in c.params["text"]
    )
    update = wait_for_update(fake_slack, suggestion, "sent this reply")
    assert action_ids(update["blocks"]) == []
    assert len([c for c in fake_slack.calls("chat.update") if c.params.get("ts") == suggestion.response["ts"]]) > 1
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "9:00" in c.params["text"]]) == 1


def test_only_the_owning_agent_may_send_or_edit(assist_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "opening hours?")
    suggestion = wait_for_suggestion(fake_slack, ticket)

    refused = press(app, fake_slack, AGENT_2, ASSIST_SEND, suggestion, name="other-send")
    assert told(fake_slack, refused) == f"Only <@{AGENT}>, who has this ticket, can send this suggested reply."
    refused = press(
        app,
        fake_slack,
        AGENT_2,
        ASSIST_EDIT,
        suggestion,
        name="other-edit",
        trigger_id=fake_slack.issue_trigger(AGENT_2),
    )
    assert "Only <@" in told(fake_slack, refused)
    submitted = app.slack.view_submission(
        AGENT_2, ASSIST_EDIT_FORM, {ASSIST_REPLY: {ASSIST_REPLY: "sneaky"}}, private_metadata=suggestion_id(suggestion)
    )
    assert submitted.json()["response_action"] == "errors"
    fake_slack.assert_no_call("views.open")
    assert updates_of(fake_slack, suggestion) == []

    press(app, fake_slack, AGENT, ASSIST_SEND, suggestion, name="owner-send")  # the owner still can
    fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == f"D{CUSTOMER}" and "9:00" in c.params["text"]
    )
    assert [m.author_user_id for m in agents_replies(app)] == [AGENT]


def test_a_suggestion_after_the_ticket_closed_sends_nothing(assist_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "what are your opening hours")
    suggestion = wait_for_suggestion(fake_slack, ticket)
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "closed")

    stale = press(app, fake_slack, AGENT, ASSIST_SEND, suggestion, name="late-send")
    assert "no longer applies" in told(fake_slack, stale)
    update = wait_for_update(fake_slack, suggestion, "not sent")
    assert action_ids(update["blocks"]) == []
    edited = app.slack.view_submission(
        AGENT, ASSIST_EDIT_FORM, {ASSIST_REPLY: {ASSIST_REPLY: "late"}}, private_metadata=suggestion_id(suggestion)
    )
    assert "no longer applies" in edited.json()["errors"][ASSIST_REPLY]

    assert agents_replies(app) == []
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if "9:00" in c.params["text"] or c.params["text"] == "late"] == []


# -- Edit ---------------------------------------------------------------------------------------------------


def test_edit_opens_the_suggestion_in_a_modal_and_sends_the_edited_text(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = assist_app()
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "opening hours")
    suggestion = wait_for_suggestion(fake_slack, ticket)

    press(app, fake_slack, AGENT, ASSIST_EDIT, suggestion, name="edit", trigger_id=fake_slack.issue_trigger(AGENT))
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == ASSIST_EDIT_FORM
    box = next(b for b in view["blocks"] if b["type"] == "input")
    assert box["element"]["initial_value"] == HOURS
    assert fake_slack.open_views(AGENT)  # the agent has it in front of them

    edited = "We're open 9:00 to 17:00, and till 20:00 on Thursdays."
    submitted = app.slack.view_submission(
        AGENT, ASSIST_EDIT_FORM, {ASSIST_REPLY: {ASSIST_REPLY: edited}}, private_metadata=view["private_metadata"]
    )
    assert (submitted.status, submitted.body) == (200, "")

    assert (
        len(
            fake_slack.wait_for(
                "chat.postMessage", lambda c: c.params.get("channel") == f"D{CUSTOMER}" and c.params["text"] == edited
            )
        )
        == 1
    )
    update = wait_for_update(fake_slack, suggestion, "after editing it")
    assert "till 20:00" in block_text(update["blocks"]) and action_ids(update["blocks"]) == []
    again = press(app, fake_slack, AGENT, ASSIST_SEND, suggestion, name="send-after-edit")
    assert "already sent" in told(fake_slack, again)
    settle(app, fake_slack, ticket, "Done.")
    assert [m.text for m in agents_replies(app)] == [edited, "Done."]
    facts = next(n.notice for n in stored_notices(app) if n.notice["kind"] == "suggestion")
    assert (facts["text"], facts["sent_text"], facts["sent_by"]) == (HOURS, edited, AGENT)  # both versions kept
    assert sent_to_customer(fake_slack, HOURS) == []


# -- two replicas -------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_send_pressed_on_two_replicas_at_once_relays_once(
    fake_slack: FakeSlack, postgres_database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(fake_slack, postgres_database_url, HANDOFF_CONFIG=write_config(tmp_path, "bot.yaml"))
    first = AppUnderTest(settings).start()
    second = AppUnderTest(settings)
    try:
        second.start()
        ticket = connected_ticket(first, fake_slack, CUSTOMER, AGENT)
        customer_says(first, fake_slack, CUSTOMER, ticket, "when are you open")
        suggestion = wait_for_suggestion(fake_slack, ticket)

        replicas = [first, second] * 5
        answers = released_together(
            len(replicas), lambda i: press(replicas[i], fake_slack, AGENT, ASSIST_SEND, suggestion, name=f"r{i}")
        )

        thread = answers[0].thread
        told_in_thread(fake_slack, AGENT, SUPPORT_CHANNEL, thread, len(answers) - 1)  # every losing click's answer
        losers = answers_in_thread(fake_slack, AGENT, thread)
        assert len(losers) == len(answers) - 1 and all("already sent" in t for t in losers), losers
        wait_for_update(fake_slack, suggestion, "sent this reply")
        settle(first, fake_slack, ticket, "Anything else?")
        assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "9:00" in c.params["text"]]) == 1
        assert len([m for m in agents_replies(first) if "9:00" in m.text]) == 1
    finally:
        second.stop()
        first.stop()


# -- configuration --------------------------------------------------------------------------------------------


def test_assist_is_on_by_default_and_takes_on_or_off() -> None:
    assert bot_config_from_text("greeting: Hi\n", "bot.yaml").assist is AssistMode.ON
    assert bot_config_from_text("assist: off\n", "bot.yaml").assist is AssistMode.OFF
    assert bot_config_from_text("assist: on\n", "bot.yaml").assist is AssistMode.ON
    with pytest.raises(ConfigError) as raised:
        bot_config_from_text("greeting: Hi\nassist: sometimes\n", "bot.yaml")
    assert "line 2" in str(raised.value) and "assist" in str(raised.value) and "on, off" in str(raised.value)


def test_a_suggestion_is_worth_posting_only_while_its_ticket_is_connected() -> None:
    notice = Notice(NoticeKind.SUGGESTION, {"text": HOURS})
    assert {state for state in TicketState if still_true(notice, state)} == {TicketState.CONNECTED}


# -- a diagnosis from the customer's words ----------------------------------------------------------------

WIFI: dict[str, Any] = {
    "id": "wifi",
    "title": "Wi-Fi trouble",
    "triggers": ["wifi not working"],
    "steps": [
        {
            "id": "others",
            "ask": "Do other devices connect?",
            "choices": [{"label": "Yes", "goto": "cause"}, {"label": "No", "goto": "cause"}],
        },
        {
            "id": "cause",
            "diagnose": {
                "causes": [
                    {
                        "id": "outage",
                        "title": "The office network is down",
                        "when": {"others": "No"},
                        "answer": "The office network is down; we're on it.",
                    },
                    {
                        "id": "driver",
                        "title": "A network driver problem",
                        "when": {"others": "Yes"},
                        "said": ["driver"],
                        "answer": "Roll back the network driver, then restart.",
                    },
                ]
            },
        },
    ],
}


def test_a_diagnosis_sure_from_the_message_alone_is_suggested_with_its_cause(
    assist_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = assist_app(scenarios=[*CONFIG["scenarios"], WIFI])
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    customer_says(app, fake_slack, CUSTOMER, ticket, "wifi not working since the driver update")
    suggestion = wait_for_suggestion(fake_slack, ticket)
    shown = block_text(suggestion.params["blocks"])
    assert "Roll back the network driver" in shown
    assert "likely cause: A network driver problem (score 0.5; said “driver”)" in shown

    customer_says(app, fake_slack, CUSTOMER, ticket, "wifi not working at all")  # no cause is sure of that
    settle(app, fake_slack, ticket, "Checking.")
    assert len(suggestions(fake_slack, ticket)) == 1
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if "Roll back" in c.params["text"]] == []
