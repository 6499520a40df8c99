"""What a failed Slack call means: whether Slack may have done it anyway, and whether retrying helps."""

from __future__ import annotations

from urllib.error import HTTPError

from slack_sdk.errors import SlackApiError

from handoff_slack.slack.file_transfer import TransientFileError

# Errors that retrying cannot cure for this message.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "user_not_found",
        "account_inactive",
        "ekm_access_denied",
        "team_access_not_granted",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
    }
)
# The message to update or delete is gone or frozen: nothing left to do.
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "cant_delete_message", "channel_not_found"})


def ambiguous(error: Exception) -> bool:
    """A failure after which Slack may or may not have posted the message."""
    if isinstance(error, SlackApiError):
        return int(error.response.status_code) >= 500
    return True  # timeouts and dropped connections


def failure_reason(error: Exception) -> tuple[str, bool]:
    """A short code for the failure (logged, shown to the author), and whether it is permanent."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        return code, code in PERMANENT_ERRORS
    if isinstance(error, TransientFileError):
        return error.code, False
    if isinstance(error, HTTPError):  # the upload step (bytes to files.getUploadURLExternal's URL)
        return f"http_{error.code}", False
    return type(error).__name__, False
