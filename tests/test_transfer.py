"""Transfer, release and reassign (core.transfers) through the signed Slack edge, on SQLite and
PostgreSQL: the offer and its answer, the queue place kept, admins' modal and command, refusals,
what the customer is (and is never) told, the history of owners, and races across replicas."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import (
    CLAIM_TICKET,
    CLOSE_TICKET,
    RELEASE_FORM,
    RELEASE_TICKET,
    TRANSFER_ACCEPT,
    TRANSFER_DECLINE,
    TRANSFER_FORM,
    TRANSFER_TICKET,
)
from handoff_slack.core.states import ConversationMode, TicketState
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.storage.models import Conversation, TicketOwner, TransferOffer
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2, EXTERNAL_CUSTOMER, OUTSIDER
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    agent_says,
    ask_for_queue,
    block_text,
    connected_ticket,
    dm_posts,
    posted_to,
    press_close,
    thread_posts,
    wait_for_dm,
    wait_for_ticket_update,
    waiting_ticket,
)
from tests.support.waiting import wait_until
from tests.test_shared_channel_leaks import (
    assert_nothing_internal_reached_the_shared_channel,
    escalated_thread,
    to_customer,
)
from tests.test_shared_channels import SHARED, serve

NOTE = "VIP <!channel> refund pending <https://evil.example|bank.com>"
AGENT_3 = "UAGENT3"


# -- steps ---------------------------------------------------------------------------------------------


def press(
    app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, value: int | str, name: str, ts: str = "1.0"
) -> str:
    """`user` presses a button in the support channel; returns the response_url's name."""
    reply = app.slack.block_action(
        user,
        action_id,
        str(value),
        channel_id=SUPPORT_CHANNEL,
        message_ts=ts,
        response_url=fake.response_url(name),
        trigger_id=fake.issue_trigger(user),
    )
    assert (reply.status, reply.body) == (200, ""), reply
    return name


def answered(fake: FakeSlack, name: str) -> str:
    """The answer only the presser saw (their response_url)."""
    return str(fake.wait_for(f"response_url:{name}")[0].params.get("text"))


def submit_transfer(app: AppUnderTest, user: str, ticket_id: int, target: str | None, note: str = "") -> Any:
    values: dict[str, Any] = {"note": {"note": note}}
    if target is not None:
        values["target"] = {"target": {"type": "users_select", "selected_user": target}}
    reply = app.slack.view_submission(user, TRANSFER_FORM, values, private_metadata=str(ticket_id))
    assert reply.status == 200, reply
    return json.loads(reply.body) if reply.body else None


def submit_release(app: AppUnderTest, user: str, ticket_id: int, note: str = "") -> None:
    reply = app.slack.view_submission(user, RELEASE_FORM, {"note": {"note": note}}, private_metadata=str(ticket_id))
    assert (reply.status, reply.body) == (200, ""), reply


