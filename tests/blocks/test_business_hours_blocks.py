"""Business hours in the customer's messages: the queue notice and the greeting with the configured
text, made safe, `{back}` a Slack date with the schedule's zone as its fallback; the notice's
facts read back as they were stored."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff_slack.blocks import customer
from handoff_slack.blocks.notices import render_notice
from handoff_slack.core.bot import Button, ButtonAction, Reply, ReplyKind
from handoff_slack.core.business_hours import AgentsAway, BusinessHours, OpenRange
from handoff_slack.core.notices import Notice
from tests.support.journeys import block_text

MONDAY_NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
TOKEN = f"<!date^{int(MONDAY_NINE.timestamp())}^{{date_long_pretty}} at {{time}}|Monday 09:00 (CET)>"


def away(text: str = "Back {back}.") -> AgentsAway:
    return AgentsAway(MONDAY_NINE, "Europe/Berlin", text)


def test_the_queue_notice_says_when_agents_are_back_between_the_place_and_cancel() -> None:
    shown = customer.queued(3, 42, away())
    assert [block["type"] for block in shown.blocks] == ["section", "section", "actions"]
    assert shown.blocks[1]["text"]["text"] == f"Back {TOKEN}."
    assert "*#3* in the queue" in shown.text and shown.text.endswith(f"Back {TOKEN}.")
    assert customer.queued(3, 42).blocks[0] == shown.blocks[0]  # the place as without business hours


def test_the_configured_text_cannot_ping_and_a_back_placeholder_twice_is_filled_twice() -> None:
    shown = customer.away_text(away("<!channel> back {back} (yes, {back})"))
    assert "<!channel>" not in shown
    assert shown.count(TOKEN) == 2


def test_the_greeting_gets_its_note_in_a_section_of_its_own_before_the_buttons() -> None:
    menu = Reply(ReplyKind.MENU, "Hi!", (Button("Talk to an agent", ButtonAction.TALK_TO_AGENT, "menu"),), True)
    shown = customer.bot_reply(menu, away("Closed until {back}."))
    assert [block["type"] for block in shown.blocks] == ["section", "section", "actions"]
    assert shown.text == f"Hi!\n\nClosed until {TOKEN}."
    assert customer.bot_reply(menu).text == "Hi!"


def test_the_notices_carry_the_away_facts_through_storage_as_json() -> None:
    stored = Notice.from_json(Notice.queued(1, 7, away()).to_json())
    assert stored.away == away()
    assert "Back <!date^" in block_text(render_notice(stored, "note:").blocks)
    assert Notice.queued(1, 7).away is None and "away" not in Notice.queued(1, 7).to_json()
    greeting = Reply(ReplyKind.MENU, "Hi!", greeting=True)
    assert Notice.from_json(Notice.bot_reply(greeting, away()).to_json()).away == away()


def test_agents_away_only_outside_hours_and_only_with_a_text() -> None:
    hours = BusinessHours("Europe/Berlin", ((OpenRange(540, 1050),),) * 5 + ((), ()))
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert AgentsAway.at(hours, saturday, "Back {back}") == AgentsAway(MONDAY_NINE, "Europe/Berlin", "Back {back}")
    assert AgentsAway.at(hours, saturday, None) is None
    assert AgentsAway.at(hours, MONDAY_NINE, "Back {back}") is None
    assert AgentsAway.at(BusinessHours.always_open(), saturday, "Back {back}") is None
