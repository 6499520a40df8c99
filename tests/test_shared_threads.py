"""Inside a customer's thread of a served shared channel, through the signed Slack edge with
Slack-Connect-shaped events (external `user_team`, `authorizations`, `is_ext_shared`): colleagues
of the customer's organisation in the thread, two customers at once, edits and deletes, replies also
sent to the channel, mentions of the app, Enterprise Grid's other workspaces, and bad input.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from handoff_slack.blocks.action_ids import BOT_FORM, CANCEL_WAITING, TALK_TO_AGENT, TRIAGE_ANSWER, TRIAGE_FORM
from handoff_slack.listeners.actions.cancel_waiting import NOT_YOURS
from handoff_slack.sender_notices import TOO_LONG
from tests.conftest import AGENT, AGENT_2, CUSTOMER, EXTERNAL_CUSTOMER, EXTERNAL_TEAM
from tests.support.app_under_test import ADMIN, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import Call, FakeSlack, new_ts
from tests.support.journeys import (
    TicketPost,
    action_ids,
    agent_reply,
    block_text,
    claim,
    dm,
    is_menu,
    posted_to,
    stored_messages,
    stored_tickets,
    ticket_posts,
    told_in_thread,
    wait_for_dm,
    wait_for_new_ticket,
)
from tests.support.slack_requests import JSON, bot_message, channel_message, next_event_id
from tests.support.waiting import wait_until
from tests.test_watch import start_watching, wait_in_thread
from tests.test_watch import thread as watch_thread

SHARED = "CSHARED"  # shared with the customer's organisation (Slack Connect), served
OTHER = "COTHER"  # shared too, never turned on
HOME = "T0HOME"  # the installing team (the fake Slack's)
COLLEAGUE = "UEXT2"  # Erin's colleague, of her organisation
ERIN, CARL = "Erin External", "Carl Colleague"
BOT = "UBOT"  # the app's bot user


@pytest.fixture
def shared(app: AppUnderTest, fake_slack: FakeSlack) -> AppUnderTest:
    """The app with SHARED served; Erin (EXTERNAL_CUSTOMER) and Carl (COLLEAGUE) of Acme Corp in it."""
    return serve_shared(app, fake_slack)


def serve_shared(app: AppUnderTest, fake_slack: FakeSlack) -> AppUnderTest:
    fake_slack.add_user(COLLEAGUE, name="carl", real_name=CARL, team_id=EXTERNAL_TEAM)
    fake_slack.set_members(SHARED, [EXTERNAL_CUSTOMER, COLLEAGUE, AGENT])
    fake_slack.set_members(OTHER, [EXTERNAL_CUSTOMER, AGENT])
    reply = app.slack.slash_command("/handoff-channel", "on", ADMIN, SHARED, fake_slack.response_url("serve"))
    assert reply.status == 200, reply
    [answer] = fake_slack.wait_for("response_url:serve")
    assert "is served" in str(answer.params.get("text"))
    return app


def send(app: AppUnderTest, event: dict[str, Any]) -> None:
    reply = app.slack.event(event, team_id=HOME, is_ext_shared_channel=True)
    assert (reply.status, reply.body) == (200, ""), reply


def external(user: str, text: str, channel: str = SHARED, **fields: Any) -> dict[str, Any]:
    """A message event of a person of Acme Corp (Slack Connect) in `channel`."""
    team = {"team": EXTERNAL_TEAM, "user_team": EXTERNAL_TEAM, "source_team": EXTERNAL_TEAM}
    return channel_message(user, text, channel, **{**team, **fields})


def writes(app: AppUnderTest, user: str, text: str, thread_ts: str | None = None, **fields: Any) -> str:
    """`user` of Acme Corp writes in SHARED (in `thread_ts`'s thread); the message's ts."""
    event = external(user, text, thread_ts=thread_ts, **fields)
    send(app, event)
    return str(event["ts"])


def mention(user: str, text: str, ts: str, thread_ts: str | None = None, team: str = EXTERNAL_TEAM) -> dict[str, Any]:
    """An `app_mention` event as Slack sends it (no channel_type; the same message also comes as `message`)."""
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": SHARED,
        "team": team,
        "user_team": team,
        "source_team": team,
        "client_msg_id": f"m-{ts}",
    }
    return event if thread_ts is None else {**event, "thread_ts": thread_ts}


def changed(user: str, ts: str, text: str, root: str, team: str = EXTERNAL_TEAM) -> dict[str, Any]:
    """`message_changed` for a message of `user` in `root`'s thread of SHARED."""
    message = {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": root, "team": team}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": SHARED,
        "channel_type": "channel",
        "hidden": True,
        "ts": new_ts(),
        "message": {**message, "user_team": team, "edited": {"user": user, "ts": new_ts()}},
        "previous_message": {**message, "text": "(before)"},
    }


def deleted(user: str, ts: str, root: str) -> dict[str, Any]:
    previous = {"type": "message", "user": user, "text": "x", "ts": ts, "thread_ts": root, "team": EXTERNAL_TEAM}
    return {
        "type": "message",
        "subtype": "message_deleted",
        "channel": SHARED,
        "channel_type": "channel",
        "hidden": True,
        "ts": new_ts(),
        "deleted_ts": ts,
        "previous_message": {**previous, "user_team": EXTERNAL_TEAM},
    }


def press(
    app: AppUnderTest, user: str, action_id: str, value: str, on: Call, root: str, team: str, url: str | None = None
) -> None:
    """`user` (of `team`) presses a button of the bot's message `on`, in `root`'s thread of SHARED."""
    reply = app.slack.block_action(
        user,
        action_id,
        value,
        team_id=team,
        channel_id=SHARED,
        message_ts=on.response["ts"],
        thread_ts=root,
        response_url=url,
    )
    assert reply.status == 200, reply


def in_thread(fake: FakeSlack, root: str, contains: str = "", count: int = 1) -> Call:
    return fake.wait_for("chat.postMessage", posted_to(SHARED, contains, thread_ts=root), count)[count - 1]


def relayed(fake: FakeSlack, ticket: TicketPost, text: str) -> Call:
    """The copy of a customer's message in the ticket's thread."""
    return fake.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, text, thread_ts=ticket.ts))[0]


