"""The ticket message in the support channel shows an offer awaiting its answer (routing's, by DM,
and an owner's transfer) and drops it once answered, timed out, lapsed or withdrawn, through the
signed Slack edge on SQLite and PostgreSQL; a failed update is shown by the scheduler's repair."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.blocks.action_ids import OFFER_ACCEPT, OFFER_DECLINE, TRANSFER_DECLINE
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_under_test import AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    block_text,
    claim,
    connected_ticket,
    escalate_by_typing,
)
from tests.support.waiting import wait_until
from tests.test_routing import (
    AGENT_3,
    PLAIN,
    MovableClock,
    available,
    press,
    run_routing_job,
    start,
    wait_for_offer,
)
from tests.test_transfer import offer_transfer
from tests.test_transfer import press as press_in_channel

WAITING_ON = "waiting for an answer"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def routed(fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[AppUnderTest]:
    running = start(fake_slack, database_url, clock, tmp_path, "round_robin")
    try:
        yield running
    finally:
        running.stop()


def offered_to(agent: str) -> str:
    return f"Offered to <@{agent}>, {WAITING_ON}"


def latest_shown(fake: FakeSlack, ticket: TicketPost) -> str:
    """What the ticket message shows now: its post, or its last successful update (an offer made
    before the message was posted is shown by the post itself)."""
    updates = [c for c in fake.calls("chat.update") if c.params.get("ts") == ticket.ts and c.ok]
    return block_text((updates[-1] if updates else ticket.call).params.get("blocks"))


def shows_at_last(fake: FakeSlack, ticket: TicketPost, contains: str, absent: str | None = None) -> None:
    """The ticket message's latest update shows `contains` (and not `absent`), within the timeout."""

    def shown() -> bool:
        now = latest_shown(fake, ticket)
        return contains in now and (absent is None or absent not in now)

    wait_until(shown, message=f"the ticket message to show {contains!r} without {absent!r}")


def test_a_routing_offer_shows_on_the_ticket_until_it_is_answered(routed: AppUnderTest, fake_slack: FakeSlack) -> None:
    available(routed, AGENT, AGENT_2)
    ticket = escalate_by_typing(routed, fake_slack, CUSTOMER)
    first = wait_for_offer(fake_slack, AGENT)
    shows_at_last(fake_slack, ticket, offered_to(AGENT))
    assert "Waiting for an agent" in latest_shown(fake_slack, ticket)

    press(routed, fake_slack, AGENT, first, OFFER_DECLINE, "decline")
    second = wait_for_offer(fake_slack, AGENT_2)
    shows_at_last(fake_slack, ticket, offered_to(AGENT_2), absent=offered_to(AGENT))

    press(routed, fake_slack, AGENT_2, second, OFFER_ACCEPT, "accept")
    shows_at_last(fake_slack, ticket, f"Claimed by <@{AGENT_2}>", absent=WAITING_ON)


def test_a_routing_offer_timed_out_or_overtaken_by_a_claim_leaves_the_ticket(
    routed: AppUnderTest, fake_slack: FakeSlack, clock: MovableClock
) -> None:
    available(routed, AGENT, AGENT_2)
    ticket = escalate_by_typing(routed, fake_slack, CUSTOMER)
    wait_for_offer(fake_slack, AGENT)
    shows_at_last(fake_slack, ticket, offered_to(AGENT))

    clock.offset += timedelta(seconds=61)
    run_routing_job(routed)
    wait_for_offer(fake_slack, AGENT_2)
    shows_at_last(fake_slack, ticket, offered_to(AGENT_2), absent=offered_to(AGENT))

    claim(routed, fake_slack, AGENT_3, ticket)  # the Claim button wins over the pending offer
    shows_at_last(fake_slack, ticket, f"Claimed by <@{AGENT_3}>", absent=WAITING_ON)
    run_routing_job(routed)  # withdraws the offer: the message stays as it is
    assert WAITING_ON not in latest_shown(fake_slack, ticket)


def test_a_transfer_offer_shows_on_the_ticket_until_it_is_declined(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
    transfer = f"<@{AGENT}> offered a transfer to <@{AGENT_2}>, {WAITING_ON}"
    shows_at_last(fake_slack, ticket, transfer)
    assert f"Claimed by <@{AGENT}>" in latest_shown(fake_slack, ticket)

    press_in_channel(app, fake_slack, AGENT_2, TRANSFER_DECLINE, offer_id, "decline")
    shows_at_last(fake_slack, ticket, f"Claimed by <@{AGENT}>", absent=WAITING_ON)


def test_an_offer_shown_when_the_update_failed_is_repaired_by_the_scheduler(
    routed: AppUnderTest, fake_slack: FakeSlack
) -> None:
    available(routed, AGENT)
    ticket = escalate_by_typing(routed, fake_slack, CUSTOMER)
    offer = wait_for_offer(fake_slack, AGENT)
    shows_at_last(fake_slack, ticket, offered_to(AGENT))

    def dropping_the_offer(params: dict[str, object]) -> bool:
        return params.get("ts") == ticket.ts and WAITING_ON not in str(params.get("blocks"))

    # Slack refuses the next updates of the ticket message that drop the offer (an ok:false answer is
    # not retried by the client); the ticket stays marked stale, and the scheduler's repair shows it.
    fake_slack.fail_when("chat.update", dropping_the_offer, status=200, error="fatal_error", count=2)
    press(routed, fake_slack, AGENT, offer, OFFER_DECLINE, "decline")
    wait_until(lambda: fake_slack.targeted_faults_left("chat.update") == 0, message="both updates refused")
    shows_at_last(fake_slack, ticket, "Waiting for an agent", absent=WAITING_ON)
    refused: list[Call] = [c for c in fake_slack.calls("chat.update") if c.params.get("ts") == ticket.ts and not c.ok]
    assert len(refused) == 2


def test_a_claim_with_the_button_withdraws_the_offer_and_its_dm_at_once(
    fake_slack: FakeSlack, database_url: str, clock: MovableClock, tmp_path: Path
) -> None:
    """Not at the scheduler's next run (an hour away here): the claim's own effects withdraw it."""
    config = tmp_path / "routed.yaml"
    config.write_text(f"{PLAIN}\nrouting:\n  strategy: round_robin\n")
    settings = settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config), HANDOFF_DELIVERY_RETRY_SECONDS="3600")
    app = AppUnderTest(settings, clock).start()
    try:
        available(app, AGENT)
        ticket = escalate_by_typing(app, fake_slack, CUSTOMER)
        offer = wait_for_offer(fake_slack, AGENT)

        claim(app, fake_slack, AGENT_2, ticket)

        fake_slack.wait_for(
            "chat.update",
            lambda c: c.params.get("ts") == offer.response["ts"] and "no longer needs you" in c.params["text"],
        )
        shows_at_last(fake_slack, ticket, f"Claimed by <@{AGENT_2}>", absent=WAITING_ON)
    finally:
        app.stop()
