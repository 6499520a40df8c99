"""The bot's first line through the Slack edge: menus, scenarios, triage and the ways to escalate.

Each test runs the real app with its own YAML configuration (SQLite and PostgreSQL), drives it
with signed requests and asserts on what the fake Slack received.
"""

from __future__ import annotations

import copy
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff_slack.blocks.action_ids import BOT_FORM, TALK_TO_AGENT, TRIAGE_ANSWER, TRIAGE_FORM
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    block_text,
    claim_and_wait,
    dm_posts,
    posted_to,
    stored_messages,
    stored_tickets,
    ticket_posts,
    wait_for_dm,
    wait_for_new_ticket,
)
from tests.support.slack_requests import Reply, dm_message

BASE_CONFIG: dict[str, Any] = {
    "scenarios": [
        {
            "id": "password_reset",
            "title": "Reset my password",
            "triggers": ["forgot my password", "reset my password", "can't log in"],
            "steps": [
                {
                    "id": "has_email",
                    "ask": "Can you still read the e-mail on your account?",
                    "choices": [{"label": "Yes", "goto": "send_link"}, {"label": "No", "goto": "verify"}],
                },
                {"id": "send_link", "answer": "Use *Forgot password?* on the sign-in page."},
                {"id": "verify", "answer": "A colleague will verify who you are.", "escalate": True},
            ],
        },
        {
            "id": "order_status",
            "title": "Where is my order?",
            "triggers": ["where is my order", "order status", "track my order"],
            "steps": [
                {
                    "id": "order_number",
                    "ask": "What's your order number?",
                    "expect": {"pattern": r"#?\d{4,10}", "message": "Order numbers are 4 to 10 digits."},
                    "goto": "tracking",
                },
                {"id": "tracking", "answer": "Order {order_number} ships within 2 days."},
            ],
        },
        {"id": "opening_hours", "title": "Opening hours", "triggers": ["opening hours"], "answer": "9:00-17:00."},
    ],
    "triage": {
        "mode": "off",
        "intro": "A few quick questions first.",
        "questions": [
            {"id": "name", "label": "Name", "prompt": "What's your name?", "prefill": "profile_name"},
            {
                "id": "company",
                "label": "Company",
                "prompt": "Which company are you with?",
                "prefill": "organisation",
                "skippable": True,
            },
            {"id": "email", "label": "E-mail", "prompt": "Your e-mail address?", "validate": "email"},
            {"id": "problem", "label": "Problem", "prompt": "What's the problem?", "multiline": True},
        ],
    },
    "escalation": {"no_match_limit": 2, "frustration": {"action": "off"}},
}

AppFactory = Callable[..., AppUnderTest]


@pytest.fixture
def bot_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """Starts the app with BASE_CONFIG changed by `triage_mode`, `frustration`, ..."""
    started: list[AppUnderTest] = []

    def start(
        triage_mode: str = "off", frustration: str = "off", no_match_limit: int = 2, **settings: str
    ) -> AppUnderTest:
        config = copy.deepcopy(BASE_CONFIG)
        config["triage"]["mode"] = triage_mode
        config["escalation"] = {"no_match_limit": no_match_limit, "frustration": {"action": frustration}}
        path = tmp_path / f"bot-{len(started)}.yaml"
        path.write_text(yaml.safe_dump(config))
        app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(path), **settings)).start()
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            app.stop()


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.params.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


def button(call: Call, label: str) -> dict[str, Any]:
    found = [b for b in buttons(call) if b["text"]["text"] == label]
    assert found, f"no button {label!r} in {buttons(call)}"
    return found[0]


def press(app: AppUnderTest, user: str, pressed: dict[str, Any], trigger_id: str = "trig") -> None:
    """A click on ``pressed``; ``trigger_id`` from ``fake_slack.issue_trigger`` where the app opens a modal."""
    reply = app.slack.block_action(
        user,
        pressed["action_id"],
        pressed["value"],
        channel_id=f"D{user}",
        message_ts="1.0",
        team_id=team_of(user),
        trigger_id=trigger_id,
    )
    assert reply.status == 200, reply