def copies(fake: FakeSlack, text: str) -> list[Call]:
    return [c for c in fake.calls("chat.postMessage", channel=SUPPORT_CHANNEL) if c.params.get("text") == text]


def shared_posts(fake: FakeSlack, channel: str = SHARED) -> list[Call]:
    return fake.calls("chat.postMessage", channel=channel)


def escalated(app: AppUnderTest, fake: FakeSlack, user: str = EXTERNAL_CUSTOMER) -> tuple[str, TicketPost]:
    """`user` asks for a person in a new top-level message: its thread's root and the ticket."""
    before = len(ticket_posts(fake))
    root = writes(app, user, "I need a human please")
    ticket = wait_for_new_ticket(fake, before)
    in_thread(fake, root, f"#{ticket.ticket_id}")
    return root, ticket


def connected(app: AppUnderTest, fake: FakeSlack) -> tuple[str, TicketPost]:
    root, ticket = escalated(app, fake)
    claim(app, fake, AGENT, ticket)
    in_thread(fake, root, "You are now talking with")
    return root, ticket


def in_shared_channel(app: AppUnderTest) -> list[tuple[str | None, str]]:
    """(author, text) of every stored message that came from the shared channel, oldest first."""
    return [(m.author_user_id, m.text) for m in stored_messages(app) if m.source_channel_id == SHARED]


# -- colleagues in the thread -------------------------------------------------------------------


