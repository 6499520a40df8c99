"""Block Kit builders are pure functions: checked without Slack or a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff_slack.blocks import customer
from handoff_slack.blocks.action_ids import CANCEL_WAITING, CLAIM_TICKET, CLOSE_TICKET, TALK_TO_AGENT
from handoff_slack.blocks.queue import age, queue_listing
from handoff_slack.blocks.ticket import customer_label, slack_date, ticket_message
from handoff_slack.core.helpdesk import QueueEntry, QueueSnapshot
from handoff_slack.core.states import EscalationReason, TicketState
from handoff_slack.storage.models import Conversation, Message, Ticket
from tests.support.journeys import action_ids, block_text

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def conversation(**fields: object) -> Conversation:
    values: dict[str, object] = {
        "id": 7,
        "customer_user_id": "UJANE",
        "dm_channel_id": "DJANE",
        "customer_name": "Jane",
    }
    values.update(fields)
    return Conversation(**values)  # type: ignore[arg-type]


def ticket(state: TicketState = TicketState.WAITING, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "id": 12,
        "conversation_id": 7,
        "state": state,
        "reason": EscalationReason.MENU,
        "created_at": NOW,
    }
    values.update(fields)
    return Ticket(**values)  # type: ignore[arg-type]


def test_menu_ends_with_talk_to_an_agent() -> None:
    assert action_ids(customer.menu().blocks)[-1] == TALK_TO_AGENT


def test_queue_notices_carry_the_position_and_a_cancel_button() -> None:
    for rendered in (customer.queued(3, 12), customer.still_waiting(3, 12)):
        assert "#3" in rendered.text
        assert action_ids(rendered.blocks) == [CANCEL_WAITING]
        assert rendered.blocks[-1]["elements"][0]["value"] == "12"


def test_names_are_escaped_in_customer_notices() -> None:
    assert "&lt;!here&gt;" in customer.connected("<!here>").text


def test_waiting_ticket_shows_customer_reason_transcript_and_claim() -> None:
    transcript = [
        Message(conversation_id=7, author_user_id="UJANE", source_channel_id="D", source_ts="1", text="help <!channel>")
    ]
    rendered = ticket_message(ticket(), conversation(), transcript)
    text = block_text(rendered.blocks)
    assert "Jane" in text and "Talk to an agent" in text and "Waiting for an agent" in text
    assert "> help @channel" in text and "<!channel>" not in text
    assert action_ids(rendered.blocks) == [CLAIM_TICKET]


def test_claimed_ticket_offers_close_with_confirmation() -> None:
    rendered = ticket_message(ticket(TicketState.CONNECTED, agent_user_id="UALICE"), conversation(), [])
    assert "Claimed by <@UALICE>" in block_text(rendered.blocks)
    assert action_ids(rendered.blocks) == [CLOSE_TICKET]
    close = next(b for b in rendered.blocks if b["type"] == "actions")["elements"][0]
    assert close["confirm"]["confirm"]["text"] == "Close"


def test_finished_tickets_have_no_buttons() -> None:
    closed = ticket_message(ticket(TicketState.CLOSED, closed_by_user_id="UALICE"), conversation(), [])
    cancelled = ticket_message(ticket(TicketState.CANCELLED), conversation(), [])
    assert action_ids(closed.blocks) == [] and "Closed by <@UALICE>" in closed.text
    assert action_ids(cancelled.blocks) == [] and "Cancelled" in cancelled.text


def test_slack_connect_customers_show_their_organisation() -> None:
    assert customer_label(conversation(customer_org_name="Acme & Co")) == "Jane (Acme &amp; Co, Slack Connect)"
    assert customer_label(conversation(customer_name=None)) == "A customer"


def test_dates_render_in_each_readers_time_zone_with_a_fallback() -> None:
    naive = NOW.replace(tzinfo=None)  # as SQLite returns it
    assert slack_date(naive) == f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-25 09:00 UTC>"


def test_queue_listing_orders_entries_and_counts_the_rest() -> None:
    entries = [
        QueueEntry(1, ticket(id=1, created_at=NOW - timedelta(minutes=5)), conversation(customer_name="Jane")),
        QueueEntry(2, ticket(id=2, created_at=NOW - timedelta(seconds=20)), conversation(customer_name="Omar")),
    ]
    rendered = queue_listing(QueueSnapshot(entries, total=5), NOW)
    text = block_text(rendered.blocks)
    assert text.index("*#1* · Jane") < text.index("*#2* · Omar")
    assert "waiting 5 min" in text and "waiting under a minute" in text
    assert "…and 3 more." in text
    assert action_ids(rendered.blocks) == [CLAIM_TICKET, CLAIM_TICKET]


def test_empty_queue() -> None:
    assert queue_listing(QueueSnapshot([], 0), NOW).text.startswith("Nobody is waiting")


def test_ages_read_naturally() -> None:
    assert age(NOW - timedelta(hours=2, minutes=3), NOW) == "2 h 3 min"
    assert age(NOW - timedelta(days=1, hours=4), NOW) == "1 d 4 h"


def test_file_shares_show_in_the_transcript_by_name() -> None:
    files = [{"name": "invoice<1>.pdf"}, {"title": "screenshot"}]
    only_files = Message(
        conversation_id=7, author_user_id="UJANE", source_channel_id="D", source_ts="1", text="", files=files
    )
    with_text = Message(
        conversation_id=7, author_user_id="UJANE", source_channel_id="D", source_ts="2", text="see", files=files[:1]
    )
    text = block_text(ticket_message(ticket(), conversation(), [only_files, with_text]).blocks)
    assert "> _(shared invoice&lt;1&gt;.pdf, screenshot)_" in text
    assert "> see _(shared invoice&lt;1&gt;.pdf)_" in text