def offer_in_thread(fake: FakeSlack, ticket: TicketPost, count: int = 1) -> tuple[int, Call]:
    """The `count`-th transfer offer posted in the ticket's thread, and its ID (on its buttons)."""
    posts = fake.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("thread_ts") == ticket.ts and TRANSFER_ACCEPT in action_ids(c.params.get("blocks")),
        count,
    )
    call = posts[count - 1]
    value = next(b for b in call.params["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    return int(value), call


def offer_transfer(app: AppUnderTest, fake: FakeSlack, owner: str, ticket: TicketPost, target: str) -> int:
    assert submit_transfer(app, owner, ticket.ticket_id, target, NOTE) is None  # the modal closes
    return offer_in_thread(fake, ticket)[0]


def customer_saw(fake: FakeSlack, customer: str) -> str:
    return "\n".join(
        (c.params.get("text") or "") + block_text(c.params.get("blocks")) for c in dm_posts(fake, customer)
    )


def owners(app: AppUnderTest, ticket_id: int) -> list[tuple[str, str, str | None]]:
    from sqlmodel import col, select

    assert app.app is not None
    with app.app.db.transaction() as session:
        rows = session.exec(select(TicketOwner).where(TicketOwner.ticket_id == ticket_id).order_by(col(TicketOwner.id)))
        return [(r.agent_user_id, r.began_how, r.ended_how) for r in rows]


def offers(app: AppUnderTest) -> list[str]:
    from sqlmodel import col, select

    assert app.app is not None
    with app.app.db.transaction() as session:
        return [o.state for o in session.exec(select(TransferOffer).order_by(col(TransferOffer.id)))]


def mode_of(app: AppUnderTest, ticket_id: int) -> str:
    found = app.helpdesk.ticket(ticket_id)
    assert found is not None
    assert app.app is not None
    with app.app.db.transaction() as session:
        conversation = session.get(Conversation, found.conversation_id)
        assert conversation is not None
        return conversation.mode


def assert_customer_never_saw_internals(fake: FakeSlack, customer: str) -> None:
    shown = customer_saw(fake, customer)
    for internal in ("refund pending", "VIP", "UAGENT", "UADMIN", "transfer", "released"):
        assert internal not in shown, (internal, shown)


# -- transfer ------------------------------------------------------------------------------------------


def test_a_transfer_accepted_gives_the_customer_to_the_new_owner(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    press(app, fake_slack, AGENT, TRANSFER_TICKET, ticket.ticket_id, "transfer", ticket.ts)
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == TRANSFER_FORM and opened["private_metadata"] == str(ticket.ticket_id)
    assert any(b.get("element", {}).get("type") == "users_select" for b in opened["blocks"])
    assert "Transfer" in opened["title"]["text"]

    offer_id, offer = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2), offer_in_thread(fake_slack, ticket)[1]
    shown = offer.params["text"] + block_text(offer.params["blocks"])
    assert f"<@{AGENT_2}>" in shown and f"<@{AGENT}>" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown  # the note pings nobody
    assert "<https://evil.example|bank.com>" not in shown
    assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]  # until accepted

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept", offer.response["ts"])
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob", count=1)
    handed = fake_slack.wait_for("chat.postMessage", lambda c: "accepted the transfer" in (c.params.get("text") or ""))
    assert handed[0].params["thread_ts"] == ticket.ts and "refund pending" in handed[0].params["text"]
    update = wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT_2}>")
    assert "Previous owners" in block_text(update.params["blocks"]) and "Alice" in block_text(update.params["blocks"])
    # The offer loses its buttons once answered.
    fake_slack.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == offer.response["ts"] and "Accepted by" in block_text(c.params.get("blocks")),
    )

    # The relay now goes between the customer and Bob; Alice's replies stay internal.
    agent_says(app, fake_slack, AGENT_2, ticket, "Bob here, sorting it out")
    agent_reply(app, AGENT, ticket, "alice's aside")
    agent_says(app, fake_slack, AGENT_2, ticket, "done")
    assert not dm_posts(fake_slack, CUSTOMER, "alice's aside")
    assert owners(app, ticket.ticket_id) == [(AGENT, "claimed", "transferred"), (AGENT_2, "transferred", None)]
    assert offers(app) == ["accepted"]
    audited = app.app.services.audit.entries(ticket_id=ticket.ticket_id)
    assert [(e.action, e.actor_user_id, e.subject_user_id) for e in reversed(audited)] == [
        ("claim", AGENT, None),
        ("transfer", AGENT, AGENT_2),
        ("accept", AGENT_2, None),
    ]
    assert_customer_never_saw_internals(fake_slack, CUSTOMER)


def test_a_declined_transfer_leaves_the_ticket_with_its_owner_who_is_told(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)

    press(app, fake_slack, AGENT_2, TRANSFER_DECLINE, offer_id, "decline")
    told = fake_slack.wait_for("chat.postMessage", lambda c: "declined the transfer" in (c.params.get("text") or ""))
    assert (
        told[0].params["thread_ts"] == ticket.ts and f"<@{AGENT}>, the ticket stays with you" in told[0].params["text"]
    )
    assert offers(app) == ["declined"]
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.agent_user_id == AGENT and found.state is TicketState.CONNECTED
    agent_says(app, fake_slack, AGENT, ticket, "still me")

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept-after-decline")  # changed their mind: too late
    assert "already declined" in answered(fake_slack, "accept-after-decline")
    assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]
    assert_customer_never_saw_internals(fake_slack, CUSTOMER)


