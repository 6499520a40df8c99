"""Business hours through the signed Slack edge (issue 19): outside hours an escalation still
queues the ticket, the customer is told when agents are back in the queue notice (a Slack date,
with "Monday 09:00 (CET)" as its fallback), the ticket message says it arrived outside business
hours, and the greeting says agents are away; at the boundaries, on a holiday, over Europe/Berlin's
DST weekends and in a shared channel's thread. The app's clock is set by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handoff_slack.blocks.ticket import OUTSIDE_HOURS_LINE
from handoff_slack.sandbox.workspace import Workspace
from tests.conftest import AGENT, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER
from tests.support.app_under_test import SIGNING_SECRET, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    block_text,
    dm,
    escalate_by_typing,
    is_menu,
    ticket_posts,
    wait_for_dm,
    wait_for_menu,
    wait_for_new_ticket,
    wait_for_ticket_update,
)
from tests.test_shared_threads import escalated, in_thread, serve_shared, writes
from tests.test_supervised_mode import SUPERVISED_CONFIG, propose

BERLIN = ZoneInfo("Europe/Berlin")
PLAIN = (Path(__file__).parent / "fixtures" / "bot" / "plain_handoff.yaml").read_text()
OFFICE_HOURS = """
business_hours:
  time_zone: Europe/Berlin
  week:
    monday: 09:00-17:30
    tuesday: 09:00-17:30
    wednesday: 09:00-17:30
    thursday: 09:00-17:30
    friday: [09:00-12:00, 12:30-17:30]
  holidays:
    - {date: 2026-12-25, name: Christmas Day}
    - 2027-01-01
  outside_hours_message: "We're closed right now; agents are back {back}."
  greeting_note: "Heads up: we're closed until {back}."
"""
AWAY = "We're closed right now; agents are back"
QUEUED = "You are *#1* in the queue"


class SetClock:
    """The app's clock, standing still at the instant the test sets."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


@pytest.fixture
def clock() -> SetClock:
    return SetClock(berlin(2026, 12, 4, 17, 31))  # a Friday evening


@pytest.fixture
def office(fake_slack: FakeSlack, database_url: str, clock: SetClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    config = tmp_path / "office.yaml"
    config.write_text(PLAIN + OFFICE_HOURS)
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), clock).start()
    try:
        yield running
    finally:
        running.stop()


def back_token(at: datetime, fallback: str) -> str:
    """The Slack date the customer sees (in their own time zone), with its plain fallback."""
    return f"<!date^{int(at.timestamp())}^{{date_long_pretty}} at {{time}}|{fallback}>"


def shown(call: Call) -> str:
    return str(call.params.get("text")) + "\n" + block_text(call.params.get("blocks"))


def queue_notice(fake: FakeSlack, customer: str, count: int = 1) -> Call:
    return wait_for_dm(fake, customer, "in the queue", count)