def team_of(user: str) -> str:
    return EXTERNAL_TEAM if user == EXTERNAL_CUSTOMER else "T0HOME"


def say(app: AppUnderTest, user: str, text: str) -> None:
    reply = app.slack.event(dm_message(user, text, team=team_of(user)))
    assert reply.status == 200, reply


def asked(fake: FakeSlack, user: str, text: str, count: int = 1) -> Call:
    return wait_for_dm(fake, user, text, count)


def triage_lines(ticket: TicketPost) -> str:
    blocks = ticket.call.params["blocks"]
    triage = [b for b in blocks if b.get("type") == "section" and "*Triage*" in (b.get("text") or {}).get("text", "")]
    assert triage, block_text(blocks)
    return triage[0]["text"]["text"]


def ticket_fields(ticket: TicketPost) -> str:
    return block_text(ticket.call.params["blocks"])


# -- menus ------------------------------------------------------------------------------------------


def test_the_menu_lists_the_scenarios_then_talk_to_an_agent(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "menu")
    menu = fake_slack.wait_for("chat.postMessage", lambda c: bool(buttons(c)))[0]

    assert [b["text"]["text"] for b in buttons(menu)] == [
        "Reset my password",
        "Where is my order?",
        "Opening hours",
        "Talk to an agent",
    ]
    assert buttons(menu)[-1]["action_id"] == TALK_TO_AGENT

    before = len(ticket_posts(fake_slack))
    press(app, CUSTOMER, button(menu, "Talk to an agent"))
    ticket = wait_for_new_ticket(fake_slack, before)
    assert "pressed “Talk to an agent”" in ticket_fields(ticket)


def test_help_shows_the_menu_again_mid_scenario(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "I forgot my password")
    asked(fake_slack, CUSTOMER, "Can you still read the e-mail")
    say(app, CUSTOMER, "help")
    menu = fake_slack.wait_for("chat.postMessage", lambda c: len(buttons(c)) == 4)[0]
    assert buttons(menu)[0]["text"]["text"] == "Reset my password"


# -- scenarios --------------------------------------------------------------------------------------


def test_a_scenario_runs_by_typed_trigger_and_branches_on_a_button(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "Hi, I FORGOT my pasword!")
    question = asked(fake_slack, CUSTOMER, "Can you still read the e-mail")
    assert [b["text"]["text"] for b in buttons(question)] == ["Yes", "No"]

    press(app, CUSTOMER, button(question, "Yes"))
    asked(fake_slack, CUSTOMER, "Use *Forgot password?*")
    assert ticket_posts(fake_slack) == []


def test_a_menu_button_runs_a_scenario_with_a_checked_typed_answer(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "menu")
    menu = fake_slack.wait_for("chat.postMessage", lambda c: bool(buttons(c)))[0]
    press(app, CUSTOMER, button(menu, "Where is my order?"))
    asked(fake_slack, CUSTOMER, "What's your order number?")

    say(app, CUSTOMER, "it's the blue one")
    asked(fake_slack, CUSTOMER, "Order numbers are 4 to 10 digits.")
    asked(fake_slack, CUSTOMER, "What's your order number?", count=2)
    say(app, CUSTOMER, "#48213")
    asked(fake_slack, CUSTOMER, "Order #48213 ships within 2 days.")


def test_a_scenario_that_ends_in_a_hand_over_opens_a_ticket(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "I can't log in")
    question = asked(fake_slack, CUSTOMER, "Can you still read the e-mail")
    press(app, CUSTOMER, button(question, "No"))

    ticket = wait_for_new_ticket(fake_slack, 0)
    asked(fake_slack, CUSTOMER, "A colleague will verify who you are.")
    asked(fake_slack, CUSTOMER, "in the queue")
    assert "a bot scenario needs a person" in ticket_fields(ticket)


