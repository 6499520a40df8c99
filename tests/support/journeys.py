"""Steps of the hand-off as Slack would drive them, shared by the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff_slack.blocks.action_ids import CANCEL_WAITING, CLAIM_TICKET, CLOSE_TICKET, TALK_TO_AGENT
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import channel_message, dm_message
from tests.support.waiting import wait_until


@dataclass(frozen=True)
class TicketPost:
    ticket_id: int
    ts: str
    call: Call


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for block in blocks or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            ids.append(element.get("action_id"))
        accessory = block.get("accessory")
        if accessory and accessory.get("action_id"):
            ids.append(accessory["action_id"])
    return ids


def block_text(blocks: list[dict[str, Any]] | None) -> str:
    """All visible text of some blocks, for assertions."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(parts)


def posted_to(channel: str, contains: str = "", thread_ts: str | None = None):  # type: ignore[no-untyped-def]
    """A predicate for fake.wait_for: a chat.postMessage to `channel` whose text contains `contains`."""

    def predicate(call: Call) -> bool:
        params = call.params
        if params.get("channel") != channel:
            return False
        if thread_ts is not None and params.get("thread_ts") != thread_ts:
            return False
        return contains in (params.get("text") or "") + block_text(params.get("blocks"))

    return predicate


def dm(app: AppUnderTest, user: str, text: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    reply = app.slack.event(dm_message(user, text), **kwargs)
    assert reply.status == 200, reply
    return reply


def ticket_posts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if not c.params.get("thread_ts")]


def wait_for_new_ticket(fake: FakeSlack, tickets_before: int) -> TicketPost:
    """The next ticket message in the support channel, once Slack has it."""
    fake.wait_for(
        "chat.postMessage",
        lambda c: not c.params.get("thread_ts") and c.params.get("channel") == SUPPORT_CHANNEL,
        count=tickets_before + 1,
    )
    call = ticket_posts(fake)[tickets_before]
    ticket_id = int(next(b for b in call.params["blocks"] if b["type"] == "actions")["elements"][0]["value"])
    return TicketPost(ticket_id, call.response["ts"], call)


def escalate_by_typing(
    app: AppUnderTest, fake: FakeSlack, user: str, text: str = "I need a human please"
) -> TicketPost:
    before = len(ticket_posts(fake))
    dm(app, user, text)
    return wait_for_new_ticket(fake, before)


def press_talk_to_agent(app: AppUnderTest, user: str) -> None:
    reply = app.slack.block_action(user, TALK_TO_AGENT, "menu", channel_id=f"D{user}", message_ts="1.0")
    assert reply.status == 200, reply


def claim(app: AppUnderTest, fake: FakeSlack, agent: str, ticket: TicketPost, name: str = "claim") -> str:
    """Press Claim as `agent`; returns the response_url used (ephemeral answers land there)."""
    url = fake.response_url(f"{name}-{agent}")
    reply = app.slack.block_action(
        agent, CLAIM_TICKET, str(ticket.ticket_id), channel_id=SUPPORT_CHANNEL, message_ts=ticket.ts, response_url=url
    )
    assert reply.status == 200, reply
    return url


def claim_and_wait(
    app: AppUnderTest, fake: FakeSlack, agent: str, ticket: TicketPost, customer: str | None = None
) -> None:
    """Press Claim and wait until Slack shows it; `customer` spares a database read (child processes)."""
    claim(app, fake, agent, ticket)
    fake.wait_for(
        "chat.update", lambda c: c.params.get("ts") == ticket.ts and "Claimed by" in block_text(c.params.get("blocks"))
    )
    customer = customer or customer_of(app, ticket)
    fake.wait_for("chat.postMessage", posted_to(f"D{customer}", "You are now talking with"))


def customer_of(app: AppUnderTest, ticket: TicketPost) -> str:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found.customer.user_id


def press_close(app: AppUnderTest, fake: FakeSlack, user: str, ticket: TicketPost) -> str:
    url = fake.response_url(f"close-{user}")
    reply = app.slack.block_action(
        user, CLOSE_TICKET, str(ticket.ticket_id), channel_id=SUPPORT_CHANNEL, message_ts=ticket.ts, response_url=url
    )
    assert reply.status == 200, reply
    return url