def test_only_the_target_can_accept_or_decline(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)

    for who, action in [(AGENT, TRANSFER_ACCEPT), (ADMIN, TRANSFER_ACCEPT), (OUTSIDER, TRANSFER_DECLINE)]:
        name = press(app, fake_slack, who, action, offer_id, f"not-target-{who}")
        assert "only they can accept or decline" in answered(fake_slack, name)
    assert offers(app) == ["pending"]
    assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, "99999", "no-such-offer")
    assert "doesn't exist" in answered(fake_slack, "no-such-offer")
    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, "not-a-number", "junk-offer")
    assert "doesn't belong to any transfer offer" in answered(fake_slack, "junk-offer")


def test_an_offer_pressed_after_the_ticket_closed_changes_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    offer_id, offer = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2), offer_in_thread(fake_slack, ticket)[1]
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_ticket_update(fake_slack, ticket, "Closed by")

    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "late-accept")
    assert "no longer open" in answered(fake_slack, "late-accept")
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.state is TicketState.CLOSED and found.agent_user_id == AGENT
    assert offers(app) == ["stale"]
    fake_slack.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == offer.response["ts"] and "No longer open" in block_text(c.params.get("blocks")),
    )
    assert "talking with *Bob" not in customer_saw(fake_slack, CUSTOMER)
    # Transfer on the closed ticket's (old) message: refused, no modal.
    press(app, fake_slack, AGENT, TRANSFER_TICKET, ticket.ticket_id, "transfer-closed")
    assert "not open any more" in answered(fake_slack, "transfer-closed")
    assert not fake_slack.calls("views.open")


def test_the_transfer_modal_refuses_someone_who_is_not_an_agent(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    refused = submit_transfer(app, AGENT, ticket.ticket_id, OUTSIDER)
    assert refused["response_action"] == "errors" and "member of the support channel" in refused["errors"]["target"]
    assert submit_transfer(app, AGENT, ticket.ticket_id, None)["errors"]["target"] == "Choose an agent."
    assert submit_transfer(app, AGENT, ticket.ticket_id, CUSTOMER)["response_action"] == "errors"
    bot = fake_slack.bot_user_id  # the app is a member of the support channel too, not an agent
    fake_slack.set_members(SUPPORT_CHANNEL, [AGENT, AGENT_2, bot])
    joined = {"type": "member_joined_channel", "user": bot, "channel": SUPPORT_CHANNEL, "event_ts": new_ts()}
    assert app.slack.event(joined).status == 200
    assert submit_transfer(app, AGENT, ticket.ticket_id, fake_slack.bot_user_id)["response_action"] == "errors"
    command = f"{ticket.ticket_id} <@{fake_slack.bot_user_id}>"
    app.slack.slash_command("/handoff-assign", command, ADMIN, SUPPORT_CHANNEL, fake_slack.response_url("to-bot"))
    assert "is not an agent" in answered(fake_slack, "to-bot")

    # Someone else's ticket: the button answers only them, and no modal opens; a forged submission changes nothing.
    press(app, fake_slack, AGENT_2, TRANSFER_TICKET, ticket.ticket_id, "not-owner")
    assert f"Only <@{AGENT}>, who has ticket {ticket.ticket_id}, or an admin" in answered(fake_slack, "not-owner")
    assert not fake_slack.calls("views.open")
    submit_transfer(app, AGENT_2, ticket.ticket_id, AGENT_2)
    wait_until(lambda: fake_slack.ephemerals(AGENT_2, SUPPORT_CHANNEL), message="the refusal")
    assert offers(app) == []
    # To oneself: nothing to do.
    submit_transfer(app, AGENT, ticket.ticket_id, AGENT)
    wait_until(lambda: fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL), message="the answer")
    assert "already with" in fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL)[-1]["text"]
    assert offers(app) == []


# -- release --------------------------------------------------------------------------------------------


