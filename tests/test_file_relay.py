"""Files through the HTTP edge: signed `file_share` events in, files_upload_v2 out, notices for the rest."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from handoff_slack.slack.file_objects import files_from_event
from handoff_slack.slack.file_transfer import (
    CHUNK_BYTES,
    FileProblem,
    TransientFileError,
    _read_capped,
    download,
    format_size,
    token_origins,
)
from tests.conftest import AGENT, AGENT_2, CUSTOMER
from tests.support.app_under_test import SUPPORT_CHANNEL, AppUnderTest, settings_for
from tests.support.fake_slack import FILE_DOWNLOAD, FILE_UPLOAD, Call, FakeSlack
from tests.support.journeys import (
    TicketPost,
    connected_ticket,
    customer_says,
    dm,
    posted_to,
    stored_messages,
    thread_posts,
    wait_for_menu,
    waiting_ticket,
)
from tests.support.slack_requests import channel_message, dm_message
from tests.support.waiting import wait_until

DM = f"D{CUSTOMER}"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40  # binary, ~10 KB
MB = 1024 * 1024


def fake_origins(fake: FakeSlack) -> frozenset[tuple[str, str, int]]:
    """Where the app sends its token when SLACK_API_URL is the fake's."""
    return token_origins(fake.api_url)


def customer_shares(app: AppUnderTest, files: list[dict[str, Any]], text: str = "", **extra: Any) -> dict[str, Any]:
    event = dm_message(CUSTOMER, text, subtype="file_share", files=files, **extra)
    reply = app.slack.event(event)
    assert reply.status == 200, reply
    return event


def agent_shares(app: AppUnderTest, ticket: TicketPost, files: list[dict[str, Any]], text: str = "") -> dict[str, Any]:
    event = channel_message(AGENT, text, SUPPORT_CHANNEL, thread_ts=ticket.ts, subtype="file_share", files=files)
    reply = app.slack.event(event)
    assert reply.status == 200, reply
    return event


def uploaded_to(channel: str, thread_ts: str | None = None):  # type: ignore[no-untyped-def]
    """A predicate for fake.wait_for: a completed upload shared into `channel` (and thread)."""

    def predicate(call: Call) -> bool:
        return call.params.get("channel_id") == channel and (
            thread_ts is None or call.params.get("thread_ts") == thread_ts
        )

    return predicate


def delivered(app: AppUnderTest, source_ts: str) -> Any:
    """Wait until the message from `source_ts` is recorded as delivered; returns its row."""
    return wait_until(
        lambda: next(
            (m for m in stored_messages(app) if m.source_ts == source_ts and m.delivery_state == "delivered"), None
        ),
        message=f"the message {source_ts} to be delivered",
    )


@pytest.fixture
def small_files_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_MAX_FILE_BYTES="1024")).start()
    try:
        yield running
    finally:
        running.stop()


# -- passing files on ------------------------------------------------------------------------------


def test_a_customers_file_is_shared_in_the_ticket_thread(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", title="Q3 report", user=CUSTOMER)

    event = customer_shares(app, [report], text="here is the report")
    assert app.slack.event(event, retry_num=1).status == 200  # Slack delivers it again

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(SUPPORT_CHANNEL, ticket.ts))
    [shared] = fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)
    assert (shared["content"], shared["name"], shared["title"]) == (PDF, "report.pdf", "Q3 report")
    assert shared["initial_comment"] == "Jane shared a file"
    assert thread_posts(fake_slack, ticket, "here is the report")  # the words, as any message
    [download] = fake_slack.calls(FILE_DOWNLOAD)
    assert download.headers["authorization"] == f"Bearer {fake_slack.bot_token}"
    row = delivered(app, event["ts"])
    assert row.dest_files_done == 1 and [f["id"] for f in row.files] == [report["id"]]
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1


