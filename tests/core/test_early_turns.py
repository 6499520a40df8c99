"""The bot's turn is decided before the write transaction: its cost holds no lock others wait for."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from handoff_slack.core.bot import BotEngine, BotInput, BotState, BotTurn, CustomerFacts, Reply, Said
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction
from handoff_slack.storage.database import Database
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Conversation
from tests.core.test_helpdesk import FakeClock
from tests.support.migrated_template import from_migrated_template

JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"))
OMAR = Customer(user_id="UOMAR", door=FrontDoor("DOMAR"))


class WritingWhileDeciding:
    """The configured bot, but while it decides, another customer's message must get through."""

    def __init__(self) -> None:
        self.engine = BotEngine()
        self.desk: SqlHelpdesk | None = None
        self.others_got_through: list[bool] = []
        self.others: list[threading.Thread] = []
        self.turns = 0

    def respond(self, state: BotState, received: BotInput, facts: CustomerFacts) -> BotTurn:
        self.turns += 1
        if self.desk is not None and facts.name == "probe":
            other = threading.Thread(target=self.desk.receive_customer_message, args=(OMAR, f"2.{self.turns}", "hi"))
            other.start()
            other.join(timeout=3)  # blocked behind a write lock held around this turn: not done in time
            self.others_got_through.append(not other.is_alive())
            self.others.append(other)  # joined by the test once this turn's transaction has ended
        return self.engine.respond(state, received, facts)

    def menu(self, text: str | None = None) -> Reply:
        return self.engine.menu(text)

    def form_questions(self, state: BotState, facts: CustomerFacts) -> Any:
        return self.engine.form_questions(state, facts)


@pytest.fixture
def bot_and_desk(database_url: str) -> Iterator[tuple[WritingWhileDeciding, SqlHelpdesk]]:
    from_migrated_template(database_url)
    db = Database(database_url)
    bot = WritingWhileDeciding()
    desk = SqlHelpdesk(db, responder=bot, clock=FakeClock())
    bot.desk = desk
    yield bot, desk
    db.dispose()


def test_another_customers_message_is_stored_while_the_bot_decides(
    bot_and_desk: tuple[WritingWhileDeciding, SqlHelpdesk],
) -> None:
    bot, desk = bot_and_desk
    probing = Customer(JANE.user_id, JANE.door, facts=CustomerFacts(name="probe"))
    outcome = desk.receive_customer_message(probing, "1.1", "where is my order?")
    for other in bot.others:
        other.join(timeout=10)
    assert outcome.action is CustomerMessageAction.BOT_REPLY
    assert bot.others_got_through == [True]
    assert bot.turns == 2  # Jane's turn (once: the state it was decided on was still hers), Omar's


def test_a_turn_decided_on_a_state_that_moved_on_is_decided_again(
    bot_and_desk: tuple[WritingWhileDeciding, SqlHelpdesk],
) -> None:
    bot, desk = bot_and_desk
    desk.receive_customer_message(JANE, "1.1", "hello")  # the menu: Jane's state is saved
    early = desk._early_turn(JANE, Said("where is my order?"))
    assert early is not None
    desk.receive_customer_message(JANE, "1.2", "something else")  # meanwhile her state moves on
    turns_before = bot.turns
    with desk.db.transaction() as session:
        conversation = session.exec(select(Conversation)).one()
        turn = desk._turn(conversation, Said("where is my order?"), JANE, early)
    assert bot.turns == turns_before + 1 and turn is not early.turn