def test_a_released_ticket_goes_back_to_its_place_in_the_queue(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    first = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    waiting_ticket(app, fake_slack, CUSTOMER_2)
    waiting_ticket(app, fake_slack, EXTERNAL_CUSTOMER)

    press(app, fake_slack, AGENT, RELEASE_TICKET, first.ticket_id, "release", first.ts)
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["callback_id"] == RELEASE_FORM
    submit_release(app, AGENT, first.ticket_id, NOTE)

    told = wait_for_dm(fake_slack, CUSTOMER, "An agent will be with you shortly")
    assert "*#1* in the queue" in told.params["text"]  # its old place, ahead of the two who came later
    note = fake_slack.wait_for("chat.postMessage", lambda c: "released this ticket" in (c.params.get("text") or ""))
    assert note[0].params["thread_ts"] == first.ts and "refund pending" in note[0].params["text"]
    update = wait_for_ticket_update(fake_slack, first, "Waiting for an agent")
    assert action_ids(update.params["blocks"]) == [CLAIM_TICKET, TRANSFER_TICKET]
    assert "Previous owners" in block_text(update.params["blocks"])
    found = app.helpdesk.ticket(first.ticket_id)
    assert found is not None and found.state is TicketState.WAITING and found.agent_user_id is None
    assert mode_of(app, first.ticket_id) == ConversationMode.WAITING
    queue = block_text(ask_for_queue(app, fake_slack, AGENT_2).params.get("blocks"))
    assert queue.index(f"#{first.ticket_id}") < queue.index("Omar")

    # Claimed again by Bob: the relay is his; the history has both.
    press(app, fake_slack, AGENT_2, CLAIM_TICKET, first.ticket_id, "reclaim", first.ts)
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob")
    agent_says(app, fake_slack, AGENT_2, first, "hello again")
    assert owners(app, first.ticket_id) == [(AGENT, "claimed", "released")]
    assert [p.agent_user_id for p in app.helpdesk.owners(app.helpdesk.ticket(first.ticket_id))] == [AGENT, AGENT_2]  # type: ignore[arg-type]
    assert_customer_never_saw_internals(fake_slack, CUSTOMER)


def test_only_the_owner_or_an_admin_releases(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    press(app, fake_slack, AGENT_2, RELEASE_TICKET, ticket.ticket_id, "release-not-owner")
    assert "or an admin can do that" in answered(fake_slack, "release-not-owner")
    submit_release(app, AGENT_2, ticket.ticket_id)  # forged: refused after the ack
    wait_until(lambda: fake_slack.ephemerals(AGENT_2, SUPPORT_CHANNEL), message="the refusal")
    assert app.helpdesk.ticket(ticket.ticket_id).state is TicketState.CONNECTED  # type: ignore[union-attr]

    submit_release(app, ADMIN, ticket.ticket_id)
    wait_for_dm(fake_slack, CUSTOMER, "An agent will be with you shortly")
    press(app, fake_slack, AGENT, RELEASE_TICKET, ticket.ticket_id, "release-waiting")
    assert "waiting in the queue" in answered(fake_slack, "release-waiting")


# -- admins reassign -------------------------------------------------------------------------------------


def test_an_admin_assigns_a_waiting_ticket_from_the_modal(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)

    press(app, fake_slack, AGENT, TRANSFER_TICKET, ticket.ticket_id, "assign-agent", ticket.ts)
    assert "only admins assign it" in answered(fake_slack, "assign-agent")
    press(app, fake_slack, ADMIN, TRANSFER_TICKET, ticket.ticket_id, "assign", ticket.ts)
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    assert opened["title"]["text"] == "Assign ticket"

    assert submit_transfer(app, ADMIN, ticket.ticket_id, AGENT_2, "call them back") is None
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob")
    wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT_2}>")
    note = fake_slack.wait_for("chat.postMessage", lambda c: "assigned this ticket to" in (c.params.get("text") or ""))
    assert note[0].params["thread_ts"] == ticket.ts and "call them back" in note[0].params["text"]
    agent_says(app, fake_slack, AGENT_2, ticket, "Bob, assigned")
    assert mode_of(app, ticket.ticket_id) == ConversationMode.CONNECTED
    assert offers(app) == []  # no accept needed


def test_an_admin_reassigns_a_claimed_ticket_with_the_command(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    pending = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)  # overtaken by the admin

    reply = app.slack.slash_command(
        "/handoff-assign",
        f"#{ticket.ticket_id} <@{AGENT_2}|bob>",
        ADMIN,
        SUPPORT_CHANNEL,
        fake_slack.response_url("as"),
    )
    assert (reply.status, reply.body) == (200, "")
    assert f"now with <@{AGENT_2}>" in answered(fake_slack, "as")
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob")
    update = wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT_2}>")
    assert "reassigned" in block_text(update.params["blocks"])
    agent_says(app, fake_slack, AGENT_2, ticket, "Bob now")
    assert owners(app, ticket.ticket_id) == [(AGENT, "claimed", "reassigned"), (AGENT_2, "assigned", None)]
    assert offers(app) == ["stale"]  # the owner's pending offer lost its buttons
    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, pending, "accept-overtaken")
    assert "no longer open" in answered(fake_slack, "accept-overtaken")
    assert_customer_never_saw_internals(fake_slack, CUSTOMER)