def test_a_colleague_writing_in_the_thread_is_part_of_the_conversation(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root = writes(app, EXTERNAL_CUSTOMER, "hi")
    assert is_menu(in_thread(fake_slack, root))
    # With the bot, Carl's message is the conversation's next step: he asks for a person.
    before = len(ticket_posts(fake_slack))
    writes(app, COLLEAGUE, "I need a human please", thread_ts=root)
    ticket = wait_for_new_ticket(fake_slack, before)
    in_thread(fake_slack, root, f"#{ticket.ticket_id}")
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.customer.user_id == EXTERNAL_CUSTOMER  # the thread's ticket is Erin's
    recent = block_text(ticket.call.params.get("blocks")).split("*Recent messages*")[1]
    assert f"> *{CARL}:* I need a human please" in recent and "> hi" in recent and ERIN not in recent
    # Waiting and connected, each relayed message shows its own author's name and avatar.
    writes(app, COLLEAGUE, "we are both blocked", thread_ts=root)
    waiting = relayed(fake_slack, ticket, "we are both blocked")
    assert (waiting.params.get("username"), waiting.params.get("icon_url")) == (CARL, avatar(COLLEAGUE))
    claim(app, fake_slack, AGENT, ticket)
    in_thread(fake_slack, root, "You are now talking with")
    writes(app, EXTERNAL_CUSTOMER, "any news?", thread_ts=root)
    writes(app, COLLEAGUE, "order 42 is the one", thread_ts=root)
    hers, his = relayed(fake_slack, ticket, "any news?"), relayed(fake_slack, ticket, "order 42 is the one")
    assert (hers.params.get("username"), hers.params.get("icon_url")) == (ERIN, avatar(EXTERNAL_CUSTOMER))
    assert (his.params.get("username"), his.params.get("icon_url")) == (CARL, avatar(COLLEAGUE))
    agent_reply(app, AGENT, ticket, "Looking at order 42")
    in_thread(fake_slack, root, "Looking at order 42")
    # Nothing lost: every message of both is stored, with its author.
    assert in_shared_channel(app) == [
        (EXTERNAL_CUSTOMER, "hi"),
        (COLLEAGUE, "I need a human please"),
        (COLLEAGUE, "we are both blocked"),
        (EXTERNAL_CUSTOMER, "any news?"),
        (COLLEAGUE, "order 42 is the one"),
    ]


def test_an_author_slack_cannot_name_is_shown_as_someone_of_their_organisation_never_by_id(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    # Carl's users.info fails (Slack is having a moment): his copy names his organisation.
    carls = lambda p: p.get("user") == COLLEAGUE  # noqa: E731
    fake_slack.fail_when("users.info", carls, status=200, error="fatal_error", count=None)
    writes(app, COLLEAGUE, "me too", thread_ts=root)
    assert relayed(fake_slack, ticket, "me too").params.get("username") == "Someone at Acme Corp"
    # Someone of an organisation Slack cannot name either (team.info fails): still no ID.
    writes(app, "UNEW1", "and me", thread_ts=root, team="TNEW", user_team="TNEW", source_team="TNEW")
    copy = relayed(fake_slack, ticket, "and me").params
    assert copy.get("username") == "Someone at the customer's organisation"
    assert "UNEW1" not in json.dumps(copy) and "TNEW" not in json.dumps(copy)
    recent = [m.author_name for m in stored_messages(app) if m.text in ("me too", "and me")]
    assert recent == ["Someone at Acme Corp", "Someone at the customer's organisation"]
    # Once Slack answers again, Carl's next message has his name (a failure is not remembered).
    fake_slack.heal("users.info")
    writes(app, COLLEAGUE, "back to normal", thread_ts=root)
    assert relayed(fake_slack, ticket, "back to normal").params.get("username") == CARL


def test_the_watch_recap_names_each_line_by_its_author(shared: AppUnderTest, fake_slack: FakeSlack) -> None:
    app = shared
    root = writes(app, EXTERNAL_CUSTOMER, "hi")
    in_thread(fake_slack, root)
    writes(app, COLLEAGUE, "<!here> what is *this*?", thread_ts=root)
    in_thread(fake_slack, root, count=2)
    watch = start_watching(app, fake_slack, AGENT, EXTERNAL_CUSTOMER)
    wait_in_thread(fake_slack, watch, "Before watching began")
    recap = block_text(watch_thread(fake_slack, watch)[0].get("blocks")) or watch_thread(fake_slack, watch)[0]["text"]
    lines = [line for line in recap.splitlines() if line.startswith(">")]
    customers = [line for line in lines if not line.startswith("> *Bot:*")]
    assert customers == [f"> *{ERIN}:* hi", f"> *{CARL}:* @here what is *this*?"]  # each their own; no ping
    assert "*Customer:*" not in recap


def avatar(user: str) -> str:
    return f"https://fake.slack.com/avatars/{user}_48.png"


def test_a_dm_is_still_shown_under_its_customers_name(shared: AppUnderTest, fake_slack: FakeSlack) -> None:
    """The DM's relay keeps reading the conversation's name (no author of its own is stored)."""
    app = shared
    before = len(ticket_posts(fake_slack))
    dm(app, CUSTOMER, "I need a human please")
    ticket = wait_for_new_ticket(fake_slack, before)
    wait_for_dm(fake_slack, CUSTOMER, f"#{ticket.ticket_id}")
    claim(app, fake_slack, AGENT, ticket)
    wait_for_dm(fake_slack, CUSTOMER, "You are now talking with")
    dm(app, CUSTOMER, "hello from the DM")
    copy = relayed(fake_slack, ticket, "hello from the DM")
    assert copy.params.get("username") == "Jane"
    assert [m.author_name for m in stored_messages(app, "hello from the DM")] == [None]


def test_buttons_in_the_thread_act_for_whoever_of_the_organisation_pressed_them(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root = writes(app, EXTERNAL_CUSTOMER, "hi")
    menu = in_thread(fake_slack, root)
    # Carl's "Talk to an agent" hands the thread's conversation over; the ticket stays Erin's.
    before = len(ticket_posts(fake_slack))
    press(app, COLLEAGUE, TALK_TO_AGENT, "menu", menu, root, EXTERNAL_TEAM)
    ticket = wait_for_new_ticket(fake_slack, before)
    found = app.helpdesk.ticket(ticket.ticket_id)
    assert found is not None and found.customer.user_id == EXTERNAL_CUSTOMER
    queued = in_thread(fake_slack, root, f"#{ticket.ticket_id}")
    assert CANCEL_WAITING in action_ids(queued.params.get("blocks") or [])
    # An agent's Cancel in the customer's thread cancels nothing (only the agent is told) ...
    url = fake_slack.response_url("agent-cancel")
    press(app, AGENT, CANCEL_WAITING, str(ticket.ticket_id), queued, root, HOME, url)
    assert told_in_thread(fake_slack, AGENT, SHARED, root)["text"] == NOT_YOURS  # in the thread, not at the top
    assert [t.state for t in stored_tickets(app)] == ["waiting"]  # decided before the ack
    # ... nor does a Cancel for another thread's ticket pressed here.
    other_root, other = escalated(app, fake_slack, COLLEAGUE)
    url = fake_slack.response_url("wrong-thread")
    press(app, COLLEAGUE, CANCEL_WAITING, str(other.ticket_id), queued, root, EXTERNAL_TEAM, url)
    assert told_in_thread(fake_slack, COLLEAGUE, SHARED, root)["text"] == NOT_YOURS
    assert fake_slack.calls("response_url:agent-cancel") == fake_slack.calls("response_url:wrong-thread") == []
    assert [t.state for t in stored_tickets(app)] == ["waiting", "waiting"]
    # Carl's Cancel leaves the queue for the thread, as Erin's "never mind" would.
    press(app, COLLEAGUE, CANCEL_WAITING, str(ticket.ticket_id), queued, root, EXTERNAL_TEAM)
    assert [t.state for t in stored_tickets(app)] == ["cancelled", "waiting"]
    assert other_root != root


TRIAGE_CONFIG = """
triage:
  mode: before_handoff
  questions:
    - {id: name, label: Name, prompt: "What's your name?", prefill: profile_name}
    - {id: company, label: Company, prompt: "Which company are you with?", prefill: organisation}
    - {id: problem, label: Problem, prompt: "What's the problem?", multiline: true}
escalation:
  no_match_limit: 0
  frustration: {action: "off"}
"""


def test_the_triage_form_in_the_thread_is_the_pressers(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    """Carl hands Erin's thread over: triage knows *his* name and organisation, the form opens for
    him and his answers go on the thread's ticket (still Erin's); an internal person's form does nothing."""
    config = tmp_path / "triage.yaml"
    config.write_text(TRIAGE_CONFIG)
    app = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_CONFIG=str(config))).start()
    try:
        serve_shared(app, fake_slack)
        root = writes(app, EXTERNAL_CUSTOMER, "hi")
        menu = in_thread(fake_slack, root)
        press(app, COLLEAGUE, TALK_TO_AGENT, "menu", menu, root, EXTERNAL_TEAM)
        question = in_thread(fake_slack, root, "What's the problem?")  # name and company known: not asked
        form = next(e for e in buttons(question) if e["action_id"] == BOT_FORM)
        reply = app.slack.block_action(
            COLLEAGUE,
            BOT_FORM,
            form["value"],
            team_id=EXTERNAL_TEAM,
            channel_id=SHARED,
            message_ts=question.response["ts"],
            thread_ts=root,
            trigger_id=fake_slack.issue_trigger(COLLEAGUE),
        )
        assert reply.status == 200, reply
        view = fake_slack.wait_for("views.open")[0].params["view"]
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        assert inputs["name"]["element"]["initial_value"] == CARL

        answers = {"name": {TRIAGE_ANSWER: CARL}, "company": {TRIAGE_ANSWER: "Acme"}, "problem": {TRIAGE_ANSWER: "VPN"}}
        metadata = view["private_metadata"]
        # The same form sent by an internal person changes nothing (acked, closed).
        refused = app.slack.view_submission(AGENT, TRIAGE_FORM, answers, private_metadata=metadata, team_id=HOME)
        assert (refused.status, refused.body) == (200, "")
        assert stored_tickets(app) == []
        sent = app.slack.view_submission(
            COLLEAGUE, TRIAGE_FORM, answers, private_metadata=metadata, team_id=EXTERNAL_TEAM
        )
        assert (sent.status, sent.body) == (200, "")
        ticket = wait_for_new_ticket(fake_slack, 0)
        found = app.helpdesk.ticket(ticket.ticket_id)
        assert found is not None and found.customer.user_id == EXTERNAL_CUSTOMER
        assert f"*Name:* {CARL}" in block_text(ticket.call.params.get("blocks"))
        in_thread(fake_slack, root, f"#{ticket.ticket_id}")
    finally:
        app.stop()


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.params.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


# -- two customers at once, edits, broadcasts, mentions ---------------------------------------------


def test_two_customers_of_one_organisation_in_one_channel_at_once(shared: AppUnderTest, fake_slack: FakeSlack) -> None:
    app = shared
    erin_root, erin = escalated(app, fake_slack, EXTERNAL_CUSTOMER)
    carl_root, carl = escalated(app, fake_slack, COLLEAGUE)
    assert erin.ticket_id != carl.ticket_id and erin_root != carl_root
    customers = [app.helpdesk.ticket(t.ticket_id).customer for t in (erin, carl)]
    assert [(c.user_id, c.door.thread_ts) for c in customers] == [
        (EXTERNAL_CUSTOMER, erin_root),
        (COLLEAGUE, carl_root),
    ]
    claim(app, fake_slack, AGENT, erin)
    claim(app, fake_slack, AGENT_2, carl)
    in_thread(fake_slack, erin_root, "You are now talking with")
    in_thread(fake_slack, carl_root, "You are now talking with")
    agent_reply(app, AGENT, erin, "for Erin")
    agent_reply(app, AGENT_2, carl, "for Carl")
    writes(app, EXTERNAL_CUSTOMER, "Erin again", thread_ts=erin_root)
    writes(app, COLLEAGUE, "Carl again", thread_ts=carl_root)
    in_thread(fake_slack, erin_root, "for Erin")
    in_thread(fake_slack, carl_root, "for Carl")
    assert relayed(fake_slack, erin, "Erin again").params.get("username") == ERIN
    assert relayed(fake_slack, carl, "Carl again").params.get("username") == CARL
    # Each went to its own thread only.
    assert [c.params.get("thread_ts") for c in shared_posts(fake_slack) if c.params.get("text") == "for Erin"] == [
        erin_root
    ]
    assert [c.params.get("thread_ts") for c in copies(fake_slack, "Carl again")] == [carl.ts]
    assert [c.params.get("thread_ts") for c in copies(fake_slack, "Erin again")] == [erin.ts]


def test_edits_and_deletes_in_the_thread_reach_the_ticket_threads_copy(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    hers = writes(app, EXTERNAL_CUSTOMER, "the error is 42", thread_ts=root)
    his = writes(app, COLLEAGUE, "wrong thread, sorry", thread_ts=root)
    her_copy = relayed(fake_slack, ticket, "the error is 42").response["ts"]
    his_copy = relayed(fake_slack, ticket, "wrong thread, sorry").response["ts"]

    send(app, changed(EXTERNAL_CUSTOMER, hers, "the error is 43", root))
    send(app, deleted(COLLEAGUE, his, root))
    [update] = fake_slack.wait_for("chat.update", lambda c: c.params.get("ts") == her_copy)
    assert update.params.get("channel") == SUPPORT_CHANNEL and "the error is 43" in str(update.params.get("text"))
    [gone] = fake_slack.wait_for("chat.update", lambda c: c.params.get("ts") == his_copy)
    assert "deleted this message" in str(gone.params.get("text"))  # as for a DM's delete
    assert in_shared_channel(app)[-2:] == [(EXTERNAL_CUSTOMER, "the error is 43"), (COLLEAGUE, "wrong thread, sorry")]

    # Edits and deletes of messages the app never saw (and an internal person's edit) change nothing.
    updates, deletes = len(fake_slack.calls("chat.update")), len(fake_slack.calls("chat.delete"))
    stored = in_shared_channel(app)
    send(app, changed(EXTERNAL_CUSTOMER, new_ts(), "never seen", root))
    send(app, deleted(EXTERNAL_CUSTOMER, new_ts(), root))
    send(app, changed(AGENT, new_ts(), "an internal edit", root, team=HOME))
    send(app, changed(EXTERNAL_CUSTOMER, hers, "the error is 43", root))  # unchanged text (an unfurl, say)
    # Acked after the ledger's answer: nothing stored changed, nothing is to sync. A later relay
    # flushes the conversation's outbox, and still nothing else is updated or deleted.
    assert in_shared_channel(app) == stored
    writes(app, EXTERNAL_CUSTOMER, "after the edits", thread_ts=root)
    relayed(fake_slack, ticket, "after the edits")
    assert (len(fake_slack.calls("chat.update")), len(fake_slack.calls("chat.delete"))) == (updates, deletes)


def test_a_reply_also_sent_to_the_channel_is_a_thread_reply_once(shared: AppUnderTest, fake_slack: FakeSlack) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    broadcast = external(EXTERNAL_CUSTOMER, "also for the channel", thread_ts=root, subtype="thread_broadcast")
    send(app, broadcast)
    send(app, broadcast)  # delivered again under another event ID
    relayed(fake_slack, ticket, "also for the channel")
    writes(app, EXTERNAL_CUSTOMER, "after the broadcast", thread_ts=root)
    relayed(fake_slack, ticket, "after the broadcast")  # relays go in order: the broadcast is out
    assert len(copies(fake_slack, "also for the channel")) == 1
    assert len(stored_messages(app, "also for the channel")) == 1
    # A broadcast reply in a thread the app did not start starts nothing.
    send(app, external(EXTERNAL_CUSTOMER, "elsewhere", thread_ts=new_ts(), subtype="thread_broadcast"))
    assert stored_messages(app, "elsewhere") == []


def test_a_mention_starts_the_conversation_in_its_thread_once(shared: AppUnderTest, fake_slack: FakeSlack) -> None:
    app = shared
    root = new_ts()
    hello = f"<@{BOT}> hello there"
    # The mention and its `message` twin at the same moment: one conversation, one menu.
    with ThreadPoolExecutor(2) as pool:
        twins = [mention(EXTERNAL_CUSTOMER, hello, root), external(EXTERNAL_CUSTOMER, hello, ts=root)]
        list(pool.map(lambda e: send(app, e), twins))
    assert is_menu(in_thread(fake_slack, root))
    # A mention in the thread (its twin first this time) continues it: a person, once.
    ask, ask_ts = f"<@{BOT}> I need a human please", new_ts()
    send(app, external(EXTERNAL_CUSTOMER, ask, ts=ask_ts, thread_ts=root))
    send(app, mention(EXTERNAL_CUSTOMER, ask, ask_ts, thread_ts=root))
    ticket = wait_for_new_ticket(fake_slack, 0)
    # Mentions by an internal person, in a channel not served, or in a thread the app did not start: nothing.
    send(app, mention(AGENT, f"<@{BOT}> I need a human please", new_ts(), team=HOME))
    send(app, {**mention(EXTERNAL_CUSTOMER, f"<@{BOT}> I need a human please", new_ts()), "channel": OTHER})
    send(app, mention(EXTERNAL_CUSTOMER, f"<@{BOT}> I need a human please", new_ts(), thread_ts=new_ts()))
    writes(app, EXTERNAL_CUSTOMER, "one more", thread_ts=root)
    relayed(fake_slack, ticket, "one more")
    assert in_shared_channel(app) == [
        (EXTERNAL_CUSTOMER, hello),
        (EXTERNAL_CUSTOMER, ask),
        (EXTERNAL_CUSTOMER, "one more"),
    ]
    assert len([c for c in shared_posts(fake_slack) if is_menu(c)]) == 1
    assert len(ticket_posts(fake_slack)) == 1
    assert shared_posts(fake_slack, OTHER) == []


# -- Enterprise Grid: another workspace of the same organisation is no customer -------------------


def grid_event(app: AppUnderTest, event: dict[str, Any]) -> None:
    """An event as Slack sends it to an app installed in a workspace of an Enterprise Grid org."""
    body = {
        "token": "legacy-verification-token",
        "team_id": HOME,
        "enterprise_id": "EGRID",
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": next_event_id(),
        "event_time": 1700000000,
        "authorizations": [
            {"enterprise_id": "EGRID", "team_id": HOME, "user_id": BOT, "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }
    reply = app.slack.post(json.dumps(body).encode(), JSON)
    assert (reply.status, reply.body) == (200, ""), reply


def test_in_a_grid_org_only_a_channel_shared_with_another_organisation_has_customers(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    sister = "CSISTER"  # served, but shared only with another workspace of the same org
    fake_slack.set_members(sister, [AGENT])
    reply = app.slack.slash_command("/handoff-channel", "on", ADMIN, sister, fake_slack.response_url("sister"))
    assert reply.status == 200
    fake_slack.wait_for("response_url:sister")
    grid_event(app, {**channel_message("USIS1", "I need a human please", sister), "user_team": "TSISTER"})
    grid_event(app, external(EXTERNAL_CUSTOMER, "I need a human please"))  # Acme Corp: a customer
    wait_for_new_ticket(fake_slack, 0)
    assert [m.text for m in stored_messages(app) if m.source_channel_id == sister] == []
    assert shared_posts(fake_slack, sister) == []
    info = fake_slack.calls("conversations.info")
    assert sorted(c.params.get("channel") for c in info) == [SHARED, sister]  # asked once each, then cached
    grid_event(app, {**channel_message("USIS1", "hello?", sister), "user_team": "TSISTER"})
    assert len(fake_slack.calls("conversations.info")) == 2


def test_in_a_grid_org_a_customer_is_not_lost_while_slack_cannot_say_whether_the_channel_is_shared(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    fake_slack.fail("conversations.info", status=200, error="ratelimited")
    grid_event(app, external(EXTERNAL_CUSTOMER, "I need a human please"))  # the admin served it: trusted
    wait_for_new_ticket(fake_slack, 0)
    # Not remembered: the next message asks again, and Slack's answer is kept.
    grid_event(app, external(COLLEAGUE, "hi"))
    grid_event(app, external(COLLEAGUE, "hello?"))
    assert len(fake_slack.calls("conversations.info")) == 2
    assert [t for _, t in in_shared_channel(app)] == ["I need a human please", "hi", "hello?"]


# -- bad input ------------------------------------------------------------------------------------


def test_what_the_app_ignores_in_served_channels_is_acked_and_loses_nothing_of_ours(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    stored = in_shared_channel(app)
    ignored: list[dict[str, Any]] = [
        external(EXTERNAL_CUSTOMER, "hi", team="TUNKNOWN", user_team="TUNKNOWN", channel=OTHER),  # not served
        {**external(EXTERNAL_CUSTOMER, "no team said"), "user_team": None},  # missing user_team: not a customer
        {k: v for k, v in external(EXTERNAL_CUSTOMER, "no team at all", thread_ts=root).items() if k != "user_team"},
        {**bot_message("a bot in the thread", SHARED, thread_ts=root), "user_team": EXTERNAL_TEAM},
        external(EXTERNAL_CUSTOMER, "not our thread", thread_ts=new_ts()),
        external(EXTERNAL_CUSTOMER, "joined", subtype="channel_join"),
        external(EXTERNAL_CUSTOMER, "   \n ", thread_ts=root),  # nothing to read
        external(EXTERNAL_CUSTOMER, "", thread_ts=root, files="F1"),  # files not a list: nothing to read
        mention(EXTERNAL_CUSTOMER, "a mention without a ts", ""),
        {**mention(EXTERNAL_CUSTOMER, "a mention with a list", new_ts()), "text": ["<@UBOT>", "hi"]},
        mention(EXTERNAL_CUSTOMER, "x" * 60_000, new_ts(), thread_ts=root),  # longer than anyone can type
        mention(EXTERNAL_CUSTOMER, "a mention with a bad thread", new_ts(), thread_ts="yesterday"),
        {**mention(EXTERNAL_CUSTOMER, "from nobody", new_ts()), "user": None},
        changed(EXTERNAL_CUSTOMER, new_ts(), "an edit of a message never seen", root),
        {**changed(EXTERNAL_CUSTOMER, new_ts(), "no previous", root), "previous_message": None, "message": None},
    ]
    for event in ignored:
        send(app, event)
    # Acked after each step committed: nothing of them was stored, nothing posted but the relay's
    # (the conversation's next message goes through after them, in order).
    assert in_shared_channel(app) == stored
    posts = len(shared_posts(fake_slack)) + len(shared_posts(fake_slack, OTHER))
    # Fields of the wrong type that the app does not need are no reason to lose a message.
    writes(app, EXTERNAL_CUSTOMER, "still here", thread_ts=root, source_team=["T1", "T2"], files="F1")
    relayed(fake_slack, ticket, "still here")
    assert in_shared_channel(app)[-1] == (EXTERNAL_CUSTOMER, "still here")
    agent_reply(app, AGENT, ticket, "still listening")
    in_thread(fake_slack, root, "still listening")
    assert len(shared_posts(fake_slack)) + len(shared_posts(fake_slack, OTHER)) == posts + 1
    assert len(ticket_posts(fake_slack)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Z\u0351\u0351\u0351algo <!channel> <!subteam^S123|@team> \u202eevil\u202c \U0001f600",
        "<https://evil.example|https://bank.example> *bold* &lt;tag&gt;",
        "\u200b\u200d" + "\u0627\u0644\u0633\u0644\u0627\u0645" + "\ufeff",
    ],
    ids=["pings and bidi", "disguised link", "invisible and rtl"],
)
def test_odd_text_from_a_colleague_is_kept_and_relayed_harmless(
    shared: AppUnderTest, fake_slack: FakeSlack, text: str
) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    writes(app, COLLEAGUE, text, thread_ts=root)
    wait_until(lambda: [m for m in stored_messages(app) if m.author_user_id == COLLEAGUE], message="stored")
    assert in_shared_channel(app)[-1] == (COLLEAGUE, text)  # kept as written
    copy = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("thread_ts") == ticket.ts and c.params.get("username") == CARL
    )[0]
    said = str(copy.params.get("text"))
    # No ping reaches the agents, and a link shows where it really goes.
    assert "<!channel>" not in said and "<!subteam" not in said and "|https://bank" not in said


def test_a_message_too_long_to_type_in_the_thread_is_refused_its_author_told_there_and_nothing_posted(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root, ticket = connected(app, fake_slack)
    posts = len(shared_posts(fake_slack))
    event = external(COLLEAGUE, "y" * 60_000, thread_ts=root)
    reply = app.slack.event(event, team_id=HOME, is_ext_shared_channel=True)
    assert reply.status == 200, reply  # the guard acks it (Slack must not retry) and takes nothing
    # Carl is told in the thread, where he wrote it; only he sees it.
    assert told_in_thread(fake_slack, COLLEAGUE, SHARED, root)["text"] == TOO_LONG
    assert [e["visible_to"] for e in fake_slack.ephemerals(COLLEAGUE) + fake_slack.ephemerals(EXTERNAL_CUSTOMER)] == [
        COLLEAGUE
    ]
    writes(app, COLLEAGUE, "shorter then", thread_ts=root)
    relayed(fake_slack, ticket, "shorter then")
    assert [t for _, t in in_shared_channel(app)][-1] == "shorter then"
    assert all(len(t) < 1000 for _, t in in_shared_channel(app))
    assert len(shared_posts(fake_slack)) == posts


def test_a_message_too_long_is_told_only_where_the_app_would_have_answered(
    shared: AppUnderTest, fake_slack: FakeSlack
) -> None:
    app = shared
    root, _ = connected(app, fake_slack)
    posts = len(shared_posts(fake_slack))
    too_long = "z" * 60_000
    # A customer's top-level message (it would have started a thread): told in the channel.
    send(app, external(EXTERNAL_CUSTOMER, too_long))
    [told] = fake_slack.wait_for("chat.postEphemeral", lambda c: c.params.get("text") == TOO_LONG)
    assert (told.params["channel"], told.params["user"], told.params.get("thread_ts")) == (
        SHARED,
        EXTERNAL_CUSTOMER,
        None,
    )
    # An edit of hers in the thread, that long: told in the thread.
    mine = writes(app, EXTERNAL_CUSTOMER, "short", thread_ts=root)
    send(app, changed(EXTERNAL_CUSTOMER, mine, too_long, root))
    assert told_in_thread(fake_slack, EXTERNAL_CUSTOMER, SHARED, root)["text"] == TOO_LONG
    # Nobody else is told: an internal person, a channel not served, a thread the app did not start.
    internal = {**channel_message(AGENT, too_long, SHARED, thread_ts=root), "user_team": HOME, "team": HOME}
    for event in (
        internal,
        external(EXTERNAL_CUSTOMER, too_long, channel=OTHER),
        external(EXTERNAL_CUSTOMER, too_long, thread_ts=new_ts()),
    ):
        assert app.slack.event(event, team_id=HOME, is_ext_shared_channel=True).status == 200
    assert app.app is not None
    lazy_work = app.app.services.lazy_work  # a notice is submitted there before the event's ack
    wait_until(lambda: lazy_work.backlog == 0, message="the work after the acks")
    assert len(fake_slack.calls("chat.postEphemeral", text=TOO_LONG)) == 2
    assert len(shared_posts(fake_slack)) == posts
