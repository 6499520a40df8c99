"""The test suite's fake Slack is the sandbox's Slack emulator (``handoff_slack.sandbox``), re-exported here."""

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.faults import DROP, FILE_DOWNLOAD, FILE_UPLOAD
from handoff_slack.sandbox.slack_shapes import Call, SlackError, new_ts

FakeSlack = SlackEmulator

__all__ = ["DROP", "FILE_DOWNLOAD", "FILE_UPLOAD", "Call", "FakeSlack", "SlackEmulator", "SlackError", "new_ts"]
