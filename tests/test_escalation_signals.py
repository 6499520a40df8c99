"""Acting before anger, and moods after the hand-over, through the signed Slack edge (SQLite and PostgreSQL).

The "stuck" signal (core.stuck): a scenario restarted, "did you mean" declined twice, a question's
answer rejected twice, a long time with the bot: a person is offered (`escalation.stuck: offer`),
handed over at once (`escalate`) or not (`off`); the ticket says why, with the signals that fired.
After the hand-over: a frustrated waiting customer's ticket is marked in the queue, and a connected
customer's turn of mood is a note in the ticket's thread for the agent only, never in the customer's DM.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    block_text,
    connected_ticket,
    customer_says,
    dm,
    dm_posts,
    thread_posts,
    ticket_posts,
    wait_for_dm,
    wait_for_new_ticket,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.slack_requests import dm_message
from tests.test_bot_conversations import BASE_CONFIG, button, buttons, press, say, ticket_fields

STUCK_OFFER = "I don't seem to be getting you anywhere"
MOOD_NOTE = "Internal note: the customer sounds frustrated now"

AppFactory = Callable[..., AppUnderTest]


@pytest.fixture
def stuck_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """The bot of test_bot_conversations with `escalation.stuck` (and frustration's action) as given."""
    started: list[AppUnderTest] = []

    def start(stuck: str | None = "offer", frustration: str = "off") -> AppUnderTest:
        config: dict[str, Any] = copy.deepcopy(BASE_CONFIG)
        config["escalation"] = {"no_match_limit": 0, "frustration": {"action": frustration}}
        if stuck is not None:  # None: the default
            config["escalation"]["stuck"] = stuck
        path = tmp_path / f"bot-{len(started)}.yaml"
        path.write_text(yaml.safe_dump(config))
        app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(path))).start()
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            app.stop()


def menu_button(fake: FakeSlack, label: str) -> dict[str, Any]:
    return button(fake.wait_for("chat.postMessage", lambda c: len(buttons(c)) == 4)[0], label)


def offers(fake: FakeSlack) -> list[Call]:
    return [c for c in dm_posts(fake, CUSTOMER) if STUCK_OFFER in (c.params.get("text") or "")]


def in_thread(ticket_ts: str, text: str) -> Callable[[Call], bool]:
    return lambda c: c.params.get("thread_ts") == ticket_ts and text in (c.params.get("text") or "")


# -- stuck ------------------------------------------------------------------------------------------