def agent_reply(app: AppUnderTest, agent: str, ticket: TicketPost, text: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    reply = app.slack.event(channel_message(agent, text, SUPPORT_CHANNEL, thread_ts=ticket.ts), **kwargs)
    assert reply.status == 200, reply
    return reply


# -- delivery facts: connected conversations, what arrived where, what is stored ---------------


def connect(
    app: AppUnderTest, fake: FakeSlack, customer: str, agent: str, text: str = "I need a human please"
) -> TicketPost:
    """Escalate `customer` by typing and let `agent` claim: a connected conversation."""
    ticket = escalate_by_typing(app, fake, customer, text)
    claim_and_wait(app, fake, agent, ticket)
    return ticket


def thread_posts(fake: FakeSlack, ticket: TicketPost, text: str | None = None) -> list[Call]:
    """Successful posts in the ticket's thread (relayed messages and notes), oldest first."""
    return [
        c
        for c in fake.calls("chat.postMessage", channel=SUPPORT_CHANNEL, thread_ts=ticket.ts)
        if c.ok and (text is None or c.params.get("text") == text)
    ]


def dm_posts(fake: FakeSlack, user: str, text: str | None = None) -> list[Call]:
    """Successful posts in the app's DM with `user`, oldest first; `text` must match exactly."""
    return [
        c
        for c in fake.calls("chat.postMessage", channel=f"D{user}")
        if c.ok and (text is None or c.params.get("text") == text)
    ]


def customer_says(app: AppUnderTest, fake: FakeSlack, customer: str, ticket: TicketPost, text: str) -> Call:
    """A connected customer's DM, waited for until it is posted in the ticket's thread."""
    dm(app, customer, text)
    in_thread = fake.wait_for(
        "chat.postMessage", lambda c: c.params.get("thread_ts") == ticket.ts and c.params.get("text") == text
    )
    return in_thread[0]


def agent_says(app: AppUnderTest, fake: FakeSlack, agent: str, ticket: TicketPost, text: str) -> Call:
    """The owning agent's thread reply, waited for until it is posted in the customer's DM."""
    agent_reply(app, agent, ticket, text)
    customer = f"D{customer_of(app, ticket)}"
    in_dm = fake.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == customer and c.params.get("text") == text
    )
    return in_dm[0]


def stored_messages(app: AppUnderTest, text: str | None = None) -> list[Any]:
    """The app's `message` rows of what people wrote (oldest first), read straight from its database."""
    from sqlmodel import col, select

    from handoff_slack.storage.models import Message

    assert app.app is not None
    with app.app.db.transaction() as session:
        query = select(Message).where(col(Message.notice).is_(None)).order_by(col(Message.id))
        if text is not None:
            query = query.where(col(Message.text) == text)
        return list(session.exec(query).all())


def stored_notices(app: AppUnderTest) -> list[Any]:
    """The app's `message` rows of the bot's own notices (oldest first)."""
    from sqlmodel import col, select

    from handoff_slack.storage.models import Message

    assert app.app is not None
    with app.app.db.transaction() as session:
        query = select(Message).where(col(Message.notice).is_not(None)).order_by(col(Message.id))
        return list(session.exec(query).all())


def stored_tickets(app: AppUnderTest) -> list[Any]:
    """The app's `ticket` rows (oldest first), read straight from its database."""
    from sqlmodel import col, select

    from handoff_slack.storage.models import Ticket

    assert app.app is not None
    with app.app.db.transaction() as session:
        return list(session.exec(select(Ticket).order_by(col(Ticket.id))).all())


# -- the hand-off loop: menus, the button, the queue, waiting notices --------------------------


def is_menu(call: Call) -> bool:
    """A post whose last button is "Talk to an agent": the bot's menu."""
    ids = action_ids(call.params.get("blocks") or [])
    return bool(ids) and ids[-1] == TALK_TO_AGENT


def wait_for_menu(fake: FakeSlack, user: str, count: int = 1) -> Call:
    """The `count`-th menu posted in `user`'s DM."""
    return fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == f"D{user}" and is_menu(c), count)[
        count - 1
    ]


def wait_for_dm(fake: FakeSlack, user: str, contains: str, count: int = 1) -> Call:
    """The `count`-th post in `user`'s DM whose text contains `contains`."""
    return fake.wait_for("chat.postMessage", posted_to(f"D{user}", contains), count)[count - 1]


