"""The emulator's Web API answers as Slack documents it (shapes and error codes), faults included."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.faults import DROP
from handoff_slack.sandbox.state import Change

TITLE = {"type": "plain_text", "text": "Form"}


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as running:
        running.add_user("U1", name="jane")
        running.add_user("U2", name="omar")
        running.add_channel("CIN", "in", ["U1"])
        running.add_channel("COUT", "out", ["U1"], bot_member=False)
        yield running


@pytest.fixture
def web(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=5)


def error_of(call, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SlackApiError) as raised:
        call(**kwargs)
    return str(raised.value.response["error"])


def test_the_bot_posts_only_in_channels_that_exist_and_it_is_in(web: WebClient) -> None:
    assert error_of(web.chat_postMessage, channel="CNOPE", text="x") == "channel_not_found"
    assert error_of(web.chat_postMessage, channel="COUT", text="x") == "not_in_channel"
    assert error_of(web.conversations_history, channel="COUT") == "not_in_channel"
    assert web.chat_postMessage(channel="CIN", text="x")["ok"]
    assert web.chat_postMessage(channel="U1", text="x")["channel"] == "DU1"  # a user ID: the bot's DM
    info = web.conversations_info(channel="COUT")["channel"]
    assert (info["is_member"], info["name"], info["is_channel"]) == (False, "out", True)
    assert web.conversations_members(channel="CIN")["members"] == ["U1", "UBOT"]


def test_messages_are_checked_like_slack_checks_them(web: WebClient) -> None:
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # slack_sdk warns too, as it should
        assert error_of(web.chat_postMessage, channel="CIN") == "no_text"
    assert error_of(web.chat_postMessage, channel="CIN", text="x" * 40_001) == "msg_too_long"
    assert web.chat_postMessage(channel="CIN", text="x" * 40_000)["ok"]
    for bad in (
        [{"type": "no_such_block"}],
        [{"type": "section"}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "header"}}],
        [{"type": "actions", "elements": []}],
        [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
        [{"type": "divider"}] * 51,
    ):
        assert error_of(web.chat_postMessage, channel="CIN", text="x", blocks=bad) == "invalid_blocks", bad
    bad_metadata = {"event_type": "", "event_payload": {}}
    assert error_of(web.chat_postMessage, channel="CIN", text="x", metadata=bad_metadata) == "invalid_metadata_format"


def test_the_bot_updates_and_deletes_only_its_own_messages(emulator: SlackEmulator, web: WebClient) -> None:
    theirs = emulator.record_post("U1", "CIN", "my words")
    assert error_of(web.chat_update, channel="CIN", ts=theirs["ts"], text="x") == "cant_update_message"
    assert error_of(web.chat_delete, channel="CIN", ts=theirs["ts"]) == "cant_delete_message"
    assert error_of(web.chat_delete, channel="CIN", ts="1.000001") == "message_not_found"
    mine = web.chat_postMessage(channel="CIN", text="bot words")["ts"]
    assert web.chat_delete(channel="CIN", ts=mine)["ok"]
    assert error_of(web.chat_delete, channel="CIN", ts=mine) == "message_not_found"  # deleted once only
    assert [m["text"] for m in emulator.messages("CIN")] == ["my words"]


def test_update_refuses_too_long_text(web: WebClient) -> None:
    mine = web.chat_postMessage(channel="CIN", text="short")["ts"]
    assert error_of(web.chat_update, channel="CIN", ts=mine, text="x" * 40_001) == "msg_too_long"


def test_reactions_are_kept_on_the_message(web: WebClient) -> None:
    ts = web.chat_postMessage(channel="CIN", text="react to me")["ts"]
    assert web.reactions_add(channel="CIN", timestamp=ts, name="eyes")["ok"]
    assert error_of(web.reactions_add, channel="CIN", timestamp=ts, name="eyes") == "already_reacted"
    history = web.conversations_history(channel="CIN")["messages"]
    assert history[0]["reactions"] == [{"name": "eyes", "users": ["UBOT"], "count": 1}]
    assert web.reactions_remove(channel="CIN", timestamp=ts, name="eyes")["ok"]
    assert error_of(web.reactions_remove, channel="CIN", timestamp=ts, name="eyes") == "no_reaction"
    assert "reactions" not in web.conversations_history(channel="CIN")["messages"][0]
    assert error_of(web.reactions_add, channel="CIN", timestamp="1.000001", name="eyes") == "message_not_found"


def test_ephemeral_messages_are_shown_to_their_user_only(emulator: SlackEmulator, web: WebClient) -> None:
    assert web.chat_postEphemeral(channel="CIN", user="U1", text="psst")["message_ts"]
    assert error_of(web.chat_postEphemeral, channel="CIN", user="U2", text="psst") == "user_not_in_channel"
    assert [m["text"] for m in emulator.ephemerals("U1")] == ["psst"]
    assert emulator.ephemerals("U2") == []
    assert emulator.messages("CIN") == []  # not in the channel's history


def test_an_ephemeral_message_in_a_thread_shows_there_once_the_thread_has_replies(
    emulator: SlackEmulator, web: WebClient
) -> None:
    root = web.chat_postMessage(channel="CIN", text="root")["ts"]
    # Slack accepts one for a thread without replies, but shows it nowhere ("only shown if there is
    # already an active thread").
    assert web.chat_postEphemeral(channel="CIN", user="U1", text="early", thread_ts=root)["ok"]
    web.chat_postMessage(channel="CIN", text="a reply", thread_ts=root)
    assert web.chat_postEphemeral(channel="CIN", user="U1", text="in the thread", thread_ts=root)["ok"]
    shown = [(m["text"], m.get("thread_ts"), m["shown"]) for m in emulator.ephemerals("U1")]
    assert shown == [("early", root, False), ("in the thread", root, True)]


def test_an_ephemeral_answer_to_a_response_url_lands_at_the_top_level(emulator: SlackEmulator) -> None:
    """Slack ignores thread_ts on an ephemeral response_url answer (slackapi/bolt-js#963); an
    in-channel one goes to the thread, as documented."""
    root = emulator.record_post("U1", "CIN", "root")["ts"]
    url = emulator.issue_response_url("U1", "CIN", root)
    for body in (
        {"text": "only you", "thread_ts": root},
        {"text": "everyone", "thread_ts": root, "response_type": "in_channel"},
    ):
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
    [ephemeral] = emulator.ephemerals("U1", "CIN")
    assert (ephemeral["text"], "thread_ts" in ephemeral, ephemeral["shown"]) == ("only you", False, True)
    assert [m["text"] for m in emulator.messages("CIN", thread_ts=root)] == ["everyone"]


def test_history_pages_with_cursor_and_has_more(web: WebClient) -> None:
    posted = [web.chat_postMessage(channel="CIN", text=f"m{i}")["ts"] for i in range(5)]
    first = web.conversations_history(channel="CIN", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"] is True
    second = web.conversations_history(channel="CIN", limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    window = web.conversations_history(channel="CIN", oldest=posted[1], latest=posted[3], inclusive=True)
    assert [m["text"] for m in window["messages"]] == ["m3", "m2", "m1"] and window["has_more"] is False
    assert error_of(web.conversations_history, channel="CIN", cursor="bm9wZQ==") == "invalid_cursor"


def test_modals_stack_per_user_and_update_by_id_with_hash(emulator: SlackEmulator, web: WebClient) -> None:
    opened = web.views_open(
        trigger_id=emulator.issue_trigger("U1"), view={"type": "modal", "title": TITLE, "blocks": []}
    )["view"]
    assert [v["id"] for v in emulator.open_views("U1")] == [opened["id"]] and emulator.open_views("U2") == []
    pushed = web.views_push(trigger_id=emulator.issue_trigger("U1"), view={"type": "modal", "title": TITLE})["view"]
    assert pushed["root_view_id"] == opened["id"] and pushed["previous_view_id"] == opened["id"]
    assert error_of(web.views_update, view_id=opened["id"], hash="stale", view={"type": "modal", "title": TITLE}) == (
        "hash_conflict"
    )
    updated = web.views_update(view_id=opened["id"], hash=opened["hash"], view={"type": "modal", "title": TITLE})
    assert updated["view"]["id"] == opened["id"]
    assert error_of(web.views_update, view_id="VNOPE", view={"type": "modal", "title": TITLE}) == "not_found"
    no_title = {"type": "modal"}
    assert error_of(web.views_open, trigger_id=emulator.issue_trigger("U1"), view=no_title) == "invalid_arguments"
    web.views_push(trigger_id=emulator.issue_trigger("U1"), view={"type": "modal", "title": TITLE})
    assert error_of(
        web.views_push, trigger_id=emulator.issue_trigger("U1"), view={"type": "modal", "title": TITLE}
    ) == ("push_limit_reached")


def test_a_modal_needs_a_trigger_the_emulator_issued_unused_and_fresh(
    emulator: SlackEmulator, web: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    modal = {"type": "modal", "title": TITLE}
    assert error_of(web.views_open, trigger_id="12345.98765.abcd2358fdea", view=modal) == "invalid_trigger_id"
    assert error_of(web.views_open, view=modal) == "invalid_arguments"
    trigger = emulator.issue_trigger("U1")
    web.views_open(trigger_id=trigger, view=modal)
    assert error_of(web.views_open, trigger_id=trigger, view=modal) == "exchanged_trigger_id"
    assert error_of(web.views_push, trigger_id=trigger, view=modal) == "exchanged_trigger_id"

    late = emulator.issue_trigger("U1")
    issued_at = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: issued_at + 3.5)  # the app took longer than Slack allows
    assert error_of(web.views_open, trigger_id=late, view=modal) == "expired_trigger_id"


def test_a_response_url_takes_five_posts_within_30_minutes(
    emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def post(url: str) -> tuple[int, str]:
        request = urllib.request.Request(url, data=b'{"text": "hi"}', headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    url = emulator.issue_response_url("U1", "CIN")
    assert [post(url) for _ in range(5)] == [(200, "ok")] * 5
    assert post(url) == (404, "used_url")
    assert len(emulator.ephemerals("U1", "CIN")) == 5

    later = emulator.issue_response_url("U1", "CIN")
    issued_at = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: issued_at + 30 * 60 + 1)
    assert post(later) == (404, "expired_url")


def test_a_reply_to_a_thread_that_is_not_there(emulator: SlackEmulator, web: WebClient) -> None:
    assert error_of(web.chat_postMessage, channel="CIN", text="x", thread_ts="") == "invalid_thread_ts"
    assert error_of(web.chat_postMessage, channel="CIN", text="x", thread_ts="soon") == "invalid_thread_ts"
    posted = web.chat_postMessage(channel="CIN", text="to nowhere", thread_ts="1700000000.000100")
    assert posted["ok"] and posted["message"]["thread_ts"] == "1700000000.000100"  # Slack accepts it
    assert web.conversations_history(channel="CIN")["messages"] == []  # and shows it nowhere in the channel


def test_faults_per_method_and_channel(emulator: SlackEmulator, web: WebClient) -> None:
    emulator.add_channel("COTHER", "other")
    emulator.fail_in("CIN", "chat.postMessage", 500)
    assert web.chat_postMessage(channel="COTHER", text="unharmed")["ok"]  # another channel: not this fault
    with pytest.raises(SlackApiError) as raised:
        web.chat_postMessage(channel="CIN", text="x")
    assert raised.value.response.status_code == 500
    assert web.chat_postMessage(channel="CIN", text="x")["ok"]  # the fault was used up


def test_armed_faults_are_described_counted_down_and_healed(emulator: SlackEmulator, web: WebClient) -> None:
    no_retries = WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=5, retry_handlers=[])
    emulator.fail_in("CIN", "chat.postMessage", 429, count=2, retry_after=3)
    emulator.fail("chat.update", 500, count=None)  # until healed
    emulator.delay("conversations.history", 0.1)
    assert emulator.armed() == [
        {"method": "chat.postMessage", "channel": "CIN", "kind": "error", "status": 429, "retry_after": 3,
         "error": "ratelimited", "seconds": None, "left": 2},
        {"method": "chat.update", "channel": None, "kind": "error", "status": 500, "retry_after": None,
         "error": "internal_error", "seconds": None, "left": None},
        {"method": "conversations.history", "channel": None, "kind": "slow", "status": None, "retry_after": None,
         "error": None, "seconds": 0.1, "left": 1},
    ]  # fmt: skip
    with pytest.raises(SlackApiError) as raised:
        no_retries.chat_postMessage(channel="CIN", text="x")
    assert raised.value.response.headers["Retry-After"] == "3"
    assert emulator.armed()[0]["left"] == 1
    for _ in range(3):  # never used up
        assert error_of(no_retries.chat_update, channel="CIN", ts="1.0", text="z") == "internal_error"
    emulator.heal()
    emulator.clear_delays()
    assert emulator.armed() == []
    assert web.chat_postMessage(channel="CIN", text="healed")["ok"]


def test_a_dropped_connection_gets_no_answer(emulator: SlackEmulator, web: WebClient) -> None:
    emulator.fail("chat.postMessage", DROP, after_handling=True)
    no_retries = WebClient(token=emulator.bot_token, base_url=emulator.api_url, timeout=5, retry_handlers=[])
    with pytest.raises(Exception) as raised:  # urllib: the server closed the connection unanswered
        no_retries.chat_postMessage(channel="CIN", text="posted, never confirmed")
    assert not isinstance(raised.value, SlackApiError)
    assert [m["text"] for m in emulator.messages("CIN")] == ["posted, never confirmed"]


def test_subscribers_hear_every_change(emulator: SlackEmulator, web: WebClient) -> None:
    heard: list[Change] = []
    done = threading.Event()

    def listen(change: Change) -> None:
        heard.append(change)
        if change.kind == "message_deleted":
            done.set()

    unsubscribe = emulator.subscribe(listen)
    ts = web.chat_postMessage(channel="CIN", text="hi")["ts"]
    web.chat_update(channel="CIN", ts=ts, text="hi!")
    web.chat_delete(channel="CIN", ts=ts)
    assert done.wait(5)
    assert [(c.kind, c.channel, c.ts) for c in heard] == [
        ("message", "CIN", ts),
        ("message_changed", "CIN", ts),
        ("message_deleted", "CIN", ts),
    ]
    unsubscribe()
    web.chat_postMessage(channel="CIN", text="unheard")
    assert len(heard) == 3
