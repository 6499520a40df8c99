"""Disguised links and pings end to end, through the HTTP edge: what the fake Slack received.

A customer's `<https://evil.example|https://acme.com/reset>` (Slack's markup for a link whose
label is another address) must reach agents with its real target shown, in the bot's own ticket
card as in relayed messages; the same holds for what an agent sends to the customer.
"""

from __future__ import annotations

from tests.conftest import AGENT, CUSTOMER
from tests.support.app_under_test import AppUnderTest
from tests.support.fake_slack import FakeSlack
from tests.support.journeys import (
    agent_reply,
    ask_for_queue,
    block_text,
    claim_and_wait,
    dm,
    posted_to,
    waiting_ticket,
)

DISGUISED = "my reset link <HTTPS://evil.example|https://acme.com/reset> fails <!HERE>"
REVEALED = "my reset link https://acme.com/reset (<HTTPS://evil.example>) fails @HERE"


def test_the_ticket_card_shows_where_a_customers_link_really_goes(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    dm(app, CUSTOMER, DISGUISED)
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    card = block_text(ticket.call.params["blocks"])
    assert REVEALED in card
    assert "evil.example|" not in card and "<!HERE>" not in card


def test_relayed_links_show_their_real_target_both_ways(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    claim_and_wait(app, fake_slack, AGENT, ticket)

    dm(app, CUSTOMER, DISGUISED)
    in_thread = fake_slack.wait_for("chat.postMessage", posted_to("CSUPPORT", "my reset link", thread_ts=ticket.ts))
    assert in_thread[0].params["text"] == REVEALED

    agent_reply(app, AGENT, ticket, "try <mailto:phish@evil.example|help@acme.com> or <tel:+15550100|our desk>")
    in_dm = fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "try "))
    assert in_dm[0].params["text"] == "try help@acme.com (<mailto:phish@evil.example>) or our desk (<tel:+15550100>)"


def test_a_quoted_undelivered_reply_shows_where_its_link_really_goes(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    claim_and_wait(app, fake_slack, AGENT, ticket)
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found")

    agent_reply(app, AGENT, ticket, DISGUISED)

    warning = fake_slack.wait_for("chat.postMessage", posted_to("CSUPPORT", "could not be delivered", ticket.ts))
    assert f"> {REVEALED}" in warning[0].params["text"]


def test_the_queue_listing_shows_names_as_written(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(CUSTOMER, name="jane", display_name="<https://evil.example|Acme IT> <!here>")
    waiting_ticket(app, fake_slack, CUSTOMER)

    listing = block_text(ask_for_queue(app, fake_slack, AGENT).params["blocks"])
    assert "&lt;https://evil.example|Acme IT&gt; &lt;!here&gt;" in listing