def escalate_by_button(app: AppUnderTest, fake: FakeSlack, user: str) -> TicketPost:
    """Press "Talk to an agent" in the menu and wait for the ticket message in the support channel."""
    before = len(ticket_posts(fake))
    press_talk_to_agent(app, user)
    return wait_for_new_ticket(fake, before)


def ticket_updates(fake: FakeSlack, ticket: TicketPost) -> list[Call]:
    return [c for c in fake.calls("chat.update", channel=SUPPORT_CHANNEL) if c.params.get("ts") == ticket.ts]


def wait_for_ticket_update(fake: FakeSlack, ticket: TicketPost, contains: str) -> Call:
    """The first chat.update of the ticket message whose visible text contains `contains`."""
    return fake.wait_for(
        "chat.update",
        lambda c: c.params.get("ts") == ticket.ts and contains in block_text(c.params.get("blocks")),
    )[0]


def press_cancel(app: AppUnderTest, user: str, ticket_id: int) -> None:
    """`user` presses Cancel (on a waiting notice in their DM) carrying `ticket_id`."""
    reply = app.slack.block_action(user, CANCEL_WAITING, str(ticket_id), channel_id=f"D{user}", message_ts="1.0")
    assert reply.status == 200, reply


def ask_for_queue(app: AppUnderTest, fake: FakeSlack, user: str, name: str = "queue") -> Call:
    """`user` runs /handoff-queue in the support channel; returns the answer sent to its response_url."""
    reply = app.slack.slash_command("/handoff-queue", "", user, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    return fake.wait_for(f"response_url:{name}")[0]


def ticket_message_recorded(app: AppUnderTest, ticket: TicketPost) -> TicketPost:
    """Wait until the app has stored where `ticket`'s message is (just after Slack answered the post).

    `escalate_by_typing` returns as soon as the fake received the post, a moment earlier. Steps that
    act on the ticket start from here, so they don't ride on that race (a claim or cancel inside it
    was once never shown on the ticket message; tests/test_handoff_loop.py covers it on its own).
    """
    wait_until(
        lambda: (found := app.helpdesk.ticket(ticket.ticket_id)) is not None and found.message_ts == ticket.ts,
        message=f"the app to record ticket {ticket.ticket_id}'s message",
    )
    return ticket


def waiting_ticket(
    app: AppUnderTest, fake: FakeSlack, customer: str, text: str = "I need a human please"
) -> TicketPost:
    """`customer` typed `text` and waits in the queue; their ticket message is posted and recorded."""
    return ticket_message_recorded(app, escalate_by_typing(app, fake, customer, text))


def connected_ticket(
    app: AppUnderTest, fake: FakeSlack, customer: str, agent: str, text: str = "I need a human please"
) -> TicketPost:
    """Like `connect`, but `agent` claims only once the app has recorded the ticket message."""
    ticket = waiting_ticket(app, fake, customer, text)
    claim_and_wait(app, fake, agent, ticket)
    return ticket


# -- an app known only by its HTTP edge (a child process): no database reads ------------------------


def connect_over_http(
    app: Any, fake: FakeSlack, customer: str, agent: str, text: str = "I need a human please"
) -> TicketPost:
    """Like `connect` for anything with a `.slack` sender (e.g. `AppProcess`): waits only on what Slack sees."""
    ticket = escalate_by_typing(app, fake, customer, text)
    claim_and_wait(app, fake, agent, ticket, customer)
    return ticket


def told_in_thread(fake: FakeSlack, user: str, channel: str, root: str, count: int = 1) -> dict[str, Any]:
    """The `count`-th answer only `user` sees in `root`'s thread of `channel` (chat.postEphemeral with
    the thread's ts: a response_url's answer would land at the channel's top level), as shown there."""
    fake.wait_for(
        "chat.postEphemeral",
        lambda c: (c.params.get("channel"), c.params.get("user"), c.params.get("thread_ts")) == (channel, user, root),
        count,
    )
    shown = [e for e in fake.ephemerals(user, channel) if e.get("thread_ts") == root]
    assert shown[count - 1]["shown"], "Slack would not show it: the thread had no replies yet"
    return shown[count - 1]