ASSIGN_REFUSALS = [
    (AGENT, "1 <@UAGENT2>", "only the helpdesk's admins"),
    (CUSTOMER, "help", "only the helpdesk's admins"),
    (OUTSIDER, "", "only the helpdesk's admins"),
    (ADMIN, "help", "Example: `/handoff-assign 42 @alice`"),
    (ADMIN, "", "Example: `/handoff-assign 42 @alice`"),
    (ADMIN, "banana", "I couldn't read that."),
    (ADMIN, "12 @bob", "I couldn't read that."),
    (ADMIN, "<!channel> <@UAGENT2>", "I couldn't read that."),
    (ADMIN, "99999999999 <@UAGENT2>", "I couldn't read that."),
    (ADMIN, "4242 <@UAGENT2>", "Ticket 4242 does not exist."),
    (ADMIN, f"1 <@{OUTSIDER}|olly>", "is not an agent"),
    (ADMIN, "1 <@UAGENT2> " + "x" * 5000, "I couldn't read that."),
]


def test_the_assign_command_refuses_and_explains(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    # One app for all: a refusal changes nothing, so no case sees another's effect.
    for number, (user, text, expected) in enumerate(ASSIGN_REFUSALS):
        url = fake_slack.response_url(f"cmd-{number}")
        reply = app.slack.slash_command("/handoff-assign", text, user, SUPPORT_CHANNEL, url)
        assert (reply.status, reply.body) == (200, ""), (user, text)
        said = answered(fake_slack, f"cmd-{number}")
        assert expected in said, (user, text, said)
        if expected == "only the helpdesk's admins":  # reveals nothing about tickets or agents
            assert "ticket" not in said.lower() and "agent" not in said.lower(), (user, text, said)


def test_the_assign_command_on_a_closed_ticket_changes_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    press_close(app, fake_slack, AGENT, ticket)
    wait_for_ticket_update(fake_slack, ticket, "Closed by")
    text = f"{ticket.ticket_id} <@{AGENT_2}>"
    app.slack.slash_command("/handoff-assign", text, ADMIN, SUPPORT_CHANNEL, fake_slack.response_url("closed"))
    assert "not open any more" in answered(fake_slack, "closed")
    assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]


# -- races on two replicas (PostgreSQL) ---------------------------------------------------------------------


@pytest.fixture
def replicas(fake_slack: FakeSlack, postgres_database_url: str) -> Iterator[tuple[AppUnderTest, AppUnderTest]]:
    first = AppUnderTest(settings_for(fake_slack, postgres_database_url)).start()
    second = AppUnderTest(settings_for(fake_slack, postgres_database_url))
    try:
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()


def together(*work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(work))

    def run(item: Callable[[], Any]) -> Any:
        barrier.wait(timeout=10)
        return item()

    with ThreadPoolExecutor(len(work)) as pool:
        return list(pool.map(run, work))


