"""The hand-off loop end to end, through the HTTP edge: bot → queue → claim → relay → close.

Every test runs the real app (SQLite and PostgreSQL) and asserts on what the fake Slack received.
To show that something did NOT happen, a test first waits for a later effect that proves the app
finished the step, then looks for the absence.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import (
    CLAIM_TICKET,
    CLOSE_TICKET,
    QUEUE_CLAIM,
    RELEASE_TICKET,
    TALK_TO_AGENT,
    TRANSFER_TICKET,
)
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, OUTSIDER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    ask_for_queue,
    block_text,
    claim,
    claim_and_wait,
    connected_ticket,
    dm,
    dm_posts,
    escalate_by_button,
    escalate_by_typing,
    is_menu,
    posted_to,
    press_cancel,
    press_close,
    press_talk_to_agent,
    thread_posts,
    ticket_posts,
    ticket_updates,
    wait_for_dm,
    wait_for_menu,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.slack_requests import channel_message
from tests.support.waiting import wait_until

PINGS = "<!channel> <!here> <!everyone> <!subteam^S123|@support-team> please look"
PINGS_AS_TEXT = "@channel @here @everyone @support-team please look"


def texts(calls: Iterable[Call]) -> list[str]:
    return [c.params.get("text", "") for c in calls]


def customer_texts_in_thread(fake_slack: FakeSlack, ticket: TicketPost) -> list[str]:
    """What was relayed into the ticket's thread from the customer (the app's own notes left out)."""
    return texts(c for c in thread_posts(fake_slack, ticket) if c.params.get("username"))


def wait_in_thread(fake_slack: FakeSlack, ticket: TicketPost, text: str) -> Call:
    return fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, text, thread_ts=ticket.ts))[0]


def assert_relayed_plainly(call: Call) -> None:
    assert call.params["link_names"] is False, call
    assert call.params["unfurl_links"] is False, call


# -- bot mode ------------------------------------------------------------------------------------


def test_a_dm_gets_the_menu_whose_last_choice_is_talk_to_an_agent(app, fake_slack) -> None:
    dm(app, CUSTOMER, "hello")

    menu = wait_for_menu(fake_slack, CUSTOMER)
    assert action_ids(menu.params["blocks"])[-1] == TALK_TO_AGENT


@pytest.mark.parametrize("text", ["agent", "I want a human", "can I talk to a real person?", "can someone help"])
def test_typing_a_request_for_a_person_escalates(app, fake_slack, text: str) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER, text)

    assert "asked for a person" in block_text(ticket.call.params["blocks"])
    wait_for_dm(fake_slack, CUSTOMER, "*#1* in the queue")


def test_ordinary_text_gets_the_menu_and_no_ticket(app, fake_slack) -> None:
    dm(app, CUSTOMER, "where is my order")

    wait_for_menu(fake_slack, CUSTOMER)
    assert ticket_posts(fake_slack) == []
    assert [c for c in dm_posts(fake_slack, CUSTOMER) if not is_menu(c)] == []


# -- escalation ----------------------------------------------------------------------------------


def test_pressing_talk_to_an_agent_posts_a_ticket_with_name_reason_messages_and_claim(app, fake_slack) -> None:
    dm(app, CUSTOMER, "where is my order")
    wait_for_menu(fake_slack, CUSTOMER)

    ticket = escalate_by_button(app, fake_slack, CUSTOMER)

    shown = block_text(ticket.call.params["blocks"])
    assert "Jane" in shown and "Slack Connect" not in shown
    assert "pressed “Talk to an agent”" in shown
    assert "where is my order" in shown
    assert action_ids(ticket.call.params["blocks"]) == [CLAIM_TICKET, TRANSFER_TICKET]
    wait_for_dm(fake_slack, CUSTOMER, "You are *#1* in the queue")


def test_typing_for_a_person_posts_a_ticket_with_their_recent_messages(app, fake_slack) -> None:
    dm(app, CUSTOMER, "where is my order")
    wait_for_menu(fake_slack, CUSTOMER)

    ticket = escalate_by_typing(app, fake_slack, CUSTOMER, "I need a human please")

    shown = block_text(ticket.call.params["blocks"])
    assert "Jane" in shown and "asked for a person" in shown
    assert shown.index("where is my order") < shown.index("I need a human please")
    assert action_ids(ticket.call.params["blocks"]) == [CLAIM_TICKET, TRANSFER_TICKET]
    wait_for_dm(fake_slack, CUSTOMER, "You are *#1* in the queue")


def test_the_second_customer_to_escalate_is_number_two_in_the_queue(app, fake_slack) -> None:
    escalate_by_typing(app, fake_slack, CUSTOMER)
    escalate_by_button(app, fake_slack, CUSTOMER_2)

    wait_for_dm(fake_slack, CUSTOMER_2, "You are *#2* in the queue")


def test_pressing_talk_to_an_agent_twice_opens_one_ticket(app, fake_slack) -> None:
    press_talk_to_agent(app, CUSTOMER)
    press_talk_to_agent(app, CUSTOMER)

    wait_for_dm(fake_slack, CUSTOMER, "You are still waiting for an agent: *#1*")
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == SUPPORT_CHANNEL)
    assert len(ticket_posts(fake_slack)) == 1
    assert len(dm_posts(fake_slack, CUSTOMER)) == 2  # queued once, then "still waiting"


def test_a_double_click_on_talk_to_an_agent_opens_one_ticket(app, fake_slack) -> None:
    with ThreadPoolExecutor(max_workers=2) as clicks:
        list(clicks.map(lambda _: press_talk_to_agent(app, CUSTOMER), range(2)))  # both answered 200

    wait_for_dm(fake_slack, CUSTOMER, "You are still waiting for an agent: *#1*")
    wait_for_dm(fake_slack, CUSTOMER, "You are *#1* in the queue")
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == SUPPORT_CHANNEL)
    assert len(ticket_posts(fake_slack)) == 1


def test_a_slack_connect_customer_ticket_shows_their_organisation(app, fake_slack) -> None:
    ticket = escalate_by_typing(app, fake_slack, EXTERNAL_CUSTOMER, "agent please")

    shown = block_text(ticket.call.params["blocks"])
    assert "Erin External" in shown and "Acme Corp" in shown


# -- waiting -------------------------------------------------------------------------------------


def test_every_message_while_waiting_gets_the_position_and_lands_in_the_thread_in_order(app, fake_slack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    sent = ["my order is 4411", "it was due on Monday", "the tracking page is blank"]
    for text in sent:
        dm(app, CUSTOMER, text)

    notices = fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "still waiting"), count=3)
    assert all("*#1*" in c.params["text"] for c in notices)
    wait_in_thread(fake_slack, ticket, sent[-1])
    assert customer_texts_in_thread(fake_slack, ticket) == sent


def test_messages_sent_while_the_ticket_is_being_posted_reach_its_thread_in_order(app, fake_slack) -> None:
    fake_slack.delay("users.info", 0.3)  # the customer look-up for the ticket message is slow

    dm(app, CUSTOMER, "I need a human please")
    sent = ["first", "second", "third"]
    for text in sent:
        dm(app, CUSTOMER, text)

    last = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "third"))[0]
    (ticket,) = ticket_posts(fake_slack)
    assert last.params["thread_ts"] == ticket.response["ts"]
    relayed = [c for c in fake_slack.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if c.params.get("username")]
    assert texts(relayed) == sent


def test_the_position_moves_up_when_the_customer_ahead_leaves(app, fake_slack) -> None:
    waiting_ticket(app, fake_slack, CUSTOMER)
    escalate_by_typing(app, fake_slack, CUSTOMER_2)
    dm(app, CUSTOMER_2, "still there?")
    assert "*#2*" in wait_for_dm(fake_slack, CUSTOMER_2, "still waiting").params["text"]

    dm(app, CUSTOMER, "never mind")
    wait_for_dm(fake_slack, CUSTOMER, "left the queue")
    dm(app, CUSTOMER_2, "anyone?")

    assert "*#1*" in wait_for_dm(fake_slack, CUSTOMER_2, "still waiting", count=2).params["text"]


# -- cancel --------------------------------------------------------------------------------------

LEAVE_THE_QUEUE = {
    "typing never mind": lambda app, ticket: dm(app, CUSTOMER, "never mind"),
    "typing cancel": lambda app, ticket: dm(app, CUSTOMER, "cancel"),
    "pressing Cancel": lambda app, ticket: press_cancel(app, CUSTOMER, ticket.ticket_id),
}


@pytest.mark.parametrize("leave", LEAVE_THE_QUEUE.values(), ids=LEAVE_THE_QUEUE.keys())
def test_a_waiting_customer_can_leave_the_queue(app, fake_slack, leave) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    leave(app, ticket)

    update = wait_for_ticket_update(fake_slack, ticket, "Cancelled")
    assert CLAIM_TICKET not in action_ids(update.params["blocks"])
    wait_for_dm(fake_slack, CUSTOMER, "you've left the queue")
    wait_for_menu(fake_slack, CUSTOMER)  # offered again right away
    dm(app, CUSTOMER, "what are your opening hours")
    wait_for_menu(fake_slack, CUSTOMER, count=2)
    assert "what are your opening hours" not in texts(thread_posts(fake_slack, ticket))


def test_i_want_to_cancel_my_order_while_waiting_stays_in_the_queue(app, fake_slack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    dm(app, CUSTOMER, "I want to cancel my order")

    assert "*#1*" in wait_for_dm(fake_slack, CUSTOMER, "still waiting").params["text"]
    wait_in_thread(fake_slack, ticket, "I want to cancel my order")
    assert ticket_updates(fake_slack, ticket) == []
    assert dm_posts(fake_slack, CUSTOMER, "OK, you've left the queue. I'm here if you need anything else.") == []


def test_cancel_pressed_by_someone_else_changes_nothing(app, fake_slack) -> None:
    ticket = escalate_by_typing(app, fake_slack, CUSTOMER)

    press_cancel(app, CUSTOMER_2, ticket.ticket_id)
    dm(app, CUSTOMER, "are you there?")

    assert "*#1*" in wait_for_dm(fake_slack, CUSTOMER, "still waiting").params["text"]
    wait_in_thread(fake_slack, ticket, "are you there?")
    assert ticket_updates(fake_slack, ticket) == []
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "left the queue"))
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER_2}", "left the queue"))


# -- claim ---------------------------------------------------------------------------------------


def test_claiming_shows_claimed_by_and_close_tells_the_customer_and_notes_the_thread(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    claim(app, fake_slack, AGENT, ticket)

    update = wait_for_ticket_update(fake_slack, ticket, "Claimed by <@UAGENT1>")
    assert action_ids(update.params["blocks"]) == [CLOSE_TICKET, TRANSFER_TICKET, RELEASE_TICKET]
    assert "Alice" in wait_for_dm(fake_slack, CUSTOMER, "You are now talking with").params["text"]
    wait_in_thread(fake_slack, ticket, "<@UAGENT1> claimed this ticket")


def test_a_second_claim_is_told_privately_who_has_the_ticket(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    claim_and_wait(app, fake_slack, AGENT, ticket)

    claim(app, fake_slack, AGENT_2, ticket)

    answer = fake_slack.wait_for(f"response_url:claim-{AGENT_2}")[0]
    assert "already claimed by <@UAGENT1>" in answer.params["text"]
    assert answer.params["response_type"] == "ephemeral"
    assert len(ticket_updates(fake_slack, ticket)) == 1
    assert len(dm_posts(fake_slack, CUSTOMER)) == 2  # queued, then "now talking with Alice"
    assert "<@UAGENT2>" not in block_text(fake_slack.messages(SUPPORT_CHANNEL)[0]["blocks"])


def test_someone_outside_the_support_channel_cannot_claim(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    claim(app, fake_slack, OUTSIDER, ticket)

    answer = fake_slack.wait_for(f"response_url:claim-{OUTSIDER}")[0]
    assert "Only members of <#CSUPPORT> can claim" in answer.params["text"]
    assert answer.params["response_type"] == "ephemeral"
    assert ticket_updates(fake_slack, ticket) == []
    claim(app, fake_slack, AGENT, ticket)  # still waiting: an agent can take it
    wait_for_ticket_update(fake_slack, ticket, "Claimed by <@UAGENT1>")


def test_an_admin_outside_the_support_channel_can_claim(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    claim(app, fake_slack, ADMIN, ticket)

    wait_for_ticket_update(fake_slack, ticket, "Claimed by <@UADMIN>")
    assert "Ada Admin" in wait_for_dm(fake_slack, CUSTOMER, "You are now talking with").params["text"]


def test_a_claim_while_the_ticket_message_is_being_posted_shows_on_the_message(app, fake_slack) -> None:
    fake_slack.delay("chat.postMessage", 0.6, count=2)  # Slack is slow: the queued notice, then the ticket message
    fake_slack.delay("conversations.members", 0.3)  # and the agent check of /handoff-queue too
    dm(app, CUSTOMER, "I need a human please")
    wait_for_dm(fake_slack, CUSTOMER, "in the queue")  # the ticket message is on its way now

    (entry,) = [b for b in ask_for_queue(app, fake_slack, AGENT).params["blocks"] if b.get("accessory")]
    pressed = app.slack.block_action(
        AGENT, entry["accessory"]["action_id"], entry["accessory"]["value"], channel_id=SUPPORT_CHANNEL
    )
    assert pressed.status == 200
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")

    def ticket_message_blocks() -> list[Any]:
        return next((m["blocks"] for m in fake_slack.messages(SUPPORT_CHANNEL) if not m.get("thread_ts")), [])

    wait_until(lambda: "Claimed by <@UAGENT1>" in block_text(ticket_message_blocks()), timeout=2)
    assert action_ids(ticket_message_blocks()) == [CLOSE_TICKET, TRANSFER_TICKET, RELEASE_TICKET]


def test_messages_written_while_waiting_are_in_the_thread_once_when_the_agent_claims(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    dm(app, CUSTOMER, "order 4411")
    dm(app, CUSTOMER, "it never arrived")
    fake_slack.wait_for("chat.postMessage", posted_to(f"D{CUSTOMER}", "still waiting"), count=2)

    claim_and_wait(app, fake_slack, AGENT, ticket)
    dm(app, CUSTOMER, "hello Alice")

    wait_in_thread(fake_slack, ticket, "hello Alice")
    assert customer_texts_in_thread(fake_slack, ticket) == ["order 4411", "it never arrived", "hello Alice"]


# -- relay ---------------------------------------------------------------------------------------


def test_customer_messages_reach_the_thread_under_the_customer_name(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    dm(app, CUSTOMER, "my parcel is lost")

    posted = wait_in_thread(fake_slack, ticket, "my parcel is lost")
    assert posted.params["username"] == "Jane"
    assert_relayed_plainly(posted)


def test_owner_replies_reach_the_customer_under_the_agent_name(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    agent_reply(app, AGENT, ticket, "Let me check that for you")

    posted = wait_for_dm(fake_slack, CUSTOMER, "Let me check that for you")
    assert posted.params["username"] == "Alice"
    assert not posted.params.get("thread_ts")
    assert_relayed_plainly(posted)


def test_replies_by_another_agent_stay_in_the_thread(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    agent_reply(app, AGENT_2, ticket, "I think it's the courier")
    agent_reply(app, AGENT, ticket, "Found it")

    wait_for_dm(fake_slack, CUSTOMER, "Found it")
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "courier"))


@pytest.mark.parametrize(
    "note", ["note: refund approved?", "NOTE: check the warehouse", "  Note: mixed case"], ids=["note", "NOTE", "Note"]
)
def test_the_owner_notes_stay_in_the_thread(app, fake_slack, note: str) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    agent_reply(app, AGENT, ticket, note)
    agent_reply(app, AGENT, ticket, "Back to you")

    wait_for_dm(fake_slack, CUSTOMER, "Back to you")
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", note.strip()))


def test_thread_replies_before_the_claim_are_not_relayed(app, fake_slack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    agent_reply(app, AGENT, ticket, "who takes this one?")

    claim_and_wait(app, fake_slack, AGENT, ticket)
    agent_reply(app, AGENT, ticket, "Hi Jane")

    wait_for_dm(fake_slack, CUSTOMER, "Hi Jane")
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "who takes this one"))


def test_top_level_messages_in_the_support_channel_are_ignored(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    reply = app.slack.event(channel_message(AGENT, "lunch anyone?", SUPPORT_CHANNEL))
    assert reply.status == 200
    agent_reply(app, AGENT, ticket, "Hello again")

    wait_for_dm(fake_slack, CUSTOMER, "Hello again")
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "lunch"))


def test_pings_from_the_customer_arrive_in_the_thread_as_plain_text(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    dm(app, CUSTOMER, PINGS)

    posted = wait_in_thread(fake_slack, ticket, "please look")
    assert posted.params["text"] == PINGS_AS_TEXT
    assert_relayed_plainly(posted)


def test_pings_from_the_agent_arrive_in_the_dm_as_plain_text(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    agent_reply(app, AGENT, ticket, PINGS)

    posted = wait_for_dm(fake_slack, CUSTOMER, "please look")
    assert posted.params["text"] == PINGS_AS_TEXT
    assert_relayed_plainly(posted)


# -- close ---------------------------------------------------------------------------------------


def test_closing_tells_the_customer_and_marks_the_ticket_closed(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    press_close(app, fake_slack, AGENT, ticket)

    assert "Alice" in wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation").params["text"]
    update = wait_for_ticket_update(fake_slack, ticket, "Closed by <@UAGENT1>")
    assert action_ids(update.params["blocks"]) == []


def test_after_closing_the_customer_is_back_with_the_bot_and_agent_replies_stay_internal(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")

    agent_reply(app, AGENT, ticket, "one more thing from me")
    dm(app, CUSTOMER, "thanks, bye")

    wait_for_menu(fake_slack, CUSTOMER)
    assert "thanks, bye" not in texts(thread_posts(fake_slack, ticket))
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "one more thing"))


def test_after_closing_a_new_request_opens_a_new_ticket_and_the_old_thread_goes_quiet(app, fake_slack) -> None:
    first = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    press_close(app, fake_slack, AGENT, first)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")

    second = connected_ticket(app, fake_slack, CUSTOMER, AGENT_2, text="agent again please")
    agent_reply(app, AGENT, first, "old thread reply")
    agent_reply(app, AGENT_2, second, "new thread reply")
    dm(app, CUSTOMER, "thanks Bob")

    assert second.ticket_id != first.ticket_id
    wait_for_dm(fake_slack, CUSTOMER, "new thread reply")
    wait_in_thread(fake_slack, second, "thanks Bob")
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "old thread reply"))
    assert "thanks Bob" not in texts(thread_posts(fake_slack, first))


def test_another_agent_cannot_close_someone_elses_ticket(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    press_close(app, fake_slack, AGENT_2, ticket)

    answer = fake_slack.wait_for(f"response_url:close-{AGENT_2}")[0]
    assert "Only <@UAGENT1> or an admin can close" in answer.params["text"]
    assert answer.params["response_type"] == "ephemeral"
    dm(app, CUSTOMER, "still connected?")
    wait_in_thread(fake_slack, ticket, "still connected?")
    assert len(ticket_updates(fake_slack, ticket)) == 1  # the claim only
    fake_slack.assert_no_call("chat.postMessage", posted_to(f"D{CUSTOMER}", "closed"))


def test_an_admin_can_close_any_ticket(app, fake_slack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    press_close(app, fake_slack, ADMIN, ticket)

    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")
    wait_for_ticket_update(fake_slack, ticket, "Closed by <@UADMIN>")


# -- /handoff-queue ------------------------------------------------------------------------------


def test_the_queue_shows_agents_the_waiting_customers_in_order(app, fake_slack) -> None:
    first = escalate_by_typing(app, fake_slack, CUSTOMER)
    connected = waiting_ticket(app, fake_slack, EXTERNAL_CUSTOMER)
    second = escalate_by_button(app, fake_slack, CUSTOMER_2)
    claim_and_wait(app, fake_slack, AGENT, connected)

    answer = ask_for_queue(app, fake_slack, AGENT)

    entries = [b for b in answer.params["blocks"] if b.get("accessory")]
    assert [b["accessory"]["action_id"] for b in entries] == [QUEUE_CLAIM, QUEUE_CLAIM]
    assert [b["accessory"]["value"] for b in entries] == [str(first.ticket_id), str(second.ticket_id)]
    one, two = (b["text"]["text"] for b in entries)
    assert "*#1*" in one and "Jane" in one and "waiting under a minute" in one and "asked for a person" in one
    assert "*#2*" in two and "Omar Second" in two and "waiting under a minute" in two
    assert "pressed “Talk to an agent”" in two
    assert "Erin" not in block_text(answer.params["blocks"])


def test_an_empty_queue_says_nobody_is_waiting(app, fake_slack) -> None:
    answer = ask_for_queue(app, fake_slack, AGENT)

    assert "Nobody is waiting" in answer.params["text"]


def test_the_queue_is_refused_politely_to_outsiders_without_ticket_details(app, fake_slack) -> None:
    escalate_by_typing(app, fake_slack, CUSTOMER)

    answer = ask_for_queue(app, fake_slack, OUTSIDER)

    assert answer.params["text"].startswith("Sorry")
    assert not answer.params.get("blocks")
    for detail in ("Jane", "#1", "Waiting tickets", "asked for a person"):
        assert detail not in answer.params["text"]


def test_the_queue_command_is_acknowledged_at_once_with_an_empty_body(app, fake_slack) -> None:
    fake_slack.delay("conversations.members", 1.5)  # the agent check is slow today

    started = time.monotonic()
    reply = app.slack.slash_command("/handoff-queue", "", AGENT, SUPPORT_CHANNEL, fake_slack.response_url("q"))
    elapsed = time.monotonic() - started

    assert (reply.status, reply.body) == (200, "")
    assert elapsed < 1.0, f"the slash command was acknowledged after {elapsed:.2f}s"
    assert "Nobody is waiting" in fake_slack.wait_for("response_url:q")[0].params["text"]
