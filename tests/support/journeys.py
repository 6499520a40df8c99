"""Steps of the hand-off as Slack would drive them, shared by the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handoff_slack.blocks.action_ids import CLAIM_TICKET, CLOSE_TICKET, TALK_TO_AGENT
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import channel_message, dm_message


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


def escalate_by_typing(app: AppUnderTest, fake: FakeSlack, user: str, text: str = "I need a human please") -> TicketPost:
    before = len(ticket_posts(fake))
    dm(app, user, text)
    fake.wait_for("chat.postMessage", lambda c: not c.params.get("thread_ts") and c.params.get("channel") == SUPPORT_CHANNEL, count=before + 1)
    call = ticket_posts(fake)[before]
    ticket_id = int(next(b for b in call.params["blocks"] if b["type"] == "actions")["elements"][0]["value"])
    return TicketPost(ticket_id, call.response["ts"], call)


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


def claim_and_wait(app: AppUnderTest, fake: FakeSlack, agent: str, ticket: TicketPost) -> None:
    claim(app, fake, agent, ticket)
    fake.wait_for("chat.update", lambda c: c.params.get("ts") == ticket.ts and "Claimed by" in block_text(c.params.get("blocks")))
    fake.wait_for("chat.postMessage", posted_to(f"D{customer_of(app, ticket)}", "You are now talking with"))


def customer_of(app: AppUnderTest, ticket: TicketPost) -> str:
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None
    return found[1].customer_user_id


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
