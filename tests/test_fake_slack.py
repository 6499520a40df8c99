"""The test rig itself: a broken fake must not make other tests vacuous."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

try:  # works whether or not tests/ is a package
    from tests.support.fake_slack import FILE_DOWNLOAD, FILE_UPLOAD, FakeSlack
    from tests.support.slack_requests import SlackSender, channel_message, dm_message, sign
except ModuleNotFoundError:
    from support.fake_slack import FILE_DOWNLOAD, FILE_UPLOAD, FakeSlack  # type: ignore[no-redef]
    from support.slack_requests import SlackSender, channel_message, dm_message, sign  # type: ignore[no-redef]

SECRET = "s3cr3t-signing"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        for channel in ("C1", "C2", "C3", "C9"):  # channels exist in Slack before anyone posts there
            f.add_channel(channel)
        yield f


def client(fake: FakeSlack, token: str = "xoxb-test-token", **kw: object) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url, timeout=5, **kw)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_is_recorded_with_increasing_ts(fake: FakeSlack) -> None:
    web = client(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    first = web.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    reply = web.chat_postMessage(channel="C1", text="in thread", thread_ts=first["ts"])
    other = web.chat_postMessage(channel="C2", text="elsewhere")

    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks and first["message"]["user"] == "UBOT"
    assert first["ts"] < reply["ts"] < other["ts"]
    assert len({first["ts"], reply["ts"], other["ts"]}) == 3

    assert [c.params["text"] for c in fake.calls("chat.postMessage", channel="C1")] == ["hello", "in thread"]
    assert fake.calls("chat.postMessage", channel="C1", thread_ts=first["ts"])[0].params["text"] == "in thread"
    assert [m["text"] for m in fake.messages("C1")] == ["hello", "in thread"]
    assert [m["text"] for m in fake.messages("C1", thread_ts=first["ts"])] == ["in thread"]

    web.chat_update(channel="C1", ts=first["ts"], text="edited")
    assert fake.messages("C1")[0]["text"] == "edited"
    assert [u["text"] for u in fake.updates("C1", first["ts"])] == ["edited"]
    with pytest.raises(SlackApiError) as err:
        web.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"

    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"


def test_form_encoded_methods_and_pagination(fake: FakeSlack) -> None:
    web = client(fake)
    members = [f"U{i}" for i in range(5)]
    fake.set_members("C1", members)
    fake.add_user("U1", name="ana", real_name="Ana Agent", display_name="ana")
    fake.add_team("T0EXT", "Ext Inc")

    assert web.auth_test()["user_id"] == "UBOT"
    pages, cursor = [], None
    while True:
        resp = web.conversations_members(channel="C1", limit=2, cursor=cursor)
        pages.append(resp["members"])
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == [["U0", "U1"], ["U2", "U3"], ["U4", "UBOT"]]  # Slack lists the bot among the members
    assert fake.calls("conversations.members")[0].params["limit"] == "2"  # form values stay strings

    assert web.users_info(user="U1")["user"]["profile"]["real_name"] == "Ana Agent"
    assert web.team_info()["team"]["name"] == "Home Co"
    assert web.team_info(team="T0EXT")["team"]["name"] == "Ext Inc"
    assert web.conversations_open(users="U1")["channel"]["id"] == "DU1"
    for method, kwargs, error in [
        (web.users_info, {"user": "UNOPE"}, "user_not_found"),
        (web.team_info, {"team": "TNOPE"}, "team_not_found"),
        (web.conversations_members, {"channel": "CNOPE"}, "channel_not_found"),
    ]:
        with pytest.raises(SlackApiError) as err:
            method(**kwargs)
        assert err.value.response["error"] == error

    # JSON-string form fields are decoded
    web.api_call("chat.postMessage", params={"channel": "C9", "blocks": json.dumps([{"type": "divider"}])})
    assert fake.calls("chat.postMessage", channel="C9")[0].params["blocks"] == [{"type": "divider"}]
    modal = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "Form"}}
    view = web.views_open(trigger_id=fake.issue_trigger("U1"), view=modal)["view"]
    assert view["callback_id"] == "cb" and view["id"]


def test_invalid_token_is_rejected_and_recorded(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        client(fake, token="xoxb-wrong").chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "invalid_auth"
    (call,) = fake.calls("chat.postMessage")
    assert call.status == 200 and not call.ok
    assert fake.messages("C1") == []
    # the legacy `token` form param is accepted too
    assert WebClient(base_url=fake.api_url).api_call("auth.test", params={"token": "xoxb-test-token"})["ok"]


def test_rate_limit_without_and_with_retry_handler(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=0)
    with pytest.raises(SlackApiError) as err:
        client(fake).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "0"

    fake.clear_calls()
    fake.fail("chat.postMessage", status=429, retry_after=0)
    web = client(fake, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]


def test_fail_with_server_error_and_slack_error(fake: FakeSlack) -> None:
    web = client(fake)
    fake.fail("chat.postMessage", status=500)
    fake.fail("chat.postMessage", status=200, error="is_archived")
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 500
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "is_archived"
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [500, 200, 200]
    assert [c.ok for c in fake.calls("chat.postMessage")] == [False, False, True]


def test_wait_for_wakes_up_and_times_out(fake: FakeSlack) -> None:
    web = client(fake)
    thread = threading.Thread(target=lambda: web.chat_postMessage(channel="C1", text="late"))
    thread.start()
    (call,) = fake.wait_for("chat.postMessage", lambda c: c.params["text"] == "late", timeout=5)
    thread.join()
    assert call.response["ok"]

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"chat\.postMessage") as err:
        fake.wait_for("chat.postMessage", count=2, timeout=0.2)
    assert time.monotonic() - started < 2
    assert "late" in str(err.value)  # the dump lists what was recorded
    fake.assert_no_call("chat.delete")
    with pytest.raises(AssertionError):
        fake.assert_no_call("chat.postMessage")


def test_response_url_and_sender_round_trip(fake: FakeSlack) -> None:
    sender = SlackSender(fake.response_url("edge"), SECRET)
    event = dm_message("U1", "help me")
    reply = sender.event(event, retry_num=1)
    assert reply.status == 200 and reply.body == "ok" and reply.event_id
    (call,) = fake.calls("response_url:edge")
    assert call.params["event"] == event and call.params["event_id"] == reply.event_id
    assert call.headers["x-slack-retry-num"] == "1"
    verifier = SignatureVerifier(SECRET)
    body = json.dumps(call.params).encode()  # same dict -> same JSON text as sent
    assert verifier.is_valid_request(body, call.headers)

    sender.slash_command("/handoff", "status", "U1", "C1", fake.response_url("cmd"))
    assert fake.calls("response_url:edge")[-1].params["command"] == "/handoff"
    assert fake.calls("response_url:edge", command="/handoff", text="status")

    sender.block_action("U1", "take", "42", channel_id="C1", message_ts="1.1")
    payload = json.loads(fake.calls("response_url:edge")[-1].params["payload"])
    assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "42"

    first, second = channel_message("U1", "a", "C1"), channel_message("U1", "b", "C1")
    assert first["ts"] < second["ts"]


def test_signature_helper_matches_slack_sdk() -> None:
    body = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    ts, sig = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert verifier.is_valid(body, ts, sig)
    assert not verifier.is_valid(body + b"x", ts, sig)
    assert not verifier.is_valid(body, ts, sign(body, "other-secret", int(ts))["X-Slack-Signature"])
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])
    assert parse_qs(body.decode())["payload"]


def relay_metadata(message_id: int, part: int = 0) -> dict[str, object]:
    return {"event_type": "handoff_relay", "event_payload": {"message_id": message_id, "part": part}}


def test_history_and_replies_read_back_messages_and_their_metadata(fake: FakeSlack) -> None:
    web = client(fake)
    parent = web.chat_postMessage(channel="C1", text="ticket")["ts"]
    replies = [
        web.chat_postMessage(channel="C1", text=f"reply {i}", thread_ts=parent, metadata=relay_metadata(i))["ts"]
        for i in range(5)
    ]
    later = web.chat_postMessage(channel="C1", text="later", metadata=relay_metadata(99, part=1))["ts"]
    web.chat_postMessage(channel="C2", text="elsewhere")

    # history: top-level messages only, newest first; metadata only when asked for
    history = web.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["later", "ticket"]
    assert not history["has_more"]
    assert all("metadata" not in m for m in history["messages"])
    ticket = history["messages"][1]
    assert (ticket["thread_ts"], ticket["reply_count"], ticket["latest_reply"]) == (parent, 5, replies[-1])
    with_metadata = web.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert with_metadata[0]["metadata"] == relay_metadata(99, part=1)
    assert fake.calls("conversations.history")[-1].params["include_all_metadata"] == "1"  # sent as slack_sdk does

    # oldest/latest are exclusive unless inclusive; limit and cursor page through, newest first
    assert [m["ts"] for m in web.conversations_history(channel="C1", oldest=parent)["messages"]] == [later]
    assert [m["ts"] for m in web.conversations_history(channel="C1", latest=later)["messages"]] == [parent]
    inclusive = web.conversations_history(channel="C1", oldest=parent, latest=later, inclusive=True)["messages"]
    assert [m["ts"] for m in inclusive] == [later, parent]
    first = web.conversations_history(channel="C1", limit=1)
    assert first["has_more"] and [m["ts"] for m in first["messages"]] == [later]
    second = web.conversations_history(channel="C1", limit=1, cursor=first["response_metadata"]["next_cursor"])
    assert not second["has_more"] and [m["ts"] for m in second["messages"]] == [parent]
    fake.add_channel("CEMPTY")
    assert web.conversations_history(channel="CEMPTY")["messages"] == []

    # replies: the parent first, then replies oldest first, metadata on request; a reply's ts finds its thread
    thread = web.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)["messages"]
    assert [m["ts"] for m in thread] == [parent, *replies]
    assert [m.get("metadata") for m in thread[1:]] == [relay_metadata(i) for i in range(5)]
    assert all(m["parent_user_id"] == "UBOT" and m["thread_ts"] == parent for m in thread[1:])
    assert [m["ts"] for m in web.conversations_replies(channel="C1", ts=replies[2])["messages"]] == [parent, *replies]
    assert "metadata" not in web.conversations_replies(channel="C1", ts=parent)["messages"][1]
    narrowed = web.conversations_replies(channel="C1", ts=parent, oldest=replies[2])["messages"]
    assert [m["ts"] for m in narrowed] == [parent, replies[3], replies[4]]
    pages, cursor = [], None
    while True:
        page = web.conversations_replies(channel="C1", ts=parent, limit=2, cursor=cursor)
        pages.append([m["ts"] for m in page["messages"]])
        if not page["has_more"]:
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert pages == [[parent, replies[0]], replies[1:3], replies[3:5]]
    assert [m["ts"] for m in web.conversations_replies(channel="C1", ts=later)["messages"]] == [later]

    for kwargs, error in [
        ({"channel": "C1", "ts": "1.000001"}, "thread_not_found"),
        ({"channel": "C1", "ts": parent, "cursor": "nonsense"}, "invalid_cursor"),
    ]:
        with pytest.raises(SlackApiError) as err:
            web.conversations_replies(**kwargs)
        assert err.value.response["error"] == error
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="C1", text="x", metadata={"event_type": "handoff_relay"})
    assert err.value.response["error"] == "invalid_metadata_format"


def test_scripted_faults_and_answers_that_come_back_late(fake: FakeSlack) -> None:
    web = client(fake)
    fake.succeed("chat.postMessage", 2)
    fake.fail("chat.postMessage", status=500)
    fake.succeed("chat.postMessage")
    fake.fail("chat.postMessage", status=429, retry_after=1)
    assert fake.faults_left("chat.postMessage") == 5
    outcomes = []
    for i in range(6):
        try:
            web.chat_postMessage(channel="C1", text=f"m{i}")
            outcomes.append(200)
        except SlackApiError as error:
            outcomes.append(error.response.status_code)
    assert outcomes == [200, 200, 500, 200, 429, 200]
    assert fake.faults_left("chat.postMessage") == 0

    # The answer is late but the post took effect at once: a client that times out never learns of it.
    fake.delay("chat.postMessage", 3, after_handling=True)
    impatient = WebClient(token="xoxb-test-token", base_url=fake.api_url, timeout=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C3", text="posted, but who knows")
    assert time.monotonic() - started < 2.5
    assert [m["text"] for m in fake.messages("C3")] == ["posted, but who knows"]
    assert fake.answers_pending("chat.postMessage") == 1
    fake.delay("chat.postMessage", 5, count=3)
    fake.clear_delays("chat.postMessage")
    assert fake.delays_left("chat.postMessage") == 0


def test_files_upload_v2_shares_the_bytes_where_it_was_asked(fake: FakeSlack) -> None:
    web = client(fake)
    parent = web.chat_postMessage(channel="C1", text="ticket")["ts"]
    data = bytes(range(256)) * 3  # binary, not text

    answer = web.files_upload_v2(
        channel="C1", thread_ts=parent, file=data, filename="dump.bin", title="The dump", initial_comment="Jane shared"
    )

    file_id = answer["file"]["id"]
    assert answer["files"] == [{"id": file_id, "title": "The dump"}]
    [shared] = fake.shared_files("C1", parent)
    assert (shared["id"], shared["content"], shared["name"], shared["title"]) == (file_id, data, "dump.bin", "The dump")
    assert (shared["initial_comment"], shared["thread_ts"]) == ("Jane shared", parent)
    assert fake.file_content(file_id) == data
    [url_call] = fake.calls("files.getUploadURLExternal")
    assert url_call.params == {"filename": "dump.bin", "length": str(len(data))}
    [upload] = fake.calls(FILE_UPLOAD)
    assert upload.params == {"file_id": file_id, "length": len(data)}
    # The share is a message in the thread, as Slack shows it.
    [message] = [m for m in fake.messages("C1", parent) if m.get("files")]
    assert message["upload"] and message["text"] == "Jane shared" and message["files"][0]["id"] == file_id
    info = web.files_info(file=file_id)["file"]
    assert info["shares"]["public"]["C1"][0]["thread_ts"] == parent and info["channels"] == ["C1"]
    # Into a DM, without a thread.
    web.files_upload_v2(channel="DUCUST1", content="hello", filename="note.txt")
    [note] = fake.shared_files("DUCUST1")
    assert (note["content"], note["mimetype"], note["thread_ts"], note["initial_comment"]) == (
        b"hello",
        "text/plain",
        None,
        "",
    )


def test_uploads_are_checked_like_slack_checks_them(fake: FakeSlack) -> None:
    web = client(fake)
    with pytest.raises(SlackApiError) as err:
        web.files_getUploadURLExternal(filename="x.txt", length=0)
    assert err.value.response["error"] == "invalid_arguments"
    pending = web.files_getUploadURLExternal(filename="x.txt", length=3)
    with pytest.raises(SlackApiError) as err:  # nothing was uploaded to the URL yet
        web.files_completeUploadExternal(files=[{"id": pending["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_upload_not_complete"
    with pytest.raises(SlackApiError) as err:
        web.files_completeUploadExternal(files=[{"id": "FNOPE"}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    with pytest.raises(urllib.error.HTTPError) as http_err:  # the declared length must match
        urllib.request.urlopen(urllib.request.Request(pending["upload_url"], data=b"four", method="POST"), timeout=5)
    http_err.value.close()
    assert http_err.value.code == 400
    with pytest.raises(SlackApiError) as err:
        web.files_info(file="FNOPE")
    assert err.value.response["error"] == "file_not_found"
    fake.fail("files.getUploadURLExternal", status=500)
    with pytest.raises(SlackApiError):
        web.files_upload_v2(content="x", filename="x.txt", channel="C1")
    fake.fail(FILE_UPLOAD, status=500)
    with pytest.raises(urllib.error.HTTPError) as http_err:
        web.files_upload_v2(content="x", filename="x.txt", channel="C1")
    http_err.value.close()
    assert fake.shared_files("C1") == []


def test_hosted_files_answer_only_the_bot_token(fake: FakeSlack) -> None:
    file = fake.host_file("report.pdf", b"%PDF-1.7", "application/pdf", title="Q3", user="UCUST1")
    assert (file["name"], file["title"], file["size"], file["mimetype"], file["user"]) == (
        "report.pdf",
        "Q3",
        8,
        "application/pdf",
        "UCUST1",
    )
    assert file["url_private_download"].startswith(fake.base_url) and file["mode"] == "hosted"

    def get(token: str | None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(file["url_private_download"], headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, b""

    assert get(fake.bot_token) == (200, b"%PDF-1.7")
    assert get(None)[0] == 403 and get("xoxb-other")[0] == 403
    fake.fail(FILE_DOWNLOAD, status=500)
    assert get(fake.bot_token)[0] == 500
    assert [(c.status, "authorization" in c.headers) for c in fake.calls(FILE_DOWNLOAD)] == [
        (200, True),
        (403, False),
        (403, True),
        (500, True),
    ]
    assert fake.wait_for(FILE_DOWNLOAD, lambda c: c.params["file_id"] == file["id"])
    assert client(fake).files_info(file=file["id"])["file"]["url_private_download"] == file["url_private_download"]

    moved = fake.host_file("old.pdf", b"", redirect_to="https://elsewhere.example/file")
    request = urllib.request.Request(
        moved["url_private_download"], headers={"Authorization": f"Bearer {fake.bot_token}"}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect()).open(request, timeout=5)
    redirect.value.close()
    assert (redirect.value.code, redirect.value.headers["Location"]) == (302, "https://elsewhere.example/file")
