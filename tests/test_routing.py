"""Routing strategies through the signed Slack edge: offers by DM with Accept / Decline, the next
agent on a decline or a timeout (the scheduler's job driven directly, on the app's movable clock),
the end of a full round, least busy, capacity, and an accept racing a Claim on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handoff_slack.blocks.action_ids import OFFER_ACCEPT, OFFER_DECLINE
from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.core.states import TicketState
from handoff_slack.scheduler import route_waiting_tickets
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import block_text, claim, connect, escalate_by_typing, posted_to, thread_posts
from tests.support.waiting import wait_until

PLAIN = (Path(__file__).parent / "fixtures" / "bot" / "plain_handoff.yaml").read_text()
AGENT_3 = "UAGENT3"
OFFERED = "is offered to you"


class MovableClock:
    """Real time, moved on by the test: offers' time runs out when it says."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def start(fake: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path, strategy: str) -> AppUnderTest:
    config = tmp_path / f"{strategy}.yaml"
    config.write_text(f"{PLAIN}\nrouting:\n  strategy: {strategy}\n  offer_timeout_seconds: 60\n")
    fake.add_user(AGENT_3, name="cleo", real_name="Cleo Agent", display_name="Cleo")
    fake.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2, AGENT_3])
    return AppUnderTest(settings_for(fake, database_url, HANDOFF_CONFIG=str(config)), clock).start()


@pytest.fixture
def round_robin(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, tmp_path, "round_robin")
    try:
        yield running
    finally:
        running.stop()


def available(app: AppUnderTest, *agents: str, capacity: int | None = None) -> None:
    assert app.app is not None
    for user in agents:
        change = ProfileChange(availability=Availability.AVAILABLE, capacity=capacity)
        app.app.services.profiles.change(user, change, user, app.clock())


def offers_to(fake: FakeSlack, agent: str) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage", channel=agent) if OFFERED in c.params.get("text", "")]


def wait_for_offer(fake: FakeSlack, agent: str, count: int = 1) -> Call:
    return fake.wait_for("chat.postMessage", posted_to(agent, OFFERED), count)[count - 1]


def offer_id(offer: Call) -> str:
    actions = next(b for b in offer.params["blocks"] if b["type"] == "actions")
    return str(actions["elements"][0]["value"])


def press(app: AppUnderTest, fake: FakeSlack, agent: str, offer: Call, action: str, name: str) -> Call:
    """`agent` presses Accept or Decline on an offer's DM; the answer only they see."""
    url = fake.response_url(name)
    reply = app.slack.block_action(
        agent,
        action,
        offer_id(offer),
        channel_id=str(offer.response["channel"]),
        message_ts=str(offer.response["ts"]),
        response_url=url,
    )
    assert reply.status == 200, reply
    return fake.wait_for(f"response_url:{name}")[0]


def audit_actions(app: AppUnderTest, ticket_id: int) -> list[tuple[str, str, str | None]]:
    assert app.app is not None
    entries = reversed(app.app.services.audit.entries(ticket_id=ticket_id))
    return [(e.action, e.actor_user_id, e.subject_user_id) for e in entries]


def run_routing_job(app: AppUnderTest) -> None:
    assert app.app is not None
    route_waiting_tickets(app.app.services)


def test_round_robin_offers_the_ticket_by_dm_and_accept_claims_it(
    round_robin: AppUnderTest, fake_slack: FakeSlack
) -> None:
    available(round_robin, AGENT, AGENT_2)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)

    offer = wait_for_offer(fake_slack, AGENT)  # the first by user ID; AGENT_3 never said they are on
    assert f"<@{CUSTOMER}>" in block_text(offer.params["blocks"])
    answer = press(round_robin, fake_slack, AGENT, offer, OFFER_ACCEPT, "accept")

    assert answer.params["text"] == f"Ticket #{ticket.ticket_id} is yours: reply in its thread in the support channel."
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"))
    fake_slack.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == ticket.ts and f"Claimed by <@{AGENT}>" in block_text(c.params.get("blocks")),
    )
    # The offer's buttons are gone.
    fake_slack.wait_for(
        "chat.update", lambda c: c.params.get("ts") == offer.response["ts"] and "You accepted" in c.params["text"]
    )
    found = round_robin.helpdesk.ticket(ticket.ticket_id)
    assert found.state is TicketState.CONNECTED and found.agent_user_id == AGENT
    assert audit_actions(round_robin, ticket.ticket_id) == [("offer", "bot", AGENT), ("accept", AGENT, None)]
    assert offers_to(fake_slack, AGENT_2) == []

    # Pressed again: nothing changes, said politely.
    again = press(round_robin, fake_slack, AGENT, offer, OFFER_ACCEPT, "accept-again")
    assert "has moved on" in again.params["text"]
    connected = [
        c
        for c in fake_slack.calls("chat.postMessage", channel=f"D{CUSTOMER}")
        if "You are now talking" in c.params["text"]
    ]
    assert len(connected) == 1


