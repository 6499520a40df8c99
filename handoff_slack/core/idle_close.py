"""Idle auto-close: a connected conversation nobody writes in is warned, then closed.

Quiet since: the later of the claim (or transfer) and the last message from either side (the bot's
notices do not count). After `warn_after_minutes` of quiet both sides are warned (the customer at
their door, the agents in the ticket's thread, with a Snooze button); `close_after_minutes` after
the warning, if still nobody wrote, the conversation is closed the normal way (core.agent_desk:
back to the bot, the audit row by the bot, both sides told, then the survey if on). A message from
either side after the warning resets it: the next warning is due `warn_after_minutes` after that
message. Nothing is written on the relay's path: the job reads each connected ticket's last message.

**Snooze**: the owning agent (or an admin) presses Snooze on the warning, or writes the command word
`note: snooze` (the note prefix, then `snooze`: an internal note, never relayed) in the ticket's
thread at any time: no warning and no close before `snooze_minutes` from then (a pending warning
ends); it is audited (`snooze`). A second press on the same warning is told until when it is
snoozed; the command word is answered in the thread with until when.

Each step is one transaction under the conversation's lock (taken first, as the customer's own
messages take it), which reads the ticket's quiet again, so a customer's message racing the close
either lands first (no close: the quiet was broken) or after it (the bot answers, as after any
close). A warning and a close are conditional UPDATEs: of two runs one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from handoff_slack.core.agent_desk import AgentDesk
from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView
from handoff_slack.core.waiting_config import IdleCloseConfig, WaitingTimersConfig
from handoff_slack.core.waiting_storage import ConnectedTicket

SNOOZE_WORD = "snooze"  # after the note prefix: `note: snooze` in the ticket's thread


class IdleStep(StrEnum):
    WARN = "warn"
    CLOSE = "close"


class WarningState(StrEnum):
    OPEN = "open"
    SNOOZED = "snoozed"


def idle_step(ticket: ConnectedTicket, now: datetime, config: IdleCloseConfig) -> IdleStep | None:
    """What is due for a connected ticket now, if anything."""
    moments = [as_utc(t) for t in (ticket.claimed_at, ticket.last_message_at) if t is not None]
    if not moments:
        return None
    quiet_since = max(moments)
    snoozed_until = as_utc(ticket.idle_snoozed_until) if ticket.idle_snoozed_until else None
    if snoozed_until is not None and snoozed_until > now:
        return None
    warned = as_utc(ticket.idle_warned_at) if ticket.idle_warned_at else None
    if warned is None or warned < quiet_since:  # never warned, or someone wrote since
        due = quiet_since + timedelta(minutes=config.warn_after_minutes)
        if snoozed_until is not None:
            due = max(due, snoozed_until)
        return IdleStep.WARN if now >= due else None
    return IdleStep.CLOSE if now >= warned + timedelta(minutes=config.close_after_minutes) else None


@dataclass(frozen=True)
class IdlePass:
    warned: list[int] = field(default_factory=list)  # conversations whose outbox has the warnings
    closed: list[TicketView] = field(default_factory=list)


class SnoozeResult(StrEnum):
    SNOOZED = "snoozed"
    ALREADY = "already"  # this warning was snoozed before
    NOT_OPEN = "not_open"  # closed, released or transferred since
    NOT_ALLOWED = "not_allowed"  # not the owning agent nor an admin
    REFUSED = "refused"  # not a warning


@dataclass(frozen=True)
class SnoozeOutcome:
    result: SnoozeResult
    until: datetime | None = None
    by_user_id: str | None = None
    conversation_id: int | None = None  # its outbox has news (the warning's copy)


class IdleClose(AgentDesk):
    """The Helpdesk's part for idle auto-close (a mixin on the agent desk: it closes as an agent does)."""

    waiting_config: WaitingTimersConfig = WaitingTimersConfig()  # the YAML's sections (set by the app)

    def close_idle_conversations(self) -> IdlePass:
        """The scheduler leader's job: warn the quiet conversations, close those warned long enough ago."""
        done = IdlePass()
        config = self.waiting_config.idle_close
        if not config.enabled:
            return done
        now = self.clock()
        with self.storage.transaction() as tx:
            due = [
                (row.id, row.conversation_id) for row in tx.waiting_timers.connected() if idle_step(row, now, config)
            ]
        for ticket_id, conversation_id in due:
            self._idle_step(ticket_id, conversation_id, now, config, done)
        return done

    def _idle_step(
        self, ticket_id: int, conversation_id: int, now: datetime, config: IdleCloseConfig, done: IdlePass
    ) -> None:
        with self.storage.transaction() as tx:
            conversation = tx.conversations.locked(conversation_id)  # first: the customer's messages wait
            ticket = tx.tickets.get(ticket_id, fresh=True)
            current = tx.waiting_timers.connected_one(ticket_id)  # as it is now, its last message included
            step = idle_step(current, now, config) if current is not None else None
            if ticket is None or current is None or step is None:
                return
            if step is IdleStep.WARN:
                if not tx.waiting_timers.warn_idle(ticket_id, current.idle_warned_at, now):
                    return
                minutes = {"quiet": config.warn_after_minutes, "closes_in": config.close_after_minutes}
                self._notify(
                    tx, conversation_id, ticket_id, Audience.CUSTOMER, Notice(NoticeKind.IDLE_WARNING, minutes)
                )
                opened = {**minutes, "warning_id": 0, "state": WarningState.OPEN.value}
                warning = Notice(NoticeKind.IDLE_WARNING_NOTE, opened)
                warning_id = tx.store_notice(conversation_id, ticket_id, Audience.AGENTS, warning)
                told = Notice(warning.kind, {**warning.facts, "warning_id": warning_id})
                tx.messages.replace_notice(warning_id, told.to_json(), revision="")
                done.warned.append(conversation_id)
                return
            if not tx.tickets.close(ticket_id, BOT_ACTOR, now):
                return
            tx.tickets.reload(ticket)
            minutes = {"quiet": config.warn_after_minutes + config.close_after_minutes}
            said = (
                Notice(NoticeKind.IDLE_CLOSED_NOTE, {**minutes, "agent_user_id": ticket.agent_user_id}),
                Notice(NoticeKind.IDLE_CLOSED, {**minutes, "agent_name": ticket.agent_name}),
            )
            details = {"reason": "idle", "agent_user_id": ticket.agent_user_id}
            self._after_close(tx, conversation_id, ticket_id, BOT_ACTOR, details, said)
            done.closed.append(TicketView.from_rows(ticket, conversation))

    def snooze_idle(self, warning_id: int, user_id: str, is_admin: bool) -> SnoozeOutcome:
        """`user_id` pressed Snooze on the warning `warning_id` in a ticket's thread."""
        now = self.clock()
        with self.storage.transaction() as tx:
            unlocked = tx.messages.notice_of(warning_id)
            if unlocked is None:
                return SnoozeOutcome(SnoozeResult.REFUSED)
            tx.conversations.locked(unlocked.conversation_id)  # first, then the warning's row
            row = tx.messages.locked_notice(warning_id)
            notice = Notice.from_json(row.notice) if row is not None and row.notice else None
            if row is None or notice is None or notice.kind is not NoticeKind.IDLE_WARNING_NOTE or not row.ticket_id:
                return SnoozeOutcome(SnoozeResult.REFUSED)
            facts = dict(notice.facts)
            if facts.get("state") == WarningState.SNOOZED:
                until = datetime.fromisoformat(str(facts["until"]))
                return SnoozeOutcome(SnoozeResult.ALREADY, until, str(facts.get("by_user_id") or ""))
            snoozed = self._snooze(tx, row.ticket_id, user_id, is_admin, now)
            if snoozed.until is None:
                return snoozed
            told = {"state": WarningState.SNOOZED.value, "until": snoozed.until.isoformat(), "by_user_id": user_id}
            said = Notice(notice.kind, {**facts, **told})
            tx.messages.replace_notice(warning_id, said.to_json(), revision=WarningState.SNOOZED.value)
            return SnoozeOutcome(SnoozeResult.SNOOZED, snoozed.until, user_id, row.conversation_id)

    def snooze_by_note(self, ticket_id: int, user_id: str, is_admin: bool) -> SnoozeOutcome:
        """The command word: `user_id` wrote `note: snooze` in the ticket's thread (with or without a
        warning yet); the thread is told until when (a notice), as the audit log is."""
        if not self.waiting_config.idle_close.enabled:
            return SnoozeOutcome(SnoozeResult.REFUSED)
        with self.storage.transaction() as tx:
            found = tx.waiting_timers.timers(ticket_id)
            if found is None:
                return SnoozeOutcome(SnoozeResult.NOT_OPEN)
            tx.conversations.locked(found.conversation_id)  # first, as every step of the conversation
            snoozed = self._snooze(tx, ticket_id, user_id, is_admin, self.clock())
            if snoozed.until is None:
                return snoozed
            note = Notice(NoticeKind.IDLE_SNOOZED_NOTE, {"until": snoozed.until.isoformat(), "by_user_id": user_id})
            self._notify(tx, found.conversation_id, ticket_id, Audience.AGENTS, note)
            return SnoozeOutcome(SnoozeResult.SNOOZED, snoozed.until, user_id, found.conversation_id)

    def is_snooze_note(self, text: str) -> bool:
        """The command word: the note prefix and `snooze`, as the whole message (any case)."""
        words = text.strip().lower()
        return words.startswith(self.note_prefix) and words[len(self.note_prefix) :].strip() == SNOOZE_WORD

    def _snooze(
        self, tx: HelpdeskTransaction, ticket_id: int, user_id: str, is_admin: bool, now: datetime
    ) -> SnoozeOutcome:
        """Under the conversation's lock: snooze the connected ticket, if `user_id` may; audited."""
        config = self.waiting_config.idle_close
        timers = tx.waiting_timers.timers(ticket_id)
        if timers is None or timers.state != TicketState.CONNECTED:
            return SnoozeOutcome(SnoozeResult.NOT_OPEN)
        if not is_admin and timers.agent_user_id != user_id:
            return SnoozeOutcome(SnoozeResult.NOT_ALLOWED)
        until = now + timedelta(minutes=config.snooze_minutes)
        tx.waiting_timers.snooze_idle(ticket_id, until)
        details = {"minutes": config.snooze_minutes}
        tx.audit.record(user_id, AuditAction.SNOOZE, now, ticket_id=ticket_id, details=details)
        return SnoozeOutcome(SnoozeResult.SNOOZED, until, user_id)