def test_an_agents_file_is_shared_in_the_customers_dm(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    label = fake_slack.host_file("return-label.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "image/png", user=AGENT)

    event = agent_shares(app, ticket, [label])

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(DM))
    [shared] = fake_slack.shared_files(DM)
    assert shared["content"] == fake_slack.file_content(label["id"]) and shared["name"] == "return-label.png"
    assert shared["thread_ts"] is None and shared["initial_comment"] == "Alice shared a file"
    delivered(app, event["ts"])
    # A file share without words posts no empty message.
    fake_slack.assert_no_call(
        "chat.postMessage", lambda c: c.params.get("channel") == DM and not c.params["text"].strip()
    )


def test_text_and_files_keep_their_place_among_the_other_messages(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    first = fake_slack.host_file("first.txt", b"one", "text/plain", user=CUSTOMER)
    second = fake_slack.host_file("second.txt", b"two", "text/plain", user=CUSTOMER)
    customer_says(app, fake_slack, CUSTOMER, ticket, "before")
    fake_slack.delay(FILE_DOWNLOAD, 0.5)  # the next message arrives while the first file is on its way

    customer_shares(app, [first, second], text="two files")
    dm(app, CUSTOMER, "after")

    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "after", ticket.ts))
    thread = fake_slack.messages(SUPPORT_CHANNEL, ticket.ts)[1:]  # after the claim note
    shown = [m["files"][0]["name"] if m.get("files") else m["text"] for m in thread]
    assert shown == ["before", "two files", "first.txt", "second.txt", "after"]


# -- what cannot be passed on ------------------------------------------------------------------------


def test_a_file_over_the_limit_is_announced_on_both_sides_and_not_fetched(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    report["size"] = 31 * MB  # as Slack reports it

    event = customer_shares(app, [report])

    notice = "Jane shared a file (report.pdf, 31 MB) that is too large to pass on."
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, notice, ticket.ts))
    told = fake_slack.wait_for("chat.postMessage", posted_to(DM, "Your file report.pdf could not be passed on"))
    assert "it is larger than 20 MB" in told[0].params["text"]
    delivered(app, event["ts"])
    fake_slack.assert_no_call(FILE_DOWNLOAD)
    fake_slack.assert_no_call("files.getUploadURLExternal")


def test_a_file_that_turns_out_larger_than_the_limit_is_not_passed_on(
    small_files_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(small_files_app, fake_slack, CUSTOMER, AGENT)
    dump = fake_slack.host_file("dump.bin", b"x" * 5000, user=AGENT)
    del dump["size"]  # no size given: the download finds out

    event = agent_shares(small_files_app, ticket, [dump], text="the log")

    notice = "Alice shared a file (dump.bin, 4.9 KB) that is too large to pass on."
    fake_slack.wait_for("chat.postMessage", posted_to(DM, notice))
    told = fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "Your file dump.bin", ticket.ts))
    assert "it is larger than 1 KB" in told[0].params["text"]
    delivered(small_files_app, event["ts"])
    assert fake_slack.calls(FILE_DOWNLOAD)  # it was tried
    fake_slack.assert_no_call("files.getUploadURLExternal")