def test_a_decline_moves_the_offer_to_the_next_agent_and_the_pointer_goes_round(
    round_robin: AppUnderTest, fake_slack: FakeSlack
) -> None:
    available(round_robin, AGENT, AGENT_2)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    first = wait_for_offer(fake_slack, AGENT)

    answer = press(round_robin, fake_slack, AGENT, first, OFFER_DECLINE, "decline")

    assert answer.params["text"] == f"Declined: ticket #{ticket.ticket_id} goes to the next agent."
    wait_for_offer(fake_slack, AGENT_2)
    # Someone else pressing the offer changes nothing.
    assert press(round_robin, fake_slack, AGENT_3, first, OFFER_ACCEPT, "stranger").params["text"] == (
        "This offer was made to someone else, so nothing changed."
    )
    # The next ticket starts after the last agent offered (AGENT_2): back round to AGENT.
    escalate_by_typing(round_robin, fake_slack, CUSTOMER_2)
    wait_for_offer(fake_slack, AGENT, count=2)
    assert audit_actions(round_robin, ticket.ticket_id) == [
        ("offer", "bot", AGENT),
        ("decline", AGENT, None),
        ("offer", "bot", AGENT_2),
    ]


def test_an_unanswered_offer_times_out_to_the_next_and_after_a_full_round_anyone_may_claim(
    round_robin: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    available(round_robin, AGENT, AGENT_2)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    first = wait_for_offer(fake_slack, AGENT)

    clock.offset += timedelta(seconds=61)
    run_routing_job(round_robin)
    second = wait_for_offer(fake_slack, AGENT_2)
    fake_slack.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == first.response["ts"] and "not answered in time" in c.params["text"],
    )
    late = press(round_robin, fake_slack, AGENT, first, OFFER_ACCEPT, "late")
    assert "has moved on" in late.params["text"]

    clock.offset += timedelta(seconds=61)
    run_routing_job(round_robin)
    note = fake_slack.wait_for(
        "chat.postMessage", posted_to(SUPPORT_CHANNEL, "nobody accepted it: anyone can claim it", thread_ts=ticket.ts)
    )[0]
    assert note.params["thread_ts"] == ticket.ts
    run_routing_job(round_robin)  # nobody is offered it again
    assert len(offers_to(fake_slack, AGENT)) == 1 and len(offers_to(fake_slack, AGENT_2)) == 1
    assert "has moved on" in press(round_robin, fake_slack, AGENT_2, second, OFFER_ACCEPT, "late-2").params["text"]
    assert audit_actions(round_robin, ticket.ticket_id) == [
        ("offer", "bot", AGENT),
        ("offer_timeout", "bot", AGENT),
        ("offer", "bot", AGENT_2),
        ("offer_timeout", "bot", AGENT_2),
    ]
    # Claim still works for anyone.
    claim(round_robin, fake_slack, AGENT_3, ticket)
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"))


def test_an_agent_at_capacity_is_skipped(round_robin: AppUnderTest, fake_slack: FakeSlack) -> None:
    connect(round_robin, fake_slack, CUSTOMER, AGENT)  # claimed while nobody is available: no offer
    available(round_robin, AGENT, AGENT_2, capacity=1)  # AGENT's one conversation fills them

    escalate_by_typing(round_robin, fake_slack, CUSTOMER_2)

    wait_for_offer(fake_slack, AGENT_2)
    assert offers_to(fake_slack, AGENT) == []