def test_a_restarted_scenario_offers_a_person_and_the_ticket_says_why(
    stuck_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = stuck_app(stuck=None)  # the default: offer
    say(app, CUSTOMER, "menu")
    press(app, CUSTOMER, menu_button(fake_slack, "Opening hours"))
    wait_for_dm(fake_slack, CUSTOMER, "9:00-17:00.")
    assert offers(fake_slack) == []  # once is no pattern

    press(app, CUSTOMER, menu_button(fake_slack, "Opening hours"))  # the same scenario again
    offer = wait_for_dm(fake_slack, CUSTOMER, STUCK_OFFER)
    assert [b["text"]["text"] for b in buttons(offer)] == ["Yes, talk to a person", "No thanks"]
    assert ticket_posts(fake_slack) == []

    press(app, CUSTOMER, button(offer, "Yes, talk to a person"))
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "was getting nowhere with the bot" in ticket_fields(ticket)
    assert "_Signals:_ scenario restarted" in ticket_fields(ticket)
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.reason == "stuck" and found.escalation_signals == ("scenario_restarted",)


def test_a_question_answered_wrongly_twice_escalates_in_escalate_mode(
    stuck_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = stuck_app(stuck="escalate")
    say(app, CUSTOMER, "where is my order")
    wait_for_dm(fake_slack, CUSTOMER, "What's your order number?")
    say(app, CUSTOMER, "ord-12")
    wait_for_dm(fake_slack, CUSTOMER, "Order numbers are 4 to 10 digits.")
    assert ticket_posts(fake_slack) == []

    say(app, CUSTOMER, "the one from tuesday")  # rejected again: handed over at once, no offer
    ticket = wait_for_new_ticket(fake_slack, 0)
    assert "was getting nowhere with the bot" in ticket_fields(ticket)
    assert "triage rejected" in ticket_fields(ticket)
    assert offers(fake_slack) == []


def test_did_you_mean_declined_twice_offers_a_person(stuck_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = stuck_app()
    say(app, CUSTOMER, "password")
    wait_for_dm(fake_slack, CUSTOMER, "Did you mean")
    say(app, CUSTOMER, "no")
    wait_for_dm(fake_slack, CUSTOMER, "I can't help with that one")
    say(app, CUSTOMER, "opening")  # another guess: not the same request asked again
    wait_for_dm(fake_slack, CUSTOMER, "Did you mean", count=2)
    assert offers(fake_slack) == []

    say(app, CUSTOMER, "no")
    offer = wait_for_dm(fake_slack, CUSTOMER, STUCK_OFFER)
    press(app, CUSTOMER, button(offer, "No thanks"))
    wait_for_dm(fake_slack, CUSTOMER, "I'm still here to help")
    say(app, CUSTOMER, "order")  # offered once a conversation: declined, it is not asked again
    wait_for_dm(fake_slack, CUSTOMER, "Did you mean", count=3)
    say(app, CUSTOMER, "no")
    wait_for_dm(fake_slack, CUSTOMER, "I can't help with that one", count=3)
    assert len(offers(fake_slack)) == 1
    assert ticket_posts(fake_slack) == []


def test_a_long_time_with_the_bot_offers_a_person(stuck_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = stuck_app()
    now = time.time()
    for minutes, text in [(0, "opening hours"), (40, "are you open on saturdays too")]:
        reply = app.slack.event(dm_message(CUSTOMER, text, ts=f"{now - 3600 + minutes * 60:.6f}"))
        assert reply.status == 200, reply
    offer = wait_for_dm(fake_slack, CUSTOMER, STUCK_OFFER)
    press(app, CUSTOMER, button(offer, "Yes, talk to a person"))
    assert "_Signals:_ no progress" in ticket_fields(wait_for_new_ticket(fake_slack, 0))


def test_stuck_off_offers_nothing(stuck_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = stuck_app(stuck="off")
    say(app, CUSTOMER, "menu")
    hours = menu_button(fake_slack, "Opening hours")
    for count in (1, 2, 3):  # the same button of the same menu, pressed again and again
        press(app, CUSTOMER, hours)
        wait_for_dm(fake_slack, CUSTOMER, "9:00-17:00.", count)
    assert offers(fake_slack) == []
    assert ticket_posts(fake_slack) == []


# -- after the hand-over: the queue, and a note for the agent only --------------------------------


def test_a_frustrated_waiting_customer_is_marked_in_the_queue(stuck_app: AppFactory, fake_slack: FakeSlack) -> None:
    app = stuck_app(frustration="offer")
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    dm(app, CUSTOMER, "I am fed up with waiting, this is ridiculous")
    update = wait_for_ticket_update(fake_slack, ticket, "Sounded frustrated since the hand-over")
    assert "named feeling" in block_text(update.params["blocks"])
    wait_for_dm(fake_slack, CUSTOMER, "still waiting")
    assert not [c for c in dm_posts(fake_slack, CUSTOMER) if "frustrated" in str(c.params)]  # nothing of it for them
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and "named_feeling" in found.mood_signals


def test_a_connected_customers_turn_of_mood_is_a_note_for_the_agent_only(
    stuck_app: AppFactory, fake_slack: FakeSlack
) -> None:
    app = stuck_app(frustration="offer")
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    customer_says(app, fake_slack, CUSTOMER, ticket, "hi, my invoice shows the wrong VAT number")
    assert [c for c in thread_posts(fake_slack, ticket) if MOOD_NOTE in (c.params.get("text") or "")] == []

    customer_says(app, fake_slack, CUSTOMER, ticket, "I have explained this three times now, this is ridiculous")
    note = fake_slack.wait_for("chat.postMessage", in_thread(ticket.ts, MOOD_NOTE))[0]
    assert "not heard" in note.params["text"]

    customer_says(app, fake_slack, CUSTOMER, ticket, "Unacceptable, honestly")  # the same spell: no second note
    customer_says(app, fake_slack, CUSTOMER, ticket, "ok thanks, that worked")  # content again
    customer_says(app, fake_slack, CUSTOMER, ticket, "wait, it's broken AGAIN, useless")  # a new spell
    fake_slack.wait_for("chat.postMessage", in_thread(ticket.ts, MOOD_NOTE), count=2)
    to_customer = [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == f"D{CUSTOMER}"]
    assert to_customer and not [c for c in to_customer if "frustrated" in str(c.params) or "Internal" in str(c.params)]