@pytest.mark.parametrize(
    ("mode", "why"),
    [("tombstone", "it was deleted"), ("hidden_by_limit", "it is hidden by the workspace's file storage limit")],
)
def test_a_deleted_or_hidden_file_is_announced_on_both_sides(
    app: AppUnderTest, fake_slack: FakeSlack, mode: str, why: str
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    gone = {"id": "F0GONE1", "name": "secret.docx", "mode": mode}  # Slack's shape for such files

    customer_shares(app, [gone], text="see attached")

    fake_slack.wait_for(
        "chat.postMessage",
        posted_to(SUPPORT_CHANNEL, f"Jane shared a file (secret.docx) that could not be passed on: {why}.", ticket.ts),
    )
    fake_slack.wait_for("chat.postMessage", posted_to(DM, f"Your file secret.docx could not be passed on: {why}."))
    assert thread_posts(fake_slack, ticket, "see attached")
    fake_slack.assert_no_call(FILE_DOWNLOAD)
    fake_slack.assert_no_call("files.getUploadURLExternal")


def test_a_file_slack_refuses_to_hand_out_is_announced_on_both_sides(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail(FILE_DOWNLOAD, status=403)

    event = customer_shares(app, [report])

    fake_slack.wait_for(
        "chat.postMessage",
        posted_to(SUPPORT_CHANNEL, "Jane shared a file (report.pdf) that could not be passed on", ticket.ts),
    )
    fake_slack.wait_for("chat.postMessage", posted_to(DM, "Your file report.pdf could not be passed on"))
    delivered(app, event["ts"])
    assert len(fake_slack.calls(FILE_DOWNLOAD)) == 1  # a refusal is not retried
    fake_slack.assert_no_call("files.getUploadURLExternal")


def test_the_token_never_follows_a_redirect_to_another_host(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    with FakeSlack() as elsewhere:
        target = elsewhere.host_file("report.pdf", PDF, "application/pdf")
        report = fake_slack.host_file(
            "report.pdf", PDF, "application/pdf", user=CUSTOMER, redirect_to=target["url_private_download"]
        )

        customer_shares(app, [report])

        fake_slack.wait_for("chat.postMessage", posted_to(DM, "Your file report.pdf could not be passed on"))
        [redirected] = elsewhere.calls(FILE_DOWNLOAD)
        assert "authorization" not in redirected.headers and redirected.status == 403
    assert fake_slack.calls(FILE_DOWNLOAD)[0].headers["authorization"] == f"Bearer {fake_slack.bot_token}"
    fake_slack.assert_no_call("files.getUploadURLExternal")
    assert fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts) == []


def test_a_redirect_on_the_same_host_is_followed_with_the_token(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    target = fake_slack.host_file("report.pdf", PDF, "application/pdf")
    report = fake_slack.host_file("report.pdf", b"", "application/pdf", redirect_to=target["url_private_download"])

    customer_shares(app, [report])

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(SUPPORT_CHANNEL, ticket.ts))
    assert [f["content"] for f in fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)] == [PDF]
    assert [c.status for c in fake_slack.calls(FILE_DOWNLOAD)] == [302, 200]


def test_the_token_is_never_sent_to_a_file_link_outside_slack(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    with FakeSlack() as elsewhere:  # same bot token: it would gladly serve the file to the app
        report = elsewhere.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)

        event = customer_shares(app, [report])

        fake_slack.wait_for(
            "chat.postMessage",
            posted_to(SUPPORT_CHANNEL, "Jane shared a file (report.pdf) that could not be passed on", ticket.ts),
        )
        fake_slack.wait_for("chat.postMessage", posted_to(DM, "Your file report.pdf could not be passed on"))
        delivered(app, event["ts"])
        assert elsewhere.calls() == []  # no request at all, so none carrying the token
    fake_slack.assert_no_call(FILE_DOWNLOAD)
    fake_slack.assert_no_call("files.getUploadURLExternal")


def test_the_token_goes_only_over_https_to_slacks_file_hosts_or_the_configured_api_host() -> None:
    slack = token_origins("https://slack.com/api/")
    assert ("https", "files.slack.com", 443) in slack
    assert ("https", "files.slack-gov.com", 443) in token_origins("https://slack-gov.com/api/")
    assert ("http", "127.0.0.1", 8080) in token_origins("http://127.0.0.1:8080/api/")  # a test's fake Slack
    for url in (
        "http://files.slack.com/files-pri/T1-F1/download/a.pdf",  # not over https
        "https://files.slack.com.evil.example/files-pri/T1-F1/download/a.pdf",
        "https://evil.example/files-pri/T1-F1/download/a.pdf",
        "https://files.slack.com:8443/files-pri/T1-F1/download/a.pdf",
    ):
        with pytest.raises(FileProblem, match="does not point to Slack's file servers"):
            download(url, "xoxb-secret", MB, token_origins=slack)  # refused before any connection


# -- failures that pass ----------------------------------------------------------------------------------


def test_a_download_failing_once_still_ends_in_exactly_one_upload(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail(FILE_DOWNLOAD, status=500)

    event = customer_shares(app, [report], text="attached")

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(SUPPORT_CHANNEL, ticket.ts))
    delivered(app, event["ts"])
    assert [c.status for c in fake_slack.calls(FILE_DOWNLOAD)] == [500, 200]
    assert [f["content"] for f in fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)] == [PDF]
    assert len(thread_posts(fake_slack, ticket, "attached")) == 1


def test_a_failed_upload_is_retried_without_repeating_what_already_arrived(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    first = fake_slack.host_file("first.txt", b"one", "text/plain", user=CUSTOMER)
    second = fake_slack.host_file("second.txt", b"two", "text/plain", user=CUSTOMER)
    fake_slack.succeed("files.getUploadURLExternal")
    fake_slack.fail("files.getUploadURLExternal", status=500)  # the second file's upload, once

    event = customer_shares(app, [first, second], text="both files")

    row = delivered(app, event["ts"])
    assert row.dest_files_done == 2 and row.attempts >= 3  # text, first file, second file twice
    shared = fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)
    assert [(f["name"], f["content"]) for f in shared] == [("first.txt", b"one"), ("second.txt", b"two")]
    assert len(thread_posts(fake_slack, ticket, "both files")) == 1
    assert len(fake_slack.calls(FILE_UPLOAD)) == 2