def test_did_you_mean_offers_the_guess_as_a_button(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "password")
    guess = asked(fake_slack, CUSTOMER, "Did you mean")
    assert "*Reset my password*" in guess.params["text"]
    assert [b["text"]["text"] for b in buttons(guess)] == ["Reset my password", "Talk to an agent"]

    press(app, CUSTOMER, button(guess, "Reset my password"))
    asked(fake_slack, CUSTOMER, "Can you still read the e-mail")


def test_a_miss_is_honest_and_two_in_a_row_hand_over(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "hey, quick question")  # a first message that matches nothing: the greeting
    fake_slack.wait_for("chat.postMessage", lambda c: len(buttons(c)) == 4)
    say(app, CUSTOMER, "my printer is making a grinding noise")
    miss = asked(fake_slack, CUSTOMER, "I can't help with that one")
    assert buttons(miss)[-1]["action_id"] == TALK_TO_AGENT
    assert ticket_posts(fake_slack) == []

    say(app, CUSTOMER, "the paper tray is stuck too")
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "the bot could not help" in ticket_fields(ticket)
    assert "grinding noise" in ticket_fields(ticket)  # the transcript shows what the bot missed


def test_typing_agent_always_hands_over(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app()
    say(app, CUSTOMER, "where is my order")
    asked(fake_slack, CUSTOMER, "What's your order number?")
    say(app, CUSTOMER, "agent")
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "asked for a person" in ticket_fields(ticket)


# -- triage -----------------------------------------------------------------------------------------


def test_before_handoff_triage_in_the_dm_with_prefill_skip_and_validation(
    bot_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = bot_app(triage_mode="before_handoff")
    say(app, CUSTOMER, "I want to talk to a person")
    asked(fake_slack, CUSTOMER, "A few quick questions first.")
    # Jane's name comes from her Slack profile, so the first question is the company.
    company = asked(fake_slack, CUSTOMER, "Which company are you with?")
    assert [b["text"]["text"] for b in buttons(company)] == ["Skip", "Fill in the form"]
    assert ticket_posts(fake_slack) == []

    press(app, CUSTOMER, button(company, "Skip"))
    asked(fake_slack, CUSTOMER, "Your e-mail address?")
    say(app, CUSTOMER, "jane at example")
    asked(fake_slack, CUSTOMER, "doesn't look like an e-mail address")
    asked(fake_slack, CUSTOMER, "Your e-mail address?", count=2)
    say(app, CUSTOMER, "jane@example.com")
    asked(fake_slack, CUSTOMER, "What's the problem?")
    say(app, CUSTOMER, "The printer jams <!channel>")

    ticket = wait_for_new_ticket(fake_slack, 0)
    lines = triage_lines(ticket)
    assert "*Name:* Jane _(from Slack)_" in lines
    assert "*Company:* _skipped_" in lines
    assert "*E-mail:* jane@example.com" in lines
    assert "*Problem:* The printer jams @channel" in lines
    assert "asked for a person" in ticket_fields(ticket)
    asked(fake_slack, CUSTOMER, "in the queue")


def test_slack_connect_customers_have_name_and_company_filled_in(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="before_handoff")
    say(app, EXTERNAL_CUSTOMER, "agent")
    asked(fake_slack, EXTERNAL_CUSTOMER, "Your e-mail address?")  # name and company known
    say(app, EXTERNAL_CUSTOMER, "erin@acme.example")
    asked(fake_slack, EXTERNAL_CUSTOMER, "What's the problem?")
    say(app, EXTERNAL_CUSTOMER, "Invoices are missing")

    lines = triage_lines(wait_for_new_ticket(fake_slack, 0))
    assert "*Name:* Erin External _(from Slack)_" in lines
    assert "*Company:* Acme Corp _(from Slack)_" in lines


def test_what_slack_cannot_tell_is_asked_and_the_ack_does_not_wait_on_retries(
    bot_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = bot_app(triage_mode="before_handoff")
    fake_slack.fail("users.info", status=500, count=5)  # Slack has a bad moment
    say(app, CUSTOMER, "agent")
    asked(fake_slack, CUSTOMER, "What's your name?")
    # The look-up made while Slack waited for the ack was tried once, never retried.
    assert len(fake_slack.calls("users.info")) == 1


def test_the_form_path_checks_answers_in_the_modal_then_hands_over(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="before_handoff")
    say(app, CUSTOMER_2, "agent please")
    question = asked(fake_slack, CUSTOMER_2, "Which company are you with?")  # his name is known
    press(app, CUSTOMER_2, button(question, "Fill in the form"), fake_slack.issue_trigger(CUSTOMER_2))

    opened = fake_slack.wait_for("views.open")[0]
    view = opened.params["view"]
    assert view["callback_id"] == TRIAGE_FORM
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["name", "company", "email", "problem"]
    assert inputs["name"]["element"]["initial_value"] == "Omar Second"  # from Slack, editable
    assert inputs["company"].get("optional") is True

    def submit(values: dict[str, str]):  # type: ignore[no-untyped-def]
        state = {qid: {TRIAGE_ANSWER: value} for qid, value in values.items()}
        return app.slack.view_submission(CUSTOMER_2, TRIAGE_FORM, state, private_metadata=view["private_metadata"])

    refused = submit({"name": "Omar", "company": "", "email": "not-an-address", "problem": ""})
    assert refused.status == 200
    assert refused.json()["response_action"] == "errors"
    assert set(refused.json()["errors"]) == {"email", "problem"}
    assert ticket_posts(fake_slack) == []

    accepted = submit({"name": "Omar", "company": "Globex", "email": "omar@globex.example", "problem": "VPN <!here>"})
    assert (accepted.status, accepted.body) == (200, "")
    lines = triage_lines(wait_for_new_ticket(fake_slack, 0))
    assert "*Company:* Globex" in lines
    assert "*Problem:* VPN &lt;!here&gt;" in lines
    asked(fake_slack, CUSTOMER_2, "in the queue")


def test_the_form_button_after_the_hand_over_opens_nothing(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="off")
    say(app, CUSTOMER, "agent")
    wait_for_new_ticket(fake_slack, 0)
    url = fake_slack.response_url("form")
    reply = app.slack.block_action(
        CUSTOMER, BOT_FORM, "form", channel_id=f"D{CUSTOMER}", message_ts="1.0", response_url=url
    )
    assert reply.status == 200
    said = fake_slack.wait_for("response_url:form")[0]
    assert "already with our support team" in said.params["text"]
    fake_slack.assert_no_call("views.open")


def test_triage_first_asks_every_new_conversation_then_hands_over(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="triage_first")
    say(app, CUSTOMER, "hello")
    asked(fake_slack, CUSTOMER, "Which company are you with?")
    say(app, CUSTOMER, "skip")
    asked(fake_slack, CUSTOMER, "Your e-mail address?")
    say(app, CUSTOMER, "jane@example.com")
    asked(fake_slack, CUSTOMER, "What's the problem?")
    say(app, CUSTOMER, "Cannot print")

    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "answered the opening questions" in ticket_fields(ticket)
    assert "*Problem:* Cannot print" in triage_lines(ticket)


def test_never_mind_during_triage_returns_to_the_bot(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="before_handoff")
    say(app, CUSTOMER, "agent")
    asked(fake_slack, CUSTOMER, "Which company are you with?")
    say(app, CUSTOMER, "never mind")
    back = asked(fake_slack, CUSTOMER, "I won't hand you over")
    assert buttons(back)[-1]["action_id"] == TALK_TO_AGENT

    say(app, CUSTOMER, "opening hours")
    asked(fake_slack, CUSTOMER, "9:00-17:00.")
    assert ticket_posts(fake_slack) == []


def test_triage_survives_a_restart_and_a_redelivered_answer(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="before_handoff")
    say(app, CUSTOMER, "agent")
    asked(fake_slack, CUSTOMER, "Which company are you with?")
    answer = dm_message(CUSTOMER, "Initech")
    first = app.slack.event(answer)
    assert first.status == 200
    asked(fake_slack, CUSTOMER, "Your e-mail address?")

    app.restart()
    # Slack redelivers the answer (its first delivery looked lost): it must not count twice.
    assert app.slack.event(answer, retry_num=1, event_id=first.event_id).status == 200
    say(app, CUSTOMER, "jane@example.com")
    asked(fake_slack, CUSTOMER, "What's the problem?")
    assert len(dm_posts(fake_slack, CUSTOMER, "Your e-mail address?")) == 1
    say(app, CUSTOMER, "Laptop will not boot")
    assert "*Company:* Initech" in triage_lines(wait_for_new_ticket(fake_slack, 0))


def test_a_flood_mid_triage_is_kept_but_not_taken_as_the_answer(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(triage_mode="before_handoff", HANDOFF_FLOOD_LIMIT="2")
    say(app, CUSTOMER, "agent")
    asked(fake_slack, CUSTOMER, "Which company are you with?")
    say(app, CUSTOMER, "Initech")
    asked(fake_slack, CUSTOMER, "Your e-mail address?")
    # Over the rate from the third message within the minute: kept, but neither answered nor taken
    # as answers (else the e-mail and the problem would be filled in and a ticket opened).
    say(app, CUSTOMER, "me@example.com")
    say(app, CUSTOMER, "it is broken")
    asked(fake_slack, CUSTOMER, "sending messages very quickly")
    assert [m.text for m in stored_messages(app)][-2:] == ["me@example.com", "it is broken"]
    assert stored_tickets(app) == []  # the acks have committed each step

    say(app, CUSTOMER, "agent")  # asking for a person still works while flooding
    ticket = wait_for_new_ticket(fake_slack, 0)
    lines = triage_lines(ticket)
    assert "*Company:* Initech" in lines and "me@example.com" not in lines and "it is broken" not in lines
    assert "it is broken" in ticket_fields(ticket)  # the transcript has it
    assert dm_posts(fake_slack, CUSTOMER, "What's the problem?") == []


# -- frustration ------------------------------------------------------------------------------------

ANGRY = ["my order never arrived", "WHERE IS MY ORDER?!", "this is ridiculous, nobody is helping me!!!"]


def test_frustration_offer_mode_asks_first_and_hands_over_on_yes(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(frustration="offer", no_match_limit=0)
    for text in ANGRY:
        say(app, CUSTOMER, text)
    offer = asked(fake_slack, CUSTOMER, "Would you like to talk to a person?")
    assert [b["text"]["text"] for b in buttons(offer)] == ["Yes, talk to a person", "No thanks"]
    assert ticket_posts(fake_slack) == []

    press(app, CUSTOMER, button(offer, "Yes, talk to a person"))
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "sounded frustrated (score" in ticket_fields(ticket)
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.frustration_score is not None and found.frustration_score >= 0.5


def test_frustration_escalate_mode_hands_over_at_once(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(frustration="escalate", no_match_limit=0)
    for text in ANGRY:
        say(app, CUSTOMER, text)
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "sounded frustrated" in ticket_fields(ticket)
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "Would you like to talk to a person?"))


def test_a_plain_problem_report_is_not_taken_for_frustration(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = bot_app(frustration="escalate", no_match_limit=0)
    say(app, CUSTOMER, "hi")
    say(app, CUSTOMER, "my printer is broken")
    asked(fake_slack, CUSTOMER, "I can't help with that one")
    assert ticket_posts(fake_slack) == []


def test_a_claimed_and_closed_ticket_starts_a_fresh_bot_conversation(
    bot_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = bot_app(triage_mode="triage_first")
    say(app, EXTERNAL_CUSTOMER, "hi")
    asked(fake_slack, EXTERNAL_CUSTOMER, "Your e-mail address?")
    say(app, EXTERNAL_CUSTOMER, "erin@acme.example")
    say(app, EXTERNAL_CUSTOMER, "Invoices")
    ticket = wait_for_new_ticket(fake_slack, 0)
    claim_and_wait(app, fake_slack, AGENT, ticket, EXTERNAL_CUSTOMER)
    assert app.helpdesk.close(ticket.ticket_id, AGENT, is_admin=False).result.value == "closed"

    say(app, EXTERNAL_CUSTOMER, "hello again")
    asked(fake_slack, EXTERNAL_CUSTOMER, "Your e-mail address?", count=2)


# -- long messages ----------------------------------------------------------------------------------

SLACK_ACK_DEADLINE = 3.0  # seconds: Slack redelivers an event it has no answer to by then


def long_dm(opening: str, length: int = 40_000) -> str:
    """`opening`, then distinct made-up words up to `length` characters: the costliest text to match."""
    rng = random.Random(13)
    words = [opening]
    while sum(len(w) + 1 for w in words) < length:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8))))
    return " ".join(words)[:length]


def timed_dm(app: AppUnderTest, user: str, text: str) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = app.slack.event(dm_message(user, text, team=team_of(user)))
    return reply, time.monotonic() - started


def test_a_40000_character_dm_gets_its_answer_and_holds_nobody_up(bot_app: AppFactory, fake_slack: FakeSlack) -> None:
    """The bot reads the start of a long paste; another customer writing meanwhile is answered too.

    The acks are checked against Slack's own deadline only (this is not a speed test: the
    benchmark `python -m bench.large_messages` measures them); before the bot read a bounded
    prefix, matching this message took seconds inside the write transaction.
    """
    app = bot_app(frustration="offer")
    text = long_dm("Hi, I forgot my password and")
    long_ack: list[tuple[Reply, float]] = []
    sender = threading.Thread(target=lambda: long_ack.append(timed_dm(app, CUSTOMER, text)))
    sender.start()
    other_reply, other_seconds = timed_dm(app, CUSTOMER_2, "where is my order")
    sender.join(30)

    assert not sender.is_alive()
    ((reply, seconds),) = long_ack
    assert reply.status == 200, reply
    assert other_reply.status == 200, other_reply
    assert seconds < SLACK_ACK_DEADLINE and other_seconds < SLACK_ACK_DEADLINE, (seconds, other_seconds)
    asked(fake_slack, CUSTOMER, "Can you still read the e-mail")
    asked(fake_slack, CUSTOMER_2, "What's your order number?")
    assert len(stored_messages(app, text)) == 1  # stored whole: only the bot's reading is bounded


# -- the configuration that ships -------------------------------------------------------------------


def test_the_shipped_default_configuration_works_end_to_end(fake_slack: FakeSlack, database_url: str) -> None:
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG="")).start()  # "": built-in
    try:
        say(app, CUSTOMER, "hi")
        menu = fake_slack.wait_for("chat.postMessage", lambda c: bool(buttons(c)))[0]
        assert [b["text"]["text"] for b in buttons(menu)] == [
            "Reset my password",
            "Where is my order?",
            "Opening hours",
            "My laptop won't connect to Wi-Fi",
            "Talk to an agent",
        ]
        say(app, CUSTOMER, "where's my parcel??")
        asked(fake_slack, CUSTOMER, "What's your order number?")
        say(app, CUSTOMER, "12345")
        asked(fake_slack, CUSTOMER, "You can follow order *12345*")

        press(app, CUSTOMER, button(menu, "Talk to an agent"))
        # before_handoff: the name comes from Slack, the company is skippable, then the problem.
        company = asked(fake_slack, CUSTOMER, "Which company are you with?")
        press(app, CUSTOMER, button(company, "Skip"))
        asked(fake_slack, CUSTOMER, "what's the problem?")
        say(app, CUSTOMER, "My invoice shows the wrong address")
        lines = triage_lines(wait_for_new_ticket(fake_slack, 0))
        assert "*Name:* Jane _(from Slack)_" in lines
        assert "*Problem:* My invoice shows the wrong address" in lines
    finally:
        app.stop()
