"""The waiting timers' builders (blocks.waiting): the offer's buttons carry its ID and go once it is
answered; names are escaped; Snooze shows who and until when; the ticket message's async line."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff_slack.blocks.action_ids import IDLE_SNOOZE, WAIT_CANCEL, WAIT_KEEP, WAIT_LATER
from handoff_slack.blocks.notices import render_notice
from handoff_slack.blocks.waiting import already_chosen, answer_later_line, snoozed_until
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketCustomer, TicketView
from handoff_slack.core.waiting_offers import OfferState, wait_offer
from tests.support.journeys import action_ids, block_text


def test_an_open_offer_has_three_buttons_carrying_its_id_and_an_answered_one_none() -> None:
    shown = render_notice(wait_offer(42, 7, 1, 15), "note:")
    assert action_ids(shown.blocks) == [WAIT_KEEP, WAIT_LATER, WAIT_CANCEL]
    assert {e["value"] for b in shown.blocks if b["type"] == "actions" for e in b["elements"]} == {"42"}
    assert "15 minutes" in shown.text
    kept = Notice(NoticeKind.WAIT_OFFER, {**wait_offer(42, 7, 2, 15).facts, "state": "kept", "position": 3})
    answered = render_notice(kept, "note:")
    assert action_ids(answered.blocks) == [] and "*#3*" in block_text(answered.blocks)
    assert "a while" in answered.text  # the second offer
    assert already_chosen(OfferState.LATER) == "You already chose “Leave a message for later”."


def test_the_idle_close_escapes_the_agents_name_and_snooze_says_who_and_until_when() -> None:
    closed = render_notice(Notice(NoticeKind.IDLE_CLOSED, {"quiet": 40, "agent_name": "<!channel> Eve"}), "note:")
    assert "<!channel>" not in closed.text and "40 minutes" in closed.text
    until = datetime(2027, 1, 5, 14, 30, tzinfo=UTC)
    facts = {"quiet": 30, "closes_in": 10, "warning_id": 9, "state": "open"}
    warning = render_notice(Notice(NoticeKind.IDLE_WARNING_NOTE, facts), "note:")
    assert action_ids(warning.blocks) == [IDLE_SNOOZE]
    snoozed = {**facts, "state": "snoozed", "until": until.isoformat(), "by_user_id": "UAGENT1"}
    after = render_notice(Notice(NoticeKind.IDLE_WARNING_NOTE, snoozed), "note:")
    assert action_ids(after.blocks) == [] and "Snoozed by <@UAGENT1> until <!date^" in after.text
    assert "14:30 UTC" in snoozed_until(until, "UAGENT1")


def test_the_ticket_message_line_shows_only_while_waiting_answered_later() -> None:
    customer = TicketCustomer("UCUST1", FrontDoor("DUCUST1"))
    ticket = TicketView(1, 1, TicketState.WAITING, "menu", customer, datetime(2027, 1, 5, tzinfo=UTC))
    assert answer_later_line(ticket) is None
    later = TicketView(
        1, 1, TicketState.WAITING, "menu", customer, datetime(2027, 1, 5, tzinfo=UTC), async_at=datetime.now(UTC)
    )
    line = answer_later_line(later)
    assert line is not None and "Answer later" in block_text([line])