def test_least_busy_offers_the_agent_with_fewest_open_conversations(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    app = start(fake_slack, database_url, clock, tmp_path, "least_busy")
    try:
        connect(app, fake_slack, CUSTOMER, AGENT)  # AGENT (first by ID) has one open conversation
        available(app, AGENT, AGENT_2)
        escalate_by_typing(app, fake_slack, CUSTOMER_2)

        wait_for_offer(fake_slack, AGENT_2)  # round robin would have offered it to AGENT
        assert offers_to(fake_slack, AGENT) == []
    finally:
        app.stop()


def test_manual_stays_as_today_no_offers(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    available(app, AGENT, AGENT_2)
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
    run_routing_job(app)
    assert offers_to(fake_slack, AGENT) == [] and offers_to(fake_slack, AGENT_2) == []
    assert audit_actions(app, ticket.ticket_id) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_accept_and_a_claim_at_once_have_one_winner(round_robin: AppUnderTest, fake_slack: FakeSlack) -> None:
    available(round_robin, AGENT)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    offer = wait_for_offer(fake_slack, AGENT)
    barrier = threading.Barrier(2)
    results: dict[str, Call] = {}

    def accept() -> None:
        barrier.wait(5)
        results["accept"] = press(round_robin, fake_slack, AGENT, offer, OFFER_ACCEPT, "race-accept")

    def claim_it() -> None:
        barrier.wait(5)
        claim(round_robin, fake_slack, AGENT_2, ticket, name="race-claim")

    threads = [threading.Thread(target=accept), threading.Thread(target=claim_it)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    connected = fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "You are now talking with"))
    found = round_robin.helpdesk.ticket(ticket.ticket_id)
    assert found.state is TicketState.CONNECTED and found.agent_user_id in (AGENT, AGENT_2)
    wait_until(lambda: len(thread_posts(fake_slack, ticket)) >= 1)
    assert len(connected) == 1
    assert len([e for e in audit_actions(round_robin, ticket.ticket_id) if e[0] in ("claim", "accept")]) == 1
    if found.agent_user_id == AGENT_2:
        assert "has it" in results["accept"].params["text"]
    else:
        assert results["accept"].params["text"].endswith("is yours: reply in its thread in the support channel.")


def test_a_pending_offer_survives_a_restart_and_times_out_after_it(
    round_robin: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    available(round_robin, AGENT, AGENT_2)
    escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    wait_for_offer(fake_slack, AGENT)

    round_robin.restart()
    clock.offset += timedelta(seconds=61)
    run_routing_job(round_robin)

    wait_for_offer(fake_slack, AGENT_2)
    assert len(offers_to(fake_slack, AGENT)) == 1


def test_a_ticket_nobody_can_be_offered_is_left_to_anyone_after_the_fallback_wait(
    round_robin: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)  # nobody said they are available
    run_routing_job(round_robin)
    assert thread_posts(fake_slack, ticket, None) == []

    clock.offset += timedelta(seconds=301)
    run_routing_job(round_robin)

    fake_slack.wait_for(
        "chat.postMessage",
        posted_to(SUPPORT_CHANNEL, "Nobody could be offered this ticket in time", thread_ts=ticket.ts),
    )
    available(round_robin, AGENT)  # too late for this one: it is anyone's to claim
    run_routing_job(round_robin)
    assert offers_to(fake_slack, AGENT) == []


def test_an_offer_button_with_a_bad_or_unknown_value_changes_nothing(
    round_robin: AppUnderTest, fake_slack: FakeSlack
) -> None:
    for n, value in enumerate(["", "abc", "0", "-1", "99999999999", "١٢", "999"]):
        url = fake_slack.response_url(f"bad-{n}")
        reply = round_robin.slack.block_action(AGENT, OFFER_ACCEPT, value, channel_id=f"D{AGENT}", response_url=url)
        assert reply.status == 200
        answer = fake_slack.wait_for(f"response_url:bad-{n}")[0]
        assert answer.params["text"] == "That button doesn't belong to any offer, so nothing changed."
        assert answer.params["response_type"] == "ephemeral"


def test_an_agent_who_went_away_since_the_offer_may_still_accept_it(
    round_robin: AppUnderTest, fake_slack: FakeSlack
) -> None:
    """Going away stops new offers; pressing Accept on one made while available shows they are there."""
    available(round_robin, AGENT)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    offer = wait_for_offer(fake_slack, AGENT)
    assert round_robin.app is not None
    away = ProfileChange(availability=Availability.AWAY)
    round_robin.app.services.profiles.change(AGENT, away, AGENT, round_robin.clock())

    answer = press(round_robin, fake_slack, AGENT, offer, OFFER_ACCEPT, "accept-away")

    assert answer.params["text"].endswith("is yours: reply in its thread in the support channel.")
    found = round_robin.helpdesk.ticket(ticket.ticket_id)
    assert found.state is TicketState.CONNECTED and found.agent_user_id == AGENT


def test_an_agent_who_left_the_team_since_the_offer_cannot_accept_it_and_it_moves_on(
    round_robin: AppUnderTest, fake_slack: FakeSlack
) -> None:
    available(round_robin, AGENT, AGENT_2)
    ticket = escalate_by_typing(round_robin, fake_slack, CUSTOMER)
    offer = wait_for_offer(fake_slack, AGENT)
    fake_slack.set_members(SUPPORT_CHANNEL, [AGENT_2, AGENT_3])
    left = {"type": "member_left_channel", "user": AGENT, "channel": SUPPORT_CHANNEL, "event_ts": new_ts()}
    assert round_robin.slack.event(left).status == 200
    assert round_robin.app is not None
    services = round_robin.app.services
    wait_until(lambda: not services.agents.is_agent(AGENT), message="the membership event applied")

    answer = press(round_robin, fake_slack, AGENT, offer, OFFER_ACCEPT, "accept-gone")

    assert answer.params["text"] == (
        f"You are no longer an agent (a member of the support team), so ticket #{ticket.ticket_id} "
        "goes to the next agent."
    )
    wait_for_offer(fake_slack, AGENT_2)
    found = round_robin.helpdesk.ticket(ticket.ticket_id)
    assert found.state is TicketState.WAITING
    entries = list(reversed(services.audit.entries(ticket_id=ticket.ticket_id)))
    assert [(e.action, e.actor_user_id, e.details) for e in entries][1] == (
        "decline",
        AGENT,
        {"could_not_accept": "not_an_agent"},
    )
