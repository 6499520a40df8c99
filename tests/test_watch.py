"""Watch and take over (issue 16, part 4), through the signed Slack edge, on SQLite and PostgreSQL.

`/handoff-watch` lists the conversations with the bot; Watch mirrors one into a read-only thread in
the support channel (both sides, in order, once); replies there are not relayed (the bot says so
once); Take over connects the customer to the agent at once (one winner across two replicas);
Stop watching ends the mirror; stale buttons change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from handoff_slack.blocks.action_ids import STOP_WATCHING, TAKE_OVER, WATCH_CONVERSATION
from handoff_slack.core.states import ConversationMode, TicketState
from handoff_slack.listeners.commands import handoff_watch
from handoff_slack.storage.models import Conversation
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2, OUTSIDER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    block_text,
    dm,
    dm_posts,
    press_close,
    press_talk_to_agent,
    stored_tickets,
    ticket_message_recorded,
    ticket_posts,
    wait_for_dm,
    wait_for_new_ticket,
    wait_for_ticket_update,
)
from tests.support.waiting import wait_until

COMMAND = "/handoff-watch"
BOT_MARK = ":robot_face:"
READ_ONLY_MARK = "Replies here are not sent to the customer"


def run_watch_command(app: AppUnderTest, fake: FakeSlack, user: str, name: str = "watch", text: str = "") -> Call:
    reply = app.slack.slash_command(COMMAND, text, user, SUPPORT_CHANNEL, fake.response_url(name))
    assert (reply.status, reply.body) == (200, ""), reply
    return fake.wait_for(f"response_url:{name}")[0]


def watch_buttons(answer: Call) -> dict[str, str]:
    """The Watch buttons of a listing: the customer's mention in the line -> the button's value."""
    found = {}
    for block in answer.params.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == WATCH_CONVERSATION:
            # The first mention: the customer's, alone or after their name ("Jane (<@U…>)").
            found[block["text"]["text"].split("<@", 1)[1].split(">", 1)[0]] = accessory["value"]
    return found


def press(app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, value: str, name: str) -> str:
    url = fake.response_url(f"{name}-{user}")
    reply = app.slack.block_action(
        user, action_id, value, channel_id=SUPPORT_CHANNEL, message_ts="1.0", response_url=url
    )
    assert reply.status == 200, reply
    return url


def answer_to(fake: FakeSlack, name: str, user: str) -> str:
    return str(fake.wait_for(f"response_url:{name}-{user}")[0].params["text"])


def start_watching(app: AppUnderTest, fake: FakeSlack, agent: str, customer: str) -> TicketPost:
    """`agent` runs /handoff-watch and presses Watch for `customer`: the watch's message, recorded."""
    before = len(ticket_posts(fake))
    conversation = watch_buttons(run_watch_command(app, fake, agent, name=f"list-{before}"))[customer]
    press(app, fake, agent, WATCH_CONVERSATION, conversation, f"watch-{before}")
    return ticket_message_recorded(app, wait_for_new_ticket(fake, before))


def thread(fake: FakeSlack, ticket: TicketPost) -> list[dict[str, Any]]:
    """What people see in the watch's thread now, oldest first."""
    return fake.messages(SUPPORT_CHANNEL, thread_ts=ticket.ts)


def seen(message: dict[str, Any]) -> str:
    return (message.get("text") or "") + "\n" + block_text(message.get("blocks"))


def in_thread(fake: FakeSlack, ticket: TicketPost, marker: str) -> list[dict[str, Any]]:
    return [m for m in thread(fake, ticket) if marker in seen(m)]


def wait_in_thread(fake: FakeSlack, ticket: TicketPost, marker: str, count: int = 1) -> None:
    wait_until(lambda: len(in_thread(fake, ticket, marker)) >= count, message=f"{marker!r} in the watch's thread")


def mode_of(app: AppUnderTest, customer: str) -> str:
    assert app.app is not None
    with app.app.db.transaction() as session:
        found = session.exec(select(Conversation).where(Conversation.customer_user_id == customer)).one()
        return str(found.mode)


# -- the list -------------------------------------------------------------------------------------------


