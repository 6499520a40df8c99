"""The shipped Wi-Fi diagnosis end to end through the signed Slack edge, unsupervised (SQLite and PostgreSQL).

The default configuration ships the scenario supervised; here it runs with `supervised: false`, so
the bot answers (or hands over) by itself. The supervised path needs the proposal's lifecycle
(posting, Approve) and is tested with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff_slack.core.states import EscalationReason
from tests.conftest import CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import stored_tickets, wait_for_new_ticket
from tests.test_bot_conversations import asked, button, buttons, press, say
from tests.test_config_file import DEFAULT_FILE

ICON_QUESTION = "What does the Wi-Fi icon on your laptop show?"
DEVICES_QUESTION = "Do other devices (your phone, a colleague's laptop) get online"
CHANGE_QUESTION = "Did anything change just before it stopped working"


@pytest.fixture
def wifi_app(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[AppUnderTest]:
    """The app on the shipped configuration, with the Wi-Fi scenario unsupervised."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert text.count("    supervised: true\n") == 1
    path = tmp_path / "bot.yaml"
    path.write_text(text.replace("    supervised: true\n", "    supervised: false\n"), encoding="utf-8")
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(path))).start()
    try:
        yield app
    finally:
        app.stop()


def answer_the_questions(app: AppUnderTest, fake: FakeSlack, icon: str, devices: str, change: str) -> None:
    press(app, CUSTOMER, button(asked(fake, CUSTOMER, ICON_QUESTION), icon))
    press(app, CUSTOMER, button(asked(fake, CUSTOMER, DEVICES_QUESTION), devices))
    asked(fake, CUSTOMER, CHANGE_QUESTION)
    say(app, CUSTOMER, change)


def test_the_wifi_diagnosis_finds_a_driver_problem_from_the_answers_and_words(
    wifi_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    say(wifi_app, CUSTOMER, "Hi, my laptop won't connect to the wifi since this morning")
    answer_the_questions(wifi_app, fake_slack, "No networks listed", "Yes", "Windows installed updates overnight")

    answer = asked(fake_slack, CUSTOMER, "This is most likely the Wi-Fi driver")
    assert [b["text"]["text"] for b in buttons(answer)] == ["Show the menu", "Talk to an agent"]
    assert stored_tickets(wifi_app) == []  # sure of the cause: nobody was needed


def test_the_wifi_diagnosis_reads_the_first_message_too(wifi_app: AppUnderTest, fake_slack: FakeSlack) -> None:
    say(wifi_app, CUSTOMER, "wifi not working, everyone in the office is offline")
    answer_the_questions(wifi_app, fake_slack, "Connected, but no internet", "Not sure", "nothing")

    # Not sure about other devices, but "everyone" was said: the office network, not the laptop.
    asked(fake_slack, CUSTOMER, "It looks like the office Wi-Fi itself is down")
    assert stored_tickets(wifi_app) == []


def test_an_unclear_wifi_diagnosis_hands_over(wifi_app: AppUnderTest, fake_slack: FakeSlack) -> None:
    say(wifi_app, CUSTOMER, "can't connect to wifi")
    # Connected, others fine, nothing changed: the driver and the password are equally likely.
    answer_the_questions(wifi_app, fake_slack, "Connected, but no internet", "Yes", "nothing")

    asked(fake_slack, CUSTOMER, "I can't tell for sure what's wrong")
    company = asked(fake_slack, CUSTOMER, "Which company are you with?")  # the default's triage, before a person
    press(wifi_app, CUSTOMER, button(company, "Skip"))
    asked(fake_slack, CUSTOMER, "what's the problem?")
    say(wifi_app, CUSTOMER, "No internet on my laptop")
    wait_for_new_ticket(fake_slack, 0)
    (ticket,) = stored_tickets(wifi_app)
    assert ticket.reason == EscalationReason.DIAGNOSIS_UNSURE
    assert not [
        c for c in fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}") if "most likely" in str(c.params)
    ]
