"""People acting in the emulated workspace reach the real app as Slack's requests; its answers land back."""

from __future__ import annotations

import pytest

from handoff_slack.blocks.action_ids import CLAIM_TICKET, CLOSE_TICKET, QUEUE_NEXT, TALK_TO_AGENT
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.queue_filter import PAGE_SIZE
from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.workspace import NotAllowed, Workspace
from tests.conftest import AGENT, AGENT_2, CUSTOMER, EXTERNAL_CUSTOMER
from tests.support.app_under_test import ADMIN, SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest
from tests.support.waiting import wait_until


def texts(messages: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [m.get("text", "") for m in messages]


def ticket_message(fake: SlackEmulator) -> dict:  # type: ignore[type-arg]
    wait_until(lambda: fake.conversation(SUPPORT_CHANNEL), message="a ticket in the support channel")
    return fake.conversation(SUPPORT_CHANNEL)[0]


def test_a_hand_off_acted_out_by_people(app: AppUnderTest, fake_slack: SlackEmulator) -> None:
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)
    dm = people.dm(CUSTOMER)

    asked = people.post(CUSTOMER, dm, "I need a human please")
    assert asked.accepted and asked.message is not None and asked.message["blocks"][0]["type"] == "rich_text"
    ticket = ticket_message(fake_slack)

    people.click(AGENT, SUPPORT_CHANNEL, ticket["ts"], CLAIM_TICKET)
    wait_until(
        lambda: any("You are now talking with" in t for t in texts(fake_slack.conversation(dm))),
        message="the customer told who joined",
    )

    people.post(AGENT, SUPPORT_CHANNEL, "Hello Jane, how can I help?", thread_ts=ticket["ts"])
    wait_until(lambda: "Hello Jane, how can I help?" in texts(fake_slack.conversation(dm)), message="relayed to DM")

    shared = people.share_file(CUSTOMER, dm, "receipt.txt", b"order 42", text="here it is")
    assert shared.accepted
    wait_until(
        lambda: any(f["content"] == b"order 42" for f in fake_slack.shared_files(SUPPORT_CHANNEL, ticket["ts"])),
        message="the customer's file relayed into the ticket's thread",
    )

    said = people.post(CUSTOMER, dm, "tpyo")
    people.edit(CUSTOMER, dm, said.ts or "", "typo fixed")
    wait_until(
        lambda: any(t.startswith("typo fixed") for t in texts(fake_slack.conversation(SUPPORT_CHANNEL)[0]["replies"])),
        message="the edit reached the relayed copy",
    )

    people.click(AGENT, SUPPORT_CHANNEL, ticket["ts"], CLOSE_TICKET)
    wait_until(lambda: "Closed" in str(fake_slack.conversation(SUPPORT_CHANNEL)[0]), message="the ticket closed")


def test_people_can_do_only_what_slack_lets_them(app: AppUnderTest, fake_slack: SlackEmulator) -> None:
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)
    with pytest.raises(NotAllowed):
        people.post(CUSTOMER, SUPPORT_CHANNEL, "not my channel")
    with pytest.raises(NotAllowed):
        people.post(AGENT, people.dm(CUSTOMER), "not my DM")
    mine = people.post(AGENT, SUPPORT_CHANNEL, "hello team")
    with pytest.raises(NotAllowed):
        people.edit(AGENT_2, SUPPORT_CHANNEL, mine.ts or "", "rewritten")
    people.delete(AGENT, SUPPORT_CHANNEL, mine.ts or "")
    assert fake_slack.conversation(SUPPORT_CHANNEL) == []


def test_a_slash_command_answer_is_shown_to_its_user_only(app: AppUnderTest, fake_slack: SlackEmulator) -> None:
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)
    ran = people.run_command(AGENT, SUPPORT_CHANNEL, "/handoff-queue")
    assert ran.accepted
    wait_until(lambda: fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL), message="the queue shown to the agent")
    assert [m["via"] for m in fake_slack.ephemerals(AGENT)] == ["response_url"]
    assert fake_slack.ephemerals(AGENT_2) == []
    assert fake_slack.conversation(SUPPORT_CHANNEL) == []


def test_a_queue_page_button_replaces_the_page_in_place(app: AppUnderTest, fake_slack: SlackEmulator) -> None:
    """As in Slack, an ephemeral message's response_url with replace_original replaces that message."""
    for n in range(PAGE_SIZE + 1):
        user = f"UPAGE{n:03d}"
        fake_slack.add_user(user, name=f"page{n}", real_name=f"Paged {n}")
        app.helpdesk.receive_customer_message(
            Customer(user, FrontDoor(f"D{user}"), "T0HOME"), f"1.{n:06d}", "human please"
        )
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)
    assert people.run_command(AGENT, SUPPORT_CHANNEL, "/handoff-queue").accepted
    (page,) = wait_until(lambda: fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL), message="the queue's first page")
    assert "Page 1 of 2" in str(page["blocks"])

    assert people.click(AGENT, SUPPORT_CHANNEL, page["ts"], QUEUE_NEXT).accepted
    wait_until(
        lambda: "Page 2 of 2" in str(fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL)[0]["blocks"]), message="page 2"
    )
    assert [m["ts"] for m in fake_slack.ephemerals(AGENT, SUPPORT_CHANNEL)] == [page["ts"]]  # the same message


def test_people_in_a_shared_channel_reach_the_app_as_slack_connect(
    app: AppUnderTest, fake_slack: SlackEmulator
) -> None:
    """The admin serves the channel, a customer of another organisation writes there and presses the
    bot's button in the thread: the app treats it as that thread's conversation (the sandbox's #acme-support)."""
    shared = "CACME"
    fake_slack.add_channel(shared, "acme-support", [EXTERNAL_CUSTOMER, AGENT, ADMIN])
    people = Workspace(fake_slack, app.events_url, SIGNING_SECRET)
    assert people.run_command(ADMIN, shared, "/handoff-channel", "on").accepted
    wait_until(lambda: any("is served" in m["text"] for m in fake_slack.ephemerals(ADMIN, shared)), message="served")

    root = people.post(EXTERNAL_CUSTOMER, shared, "Our invoices page fails").ts or ""
    menu = wait_until(lambda: fake_slack.messages(shared, thread_ts=root), message="the menu in the thread")[0]
    assert people.click(EXTERNAL_CUSTOMER, shared, menu["ts"], TALK_TO_AGENT).accepted
    people.post(EXTERNAL_CUSTOMER, shared, "It says error 500", thread_ts=root)
    ticket = ticket_message(fake_slack)
    assert "Acme Corp" in str(ticket["blocks"])
    assert [m for m in fake_slack.conversation(shared) if m["ts"] != root] == []  # nothing at the top level

    # A reaction on the customer's message is acknowledged (the app may act on it, or not).
    assert people.react(AGENT, shared, root, "ticket").accepted