def test_a_file_slack_sends_only_by_id_is_looked_up(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)

    customer_shares(app, [{"id": report["id"], "mode": "hosted", "file_access": "check_file_info"}])

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(SUPPORT_CHANNEL, ticket.ts))
    assert fake_slack.calls("files.info", file=report["id"])
    assert [(f["name"], f["content"]) for f in fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)] == [
        ("report.pdf", PDF)
    ]


@pytest.fixture
def impatient_app(fake_slack: FakeSlack, database_url: str) -> Iterator[AppUnderTest]:
    running = AppUnderTest(settings_for(fake_slack, database_url, HANDOFF_DELIVERY_GIVE_UP_SECONDS="1")).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_file_that_keeps_failing_is_given_up_with_notices_and_the_next_message_follows(
    impatient_app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(impatient_app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail(FILE_DOWNLOAD, status=500, count=1000)  # an outage longer than the give-up time

    event = customer_shares(impatient_app, [report], text="attached")
    dm(impatient_app, CUSTOMER, "did you get it?")

    notice = "Jane shared a file (report.pdf) that could not be passed on: sharing it failed (download_http_500)."
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, notice, ticket.ts))
    fake_slack.wait_for("chat.postMessage", posted_to(DM, "Your file report.pdf could not be passed on"))
    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "did you get it?", ticket.ts))
    row = delivered(impatient_app, event["ts"])
    assert row.dest_files_done == 1
    fake_slack.assert_no_call("files.getUploadURLExternal")