@pytest.mark.postgres
def test_two_accepts_on_two_replicas_give_the_ticket_once(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack
) -> None:
    first, second = replicas
    ticket = connected_ticket(first, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(first, fake_slack, AGENT, ticket, AGENT_2)

    together(
        lambda: press(first, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept-1"),
        lambda: press(second, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "accept-2"),
    )
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob")
    wait_until(lambda: fake_slack.calls("response_url:accept-1") or fake_slack.calls("response_url:accept-2"))
    wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT_2}>")
    assert len([c for c in dm_posts(fake_slack, CUSTOMER) if "talking with *Bob" in c.params["text"]]) == 1
    assert len(thread_posts_containing(fake_slack, ticket, "accepted the transfer")) == 1
    assert owners(first, ticket.ticket_id) == [(AGENT, "claimed", "transferred"), (AGENT_2, "transferred", None)]


@pytest.mark.postgres
@pytest.mark.parametrize("other", ["close", "release"])
def test_an_accept_racing_a_close_or_release_on_two_replicas_has_one_outcome(
    replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack, other: str
) -> None:
    first, second = replicas
    ticket = connected_ticket(first, fake_slack, CUSTOMER, AGENT)
    offer_id = offer_transfer(first, fake_slack, AGENT, ticket, AGENT_2)

    def owner_acts() -> None:
        if other == "close":
            press_close(second, fake_slack, AGENT, ticket)
        else:
            submit_release(second, AGENT, ticket.ticket_id)

    together(lambda: press(first, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "racing-accept"), owner_acts)
    settled = {"close": "Closed by", "release": "Waiting for an agent"}[other]

    def decided() -> bool:
        state = offers(first)[0]
        found = first.helpdesk.ticket(ticket.ticket_id)
        return (
            state != "pending" and found is not None and (state == "accepted" or found.state != TicketState.CONNECTED)
        )

    wait_until(decided, message="both steps decided")
    found = first.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    if offers(first) == ["accepted"]:  # the accept went first: the old owner's close or release was refused
        assert found.state is TicketState.CONNECTED and found.agent_user_id == AGENT_2
        wait_for_dm(fake_slack, CUSTOMER, "You are now talking with *Bob")
        assert owners(first, ticket.ticket_id) == [(AGENT, "claimed", "transferred"), (AGENT_2, "transferred", None)]
    else:  # the owner went first: the offer went stale, and Bob never got the ticket
        assert offers(first) == ["stale"]
        wait_for_ticket_update(fake_slack, ticket, settled)
        assert found.agent_user_id in (AGENT, None) and found.state is not TicketState.CONNECTED
        assert "talking with *Bob" not in customer_saw(fake_slack, CUSTOMER)


def thread_posts_containing(fake: FakeSlack, ticket: TicketPost, text: str) -> list[Call]:
    return [c for c in thread_posts(fake, ticket) if text in (c.params.get("text") or "")]


def test_close_stays_the_first_button(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    update = wait_for_ticket_update(fake_slack, ticket, "Claimed by")
    assert action_ids(update.params["blocks"]) == [CLOSE_TICKET, TRANSFER_TICKET, RELEASE_TICKET]


class MovableClock:
    """Real time, moved on by the test (the app's clock: an offer lapses when it says)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_an_offer_nobody_answers_lapses_and_the_owner_is_told(fake_slack: FakeSlack, database_url: str) -> None:
    clock = MovableClock()
    app = AppUnderTest(settings_for(fake_slack, database_url), clock).start()
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        offer_id, offer = (
            offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2),
            offer_in_thread(fake_slack, ticket)[1],
        )
        clock.offset = TransferConfig().offer_lapses_after + timedelta(
            seconds=1
        )  # the scheduler's next run (every second here)

        told = fake_slack.wait_for(
            "chat.postMessage", lambda c: "did not answer the transfer" in (c.params.get("text") or "")
        )
        assert (
            told[0].params["thread_ts"] == ticket.ts
            and f"<@{AGENT}>, the ticket stays with you" in told[0].params["text"]
        )
        fake_slack.wait_for(
            "chat.update",
            lambda c: (
                c.params.get("ts") == offer.response["ts"]
                and "Not answered in time" in block_text(c.params.get("blocks"))
            ),
        )
        press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, offer_id, "late")
        assert "lapsed" in answered(fake_slack, "late")
        assert offers(app) == ["lapsed"]
        assert app.helpdesk.ticket(ticket.ticket_id).agent_user_id == AGENT  # type: ignore[union-attr]
        assert len(fake_slack.calls("chat.postMessage", thread_ts=ticket.ts, text=told[0].params["text"])) == 1
    finally:
        app.stop()


@pytest.mark.postgres
def test_accepts_closes_and_releases_racing_on_the_core_change_hands_once(
    fake_slack: FakeSlack, postgres_database_url: str
) -> None:
    """Eight threads at once on one offer's ticket (four accepts, two closes, two releases) on PostgreSQL."""
    app = AppUnderTest(settings_for(fake_slack, postgres_database_url)).start()
    try:
        ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
        offer_id = offer_transfer(app, fake_slack, AGENT, ticket, AGENT_2)
        helpdesk = app.helpdesk
        steps: list[Callable[[], Any]] = [lambda: helpdesk.answer_offer(offer_id, AGENT_2, True, "Bob")] * 4
        steps += [lambda: helpdesk.close(ticket.ticket_id, AGENT, False)] * 2
        steps += [lambda: helpdesk.release(ticket.ticket_id, AGENT, False)] * 2
        results = together(*steps)

        accepted = [r for r in results[:4] if r.result.value == "accepted"]
        closed = [r for r in results[4:6] if r.result.value == "closed"]
        released = [r for r in results[6:] if r.result.value == "released"]
        assert len(accepted) + len(closed) + len(released) == 1, results
        found = helpdesk.ticket(ticket.ticket_id)
        assert found is not None
        if accepted:
            assert (found.state, found.agent_user_id) == (TicketState.CONNECTED, AGENT_2)
            assert owners(app, ticket.ticket_id) == [(AGENT, "claimed", "transferred"), (AGENT_2, "transferred", None)]
        else:
            # The accepts that came after found the ticket gone from its owner: the offer went stale.
            assert found.state in (TicketState.CLOSED, TicketState.WAITING) and offers(app) == ["stale"]
            assert found.agent_user_id in (AGENT, None)
    finally:
        app.stop()


# -- a Slack Connect customer in a shared channel's thread: nothing internal reaches it -------------------


@pytest.fixture
def shared_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url)).start()
    try:
        fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, AGENT])
        serve(running, fake_slack)
        yield running
    finally:
        running.stop()


