"""Delivering stored messages to the other side: in order, once, or reported as undeliverable.

Messages are committed before Slack's request is acknowledged; this sends what is still pending.
Per conversation one flush runs at a time, oldest message first. A transient failure (after the
client's own retries for connection errors, 429 and 5xx) stops the flush so nothing later
overtakes it, and the scheduler tries again. A permanent failure, or one older than the give-up
time, marks the message failed and tells the other side which message did not arrive.

Exactly once: every copy carries its message ID in Slack message metadata. An attempt is
recorded before the post, so when a earlier attempt may have reached Slack (the app died or the
answer was lost), the destination is searched for that metadata before posting again.

Files: a file share is passed on in steps, each recorded when done: its text (unless it has none),
then each file in order (see handoff_slack.slack.file_relay). A file that can never be passed on
gets a notice in its place, and its author is told. Files carry no metadata; instead each upload's
file ID is recorded before its bytes are sent, and a retry asks Slack whether that upload was
already shared before uploading again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from enum import Enum
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from handoff_slack.blocks import Rendered
from handoff_slack.blocks import notices as notice_blocks
from handoff_slack.blocks.mrkdwn import make_safe, split_text
from handoff_slack.concurrency import Coalescing, KeyedLocks
from handoff_slack.core import notices
from handoff_slack.core.clock import as_utc, utcnow
from handoff_slack.core.deliveries import Delivery, SharedFile, StaleCopy
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.states import Direction
from handoff_slack.slack.failures import GONE_ERRORS, ambiguous, failure_reason
from handoff_slack.slack.file_relay import DEFAULT_MAX_FILE_BYTES, FileRelay, destination_notice
from handoff_slack.slack.file_transfer import FileProblem
from handoff_slack.slack.served_doors import CHANNEL_NOT_SERVED, never_closed
from handoff_slack.slack.tagged_copies import copies_in_destination, copy_metadata
from handoff_slack.storage.delivery_ledger import DeliveryLedger

logger = logging.getLogger(__name__)

# chat.postMessage accepts 40,000 characters; room is left for the "(edited)" mark.
MAX_PART_CHARS = 39_000
EDITED_MARK = "\n_(edited)_"
DELETED_IN_THREAD = "_(The customer deleted this message.)_"
FALLBACK_SENDER = {Direction.FROM_CUSTOMER: "Customer", Direction.FROM_AGENT: "Support"}
_ALL_CONVERSATIONS = "all"  # Coalescing's key for the delivery retry (conversations are ints)
# Conversations a delivery retry flushes at once. After a Slack outage or an overload a retry has
# many conversations to catch up, each flush mostly waiting on Slack; one conversation's messages
# still go one at a time, in order (its lock).
RETRY_CONCURRENCY = 4

# Rounds a flush goes on for notices it stored itself (an author told their message did not arrive).
NOTICE_ROUNDS = 2

AMBIGUOUS_RETRIES = 3
AMBIGUOUS_RETRY_DELAY = 0.5  # seconds, doubled each time


class _Outcome(Enum):
    DELIVERED = "delivered"
    GIVEN_UP = "given_up"
    RETRY_LATER = "retry_later"
    WITHDRAWN = "withdrawn"  # deleted at the source before all of it was passed on


class Outbox:
    def __init__(
        self,
        ledger: DeliveryLedger,
        client: WebClient,
        poster: WebClient | None = None,
        give_up_after: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        files: FileRelay | None = None,
        retry_concurrency: int = RETRY_CONCURRENCY,
        render_notice: Callable[[Notice], Rendered] | None = None,
        door_closed: Callable[[Delivery], bool] = never_closed,  # slack.served_doors
    ) -> None:
        self.ledger = ledger
        self.door_closed = door_closed
        self.render_notice = render_notice or partial(notice_blocks.render_notice, note_prefix="note:")
        self.retry_concurrency = retry_concurrency
        self.client = client  # look-ups, updates and deletes: idempotent, full retries
        self.poster = poster or client  # new copies: see handoff_slack.slack.client
        self.sleep = sleep
        self.give_up_after = give_up_after
        self.clock = clock
        self.files = files or FileRelay(client, self.poster, DEFAULT_MAX_FILE_BYTES, sleep)
        self._round = threading.local()  # what the flush running in this thread did
        self._conversation_lock = KeyedLocks()
        self._coalescing = Coalescing()  # keys: conversation IDs, and _ALL_CONVERSATIONS

    def deliver(self, conversation_id: int) -> int:
        """Send the conversation's pending messages and sync edited copies; returns deliveries made."""
        # One flush per conversation at a time: in this process, and across replicas.
        with self._conversation_lock(conversation_id), self.ledger.flush_lock(conversation_id):
            delivered, stale, told = self._deliver_pending(conversation_id)
            for _ in range(NOTICE_ROUNDS):
                if not told:
                    break
                # Giving up on a message stored a notice for its author: it goes out in this flush too.
                more, more_stale, told = self._deliver_pending(conversation_id)
                delivered, stale = delivered + more, stale or more_stale
            if stale:  # edited or deleted since their copy was made (known from the same reads)
                self._sync_stale_copies(conversation_id)
        return delivered

    def deliver_new(self, conversation_id: int) -> None:
        """`deliver`, unless this process is already flushing the conversation for a new message:
        then that flush goes round once more, and this returns at once.

        For new messages, whose sender waits on nothing but the delivery. A chatty conversation
        then holds one worker thread instead of one per message (each queued behind the same
        lock, most to find their message delivered by the flush before). After a failure the
        scheduler's delivery retry picks up what is left.
        """
        self._coalescing.run(conversation_id, lambda: self.deliver(conversation_id))

    def retry(self) -> int:
        """`deliver_all`, coalesced like `deliver_new`: the scheduler's delivery retry, which is also
        run at once when relays were deferred (see handoff_slack.lazy_work) and may be asked for
        again while it runs. Deliveries made (0 when a running retry took this call over)."""
        return self._coalescing.run(_ALL_CONVERSATIONS, self.deliver_all) or 0

    def deliver_all(self) -> int:
        """Every conversation with work, `retry_concurrency` at a time; one failing flush stops no other."""
        conversations = self.ledger.conversations_with_work()
        if len(conversations) <= 1 or self.retry_concurrency <= 1:
            return sum(self.deliver(conversation_id) for conversation_id in conversations)
        with ThreadPoolExecutor(min(self.retry_concurrency, len(conversations)), "delivery-retry") as pool:
            flushes = [pool.submit(self.deliver, conversation_id) for conversation_id in conversations]
        return sum(flush.result() for flush in flushes)  # all have run: the first failure, if any, is raised

    # -- new messages -----------------------------------------------------------------------------

    def _deliver_pending(self, conversation_id: int) -> tuple[int, bool, bool]:
        """Deliveries made, whether stale copies (edited or deleted since) may need syncing, and
        whether a give-up stored a notice for the author (to be delivered next)."""
        delivered = 0
        self._round.told = False  # set by `_tell_author`
        deliveries, stale = self.ledger.pending_work(conversation_id)
        replaced = notices.replaced([(d.message_id, d.ticket_id, d.notice) for d in deliveries if d.notice])
        for delivery in deliveries:
            if delivery.notice is not None and (
                delivery.message_id in replaced or not notices.still_true(delivery.notice, delivery.ticket_state)
            ):
                self.ledger.dropped(delivery.message_id)  # not true any more: sending it late would mislead
                continue
            outcome, copy_stale = self._deliver_one(delivery)
            stale = stale or copy_stale
            if outcome is _Outcome.RETRY_LATER:
                return delivered, stale, False  # nothing later may overtake this message, notices neither
            delivered += outcome is _Outcome.DELIVERED
        return delivered, stale, self._round.told

    def _deliver_one(self, delivery: Delivery) -> tuple[_Outcome, bool]:
        """The text (unless a file share has none, or an earlier flush posted it), then the files.

        Also whether the text's copy was stale the moment it was recorded (edited meanwhile).
        """
        if delivery.notice is not None:
            return self._deliver_text(delivery)
        stale = False
        if delivery.has_text_part and not delivery.text_ts:
            outcome, stale = self._deliver_text(delivery)
            if outcome is not _Outcome.DELIVERED or not delivery.files:
                return outcome, stale
        return self._deliver_files(delivery), stale

    def _deliver_text(self, delivery: Delivery) -> tuple[_Outcome, bool]:
        # With files to follow the text's copy is recorded, and the message stays pending.
        record = self.ledger.text_posted if delivery.files else self.ledger.delivered
        may_exist = delivery.attempts > 0
        for attempt in range(AMBIGUOUS_RETRIES + 1):
            if self.door_closed(delivery):  # slack.served_doors: asked before every attempt
                return self._give_up(delivery, CHANNEL_NOT_SERVED), False
            try:
                parts = self._send(delivery, may_exist)
            except (SlackApiError, OSError) as error:
                reason, permanent = failure_reason(error)
                if permanent or self._too_old(delivery):
                    self._give_up(delivery, reason)
                    return _Outcome.GIVEN_UP, False  # the rest of the conversation must not wait for this one
                self.ledger.attempt_failed(delivery.message_id, reason)
                if attempt == AMBIGUOUS_RETRIES or not ambiguous(error):
                    logger.warning("delivery of message %s failed (%s); will retry", delivery.message_id, reason)
                    return _Outcome.RETRY_LATER, False
                may_exist = True  # Slack may have posted it before failing
                self.sleep(AMBIGUOUS_RETRY_DELAY * 2**attempt)
                continue
            stale = record(delivery.message_id, delivery.channel_id, parts, sent_text=delivery.text)
            return _Outcome.DELIVERED, stale
        return _Outcome.RETRY_LATER, False

    def _too_old(self, delivery: Delivery) -> bool:
        return self.clock() - as_utc(delivery.created_at) > self.give_up_after

    def _sender(self, delivery: Delivery) -> str:
        return delivery.sender_name or FALLBACK_SENDER[delivery.direction]

    # -- files ----------------------------------------------------------------------------------------

    def _deliver_files(self, delivery: Delivery) -> _Outcome:
        """Each file not passed on yet, in order; a transient failure holds back the rest."""
        for index in range(delivery.files_done, len(delivery.files)):
            if self.door_closed(delivery):
                return self._give_up(delivery, CHANNEL_NOT_SERVED)
            file = delivery.files[index]
            if not self.ledger.begin_file(delivery.message_id):
                logger.info("message %s was deleted before all its files were passed on", delivery.message_id)
                return _Outcome.WITHDRAWN
            try:
                self.files.pass_on(
                    file,
                    delivery.channel_id,
                    delivery.thread_ts,
                    self._sender(delivery),
                    pending_upload=delivery.file_pending_id if index == delivery.files_done else None,
                    upload_started=partial(self.ledger.file_upload_started, delivery.message_id, index),
                )
            except FileProblem as problem:
                if not self._file_replaced_by_notice(delivery, index, file, problem):
                    return _Outcome.RETRY_LATER
                continue
            except (SlackApiError, SlackRequestError, OSError) as error:
                reason, permanent = failure_reason(error)
                if permanent or self._too_old(delivery):
                    failure = FileProblem(f"sharing it failed ({reason})")
                    if not self._file_replaced_by_notice(delivery, index, file, failure):
                        return _Outcome.RETRY_LATER
                    continue
                self.ledger.attempt_failed(delivery.message_id, reason)
                logger.warning(
                    "file %d of message %s could not be passed on (%s); will retry",
                    index + 1,
                    delivery.message_id,
                    reason,
                )
                return _Outcome.RETRY_LATER
            self.ledger.file_passed(delivery.message_id, index)
        self.ledger.files_delivered(delivery.message_id, delivery.channel_id)
        return _Outcome.DELIVERED

    def _file_replaced_by_notice(self, delivery: Delivery, index: int, file: SharedFile, problem: FileProblem) -> bool:
        """Where the file should have gone, a notice; its author is told. False: retry later."""
        part = f"file-{index + 1}"
        notice = Rendered(text=destination_notice(self._sender(delivery), file, problem), blocks=[])
        try:
            # A rare path, and an earlier try may have posted it before failing: look first.
            if part not in copies_in_destination(self.client, delivery):
                self._post(delivery, notice, part)
        except (SlackApiError, OSError) as error:
            reason, permanent = failure_reason(error)
            if not permanent and not self._too_old(delivery):
                self.ledger.attempt_failed(delivery.message_id, reason)
                logger.warning("notice for file %d of message %s failed (%s)", index + 1, delivery.message_id, reason)
                return False
            logger.warning(
                "gave up on the notice for file %d of message %s (%s)", index + 1, delivery.message_id, reason
            )
        self.ledger.file_passed(delivery.message_id, index)
        logger.info("file %d of message %s was not passed on; notices sent", index + 1, delivery.message_id)
        self._tell_author(delivery, Notice.file_refused(file.name, problem.why))
        return True

    def _send(self, delivery: Delivery, may_exist: bool) -> list[str]:
        pieces = self._pieces(delivery)
        found = copies_in_destination(self.client, delivery) if may_exist else {}
        self.ledger.begin_attempt(delivery.message_id)  # free when counted as the message was stored
        return [found.get(part) or self._post(delivery, piece, part) for part, piece in enumerate(pieces)]

    def _pieces(self, delivery: Delivery) -> list[Rendered]:
        """What to post: a notice as the bot renders it, a relayed text in parts Slack accepts."""
        if delivery.notice is not None:
            return [self.render_notice(delivery.notice)]
        from_customer = delivery.direction is Direction.FROM_CUSTOMER
        chunks = split_text(make_safe(delivery.text, keep_user_mentions=not from_customer), MAX_PART_CHARS) or [" "]
        return [Rendered(text=chunk, blocks=[]) for chunk in chunks]

    def _post(self, delivery: Delivery, piece: Rendered, part: int | str) -> str:
        """Post one part of a message, tagged with its ID (slack.tagged_copies): never with a 5xx retry."""
        as_bot = delivery.direction.is_notice  # a relayed message is shown as its author; a notice as the bot
        response = self.poster.chat_postMessage(
            channel=delivery.channel_id,
            thread_ts=delivery.thread_ts,
            text=piece.text,
            blocks=piece.blocks or None,
            username=None if as_bot else self._sender(delivery),
            icon_url=None if as_bot else delivery.sender_avatar_url,
            parse="none",
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
            metadata=copy_metadata(delivery, part),
        )
        return str(response["ts"])

    def _give_up(self, delivery: Delivery, reason: str) -> _Outcome:
        self.ledger.given_up(delivery.message_id, reason)
        if delivery.direction.is_notice:  # the bot's own words: nobody else to tell
            logger.warning("gave up on notice %s (%s)", delivery.message_id, reason)
            return _Outcome.GIVEN_UP
        logger.warning("gave up on message %s (%s)", delivery.message_id, reason)
        # The side that wrote the message learns it did not arrive (and which one it was).
        excerpt = delivery.text[: notice_blocks.QUOTED_CHARS + 1]  # all that the notice quotes
        notice = Notice.undelivered(delivery.direction, reason, excerpt, (file.name for file in delivery.files))
        self._tell_author(delivery, notice)
        return _Outcome.GIVEN_UP

    def _tell_author(self, delivery: Delivery, notice: Notice) -> None:
        """A notice where the message's author sees it: the ticket's thread for an agent, else the DM."""
        audience = Audience.AGENTS if delivery.direction is Direction.FROM_AGENT else Audience.CUSTOMER
        self.ledger.notify(delivery.conversation_id, delivery.ticket_id, audience, notice)
        self._round.told = True

    # -- edits and deletes ---------------------------------------------------------------------------

    def _sync_stale_copies(self, conversation_id: int) -> None:
        for copy in self.ledger.stale_copies(conversation_id):
            if self.door_closed(copy.as_delivery()):  # the copy stays as it was: the bot is silent there now
                self.ledger.copy_synced(copy.message_id, list(copy.extra_ts))
                continue
            try:
                extra = self._sync(copy)
            except (SlackApiError, OSError) as error:
                reason, _ = failure_reason(error)
                if reason in GONE_ERRORS:  # the copy is gone or frozen: nothing left to fix
                    self.ledger.copy_synced(copy.message_id, list(copy.extra_ts))
                    continue
                logger.warning("could not sync the copy of message %s (%s); will retry", copy.message_id, reason)
                return
            self.ledger.copy_synced(copy.message_id, extra)

    def _sync(self, copy: StaleCopy) -> list[str]:
        """Bring the copy in line with its source; returns the timestamps of the parts after the first."""
        if copy.notice is not None:  # the bot's notice, changed since it was posted (core.assist: a suggestion sent)
            rendered = self.render_notice(copy.notice)
            self.client.chat_update(channel=copy.channel_id, ts=copy.ts, text=rendered.text, blocks=rendered.blocks)
            return list(copy.extra_ts)
        parts = [copy.ts, *copy.extra_ts]
        if copy.deleted:
            if copy.direction is Direction.FROM_AGENT:  # the customer should not keep what was withdrawn
                for ts in parts:
                    self.client.chat_delete(channel=copy.channel_id, ts=ts)
                return []
            self.client.chat_update(channel=copy.channel_id, ts=copy.ts, text=DELETED_IN_THREAD)
            for ts in parts[1:]:
                self.client.chat_delete(channel=copy.channel_id, ts=ts)
            return []
        from_customer = copy.direction is Direction.FROM_CUSTOMER
        chunks = split_text(make_safe(copy.text, keep_user_mentions=not from_customer), MAX_PART_CHARS) or [" "]
        chunks[-1] += EDITED_MARK
        kept: list[str] = []
        for index, chunk in enumerate(chunks):
            if index < len(parts):
                self.client.chat_update(
                    channel=copy.channel_id, ts=parts[index], text=chunk, parse="none", link_names=False
                )
                kept.append(parts[index])
            else:  # the edit made the text longer than its copy: a new part, posted once
                kept.append(self._post_extra_part(copy, chunk, index))
        for ts in parts[len(chunks) :]:  # ... or shorter
            self.client.chat_delete(channel=copy.channel_id, ts=ts)
        return kept[1:]

    def _post_extra_part(self, copy: StaleCopy, text: str, part: int) -> str:
        """A part an edit added, tagged like the parts before it; an earlier try's post is found, not repeated."""
        delivery = copy.as_delivery()
        found = copies_in_destination(self.client, delivery).get(part)
        return found or self._post(delivery, Rendered(text=text, blocks=[]), part)