def test_a_file_share_that_cannot_be_delivered_at_all_is_reported_with_its_files(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail("chat.postMessage", status=200, error="channel_not_found")  # the text's post

    event = customer_shares(app, [report], text="the report")

    warning = fake_slack.wait_for("chat.postMessage", posted_to(DM, "could not reach our support team"))
    assert "the report" in warning[0].params["text"] and "report.pdf" in warning[0].params["text"]
    wait_until(
        lambda: [m.delivery_state for m in stored_messages(app) if m.source_ts == event["ts"]] == ["failed"],
        message="the file share to be given up",
    )
    fake_slack.assert_no_call(FILE_DOWNLOAD)
    fake_slack.assert_no_call("files.getUploadURLExternal")


# -- the other modes ------------------------------------------------------------------------------------


def test_a_file_shared_with_the_bot_is_kept(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    photo = fake_slack.host_file("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 100, "image/jpeg", user=CUSTOMER)

    event = customer_shares(app, [photo])

    wait_for_menu(fake_slack, CUSTOMER)
    [row] = stored_messages(app)
    assert (row.source_ts, row.delivery_state, row.text) == (event["ts"], "not_relayed", "")
    assert [(f["id"], f["name"], f["size"]) for f in row.files] == [(photo["id"], "photo.jpg", 103)]
    fake_slack.assert_no_call(FILE_DOWNLOAD)


def test_a_file_shared_while_waiting_reaches_the_ticket_thread(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = waiting_ticket(app, fake_slack, CUSTOMER)
    photo = fake_slack.host_file("broken-part.jpg", b"\xff\xd8\xff" + b"\x01" * 100, "image/jpeg", user=CUSTOMER)

    customer_shares(app, [photo], text="this part broke")

    fake_slack.wait_for("files.completeUploadExternal", uploaded_to(SUPPORT_CHANNEL, ticket.ts))
    [shared] = fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)
    assert shared["name"] == "broken-part.jpg" and shared["content"] == fake_slack.file_content(photo["id"])
    assert thread_posts(fake_slack, ticket, "this part broke")
    fake_slack.wait_for("chat.postMessage", posted_to(DM, "still waiting for an agent"))


def test_a_teammates_file_in_the_thread_stays_internal(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    sketch = fake_slack.host_file("sketch.png", b"\x89PNG", "image/png", user=AGENT_2)
    event = channel_message(
        AGENT_2, "internal sketch", SUPPORT_CHANNEL, thread_ts=ticket.ts, subtype="file_share", files=[sketch]
    )
    assert app.slack.event(event).status == 200
    customer_says(app, fake_slack, CUSTOMER, ticket, "still there?")  # processing has moved on
    agent_shares(app, ticket, [], text="yes")  # the owner's reply after it goes out alone
    fake_slack.wait_for("chat.postMessage", posted_to(DM, "yes"))
    fake_slack.assert_no_call("files.getUploadURLExternal")
    fake_slack.assert_no_call(FILE_DOWNLOAD)


def test_a_file_share_whose_files_make_no_sense_is_kept_as_text(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)

    customer_shares(app, "junk", text="odd one")  # type: ignore[arg-type]
    customer_shares(app, [{"name": "no id"}, 7], text="odder one")

    fake_slack.wait_for("chat.postMessage", posted_to(SUPPORT_CHANNEL, "odder one", ticket.ts))
    assert [m.files for m in stored_messages(app) if m.text.startswith("odd")] == [None, None]


# -- downloading, without the app ------------------------------------------------------------------------


class _Unsized(io.BytesIO):
    """A download whose server sends no Content-Length."""

    headers: ClassVar[dict[str, str]] = {"Content-Type": "application/octet-stream"}


def test_a_download_of_unknown_length_stops_at_the_limit() -> None:
    body = _Unsized(b"x" * 5000)
    with pytest.raises(FileProblem) as raised:
        _read_capped(body, 1024, None, time.monotonic() + 60, lambda shown: FileProblem("too large", shown))
    assert raised.value.too_large_size == "over 1 KB"
    assert body.tell() <= 1024 + CHUNK_BYTES  # it stopped reading


def test_downloads_use_only_http_and_refuse_slacks_sign_in_page(fake_slack: FakeSlack) -> None:
    for url in ("file:///etc/passwd", "ftp://files.slack.com/x", "https:///no-host"):
        with pytest.raises(FileProblem):
            download(url, fake_slack.bot_token, MB, token_origins=fake_origins(fake_slack))
    page = fake_slack.host_file("report.pdf", b"<html>Sign in</html>", "text/html")
    with pytest.raises(FileProblem) as raised:
        download(
            page["url_private_download"],
            fake_slack.bot_token,
            MB,
            expected_mimetype="application/pdf",
            token_origins=fake_origins(fake_slack),
        )
    assert raised.value.why == "Slack did not let the app download it"
    # An HTML file is an HTML file.
    assert download(
        page["url_private_download"],
        fake_slack.bot_token,
        MB,
        expected_mimetype="text/html",
        token_origins=fake_origins(fake_slack),
    )


def test_download_failures_are_told_apart(fake_slack: FakeSlack) -> None:
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf")
    url = report["url_private_download"]
    assert download(url, fake_slack.bot_token, MB, token_origins=fake_origins(fake_slack)) == PDF
    with pytest.raises(FileProblem):
        download(url, "xoxb-someone-else", MB, token_origins=fake_origins(fake_slack))  # 403
    fake_slack.fail(FILE_DOWNLOAD, status=404)
    with pytest.raises(FileProblem, match="no longer available"):
        download(url, fake_slack.bot_token, MB, token_origins=fake_origins(fake_slack))
    fake_slack.fail(FILE_DOWNLOAD, status=503)
    with pytest.raises(TransientFileError, match="download_http_503"):
        download(url, fake_slack.bot_token, MB, token_origins=fake_origins(fake_slack))
    fake_slack.fail(FILE_DOWNLOAD, status=429)
    with pytest.raises(TransientFileError):
        download(url, fake_slack.bot_token, MB, token_origins=fake_origins(fake_slack))
    with pytest.raises(FileProblem) as raised:
        download(url, fake_slack.bot_token, 1000, token_origins=fake_origins(fake_slack))
    assert raised.value.too_large_size == format_size(len(PDF)) == "10 KB"


def test_file_objects_are_read_defensively() -> None:
    event = {
        "files": [
            {"id": "F1", "name": "a.pdf", "size": 10, "url_private_download": "https://files.slack.com/a"},
            {"id": "F2", "title": "Only a title", "size": "10", "url_private_download": "javascript:alert(1)"},
            {"id": "F3", "mode": "tombstone"},
            {"name": "no id"},
            "junk",
        ]
    }
    assert [(f.id, f.name, f.size, f.url_private_download, f.mode) for f in files_from_event(event)] == [
        ("F1", "a.pdf", 10, "https://files.slack.com/a", None),
        ("F2", "Only a title", None, None, None),
        ("F3", "F3", None, None, "tombstone"),
    ]
    assert files_from_event({"files": {"id": "F1"}}) == [] and files_from_event({}) == []


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "512 bytes"), (5000, "4.9 KB"), (20 * MB, "20 MB"), (31 * MB + 1, "31 MB"), (1536 * 1024, "1.5 MB")],
)
def test_sizes_are_shown_like_slack_shows_them(size: int, shown: str) -> None:
    assert format_size(size) == shown


# -- exactly once, when Slack's answer is lost ----------------------------------------------------------

COMPLETE = "files.completeUploadExternal"


def test_a_customers_file_whose_share_is_answered_with_a_500_is_shared_once(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail(COMPLETE, status=500, after_handling=True)  # Slack shares it, the answer says it failed

    event = customer_shares(app, [report], text="attached")

    row = delivered(app, event["ts"])
    assert row.dest_files_done == 1 and row.dest_file_pending_id is None
    [shared] = fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)
    assert shared["content"] == PDF
    assert [c.status for c in fake_slack.calls(COMPLETE)] == [500]  # the retry asked instead of sharing again
    assert fake_slack.calls("files.info", file=shared["id"])
    assert len(fake_slack.calls(FILE_UPLOAD)) == 1
    assert len(thread_posts(fake_slack, ticket, "attached")) == 1


def test_an_agents_file_whose_share_is_answered_with_a_500_reaches_the_dm_once(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    label = fake_slack.host_file("return-label.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "image/png", user=AGENT)
    fake_slack.fail(COMPLETE, status=500, after_handling=True)

    event = agent_shares(app, ticket, [label])

    row = delivered(app, event["ts"])
    assert row.dest_file_pending_id is None
    [shared] = fake_slack.shared_files(DM)
    assert shared["name"] == "return-label.png" and shared["initial_comment"] == "Alice shared a file"
    assert len(fake_slack.calls(COMPLETE)) == 1 and len(fake_slack.calls(FILE_UPLOAD)) == 1


def test_an_upload_slack_never_completed_is_uploaded_again(app: AppUnderTest, fake_slack: FakeSlack) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    report = fake_slack.host_file("report.pdf", PDF, "application/pdf", user=CUSTOMER)
    fake_slack.fail(COMPLETE, status=500)  # refused before anything was shared

    event = customer_shares(app, [report])

    delivered(app, event["ts"])
    assert [f["content"] for f in fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)] == [PDF]
    [first_try, retry] = fake_slack.calls(COMPLETE)
    assert (first_try.status, retry.status) == (500, 200)
    assert fake_slack.calls("files.info", file=json.loads(first_try.params["files"])[0]["id"])
    assert len(fake_slack.calls(FILE_UPLOAD)) == 2


def test_a_file_shared_just_before_the_app_stopped_is_not_shared_again_after_the_restart(
    app: AppUnderTest, fake_slack: FakeSlack
) -> None:
    ticket = connected_ticket(app, fake_slack, CUSTOMER, AGENT)
    first = fake_slack.host_file("first.txt", b"one", "text/plain", user=CUSTOMER)
    second = fake_slack.host_file("second.txt", b"two", "text/plain", user=CUSTOMER)
    assert app.app is not None
    app.app.scheduler.pause()  # no retry before the restart
    fake_slack.fail("files.info", status=500, count=1000)  # nor one already on its way when it was paused
    fake_slack.succeed(COMPLETE)
    fake_slack.fail(COMPLETE, status=500, after_handling=True)  # the second file is shared, its answer lost

    event = customer_shares(app, [first, second], text="two files")

    row = wait_until(
        lambda: next((m for m in stored_messages(app) if m.source_ts == event["ts"] and m.last_error), None),
        message="the failed attempt to be recorded",
    )
    assert row.delivery_state == "pending" and row.dest_files_done == 1
    assert row.dest_file_pending_id == json.loads(fake_slack.calls(COMPLETE)[1].params["files"])[0]["id"]

    fake_slack.heal("files.info")
    app.restart()

    row = delivered(app, event["ts"])
    assert row.dest_files_done == 2 and row.dest_file_pending_id is None
    shared = fake_slack.shared_files(SUPPORT_CHANNEL, ticket.ts)
    assert [(f["name"], f["content"]) for f in shared] == [("first.txt", b"one"), ("second.txt", b"two")]
    assert len(fake_slack.calls(COMPLETE)) == 2 and len(fake_slack.calls(FILE_UPLOAD)) == 2
    assert len(thread_posts(fake_slack, ticket, "two files")) == 1