def test_friday_after_closing_the_customer_is_queued_and_told_agents_are_back_on_monday(
    office: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = escalate_by_typing(office, fake_slack, CUSTOMER)

    notice = queue_notice(fake_slack, CUSTOMER)
    monday = berlin(2026, 12, 7, 9, 0)
    assert QUEUED in shown(notice)  # one message: the place in the queue, then when agents are back
    assert f"{AWAY} {back_token(monday, 'Monday 09:00 (CET)')}." in notice.params["text"]
    assert [b["type"] for b in notice.params["blocks"]] == ["section", "section", "actions"]  # Cancel stays
    assert OUTSIDE_HOURS_LINE in block_text(ticket.call.params["blocks"])
    found = office.helpdesk.ticket(ticket.ticket_id)
    assert found.outside_hours and found.state.value == "waiting"  # queued all the same


def test_the_boundaries_of_an_opening(office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock) -> None:
    clock.at = berlin(2026, 12, 7, 8, 59, 59)  # Monday, a second before opening
    early = escalate_by_typing(office, fake_slack, CUSTOMER)
    told = queue_notice(fake_slack, CUSTOMER)
    assert back_token(berlin(2026, 12, 7, 9, 0), "Monday 09:00 (CET)") in told.params["text"]
    assert OUTSIDE_HOURS_LINE in block_text(early.call.params["blocks"])

    clock.at = berlin(2026, 12, 7, 9, 0, 0)  # open
    on_time = escalate_by_typing(office, fake_slack, CUSTOMER_2)
    told = queue_notice(fake_slack, CUSTOMER_2)
    assert "You are *#2* in the queue" in shown(told) and AWAY not in shown(told)
    assert [b["type"] for b in told.params["blocks"]] == ["section", "actions"]
    assert OUTSIDE_HOURS_LINE not in block_text(on_time.call.params["blocks"])
    assert not office.helpdesk.ticket(on_time.ticket_id).outside_hours


def test_the_lunch_break_and_closing_time(office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock) -> None:
    clock.at = berlin(2026, 12, 4, 12, 15)  # Friday's lunch break: back at 12:30 the same day
    escalate_by_typing(office, fake_slack, CUSTOMER)
    assert (
        back_token(berlin(2026, 12, 4, 12, 30), "Friday 12:30 (CET)")
        in queue_notice(fake_slack, CUSTOMER).params["text"]
    )
    clock.at = berlin(2026, 12, 4, 17, 30)  # the end of a range is closed
    escalate_by_typing(office, fake_slack, CUSTOMER_2)
    assert (
        back_token(berlin(2026, 12, 7, 9, 0), "Monday 09:00 (CET)")
        in queue_notice(fake_slack, CUSTOMER_2).params["text"]
    )


def test_on_a_holiday_agents_are_back_on_the_next_working_day(
    office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock
) -> None:
    clock.at = berlin(2026, 12, 25, 11, 0)  # Christmas Day, a Friday, within Friday's hours
    ticket = escalate_by_typing(office, fake_slack, CUSTOMER)
    told = queue_notice(fake_slack, CUSTOMER)
    assert back_token(berlin(2026, 12, 28, 9, 0), "Monday 09:00 (CET)") in told.params["text"]
    assert OUTSIDE_HOURS_LINE in block_text(ticket.call.params["blocks"])
    # New Year's Eve after closing: New Year's Day is skipped too.
    clock.at = berlin(2026, 12, 31, 18, 0)
    escalate_by_typing(office, fake_slack, CUSTOMER_2)
    told = queue_notice(fake_slack, CUSTOMER_2)
    assert back_token(berlin(2027, 1, 4, 9, 0), "Monday 09:00 (CET)") in told.params["text"]


@pytest.mark.parametrize(
    ("friday", "monday_utc", "fallback"),
    [
        # Spring-forward (29 March 2026): Friday is on CET, Monday's 09:00 is CEST, 07:00 UTC.
        (datetime(2026, 3, 27, 17, 31), datetime(2026, 3, 30, 7, 0, tzinfo=UTC), "Monday 09:00 (CEST)"),
        # Fall-back (25 October 2026): Friday is on CEST, Monday's 09:00 is CET, 08:00 UTC.
        (datetime(2026, 10, 23, 17, 31), datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "Monday 09:00 (CET)"),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_over_a_dst_change_weekend_agents_are_back_at_nine_local_time(
    office: AppUnderTest,
    fake_slack: FakeSlack,
    clock: SetClock,
    friday: datetime,
    monday_utc: datetime,
    fallback: str,
) -> None:
    clock.at = friday.replace(tzinfo=BERLIN).astimezone(UTC)
    escalate_by_typing(office, fake_slack, CUSTOMER)
    assert back_token(monday_utc, fallback) in queue_notice(fake_slack, CUSTOMER).params["text"]


def test_the_greeting_says_agents_are_away_only_outside_hours(
    office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock
) -> None:
    dm(office, CUSTOMER, "hello")
    menu = wait_for_menu(fake_slack, CUSTOMER)
    note = f"Heads up: we're closed until {back_token(berlin(2026, 12, 7, 9, 0), 'Monday 09:00 (CET)')}."
    assert note in menu.params["text"] and note in block_text(menu.params["blocks"])
    assert is_menu(menu)  # the buttons stay last

    clock.at = berlin(2026, 12, 7, 10, 0)  # Monday morning: open
    dm(office, CUSTOMER_2, "hello")
    menu = wait_for_menu(fake_slack, CUSTOMER_2)
    assert "closed" not in shown(menu)


def test_a_customer_in_a_shared_channels_thread_is_told_in_their_thread(
    office: AppUnderTest, fake_slack: FakeSlack
) -> None:
    serve_shared(office, fake_slack)
    root, ticket = escalated(office, fake_slack, EXTERNAL_CUSTOMER)
    told = in_thread(fake_slack, root, AWAY)
    assert f"#{ticket.ticket_id}" in shown(told)  # the same message as their place in the queue
    assert back_token(berlin(2026, 12, 7, 9, 0), "Monday 09:00 (CET)") in told.params["text"]
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == f"D{EXTERNAL_CUSTOMER}"]
    assert OUTSIDE_HOURS_LINE in block_text(ticket.call.params["blocks"])
    # Later messages in the thread are passed on as usual.
    writes(office, EXTERNAL_CUSTOMER, "still there?", thread_ts=root)
    in_thread(fake_slack, root, "I've passed that on")


def test_a_ticket_opened_with_the_emoji_outside_hours_tells_the_customer_in_their_thread(
    office: AppUnderTest, fake_slack: FakeSlack, clock: SetClock
) -> None:
    serve_shared(office, fake_slack)
    people = Workspace(fake_slack, office.events_url, SIGNING_SECRET)
    clock.at = berlin(2026, 12, 5, 10, 0)  # Saturday
    root = str(people.post(EXTERNAL_CUSTOMER, "CSHARED", "Our invoices page shows an error").ts)
    assert "Heads up: we're closed until" in shown(in_thread(fake_slack, root))  # the greeting, in the thread
    before = len(ticket_posts(fake_slack))
    assert people.react(AGENT, "CSHARED", root, "ticket").accepted
    ticket = wait_for_new_ticket(fake_slack, before)
    told = in_thread(fake_slack, root, AWAY)
    assert f"#{ticket.ticket_id}" in shown(told)
    assert back_token(berlin(2026, 12, 7, 9, 0), "Monday 09:00 (CET)") in told.params["text"]
    assert OUTSIDE_HOURS_LINE in block_text(ticket.call.params["blocks"])


def test_a_supervised_customer_asking_for_a_person_outside_hours_is_told_when_agents_are_back(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path, clock: SetClock
) -> None:
    config = tmp_path / "supervised.yaml"
    config.write_text(SUPERVISED_CONFIG.read_text() + OFFICE_HOURS)
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), clock).start()
    try:
        card = propose(app, fake_slack)  # Friday 17:31: the bot's answer waits for an agent's check
        dm(app, CUSTOMER, "agent")  # a person at once: the proposal ends, the ticket waits in the queue
        told = queue_notice(fake_slack, CUSTOMER)
        assert back_token(berlin(2026, 12, 7, 9, 0), "Monday 09:00 (CET)") in told.params["text"]
        # The proposal's card becomes the ticket's message, which says when it arrived.
        assert OUTSIDE_HOURS_LINE in block_text(
            wait_for_ticket_update(fake_slack, card, "Waiting for an agent").params["blocks"]
        )
        assert app.helpdesk.ticket(card.ticket_id).state.value == "waiting"
    finally:
        app.stop()


def test_without_business_hours_nothing_changes_at_night(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "plain.yaml"
    config.write_text(PLAIN)
    saturday_night = SetClock(berlin(2026, 12, 5, 3, 0))
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), saturday_night).start()
    try:
        ticket: TicketPost = escalate_by_typing(app, fake_slack, CUSTOMER)
        told = queue_notice(fake_slack, CUSTOMER)
        assert QUEUED in shown(told) and "<!date^" not in shown(told)
        assert OUTSIDE_HOURS_LINE not in block_text(ticket.call.params["blocks"])
    finally:
        app.stop()
