"""Hostile and bad input at the HTTP edge: replayed, malformed, oversized, unknown and forged requests.

Every request here is signed correctly unless the test is about the signature: otherwise only the
signature check would be tested. The rule for all of them: a 4xx (or an acknowledgement with a
helpful answer), never a 5xx or a stack trace, and nothing in the database changes.
"""

from __future__ import annotations

import html
import http.client
import io
import json
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import slack_sdk.signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from sqlalchemy import text as sql

from handoff_slack.blocks.action_ids import CANCEL_WAITING, CLAIM_TICKET, CLOSE_TICKET, TALK_TO_AGENT
from handoff_slack.core.states import TicketState
from handoff_slack.listeners.actions import bot_buttons, cancel_waiting, claim_ticket, close_ticket, unknown_action
from handoff_slack.listeners.commands.handoff_queue import REFUSAL, USAGE
from handoff_slack.payload_shape import MAX_TYPED_CHARS
from handoff_slack.request_guard import MAX_BODY_BYTES
from handoff_slack.sender_notices import TOO_LONG
from tests.conftest import AGENT, AGENT_2, CUSTOMER, CUSTOMER_2, OUTSIDER
from tests.support.app_under_test import SIGNING_SECRET, SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FakeSlack, new_ts
from tests.support.journeys import (
    connected_ticket,
    dm,
    dm_posts,
    escalate_by_typing,
    wait_for_menu,
    waiting_ticket,
)
from tests.support.slack_requests import FORM, JSON, Reply, next_event_id, sign

QUEUE = "/handoff-queue"
ESCALATING_TEXT = "I need a human please"  # what each hostile DM says: accepted, it would open a ticket


# -- helpers ------------------------------------------------------------------------------------


def post(app: AppUnderTest, body: bytes | str | dict[str, Any], content_type: str = JSON, **kwargs: Any) -> Reply:
    """A signed POST of `body` (a dict is sent as JSON) to the app's events URL."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return app.slack.post(body, content_type, **kwargs)


def as_payload(payload: Any) -> bytes:
    """An interactivity request: the form field `payload` (JSON unless it is a str already)."""
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode()


def envelope(event: Any, **fields: Any) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0HOME",
        "api_app_id": "A0APP",
        "event_id": next_event_id(),
        "event": event,
        **fields,
    }


def customer_dm(**fields: Any) -> dict[str, Any]:
    """A customer's DM that would open a ticket, with `fields` changed (None removes one)."""
    ts = new_ts()
    event = {
        "type": "message",
        "channel": f"D{CUSTOMER}",
        "user": CUSTOMER,
        "text": ESCALATING_TEXT,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }
    return {key: value for key, value in {**event, **fields}.items() if value is not None}


def button(action_id: str, value: Any, presser: str = AGENT, **fields: Any) -> dict[str, Any]:
    """A block_actions payload for one button, with top-level `fields` changed (None removes one)."""
    payload = {
        "type": "block_actions",
        "user": {"id": presser, "username": presser.lower(), "team_id": "T0HOME"},
        "api_app_id": "A0APP",
        "team": {"id": "T0HOME", "domain": "t0home"},
        "container": {"type": "message", "channel_id": SUPPORT_CHANNEL, "message_ts": "1.0"},
        "channel": {"id": SUPPORT_CHANNEL, "name": "support"},
        "trigger_id": "trig",
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
    }
    return {key: value for key, value in {**payload, **fields}.items() if value is not None}


def command_form(**fields: str | None) -> bytes:
    form = {
        "command": QUEUE,
        "text": "",
        "user_id": AGENT,
        "user_name": "alice",
        "channel_id": SUPPORT_CHANNEL,
        "team_id": "T0HOME",
        "response_url": "https://hooks.slack.invalid/never-called",
        "trigger_id": "trig",
    }
    return urlencode({key: value for key, value in {**form, **fields}.items() if value is not None}).encode()


def nested(depth: int) -> Any:
    node: Any = "leaf"
    for _ in range(depth):
        node = [node]
    return node


