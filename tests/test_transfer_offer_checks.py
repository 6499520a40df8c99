"""A transfer offer's loose ends through the signed Slack edge, on SQLite and PostgreSQL: its lapse
time from the bot's YAML, its buttons gone as soon as its ticket closes, is released or changes
hands (and a late press answered plainly), and its target checked as they are when they press
Accept (still an agent, not away or offline, under capacity)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.blocks.action_ids import TRANSFER_ACCEPT
from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.scheduler import lapse_transfer_offers
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack, new_ts
from tests.support.journeys import (
    block_text,
    connected_ticket,
    posted_to,
    press_close,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until
from tests.test_transfer import (
    MovableClock,
    answered,
    offer_in_thread,
    offer_transfer,
    offers,
    press,
    submit_release,
    submit_transfer,
)

PLAIN = (Path(__file__).parent / "fixtures" / "bot" / "plain_handoff.yaml").read_text()


def offer_updated(fake: FakeSlack, offer_ts: str, contains: str) -> None:
    """The offer's message in the thread was updated (chat.update) to say `contains`, without its buttons."""
    found = fake.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == offer_ts and contains in block_text(c.params.get("blocks")),
    )
    assert TRANSFER_ACCEPT not in str(found[-1].params.get("blocks"))


def audited(app: AppUnderTest, ticket_id: int) -> list[tuple[str, str, dict[str, str] | None]]:
    assert app.app is not None
    return [
        (e.action, e.actor_user_id, e.details) for e in reversed(app.app.services.audit.entries(ticket_id=ticket_id))
    ]


# -- the lapse time is a setting --------------------------------------------------------------------


def test_the_lapse_time_is_ten_minutes_unless_the_yaml_says_otherwise(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    assert TransferConfig().offer_lapses_after == timedelta(minutes=10)
    config = tmp_path / "bot.yaml"
    config.write_text(f"{PLAIN}\ntransfers:\n  offer_timeout_seconds: 90\n")
    clock = MovableClock()
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config)), clock).start()
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
        assert app.app is not None
        clock.offset = timedelta(seconds=80)  # not yet
        lapse_transfer_offers(app.app.services)
        assert offers(app) == ["pending"]

        clock.offset = timedelta(seconds=91)
        told = fake_slack.wait_for(
            "chat.postMessage", posted_to(SUPPORT_CHANNEL, "did not answer the transfer", thread_ts=ticket.ts)
        )
        assert "within 1 minute 30 seconds" in told[0].params["text"]
        press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "late")
        assert "lapsed" in answered(fake_slack, "late")
        assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]
    finally:
        app.stop()


# -- the ticket moved on: the offer's buttons go at once -----------------------------------------------


@pytest.mark.parametrize(
    ("step", "shown", "late_answer"),
    [
        ("close", "this ticket was closed", "ticket {id} was closed"),
        ("release", "this ticket was released back to the queue", "ticket {id} was released back to the queue"),
        ("reassign", "this ticket changed hands", f"ticket {{id}} is now with <@{ADMIN}>"),
    ],
)
def test_an_offer_loses_its_buttons_when_its_ticket_moves_on_and_a_late_press_changes_nothing(
    app: AppUnderTest, fake_slack: FakeSlack, step: str, shown: str, late_answer: str
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
    offer_ts = str(offer_in_thread(fake_slack, ticket)[1].response["ts"])

    if step == "close":
        press_close(app, fake_slack, AGENT, ticket)
    elif step == "release":
        submit_release(app, AGENT, ticket.ticket_id)
    else:  # an admin gives it to themselves (an admin counts as an agent)
        assert submit_transfer(app, ADMIN, ticket.ticket_id, ADMIN) is None

    offer_updated(fake_slack, offer_ts, f"No longer open: {shown}")  # nobody pressed anything
    assert offers(app) == ["stale"]
    before = app.helpdesk.ticket(ticket.ticket_id)

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "late")
    said = answered(fake_slack, "late")
    assert said == f"This offer is no longer open: {late_answer.format(id=ticket.ticket_id)}. Nothing changed."
    after = app.helpdesk.ticket(ticket.ticket_id)
    assert after is not None and before is not None
    assert (after.state, after.agent_user_id) == (before.state, before.agent_user_id)
    assert after.agent_user_id != AGENT_2
    assert [a for a, *_ in audited(app, ticket.ticket_id)].count("accept") == 0


# -- the target is checked when they accept ---------------------------------------------------------


def set_status(app: AppUnderTest, user: str, availability: Availability, capacity: int | None = None) -> None:
    assert app.app is not None
    app.app.services.profiles.change(user, ProfileChange(availability, capacity), user, app.clock())


def leaves_the_support_channel(app: AppUnderTest, fake: FakeSlack, user: str) -> None:
    fake.set_members(SUPPORT_CHANNEL, [AGENT])
    left = {"type": "member_left_channel", "user": user, "channel": SUPPORT_CHANNEL, "event_ts": new_ts()}
    assert app.slack.event(left).status == 200
    assert app.app is not None
    wait_until(lambda: not app.app.services.agents.is_agent(user), message="the membership event applied")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("why", "told_owner", "told_target"),
    [
        ("away", "they are away", "you are away. Set `/handoff-status available`"),
        ("offline", "they are offline", "you are offline"),
        ("at_capacity", "they are at their capacity", "you are at your capacity"),
        ("not_an_agent", "they are no longer an agent", "you are no longer an agent"),
    ],
)
def test_a_target_who_cannot_take_the_ticket_now_cannot_accept_and_the_owner_is_told(
    app: AppUnderTest, fake_slack: FakeSlack, why: str, told_owner: str, told_target: str
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
    offer_ts = str(offer_in_thread(fake_slack, ticket)[1].response["ts"])
    if why in ("away", "offline"):
        set_status(app, AGENT_2, Availability(why))
    elif why == "at_capacity":
        other = connected_ticket(app, fake_slack, CUSTOMER_2, AGENT_2)
        set_status(app, AGENT_2, Availability.AVAILABLE, capacity=1)
        assert other.ticket_id != ticket.ticket_id
    else:
        leaves_the_support_channel(app, fake_slack, AGENT_2)

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept")

    said = answered(fake_slack, "accept")
    assert said.startswith(f"You can't accept ticket {ticket.ticket_id}: {told_target}"), said
    assert f"stays with <@{AGENT}>, who was told" in said
    note = fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "could not accept the transfer", thread_ts=ticket.ts)
    )[0]
    assert note.params["text"] == (
        f"<@{AGENT_2}> could not accept the transfer: {told_owner}. <@{AGENT}>, the ticket stays with you."
    )
    offer_updated(fake_slack, offer_ts, f"could not accept: {told_owner}")
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and (found.state, found.agent_user_id) == (TicketState.CONNECTED, AGENT)
    assert offers(app) == ["refused"]
    assert audited(app, ticket.ticket_id)[-1] == ("decline", AGENT_2, {"could_not_accept": why})
    # Pressed again: the offer ended, nothing changes.
    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "again")
    assert "could not accept it then" in answered(fake_slack, "again")
    assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]


def test_a_target_who_is_available_with_room_accepts(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    """The checks pass an agent who says they are available and has room (and, in the tests of
    test_transfer.py, one who never set a status: a team not using /handoff-status keeps transfers)."""
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    set_status(app, AGENT_2, Availability.AVAILABLE, capacity=1)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept")
    wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT_2}>")
    assert offers(app) == ["accepted"]
