"""The survey's builders (blocks.satisfaction): its three states, the thread's note and the ticket's line
(the customer's words escaped), and the comment modal's metadata read back strictly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff_slack.blocks.action_ids import SURVEY_COMMENT, SURVEY_RATE
from handoff_slack.blocks.satisfaction import (
    comment_metadata,
    comment_modal,
    rating_note,
    survey,
    thanks_again,
    ticket_rating_line,
)
from handoff_slack.core.bot_config import SatisfactionConfig
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.satisfaction import survey_notice
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketCustomer, TicketView
from tests.support.journeys import action_ids, block_text

EVIL = "<!channel> <@U123> <https://evil.example|bank.com> & *x*"


def facts(**changes: object) -> dict[str, object]:
    config = SatisfactionConfig(question=f"Rate us {EVIL}")
    return {**survey_notice(7, 3, config).facts, **changes}


def test_open_survey_has_five_buttons_carrying_its_id_and_the_rating() -> None:
    shown = survey(facts())
    assert action_ids(shown.blocks) == [f"{SURVEY_RATE}:{n}" for n in range(1, 6)]
    values = [e["value"] for b in shown.blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == [f"7:{n}" for n in range(1, 6)]
    assert "<!channel>" not in shown.text and "<!channel>" not in block_text(shown.blocks)


def test_rated_survey_thanks_and_offers_a_comment_then_nothing() -> None:
    rated = survey(facts(state="rated", rating=4))
    assert rated.text.startswith("Thanks — you rated 4/5 ★★★★☆.")
    assert action_ids(rated.blocks) == [SURVEY_COMMENT]
    commented = survey(facts(state="commented", rating=4))
    assert action_ids(commented.blocks) == [] and "Your comment was passed on." in block_text(commented.blocks)
    assert thanks_again(4, "Merci") == "You already rated this conversation 4/5. Merci"


def test_the_thread_note_and_the_ticket_line_escape_the_customers_words() -> None:
    note = rating_note({"rating": 2, "user_id": "UCUST", "comment": EVIL}).text
    assert note.startswith(":speech_balloon: <@UCUST> commented on their 2/5 rating:\n>")
    assert "<!channel>" not in note and "<@U123>" not in note and "<https://evil" not in note
    ticket = TicketView(
        id=3,
        conversation_id=1,
        state=TicketState.CLOSED,
        reason="menu",
        customer=TicketCustomer("UCUST", FrontDoor("DUCUST")),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        rating=2,
        rating_comment="line one\n" + EVIL + " " + "long " * 100,
    )
    line = block_text([ticket_rating_line(ticket)])  # type: ignore[list-item]
    assert line.startswith("*Customer rating* 2/5 ★★☆☆☆ · “line one &lt;!channel&gt;")
    assert "\n" not in line and len(line) < 250
    assert ticket_rating_line(TicketView(**{**ticket.__dict__, "rating": None})) is None


@pytest.mark.parametrize("door", [None, FrontDoor("CSHARED", "1700000000.000100")])
def test_the_modal_metadata_is_read_back(door: FrontDoor | None) -> None:
    modal = comment_modal(7, door, "Tell us more")
    assert comment_metadata(modal["private_metadata"]) == (7, door)


@pytest.mark.parametrize(
    "bad", [None, "", "x", "0x7", "7 DUCUST", "-7", "12345678901", "2147483648", "0", "7 C1 1.0 extra", "١"]
)
def test_the_modal_metadata_refuses_anything_else(bad: object) -> None:
    assert comment_metadata(bad) is None