def database_rows(app: AppUnderTest) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the app: equal before and after means nothing changed."""
    assert app.app is not None
    engine = app.app.db.engine
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(sql(f'SELECT * FROM "{table}" ORDER BY 1'))]
            for table in inspect(connection).get_table_names()
        }


def assert_refused(reply: Reply, status: int, name: str) -> None:
    assert reply.status == status, f"{name}: {reply}"
    assert "Traceback" not in reply.body, name
    assert "error" in reply.json(), f"{name}: {reply}"


def answer_to(fake: FakeSlack, name: str) -> str:
    """The text of the (first) ephemeral answer sent to response URL `name`."""
    answer = fake.wait_for(f"response_url:{name}")[0]
    assert answer.params.get("response_type") == "ephemeral", answer
    return str(answer.params["text"])


def ticket_state(app: AppUnderTest, ticket_id: int) -> tuple[str, str | None]:
    found = app.helpdesk.ticket(ticket_id)
    assert found is not None
    return found.state, found.agent_user_id


# -- 1. a signed request replayed later -----------------------------------------------------------


def test_a_signed_request_replayed_after_five_minutes_is_refused_and_changes_nothing(
    app: AppUnderTest, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    escalate_by_typing(app, fake_slack, CUSTOMER)
    queue_request = command_form(response_url=fake_slack.response_url("replayed"))
    queue_headers = sign(queue_request, SIGNING_SECRET)
    escalation = json.dumps(envelope(customer_dm(user=CUSTOMER_2, channel=f"D{CUSTOMER_2}"))).encode()
    escalation_headers = sign(escalation, SIGNING_SECRET)
    assert app.slack.post(queue_request, FORM, sign=False, headers=queue_headers).status == 200
    fake_slack.wait_for("response_url:replayed")
    rows = database_rows(app)

    # 5 min 1 s after they were signed, the same bytes with the same headers:
    signed_at = int(queue_headers["X-Slack-Request-Timestamp"])
    monkeypatch.setattr(slack_sdk.signature.Clock, "now", lambda self: signed_at + 5 * 60 + 1.0)
    replayed_queue = app.slack.post(queue_request, FORM, sign=False, headers=queue_headers)
    replayed_escalation = app.slack.post(escalation, JSON, sign=False, headers=escalation_headers)
    monkeypatch.undo()

    assert (replayed_queue.status, replayed_escalation.status) == (401, 401)
    assert "Traceback" not in replayed_queue.body + replayed_escalation.body
    assert database_rows(app) == rows  # an accepted event is stored before its answer
    dm(app, CUSTOMER_2, "hello")  # a later effect: a replayed command would have answered by now
    wait_for_menu(fake_slack, CUSTOMER_2)
    assert len(fake_slack.calls("response_url:replayed")) == 1


# -- 2. malformed and oversized requests ----------------------------------------------------------


def malformed_requests() -> list[tuple[str, bytes, str, int]]:
    """(name, body, content type, status) of signed requests Slack would never send."""
    cases: list[tuple[str, bytes | str | dict[str, Any], str, int]] = [
        ("invalid JSON", '{"type": "event_callback", "event": {', JSON, 400),
        ("a JSON list", "[1, 2]", JSON, 400),
        ("a JSON string", '"event_callback"', JSON, 400),
        ("JSON null", "null", JSON, 400),
        ("a JSON object without type", {"event": customer_dm()}, JSON, 400),
        ("url_verification without challenge", {"type": "url_verification"}, JSON, 400),
        ("an empty JSON body", "", JSON, 400),
        ("an empty form body", "", FORM, 400),
        ("a form without payload", "text=hello&user_id=UCUST1", FORM, 400),
        ("a payload that is not JSON", as_payload("{not json"), FORM, 400),
        ("a payload that is a JSON list", as_payload([button(CLAIM_TICKET, "1")]), FORM, 400),
        ("a payload that is JSON null", as_payload("null"), FORM, 400),
        ("event_callback without event", {"type": "event_callback", "event_id": next_event_id()}, JSON, 400),
        ("event that is a list", envelope([customer_dm()]), JSON, 400),
        ("event that is a string", envelope("message"), JSON, 400),
        ("event without type", envelope(customer_dm(type=None)), JSON, 400),
        ("event type that is a number", envelope(customer_dm(type=5)), JSON, 400),
        ("message without channel", envelope(customer_dm(channel=None)), JSON, 400),
        ("message without ts", envelope(customer_dm(ts=None)), JSON, 400),
        ("message ts that is a number", envelope(customer_dm(ts=1700000000.5)), JSON, 400),
        ("message ts that is no timestamp", envelope(customer_dm(ts="yesterday")), JSON, 400),
        ("message user that is a number", envelope(customer_dm(user=42)), JSON, 400),
        ("message user that is a list", envelope(customer_dm(user=[CUSTOMER])), JSON, 400),
        ("message user ID of 33 characters", envelope(customer_dm(user="U" * 33)), JSON, 400),
        ("message text that is an object", envelope(customer_dm(text={"text": ESCALATING_TEXT})), JSON, 400),
        ("message text with a NUL", envelope(customer_dm(text=ESCALATING_TEXT + "\x00")), JSON, 400),
        ("message text with a lone surrogate", envelope(customer_dm(text=ESCALATING_TEXT + "\ud800")), JSON, 400),
        ("message subtype that is a list", envelope(customer_dm(subtype=["x"])), JSON, 400),
        ("message team that is a number", envelope(customer_dm(team=7)), JSON, 400),
        ("edit whose message is a string", envelope(customer_dm(subtype="message_changed", message="x")), JSON, 400),
        ("an event ID of 65 characters", envelope(customer_dm(), event_id="E" * 65), JSON, 400),
        ("authorizations that are strings", envelope(customer_dm(), authorizations=["T0HOME"]), JSON, 400),
        (
            "thread reply without ts",
            envelope({"type": "message", "channel": SUPPORT_CHANNEL, "user": AGENT, "thread_ts": "1.0"}),
            JSON,
            400,
        ),
        ("member_joined_channel without user", envelope({"type": "member_joined_channel", "channel": "C1"}), JSON, 400),
        ("JSON nested 100 deep", envelope(customer_dm(blocks=nested(100))), JSON, 400),
        (
            "JSON nested 100000 deep",
            '{"type": "event_callback", "event": ' + "[" * 100_000 + "]" * 100_000 + "}",
            JSON,
            400,
        ),
        ("block_actions without actions", as_payload(button(CLAIM_TICKET, "1", actions=None)), FORM, 400),
        ("block_actions with no action", as_payload(button(CLAIM_TICKET, "1", actions=[])), FORM, 400),
        ("block_actions actions an object", as_payload(button(CLAIM_TICKET, "1", actions={"0": {}})), FORM, 400),
        ("block_actions action a string", as_payload(button(CLAIM_TICKET, "1", actions=[CLAIM_TICKET])), FORM, 400),
        ("an action without action_id", as_payload(button(CLAIM_TICKET, "1", actions=[{"value": "1"}])), FORM, 400),
        ("a button value that is a number", as_payload(button(CLAIM_TICKET, 1)), FORM, 400),
        ("a button value that is a list", as_payload(button(CLOSE_TICKET, ["1"])), FORM, 400),
        ("block_actions without user", as_payload(button(TALK_TO_AGENT, "menu", user=None)), FORM, 400),
        ("block_actions user a string", as_payload(button(TALK_TO_AGENT, "menu", user=CUSTOMER)), FORM, 400),
        ("a response_url that is no URL", as_payload(button(CLAIM_TICKET, "1", response_url="file:///etc")), FORM, 400),
        (
            "view_submission without view type",
            as_payload({"type": "view_submission", "view": {"callback_id": "x"}}),
            FORM,
            400,
        ),
        ("a legacy interactive_message", as_payload({"type": "interactive_message", "callback_id": "x"}), FORM, 400),
        ("a slash command without user_id", command_form(user_id=None), FORM, 400),
        ("a slash command without response_url", command_form(response_url=None), FORM, 400),
        ("a slash command not starting with /", command_form(command="handoff-queue"), FORM, 400),
        ("a JSON body with a command", {"type": "event_callback", "command": QUEUE, "user_id": AGENT}, JSON, 400),
        ("too many form fields", urlencode({f"f{i}": "x" for i in range(500)} | {"command": QUEUE}), FORM, 400),
        ("text/plain", json.dumps(envelope(customer_dm())), "text/plain", 415),
        ("application/xml", "<event>hi</event>", "application/xml", 415),
        ("no content type", json.dumps(envelope(customer_dm())), "", 415),
        ("multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", 415),
    ]
    requests = []
    for name, body, content_type, status in cases:
        if isinstance(body, dict):
            body = json.dumps(body)
        requests.append((name, body.encode() if isinstance(body, str) else body, content_type, status))
    return requests


def test_malformed_requests_get_a_4xx_without_a_trace_and_change_nothing(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    waiting_ticket(app, fake_slack, CUSTOMER_2)
    rows = database_rows(app)
    calls_before = len(fake_slack.calls())

    for name, body, content_type, status in malformed_requests():
        assert_refused(post(app, body, content_type), status, name)

    # None of them reached a listener: no Slack call, no row; and the app still works.
    assert fake_slack.calls()[calls_before:] == [], fake_slack.dump()
    assert database_rows(app) == rows
    dm(app, CUSTOMER, "hello")
    wait_for_menu(fake_slack, CUSTOMER)


def test_bodies_over_the_limit_are_refused_unread(app: AppUnderTest) -> None:
    # Over HTTP waitress answers as soon as it has the headers (sending the body would race its close).
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(app.base_url).port, timeout=5)
    connection.putrequest("POST", "/slack/events")
    headers = {"Content-Type": JSON, "Content-Length": str(MAX_BODY_BYTES + 1), **sign(b"{}", SIGNING_SECRET)}
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert b"Traceback" not in response.read()
    connection.close()

    # Behind any other server the guard refuses them itself, without reading a byte.
    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the body was read")

    assert app.app is not None
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": JSON,
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": Unreadable(),
    }
    body = b"".join(app.app.wsgi()(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["413 Request Entity Too Large"]
    assert json.loads(body) == {"error": f"the body is larger than {MAX_BODY_BYTES} bytes"}


def test_33000_typed_ampersands_are_taken_as_the_33000_characters_they_are(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    typed = "&" * 33_000
    sent = "&amp;" * 33_000  # as Slack sends it: 165,000 characters
    reply = post(app, envelope(customer_dm(text=sent)))

    assert reply.status == 200, reply
    wait_for_menu(fake_slack, CUSTOMER)  # the bot answered it
    assert len(html.unescape(sent)) == len(typed)
    assert not dm_posts(fake_slack, CUSTOMER, "not passed on")


def test_a_message_longer_than_anyone_can_type_is_acked_and_its_sender_told(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    too_long = "&lt;" * (MAX_TYPED_CHARS + 1)

    # A customer's DM: acked (Slack would retry a 400, then drop it), the customer told in the DM.
    assert post(app, envelope(customer_dm(text=too_long))).status == 200
    fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params.get("channel") == f"D{CUSTOMER}" and c.params.get("text") == TOO_LONG
    )

    # An agent's reply in the ticket's thread: acked, the agent told there (only they see it).
    reply = {
        "type": "message",
        "channel": SUPPORT_CHANNEL,
        "user": AGENT,
        "text": "x" * (MAX_TYPED_CHARS + 1),
        "ts": new_ts(),
        "thread_ts": ticket.ts,
    }
    assert post(app, envelope(reply)).status == 200
    [told] = fake_slack.wait_for("chat.postEphemeral", lambda c: c.params.get("text") == TOO_LONG)
    assert (told.params["channel"], told.params["user"], told.params["thread_ts"]) == (
        SUPPORT_CHANNEL,
        AGENT,
        ticket.ts,
    )

    # An edit to a text that long: its author is told too; a bot's message: nobody is.
    edit = customer_dm(
        subtype="message_changed", user=None, message={"user": CUSTOMER, "text": too_long, "ts": new_ts()}
    )
    assert post(app, envelope(edit)).status == 200
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == TOO_LONG, count=2)
    assert post(app, envelope(customer_dm(user=None, bot_id="B1", subtype="bot_message", text=too_long))).status == 200

    dm(app, CUSTOMER, "still there?")  # a later effect: the notices above were posted before its relay
    fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("text") == "still there?")
    assert len(fake_slack.calls("chat.postMessage", text=TOO_LONG)) == 2
    assert len(fake_slack.calls("chat.postEphemeral", text=TOO_LONG)) == 1
    kept = [row for table in database_rows(app).values() for row in table]
    assert not [row for row in kept if "&lt;&lt;&lt;" in str(row) or "x" * 100 in str(row)]  # none of it stored


def test_the_largest_body_slack_can_send_is_taken(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    """An edit of a thread broadcast: the message, the previous one and the thread's root, each with
    40,000 characters of text and the same in its blocks, every character a 12-byte JSON escape."""
    text = "\U0001f600" * 40_000

    def message(ts: str) -> dict[str, Any]:
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
        blocks = [{"type": "rich_text", "block_id": "b", "elements": [section]}]
        return {"type": "message", "user": CUSTOMER, "text": text, "ts": ts, "blocks": blocks}

    edited = {**message(new_ts()), "subtype": "thread_broadcast", "root": message(new_ts())}
    edit = customer_dm(
        subtype="message_changed", user=None, text=None, message=edited, previous_message=message(edited["ts"])
    )
    body = json.dumps(envelope(edit), ensure_ascii=True).encode()  # Slack escapes every non-ASCII character
    assert 2.5 * 1024 * 1024 < len(body) < MAX_BODY_BYTES

    assert post(app, body).status == 200
    dm(app, CUSTOMER, "hello")  # the app is unharmed
    wait_for_menu(fake_slack, CUSTOMER)


def test_what_bolt_answered_with_a_500_is_a_400_now(app: AppUnderTest) -> None:
    """The bodies Bolt itself choked on (each was an internal server error before the guard)."""
    choked_on = {
        "a JSON list": "[1]",
        "a payload that is JSON null": as_payload("null").decode(),
        "an event user that is a number": json.dumps(envelope(customer_dm(user=5))),
        "block_actions with no action": as_payload(button(CLAIM_TICKET, "1", actions=[])).decode(),
    }
    for name, body in choked_on.items():
        content_type = FORM if body.startswith("payload=") else JSON
        assert_refused(post(app, body, content_type), 400, name)


def test_other_methods_and_paths_are_not_found(app: AppUnderTest) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(app.base_url).port, timeout=5)
        body = json.dumps(envelope(customer_dm())).encode()
        connection.request(
            method, "/slack/events", body=body, headers={"Content-Type": JSON, **sign(body, SIGNING_SECRET)}
        )
        response = connection.getresponse()
        assert (response.status, response.read()) == (404, b"Not Found"), method
        connection.close()
    assert app.helpdesk.queue().total == 0


# -- 3. what nothing listens for -------------------------------------------------------------------


def test_unknown_events_actions_callbacks_and_commands_are_acknowledged(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    rows = database_rows(app)
    mark = len(fake_slack.calls())
    quiet = {
        "an event type nobody handles": envelope({"type": "reaction_added", "user": CUSTOMER, "reaction": "tada"}),
        # Messages without a user are Slack's own (bots, joins, edits): well-formed, and not ours to act on.
        "a DM without user": envelope(customer_dm(user=None)),
        "an envelope type nobody handles": {"type": "app_rate_limited", "team_id": "T0HOME", "minute_rate_limited": 1},
        "a shortcut with an unknown callback ID": as_payload(
            {"type": "shortcut", "callback_id": "nope", "user": {"id": AGENT}}
        ),
        "a modal with an unknown callback ID": as_payload(
            {"type": "view_submission", "user": {"id": AGENT}, "view": {"type": "modal", "callback_id": "nope"}}
        ),
        "an unknown interactivity type": as_payload({"type": "something_new", "user": {"id": AGENT}}),
    }
    for name, body in quiet.items():
        reply = post(app, body, FORM if isinstance(body, bytes) else JSON)
        assert (reply.status, reply.body) == (200, ""), f"{name}: {reply}"

    unknown_command = post(app, command_form(command="/nope", text="hi"), FORM)
    assert unknown_command.status == 200
    assert unknown_command.json()["response_type"] == "ephemeral"
    assert "I don't know the command /nope" in unknown_command.json()["text"]

    url = fake_slack.response_url("stale-button")
    stale = post(app, as_payload(button("handoff.old_button", "1", response_url=url)), FORM)
    assert (stale.status, stale.body) == (200, "")
    assert answer_to(fake_slack, "stale-button") == unknown_action.STALE_BUTTON

    assert [c.method for c in fake_slack.calls()[mark:]] == ["response_url:stale-button"], fake_slack.dump()
    assert database_rows(app) == rows
    dm(app, CUSTOMER, "hello")
    wait_for_menu(fake_slack, CUSTOMER)


def test_a_slash_command_whose_text_mentions_payload_is_still_a_command(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    # Bolt's own parser takes any form containing "payload" for an interactivity payload (a 404).
    reply = post(app, command_form(text="payload", response_url=fake_slack.response_url("payload")), FORM)

    assert (reply.status, reply.body) == (200, "")
    assert answer_to(fake_slack, "payload").startswith("Unknown option “payload”.")


def test_unsigned_junk_is_refused_with_401_whatever_it_is(app: AppUnderTest) -> None:
    junk = {
        "invalid JSON": (b"{not json", JSON),
        "a JSON list": (b"[1]", JSON),
        "bytes that are not UTF-8": (bytes(range(256)), FORM),
        "a wrong content type": (b"<a/>", "application/xml"),
        "an empty body": (b"", JSON),
        "deep nesting": (b"[" * 100_000, JSON),
    }
    for name, (body, content_type) in junk.items():
        for how, reply in {
            "unsigned": app.slack.post(body, content_type, sign=False),
            "wrong secret": app.slack.post(body, content_type, secret="not-the-secret"),
            "timestamp not a number": app.slack.post(
                body,
                content_type,
                sign=False,
                headers={**sign(body, SIGNING_SECRET), "X-Slack-Request-Timestamp": "soon"},
            ),
            "timestamp of 5000 digits": app.slack.post(
                body,
                content_type,
                sign=False,
                headers={**sign(body, SIGNING_SECRET), "X-Slack-Request-Timestamp": "9" * 5000},
            ),
            "signature not ASCII": app.slack.post(
                body, content_type, sign=False, headers={**sign(body, SIGNING_SECRET), "X-Slack-Signature": "v0=é"}
            ),
        }.items():
            assert (reply.status, reply.json()) == (401, {"error": "invalid request"}), f"{name}, {how}: {reply}"
    # Signed, bytes that are not UTF-8 still cannot be verified: Slack signs text.
    assert post(app, bytes(range(256)), FORM).status == 401


def test_slacks_unsigned_ssl_check_is_answered_and_nothing_rides_on_it(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    mark = len(fake_slack.calls())
    check = app.slack.post(b"ssl_check=1&token=legacy-verification-token", FORM, sign=False)
    assert (check.status, check.body) == (200, "")

    url = fake_slack.response_url("smuggled")
    smuggled = command_form(response_url=url).decode() + "&ssl_check=1"
    assert app.slack.post(smuggled.encode(), FORM, sign=False).status == 401
    assert app.slack.post(b"ssl_check=0", FORM, sign=False).status == 401
    dm(app, CUSTOMER, "hello")  # a later effect
    wait_for_menu(fake_slack, CUSTOMER)
    assert [c.method for c in fake_slack.calls()[mark:]] == ["chat.postMessage"], fake_slack.dump()


def test_a_well_formed_event_the_app_cannot_store_still_gets_a_500_so_slack_retries(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    assert app.app is not None
    with app.app.db.engine.begin() as connection:
        connection.execute(sql("ALTER TABLE message RENAME TO message_away"))
    question = envelope(customer_dm(text="Where is my order?"))
    failed = post(app, question)
    with app.app.db.engine.begin() as connection:
        connection.execute(sql("ALTER TABLE message_away RENAME TO message"))

    assert failed.status == 500
    assert "Traceback" not in failed.body and "message_away" not in failed.body
    retried = post(app, question, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    assert retried.status == 200
    wait_for_menu(fake_slack, CUSTOMER)


# -- 4. /handoff-queue with absurd arguments -------------------------------------------------------


def test_handoff_queue_answers_any_text_with_the_queue_or_its_usage(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    listed = f"ticket {ticket.ticket_id}"

    def ask(user: str, text: str, name: str) -> str:
        reply = post(app, command_form(user_id=user, text=text, response_url=fake_slack.response_url(name)), FORM)
        assert (reply.status, reply.body) == (200, ""), f"{name}: {reply}"
        return answer_to(fake_slack, name)

    assert ask(AGENT, "", "empty").startswith("Waiting tickets: 1")
    for name, text in {"help": "help", "help-spaced": "  HELP  "}.items():
        answer = ask(AGENT, text, name)
        assert answer.startswith(USAGE) and listed in answer, answer
        help_blocks = fake_slack.wait_for(f"response_url:{name}")[0].params["blocks"]
        assert help_blocks[0]["text"]["text"] == USAGE
    junk = {
        "long": "x" * 3000,
        "control": "\x07\x1b[31mred\u202egnp.exe\r\n\t",
        "mentions": "<!channel> <!here> <@UAGENT2> <!subteam^S0123|@support> @everyone",
        "emoji": "🙂" * 50,
        "word": "payload",
    }
    for name, text in junk.items():
        answer = ask(AGENT, text, name)
        assert answer.startswith("Unknown option “") and answer.endswith(USAGE), answer
        option = answer[len("Unknown option “") : answer.index("”")]
        assert "<" not in option and len(html.unescape(option)) <= 41, option
        assert not [c for c in option if unicodedata.category(c).startswith("C")], option
        assert listed not in answer
    for name, text in {"outsider-help": "help", "outsider-junk": "<!channel> " + "x" * 500}.items():
        assert ask(OUTSIDER, text, name) == REFUSAL
    assert app.helpdesk.queue().total == 1


# -- 5. buttons carrying values nobody was shown ---------------------------------------------------


def press(app: AppUnderTest, fake: FakeSlack, user: str, action_id: str, value: str, name: str, channel: str) -> None:
    reply = app.slack.block_action(
        user, action_id, value, channel_id=channel, message_ts="1.0", response_url=fake.response_url(name)
    )
    assert (reply.status, reply.body) == (200, ""), f"{name}: {reply}"


def test_cancel_with_another_customers_ticket_is_refused(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    theirs = waiting_ticket(app, fake_slack, CUSTOMER)
    own = waiting_ticket(app, fake_slack, CUSTOMER_2)
    rows = database_rows(app)

    press(app, fake_slack, CUSTOMER_2, CANCEL_WAITING, str(theirs.ticket_id), "cancel-theirs", f"D{CUSTOMER_2}")
    # ... nor can a Cancel in someone else's DM channel make the app post there.
    press(app, fake_slack, CUSTOMER_2, CANCEL_WAITING, "abc", "cancel-junk", f"D{CUSTOMER}")

    assert answer_to(fake_slack, "cancel-theirs") == cancel_waiting.NOT_YOURS
    assert answer_to(fake_slack, "cancel-junk") == cancel_waiting.NOT_YOURS
    assert database_rows(app) == rows
    assert ticket_state(app, theirs.ticket_id) == (TicketState.WAITING, None)
    assert ticket_state(app, own.ticket_id) == (TicketState.WAITING, None)
    left = "you've left the queue"
    assert not [
        c for c in dm_posts(fake_slack, CUSTOMER) + dm_posts(fake_slack, CUSTOMER_2) if left in c.params["text"]
    ]


def test_cancel_names_the_customers_own_dm_not_the_channel_in_the_payload(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    own = waiting_ticket(app, fake_slack, CUSTOMER_2)

    press(app, fake_slack, CUSTOMER_2, CANCEL_WAITING, str(own.ticket_id), "cancel-own", f"D{CUSTOMER}")

    fake_slack.wait_for("chat.postMessage", lambda c: "left the queue" in c.params.get("text", ""))
    assert [
        c.params["channel"] for c in fake_slack.calls("chat.postMessage") if "left the queue" in c.params["text"]
    ] == [f"D{CUSTOMER_2}"]
    assert ticket_state(app, own.ticket_id)[0] == TicketState.CANCELLED


def test_close_is_refused_to_everyone_but_the_owner_and_admins(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    connected = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    waiting = waiting_ticket(app, fake_slack, CUSTOMER_2)
    rows = database_rows(app)

    press(app, fake_slack, AGENT_2, CLOSE_TICKET, str(connected.ticket_id), "close-not-owner", SUPPORT_CHANNEL)
    press(app, fake_slack, CUSTOMER, CLOSE_TICKET, str(connected.ticket_id), "close-own-customer", f"D{CUSTOMER}")
    press(app, fake_slack, OUTSIDER, CLOSE_TICKET, str(waiting.ticket_id), "close-unclaimed", SUPPORT_CHANNEL)
    press(app, fake_slack, AGENT, CLOSE_TICKET, "999999", "close-missing", SUPPORT_CHANNEL)
    press(app, fake_slack, AGENT, CLOSE_TICKET, "-1", "close-junk", SUPPORT_CHANNEL)

    assert answer_to(fake_slack, "close-not-owner") == f"Only <@{AGENT}> or an admin can close this ticket."
    assert answer_to(fake_slack, "close-own-customer") == f"Only <@{AGENT}> or an admin can close this ticket."
    assert answer_to(fake_slack, "close-unclaimed") == close_ticket.ONLY_OWNER
    assert answer_to(fake_slack, "close-missing") == "Ticket 999999 does not exist."
    assert answer_to(fake_slack, "close-junk") == close_ticket.NOT_A_TICKET
    assert database_rows(app) == rows
    assert ticket_state(app, connected.ticket_id) == (TicketState.CONNECTED, AGENT)


def test_claim_with_a_value_that_is_no_waiting_ticket_changes_nothing(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    waiting = waiting_ticket(app, fake_slack, CUSTOMER)
    rows = database_rows(app)
    values = {"missing": "999999", "word": "abc", "negative": "-1", "zero": "0", "float": "1e3", "spaced": " 1"}
    values |= {"huge": "9" * 20, "arabic-indic": "١", "empty": ""}

    for name, value in values.items():
        press(app, fake_slack, AGENT, CLAIM_TICKET, value, f"claim-{name}", SUPPORT_CHANNEL)
        press(app, fake_slack, OUTSIDER, CLAIM_TICKET, value, f"outsider-{name}", SUPPORT_CHANNEL)

    for name in values:
        expected = "Ticket 999999 does not exist." if name == "missing" else claim_ticket.NOT_A_TICKET
        assert answer_to(fake_slack, f"claim-{name}") == expected, name
        refusal = f"Only members of <#{SUPPORT_CHANNEL}> can claim tickets."
        assert answer_to(fake_slack, f"outsider-{name}") == refusal, name
    assert database_rows(app) == rows
    assert ticket_state(app, waiting.ticket_id) == (TicketState.WAITING, None)


def test_talk_to_an_agent_outside_the_customers_dm_opens_no_ticket(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    rows = database_rows(app)

    press(app, fake_slack, CUSTOMER, TALK_TO_AGENT, "menu", "talk-in-channel", SUPPORT_CHANNEL)

    assert answer_to(fake_slack, "talk-in-channel") == bot_buttons.ONLY_IN_DM
    assert database_rows(app) == rows


# -- 6. generated payloads -------------------------------------------------------------------------

GENERATED_DM_USER = "UAFTER"  # never generated: its DM proves the app still works afterwards


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppUnderTest, FakeSlack]]:
    """One app (SQLite) for all generated examples: starting one per example would take minutes."""
    fake = FakeSlack()
    for user in (CUSTOMER, CUSTOMER_2, AGENT, GENERATED_DM_USER):
        fake.add_user(user, name=user.lower())
    fake.set_members(SUPPORT_CHANNEL, [AGENT])
    fake.start()
    database = tmp_path_factory.mktemp("fuzzed") / "handoff.db"
    running = AppUnderTest(settings_for(fake, f"sqlite:///{database}")).start()
    try:
        yield running, fake
    finally:
        running.stop()
        fake.stop()


REMOVED = object()  # a mutation that deletes the field


def json_values() -> st.SearchStrategy[Any]:
    strings = st.text(max_size=20).filter(lambda s: not s.lower().startswith("http"))  # no URL to call
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3), max_leaves=6
    )


def mutated(plausible: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Half of them as generated, half with one field replaced by any JSON value or removed."""

    def mutate(original: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        def apply(change: tuple[str, Any]) -> dict[str, Any]:
            key, value = change
            copy = {k: v for k, v in original.items() if k != key}
            return copy if value is REMOVED else copy | {key: value}

        keys = st.sampled_from([*sorted(original), "type", "user", "channel"])
        return st.just(original) | st.tuples(keys, json_values() | st.just(REMOVED)).map(apply)

    return plausible.flatmap(mutate)


def generated_requests(response_url: str) -> st.SearchStrategy[tuple[bytes, str]]:
    """Signed-to-be requests: plausible events, button presses and slash commands, often broken a bit."""
    users = st.sampled_from([CUSTOMER, CUSTOMER_2, AGENT, OUTSIDER])
    channels = st.sampled_from([f"D{CUSTOMER}", f"D{CUSTOMER_2}", SUPPORT_CHANNEL, "CRANDOM"])
    timestamps = st.builds(new_ts) | st.sampled_from(["1.0", "1700000000.000100", "1e3"])
    texts = st.sampled_from([ESCALATING_TEXT, "hello", "never mind", "note: hi", "<!channel>"]) | st.text(max_size=100)

    message = st.fixed_dictionaries(
        {"type": st.just("message"), "channel": channels, "user": users, "text": texts, "ts": timestamps},
        optional={
            "channel_type": st.sampled_from(["im", "channel"]),
            "thread_ts": timestamps,
            "subtype": st.sampled_from(["file_share", "bot_message", "thread_broadcast", "channel_join"]),
            "bot_id": st.just("BOTHER"),
            "team": st.sampled_from(["T0HOME", "TEXTORG"]),
            "user_team": st.sampled_from(["T0HOME", "TEXTORG"]),
        },
    )
    edit = st.fixed_dictionaries(
        {
            "type": st.just("message"),
            "subtype": st.sampled_from(["message_changed", "message_deleted"]),
            "channel": channels,
            "ts": timestamps,
            "channel_type": st.sampled_from(["im", "channel"]),
        },
        optional={
            "message": st.fixed_dictionaries({"ts": timestamps, "text": texts, "user": users}),
            "previous_message": st.fixed_dictionaries({"ts": timestamps, "text": texts, "user": users}),
            "deleted_ts": timestamps,
        },
    )
    membership = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["member_joined_channel", "member_left_channel"]),
            "user": st.sampled_from([AGENT_2, OUTSIDER]),  # AGENT stays an agent
            "channel": channels,
        }
    )
    other = st.fixed_dictionaries({"type": st.sampled_from(["app_mention", "reaction_added", "app_home_opened"])})
    events = mutated(message | edit | membership | other).flatmap(
        lambda event: mutated(st.just(envelope(event))).map(lambda body: json.dumps(body).encode())
    )

    action = st.fixed_dictionaries(
        {
            "action_id": st.sampled_from([CLAIM_TICKET, CLOSE_TICKET, CANCEL_WAITING, TALK_TO_AGENT, "handoff.gone"]),
            "value": st.sampled_from(["1", "2", "3", "menu", "0", "-1", "9" * 30, "١"]) | st.text(max_size=10),
            "block_id": st.just("b"),
            "type": st.just("button"),
        }
    )
    press = st.builds(
        lambda presser, action, channel: {
            "type": "block_actions",
            "user": {"id": presser, "team_id": "T0HOME"},
            "actions": [action],
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "message_ts": "1.0"},
            "response_url": response_url,
        },
        users,
        mutated(action),
        channels,
    )
    presses = mutated(press).map(as_payload)

    command = st.fixed_dictionaries(
        {
            "command": st.sampled_from([QUEUE, "/other"]),
            "text": texts,
            "user_id": users,
            "channel_id": channels,
            "response_url": st.just(response_url),
        }
    )
    commands = mutated(command).map(
        lambda form: urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}).encode()
    )

    junk = st.tuples(st.binary(max_size=100), st.sampled_from([JSON, FORM, "text/plain", ""]))
    return st.one_of(
        st.tuples(events, st.just(JSON)),
        st.tuples(presses, st.just(FORM)),
        st.tuples(commands, st.just(FORM)),
        st.tuples(json_values().map(lambda value: json.dumps(value).encode()), st.just(JSON)),
        junk,
    )


def test_generated_requests_never_get_a_5xx_and_the_app_keeps_working(fuzzed: tuple[AppUnderTest, FakeSlack]) -> None:
    app, fake = fuzzed
    response_url = fake.response_url("generated")

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=generated_requests(response_url))
    def never_a_5xx(request: tuple[bytes, str]) -> None:
        body, content_type = request
        reply = app.slack.post(body, content_type)
        assert reply.status < 500, reply
        assert "Traceback" not in reply.body, reply

    never_a_5xx()

    reply = app.slack.event(
        {
            "type": "message",
            "channel": f"D{GENERATED_DM_USER}",
            "user": GENERATED_DM_USER,
            "text": "hello",
            "ts": new_ts(),
            "channel_type": "im",
        }
    )
    assert reply.status == 200
    wait_for_menu(fake, GENERATED_DM_USER)