def test_the_watch_list_shows_bot_conversations_escaped_and_only_to_agents(
    app: AppUnderTest, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    dm(app, CUSTOMER, "hello <!channel> see <https://evil.example|your bank> *now*")
    dm(app, CUSTOMER_2, "hi there")
    wait_for_dm(fake_slack, CUSTOMER_2, "Talk to an agent")

    answer = run_watch_command(app, fake_slack, AGENT)
    assert answer.params["response_type"] == "ephemeral"
    assert set(watch_buttons(answer)) == {CUSTOMER, CUSTOMER_2}
    shown = block_text(answer.params["blocks"])
    assert "Talking with the bot: 2" in shown
    assert "<!channel>" not in shown and "|your bank>" not in shown  # no ping, no disguised link
    assert "your bank (<https://evil.example>)" in shown and "at the menu" in shown
    # The latest first.
    assert list(watch_buttons(answer)) == [CUSTOMER_2, CUSTOMER]

    monkeypatch.setattr(handoff_watch, "SHOWN_ENTRIES", 1)
    paged = run_watch_command(app, fake_slack, AGENT_2, name="paged")
    assert list(watch_buttons(paged)) == [CUSTOMER_2]
    assert "…and 1 more." in block_text(paged.params["blocks"])

    refused = run_watch_command(app, fake_slack, OUTSIDER, name="outsider")
    assert refused.params["response_type"] == "ephemeral" and "only for the support team" in refused.params["text"]
    assert not refused.params.get("blocks")

    # Once waiting in the queue, a customer is no longer with the bot: not listed.
    dm(app, CUSTOMER, "agent please")
    wait_for_new_ticket(fake_slack, 0)
    assert set(watch_buttons(run_watch_command(app, fake_slack, AGENT, name="after"))) == {CUSTOMER_2}


# -- the mirror -----------------------------------------------------------------------------------------


def test_watching_mirrors_both_sides_in_order_once_and_replies_there_are_not_relayed(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    dm(app, CUSTOMER, "before watching")
    wait_for_dm(fake_slack, CUSTOMER, "Talk to an agent")
    watch = start_watching(app, fake_slack, AGENT, CUSTOMER)
    card = watch.call.params
    assert action_ids(card["blocks"]) == [TAKE_OVER, STOP_WATCHING]
    assert "Read-only" in block_text(card["blocks"])
    wait_in_thread(fake_slack, watch, "Before watching began")

    dm(app, CUSTOMER, "first <!here> question")
    wait_in_thread(fake_slack, watch, BOT_MARK)
    dm(app, CUSTOMER, "second question")
    wait_in_thread(fake_slack, watch, BOT_MARK, count=2)

    texts = [m.get("text") for m in thread(fake_slack, watch)]
    assert texts[1:3] == ["first @here question", texts[2]] and texts[2].startswith(BOT_MARK)
    assert texts[3] == "second question" and texts[4].startswith(BOT_MARK) and len(texts) == 5
    assert "before watching" in seen(thread(fake_slack, watch)[0])  # the recap, first
    customer_copy = thread(fake_slack, watch)[1]
    assert customer_copy.get("username") == "Jane"  # under the customer's name
    # The mirror shows the bot's buttons as words: a button in the channel would act for the customer.
    assert all(not action_ids(m.get("blocks") or []) for m in thread(fake_slack, watch))
    assert len(dm_posts(fake_slack, CUSTOMER)) == 3  # the customer's own conversation is unchanged

    # Replies in the watch's thread are not relayed; the bot says so once.
    agent_reply(app, AGENT, watch, "can I answer here?")
    agent_reply(app, AGENT_2, watch, "or here?")
    wait_in_thread(fake_slack, watch, READ_ONLY_MARK)
    dm(app, CUSTOMER, "third")
    wait_in_thread(fake_slack, watch, BOT_MARK, count=3)
    assert len(in_thread(fake_slack, watch, READ_ONLY_MARK)) == 1
    assert not [p for p in dm_posts(fake_slack, CUSTOMER) if "here?" in (p.params.get("text") or "")]


def test_a_mirrored_message_slack_took_before_answering_500_is_shown_once(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    app = AppUnderTest(settings_for(fake_slack, sqlite_url, HANDOFF_SLACK_TIMEOUT_SECONDS="1")).start()
    try:
        watch = start_watching_after_hello(app, fake_slack)
        for marker in ("mirror me", BOT_MARK):  # the customer's copy, then the bot's reply's copy
            fake_slack.fail_when(
                "chat.postMessage",
                lambda p, m=marker: p.get("thread_ts") == watch.ts and m in (p.get("text") or ""),  # type: ignore[misc]
                status=500,
                after_handling=True,
            )
        dm(app, CUSTOMER, "mirror me")
        wait_until(lambda: fake_slack.targeted_faults_left("chat.postMessage") == 0, message="both faults met")
        dm(app, CUSTOMER, "and me")  # delivered after the two, in order
        wait_in_thread(fake_slack, watch, "and me")
        wait_in_thread(fake_slack, watch, BOT_MARK, count=2)
        texts = [m.get("text") or "" for m in thread(fake_slack, watch)]
        assert texts.count("mirror me") == 1 and texts.count("and me") == 1
        assert sum(t.startswith(BOT_MARK) for t in texts) == 2
        assert texts.index("mirror me") < texts.index("and me")
    finally:
        app.stop()


def start_watching_after_hello(app: AppUnderTest, fake: FakeSlack) -> TicketPost:
    dm(app, CUSTOMER, "hello")
    wait_for_dm(fake, CUSTOMER, "Talk to an agent")
    watch = start_watching(app, fake, AGENT, CUSTOMER)
    wait_in_thread(fake, watch, "Before watching began")
    return watch


# -- take over, stop -----------------------------------------------------------------------------------


def test_take_over_connects_at_once_then_replies_are_relayed(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    watch = start_watching_after_hello(app, fake_slack)
    press(app, fake_slack, AGENT_2, TAKE_OVER, str(watch.ticket_id), "take")

    joined = wait_for_dm(fake_slack, CUSTOMER, "has joined the conversation")
    assert "*Bob*" in joined.params["text"]
    updated = wait_for_ticket_update(fake_slack, watch, "Taken over by")
    assert action_ids(updated.params["blocks"]) == ["handoff.close_ticket", "handoff.transfer", "handoff.release"]
    wait_in_thread(fake_slack, watch, "took over from the bot")
    assert mode_of(app, CUSTOMER) == ConversationMode.CONNECTED
    assert not [t for t in stored_tickets(app) if t.state == TicketState.WAITING]  # never queued

    agent_reply(app, AGENT_2, watch, "Hi Jane, Bob here")
    wait_for_dm(fake_slack, CUSTOMER, "Hi Jane, Bob here")
    dm(app, CUSTOMER, "thanks Bob")
    wait_in_thread(fake_slack, watch, "thanks Bob")
    assert not in_thread(fake_slack, watch, READ_ONLY_MARK)  # no longer read-only

    # Stale: Take over and Stop watching again change nothing.
    press(app, fake_slack, AGENT, TAKE_OVER, str(watch.ticket_id), "again")
    assert (
        answer_to(fake_slack, "again", AGENT)
        == f"<@{AGENT_2}> already took this conversation over (ticket {watch.ticket_id}), so nothing changed."
    )
    press(app, fake_slack, AGENT, STOP_WATCHING, str(watch.ticket_id), "stop")
    assert "already took this conversation over" in answer_to(fake_slack, "stop", AGENT)
    assert len(dm_posts(fake_slack, CUSTOMER, None)) == 3  # hello's menu, joined, Bob's reply

    press_close(app, fake_slack, AGENT_2, watch)
    wait_for_dm(fake_slack, CUSTOMER, "has closed this conversation")
    wait_until(lambda: mode_of(app, CUSTOMER) == ConversationMode.BOT, message="back with the bot")


def test_stop_watching_ends_the_mirror_and_stale_buttons_change_nothing(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    watch = start_watching_after_hello(app, fake_slack)
    press(app, fake_slack, AGENT_2, STOP_WATCHING, str(watch.ticket_id), "stop")
    updated = wait_for_ticket_update(fake_slack, watch, f"Stopped by <@{AGENT_2}>")
    assert action_ids(updated.params["blocks"]) == []
    wait_in_thread(fake_slack, watch, "stopped watching")

    dm(app, CUSTOMER, "after the stop")
    wait_for_dm(fake_slack, CUSTOMER, "Talk to an agent", count=2)
    press(app, fake_slack, AGENT, TAKE_OVER, str(watch.ticket_id), "late")
    assert answer_to(fake_slack, "late", AGENT) == f"<@{AGENT_2}> stopped this watch already, so nothing changed."
    press(app, fake_slack, AGENT, STOP_WATCHING, str(watch.ticket_id), "twice")
    assert "stopped this watch already" in answer_to(fake_slack, "twice", AGENT)
    press(app, fake_slack, AGENT, TAKE_OVER, "999999", "nowhere")
    assert "doesn't belong to any watch" in answer_to(fake_slack, "nowhere", AGENT)
    press(app, fake_slack, OUTSIDER, TAKE_OVER, str(watch.ticket_id), "outsider")
    assert "Only members of" in answer_to(fake_slack, "outsider", OUTSIDER)

    assert not in_thread(fake_slack, watch, "after the stop")
    assert mode_of(app, CUSTOMER) == ConversationMode.BOT
    assert not [p for p in dm_posts(fake_slack, CUSTOMER) if "joined" in (p.params.get("text") or "")]
    # A new watch can start.
    second = start_watching(app, fake_slack, AGENT, CUSTOMER)
    assert second.ticket_id != watch.ticket_id


def test_asking_for_a_person_while_watched_ends_the_watch_and_queues_a_normal_ticket(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    watch = start_watching_after_hello(app, fake_slack)
    press(app, fake_slack, AGENT, WATCH_CONVERSATION, str(watch_conversation(app, watch)), "again")
    assert "already watched by you" in answer_to(fake_slack, "again", AGENT)

    dm(app, CUSTOMER, "agent please")
    ticket = wait_for_new_ticket(fake_slack, 1)
    assert ticket.ticket_id != watch.ticket_id
    wait_in_thread(fake_slack, watch, f"ticket {ticket.ticket_id} has its own message")
    wait_in_thread(fake_slack, watch, "agent please")  # the message that asked, mirrored before the note
    wait_for_ticket_update(fake_slack, watch, "the customer left the bot")
    wait_for_dm(fake_slack, CUSTOMER, "in the queue")

    press(app, fake_slack, AGENT_2, TAKE_OVER, str(watch.ticket_id), "late")
    assert "the customer left the bot" in answer_to(fake_slack, "late", AGENT_2)
    assert mode_of(app, CUSTOMER) == ConversationMode.WAITING
    press(app, fake_slack, AGENT, WATCH_CONVERSATION, str(watch_conversation(app, watch)), "waiting")
    assert "no longer talking with the bot" in answer_to(fake_slack, "waiting", AGENT)


def watch_conversation(app: AppUnderTest, watch: TicketPost) -> int:
    found = app.helpdesk.ticket(watch.ticket_id)
    assert found is not None
    return int(found.conversation_id)


# -- concurrent presses, two replicas on PostgreSQL -------------------------------------------------------


@pytest.fixture
def two_replicas(fake_slack: FakeSlack, postgres_database_url: str) -> Iterator[tuple[AppUnderTest, AppUnderTest]]:
    first = AppUnderTest(settings_for(fake_slack, postgres_database_url)).start()
    second = AppUnderTest(settings_for(fake_slack, postgres_database_url)).start()
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()


@pytest.mark.postgres
def test_concurrent_watches_and_take_overs_on_two_replicas_have_one_winner(
    two_replicas: tuple[AppUnderTest, AppUnderTest], fake_slack: FakeSlack
) -> None:
    from tests.test_claim_race import RACERS, racing_agents, released_together

    replicas = two_replicas
    agents = racing_agents(fake_slack)
    dm(replicas[0], CUSTOMER, "hello")
    wait_for_dm(fake_slack, CUSTOMER, "Talk to an agent")
    conversation = watch_buttons(run_watch_command(replicas[0], fake_slack, agents[0]))[CUSTOMER]

    released_together(
        RACERS, lambda i: press(replicas[i % 2], fake_slack, agents[i], WATCH_CONVERSATION, conversation, "watch")
    )
    watch = ticket_message_recorded(replicas[0], wait_for_new_ticket(fake_slack, 0))
    wait_until(
        lambda: all(fake_slack.calls(f"response_url:watch-{a}") for a in agents),
        message="every Watch answered",
    )
    assert len(ticket_posts(fake_slack)) == 1 and len([t for t in stored_tickets(replicas[0])]) == 1

    released_together(
        RACERS, lambda i: press(replicas[i % 2], fake_slack, agents[i], TAKE_OVER, str(watch.ticket_id), "take")
    )
    wait_for_dm(fake_slack, CUSTOMER, "has joined the conversation")
    wait_until(
        lambda: sum(bool(fake_slack.calls(f"response_url:take-{a}")) for a in agents) >= RACERS - 1,
        timeout=15,
        message="every loser answered",
    )
    found = replicas[1].helpdesk.ticket(watch.ticket_id)
    assert found is not None and found.state is TicketState.CONNECTED and found.agent_user_id in agents
    winner = found.agent_user_id
    for agent in agents:
        if agent != winner:
            assert "already took this conversation over" in answer_to(fake_slack, "take", agent)
    wait_for_ticket_update(fake_slack, watch, f"Taken over by <@{winner}>")
    joined = [p for p in dm_posts(fake_slack, CUSTOMER) if "has joined" in (p.params.get("text") or "")]
    assert len(joined) == 1
    assert len(in_thread(fake_slack, watch, "took over from the bot")) == 1


def test_a_button_the_watched_customer_presses_is_mirrored(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    watch = start_watching_after_hello(app, fake_slack)
    press_talk_to_agent(app, CUSTOMER)  # the menu's button: it hands over, so the watch ends too
    wait_in_thread(fake_slack, watch, "The customer pressed “Talk to an agent”")
    wait_in_thread(fake_slack, watch, "Watching ended")
    pressed = in_thread(fake_slack, watch, "pressed “Talk to an agent”")[0]
    ended = in_thread(fake_slack, watch, "Watching ended")[0]
    assert float(pressed["ts"]) < float(ended["ts"]) and len(in_thread(fake_slack, watch, "pressed")) == 1
    wait_for_dm(fake_slack, CUSTOMER, "in the queue")