def test_transfers_releases_and_assignments_reach_a_shared_channel_only_as_plain_words(
    shared_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared_app
    root, ticket = escalated_thread(app, fake_slack)

    # Offered to Bob, who declines; offered again, he accepts.
    assert submit_transfer(app, AGENT, ticket.ticket_id, AGENT_2, "LEAK-OFFER-NOTE vip") is None
    first, _ = offer_in_thread(fake_slack, ticket)
    press(app, fake_slack, AGENT_2, TRANSFER_DECLINE, first, "decline")
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "declined the transfer", thread_ts=ticket.ts))
    assert submit_transfer(app, AGENT, ticket.ticket_id, AGENT_2, "LEAK-OFFER-NOTE again") is None
    second, _ = offer_in_thread(fake_slack, ticket, count=2)
    press(app, fake_slack, AGENT_2, TRANSFER_ACCEPT, second, "accept")
    to_customer(fake_slack, root, "You are now talking with *Bob")

    # Bob releases it with a note; the admin then assigns it to Alice.
    submit_release(app, AGENT_2, ticket.ticket_id, "LEAK-RELEASE-NOTE call back")
    to_customer(fake_slack, root, "An agent will be with you shortly")
    assert submit_transfer(app, ADMIN, ticket.ticket_id, AGENT, "LEAK-ASSIGN-NOTE") is None
    to_customer(fake_slack, root, "You are now talking with *Alice")
    wait_for_ticket_update(fake_slack, ticket, f"Claimed by <@{AGENT}>")

    assert_nothing_internal_reached_the_shared_channel(
        fake_slack,
        root,
        "LEAK-OFFER-NOTE",
        "LEAK-RELEASE-NOTE",
        "LEAK-ASSIGN-NOTE",
        "transfer",
        "released",
        "assigned",
        "Previous owners",
        AGENT,
        AGENT_2,
        ADMIN,
        TRANSFER_TICKET,
        RELEASE_TICKET,
        TRANSFER_ACCEPT,
        TRANSFER_DECLINE,
        ticket.ts,
    )
