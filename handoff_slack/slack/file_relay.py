"""Files shared with relayed messages: read from Slack's events, fetched with the bot token, shared again.

A file share's `files` are kept with the message (core.deliveries.SharedFile). Passing one on means
downloading its `url_private_download` with the bot token (streamed, refused over the size cap) and
uploading the bytes into the destination in the three steps of `files_upload_v2`, done one by one
with slack_sdk's methods (files.getUploadURLExternal, the upload URL, files.completeUploadExternal);
the bot is the uploader there, so the upload's comment says who shared it. A file that can never be
passed on (too large, deleted, hidden by the workspace's limits, stored outside Slack, refused for
download) raises `FileProblem`,
and the outbox puts a notice in its place; a failure worth retrying (5xx, 429, a timeout) raises
`TransientFileError` (or the Web API client's own errors).

Once: the upload's file ID is recorded (`upload_started`) before its bytes are sent. If Slack's
answer to the completion is lost (5xx, timeout) or the app dies before the file is recorded as
passed, the next attempt asks files.info about that ID first: shared into the destination already
means done, uploaded but not completed means completed now, unknown means nothing was shared and
the upload starts over.

The token goes only to Slack's file servers: https to files.slack.com or files.slack-gov.com, or to
the API's own host as SLACK_API_URL names it (and `files.` under it), so a `url_private_download`
pointing anywhere else is refused before any request. Redirects are followed by hand, at most a
few, http(s) only, and without the token once they leave the URL's host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.mrkdwn import escape
from handoff_slack.core.deliveries import SharedFile
from handoff_slack.slack.file_objects import shared_file
from handoff_slack.slack.file_transfer import (
    REFUSED,
    FileProblem,
    TransientFileError,
    download,
    format_size,
    token_origins,
    upload_bytes,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
DOWNLOAD_RETRIES = 2  # downloads are safe to repeat; after these the outbox retries later
DOWNLOAD_RETRY_DELAY = 0.5  # seconds, doubled each time

# Modes of files Slack will not hand out (https://api.slack.com/types/file), with the reason shown.
UNAVAILABLE_MODES = {
    "tombstone": "it was deleted",
    "hidden_by_limit": "it is hidden by the workspace's file storage limit",
    "external": "it is stored outside Slack",
}
GONE_FILE_ERRORS = frozenset({"file_not_found", "file_deleted"})


# -- what people are told ------------------------------------------------------------------------------


def destination_notice(sender: str, file: SharedFile, problem: FileProblem) -> str:
    """In place of the file, where it should have arrived."""
    name = escape(file.name)
    if problem.too_large:
        return f"{escape(sender)} shared a file ({name}, {problem.too_large_size}) that is too large to pass on."
    return f"{escape(sender)} shared a file ({name}) that could not be passed on: {problem.why}."


def shared_by(sender: str) -> str:
    return f"{escape(sender)} shared a file"


# -- passing a file on ---------------------------------------------------------------------------------


class FileRelay:
    """Downloads a shared file with the bot token and uploads it where the message goes."""

    def __init__(
        self,
        client: WebClient,
        uploader: WebClient | None = None,
        max_bytes: int = DEFAULT_MAX_FILE_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client  # files.info, and the bot token for downloads
        self.uploader = uploader or client  # uploads: not repeated blindly (see slack.client)
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.token_origins = token_origins(client.base_url)

    def pass_on(
        self,
        file: SharedFile,
        channel_id: str,
        thread_ts: str | None,
        sender: str,
        *,
        pending_upload: str | None = None,
        upload_started: Callable[[str], None] | None = None,
    ) -> None:
        """Share `file` into the channel (thread), or raise FileProblem / a transient error.

        `pending_upload` is the ID of an earlier upload of this file that may have been shared (its
        answer was lost, or the app died): Slack is asked about it before anything is sent again.
        `upload_started` records a new upload's ID before its bytes are sent.
        """
        if pending_upload is not None and self._earlier_upload_shared(
            pending_upload, channel_id, thread_ts, file.title or file.name, sender
        ):
            return
        file = self._resolved(file)
        if file.size is not None and file.size > self.max_bytes:
            raise self._too_large(format_size(file.size))
        data = self._download(file)
        # The three steps of files_upload_v2, so the upload's ID is known (and recorded) before
        # Slack can share the file.
        upload = self.uploader.files_getUploadURLExternal(filename=file.name, length=len(data))
        upload_id, upload_url = upload.get("file_id"), upload.get("upload_url")
        if not isinstance(upload_id, str) or not isinstance(upload_url, str):
            raise TransientFileError("upload_url_missing")
        if upload_started is not None:
            upload_started(upload_id)
        upload_bytes(
            upload_url, data, timeout=self.uploader.timeout, ssl_context=self.uploader.ssl, proxy=self.uploader.proxy
        )
        self._complete(upload_id, channel_id, thread_ts, file.title or file.name, sender)

    def _complete(self, upload_id: str, channel_id: str, thread_ts: str | None, title: str, sender: str) -> None:
        self.uploader.files_completeUploadExternal(
            files=[{"id": upload_id, "title": title}],
            channel_id=channel_id,
            thread_ts=thread_ts,
            initial_comment=shared_by(sender),
        )

    def _earlier_upload_shared(
        self, upload_id: str, channel_id: str, thread_ts: str | None, title: str, sender: str
    ) -> bool:
        """Whether an earlier upload of the file is (now) shared where it belongs; False: start over.

        Shared there already: done. Uploaded but never completed: completed now. Unknown to Slack:
        nothing was shared. Transient failures are raised, and the question is asked again later.
        """
        try:
            info = self.client.files_info(file=upload_id)
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if error.response.status_code < 500 and code == "file_not_found":
                logger.info("upload %s never became a file; uploading again", upload_id)
                return False
            if error.response.status_code < 500 and code == "file_deleted":
                logger.info("upload %s was shared and deleted since; not sharing it again", upload_id)
                return True
            raise
        found = info.get("file")
        if not isinstance(found, dict):
            raise TransientFileError("file_info_unreadable")
        if found.get("mode") == "tombstone" or _shared_in(found, channel_id, thread_ts):
            logger.info("upload %s had reached its destination already", upload_id)
            return True
        try:
            self._complete(upload_id, channel_id, thread_ts, title, sender)
        except SlackApiError as error:
            if error.response.status_code >= 500 or error.response.get("error") in ("ratelimited", "internal_error"):
                raise
            logger.info(
                "upload %s could not be completed (%s); uploading again", upload_id, error.response.get("error")
            )
            return False
        logger.info("upload %s was completed on a later attempt", upload_id)
        return True

    def _too_large(self, shown_size: str) -> FileProblem:
        return FileProblem(f"it is larger than {format_size(self.max_bytes)}", too_large_size=shown_size)

    def _resolved(self, file: SharedFile) -> SharedFile:
        """The file with a download URL; Slack sometimes sends only its ID (`file_access: check_file_info`)."""
        if file.mode in UNAVAILABLE_MODES:
            raise FileProblem(UNAVAILABLE_MODES[file.mode])
        if file.url_private_download:
            return file
        try:
            info = self.client.files_info(file=file.id)
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if error.response.status_code >= 500 or code in ("ratelimited", "internal_error", "fatal_error"):
                raise
            if code in GONE_FILE_ERRORS:
                raise FileProblem(UNAVAILABLE_MODES["tombstone"]) from None
            raise FileProblem(f"Slack did not let the app read it ({code or 'unknown error'})") from None
        found = shared_file(info.get("file"))
        if found is None:
            raise FileProblem(REFUSED)
        # Keep the name the author saw in their message, if Slack sent one (else it is the ID).
        found = SharedFile(
            id=found.id,
            name=found.name if file.name == file.id else file.name,
            title=file.title or found.title,
            mimetype=found.mimetype,
            size=found.size,
            url_private_download=found.url_private_download,
            mode=found.mode,
        )
        if found.mode in UNAVAILABLE_MODES:
            raise FileProblem(UNAVAILABLE_MODES[found.mode])
        if not found.url_private_download:
            raise FileProblem(REFUSED)
        return found

    def _download(self, file: SharedFile) -> bytes:
        assert file.url_private_download is not None
        token = self.client.token or ""
        for attempt in range(DOWNLOAD_RETRIES + 1):
            try:
                return download(
                    file.url_private_download,
                    token,
                    self.max_bytes,
                    expected_mimetype=file.mimetype,
                    ssl_context=self.client.ssl,
                    token_origins=self.token_origins,
                    too_large=self._too_large,
                )
            except TransientFileError as error:
                if attempt == DOWNLOAD_RETRIES:
                    raise
                logger.info("download of file %s failed (%s); trying again", file.id, error.code)
                self.sleep(DOWNLOAD_RETRY_DELAY * 2**attempt)
        raise AssertionError("unreachable")


def _shared_in(file: dict[str, Any], channel_id: str, thread_ts: str | None) -> bool:
    """Whether Slack's file object shows the file shared in the channel (in the thread, if given)."""
    shares = file.get("shares")
    if isinstance(shares, dict) and shares:
        for kind in ("public", "private"):
            by_channel = shares.get(kind)
            places = by_channel.get(channel_id) if isinstance(by_channel, dict) else None
            if not isinstance(places, list):
                continue
            for place in places:
                if thread_ts is None or (isinstance(place, dict) and place.get("thread_ts") == thread_ts):
                    return True
        return False
    # Without `shares` (Slack leaves them out of some answers) the channel lists must do.
    return any(isinstance(file.get(key), list) and channel_id in file[key] for key in ("channels", "groups", "ims"))
