"""Answers only the acting person sees: the payload's response_url, else an ephemeral message.

Bolt's `respond` posts to the response_url and returns whatever came back; a refused, expired or
unreachable URL is noticed only in slack_sdk's DEBUG log, and the person who pressed a button or
ran a command gets no answer at all. Every listener's `respond` is therefore one that checks the
outcome, logs a failure at WARNING (never the text, nor the URL, which lets anyone post as the app)
and falls back to chat.postEphemeral to the same person in the payload's channel (or, for someone
who is not in that channel, a message in their DM with the app).

A press in a thread (of a shared channel, or of a ticket in the support channel) is answered with
chat.postEphemeral in that thread instead: Slack shows what is posted to a response_url at the
channel's top level, whatever `thread_ts` says (slackapi/bolt-js#963), away from where the person
pressed. Should that fail, the response_url is tried after all (top level beats no answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

from handoff_slack.listeners.payloads import pressed_in_thread

logger = logging.getLogger(__name__)

# Slack's refusals of an ephemeral message for someone who is not in the channel.
NOT_IN_THAT_CHANNEL = frozenset({"user_not_in_channel", "channel_not_found"})


class RespondOrEphemeral(Respond):
    """Bolt's `respond`, with a visible failure and an ephemeral message as the fallback."""

    def __init__(
        self,
        response_url: str,
        client: WebClient,
        channel_id: str | None,
        user_id: str | None,
        thread_ts: str | None = None,
    ) -> None:
        super().__init__(response_url=response_url)
        self.client = client
        self.channel_id = channel_id
        self.user_id = user_id
        self.thread_ts = thread_ts  # the thread the person acted in, if any

    def __call__(  # type: ignore[override]
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse | None:
        only_them = response_type != "in_channel" and not replace_original and not delete_original
        if only_them and self.thread_ts and self._in_thread(text, blocks):
            return None
        try:
            response = super().__call__(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        except (OSError, SlackClientError) as error:  # unreachable, timed out, refused the URL
            problem = type(error).__name__
        else:
            if response.status_code == 200:
                return response
            problem = f"HTTP {response.status_code}"
        self._fall_back(problem, text, blocks)
        return None

    def _in_thread(self, text: str, blocks: Sequence[dict[str, Any] | Block] | None) -> bool:
        """The answer as an ephemeral message in the person's thread (their DM if they are not in the
        channel); False when Slack refused it otherwise."""
        if not (self.channel_id and self.user_id):
            return False
        try:
            try:
                self.client.chat_postEphemeral(
                    channel=self.channel_id,
                    user=self.user_id,
                    thread_ts=self.thread_ts,
                    text=text,
                    blocks=blocks or None,
                    unfurl_links=False,
                )
            except SlackApiError as error:
                if error.response.get("error") not in NOT_IN_THAT_CHANNEL:
                    raise
                self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks or None, unfurl_links=False)
        except (SlackApiError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            logger.warning("could not answer %s in their thread (%s); trying the response_url", self.user_id, reason)
            return False
        return True

    def _fall_back(self, problem: str, text: str, blocks: Sequence[dict[str, Any] | Block] | None) -> None:
        if not (self.channel_id and self.user_id):
            logger.warning("could not answer via response_url (%s), and the payload names no channel to try", problem)
            return
        logger.warning(
            "could not answer %s via response_url (%s); sending an ephemeral message in %s instead",
            self.user_id,
            problem,
            self.channel_id,
        )
        try:
            try:
                self.client.chat_postEphemeral(
                    channel=self.channel_id, user=self.user_id, text=text, blocks=blocks or None, unfurl_links=False
                )
            except SlackApiError as error:
                if error.response.get("error") not in NOT_IN_THAT_CHANNEL:
                    raise
                # Someone outside the channel (e.g. a non-member pressing a button in a public support
                # channel) cannot see an ephemeral message there: their DM with the app can.
                logger.info("%s is not in %s: answering in their DM with the app", self.user_id, self.channel_id)
                self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks or None, unfurl_links=False)
        except SlackApiError as error:
            logger.warning(
                "the ephemeral answer to %s failed too: %s", self.user_id, error.response.get("error") or "error"
            )
        except OSError as error:
            logger.warning("the ephemeral answer to %s failed too: %s", self.user_id, type(error).__name__)


def answer_privately(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
    """Bolt middleware: every listener's `respond` is a `RespondOrEphemeral`."""
    if context.response_url:
        client, channel, user = context.client, context.channel_id, context.user_id
        thread_ts = pressed_in_thread(body)
        context["respond"] = RespondOrEphemeral(context.response_url, client, channel, user, thread_ts)
    next()
