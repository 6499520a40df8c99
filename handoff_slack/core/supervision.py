"""Supervised mode's decisions: approve (as proposed or edited), reject (to the queue, or taken at
once), the timeout, and the customer's own hand-over (they asked for a person meanwhile; decided
inside their message's or button's transaction, core.customer_intake); the reads the proposal's
card needs, and approval rates for reports.

Each decision is one transaction. The conversation is locked first (as the customer's own steps
lock it, so a "never mind" and a click take turns), then the ticket moves on with a conditional
UPDATE from `proposed`: of two agents clicking on two replicas, or a click and the timeout,
exactly one wins, and only the winner stores what the customer is told (through the outbox, in
order with everything else of theirs). The timeout is derived from the database (`expires_at`),
so it survives a restart and fires once whichever replica's scheduler gets there first.
"""

from __future__ import annotations

from dataclasses import replace

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredConversation
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.proposals import (
    DecisionResult,
    ProposalDecision,
    ProposalOutcome,
    ProposalView,
    ScenarioApproval,
)
from handoff_slack.core.states import Direction, EscalationReason, TicketState
from handoff_slack.core.views import ConversationLine, TicketView, TranscriptLine

# The ticket's state and reason after each decision (None: the reason stays "supervised").
_TICKET_AFTER: dict[ProposalOutcome, tuple[TicketState, str | None]] = {
    ProposalOutcome.APPROVED: (TicketState.ANSWERED, None),
    ProposalOutcome.EDITED: (TicketState.ANSWERED, None),
    ProposalOutcome.REJECTED_TO_QUEUE: (TicketState.WAITING, EscalationReason.SUPERVISOR_REJECTED),
    ProposalOutcome.TAKEN: (TicketState.CONNECTED, EscalationReason.SUPERVISOR_REJECTED),
    ProposalOutcome.TIMED_OUT: (TicketState.WAITING, EscalationReason.SUPERVISION_TIMEOUT),
    # The customer asked for a person meanwhile (typed; the button passes its own reason, "menu").
    ProposalOutcome.HANDED_OVER: (TicketState.WAITING, EscalationReason.ASKED_FOR_HUMAN),
}
TIMEOUT_BATCH = 100  # proposals timed out per scheduler run (the next run takes the rest)


class ProposalDecisions(HandoffSteps):
    """A decision on a pending proposal inside the caller's transaction: the agents' (Supervision) and
    the customer's own hand-over when they ask for a person meanwhile (core.customer_intake)."""

    def _decide_locked(
        self,
        tx: HelpdeskTransaction,
        conversation: StoredConversation,
        ticket_id: int,
        outcome: ProposalOutcome,
        user_id: str | None,
        edited_text: str | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        reason: EscalationReason | None = None,
    ) -> ProposalOutcome | None:
        """Decide, if the proposal is still pending: the outcome recorded (`outcome`, or the timeout's
        when its time ran out first), or None when it was decided before. The caller holds the
        conversation's lock (`conversation`, locked first: the ticket is locked by the update).
        `reason`: the ticket's, instead of the outcome's usual one."""
        now = self.clock()
        found = tx.proposals.get(ticket_id, fresh=True)
        assert found is not None
        # A decision after the proposal's time ran out (its job just hasn't run yet): the timeout wins.
        late = outcome is not ProposalOutcome.TIMED_OUT and as_utc(found.expires_at) <= now
        if late:
            outcome, user_id, edited_text, reason = ProposalOutcome.TIMED_OUT, None, None, None
        state, usual_reason = _TICKET_AFTER[outcome]
        won = tx.tickets.from_proposal(
            ticket_id, state, now, reason or usual_reason, user_id, agent_name, agent_avatar_url
        )
        if won:
            self._first_response(tx, ticket_id)  # taken: met or breached; answered: none; queued: not yet
            sent = edited_text if edited_text is not None else found.proposed_text if outcome.sent else None
            recorded = tx.proposals.decide(ticket_id, outcome.value, user_id, now, sent)
            assert recorded  # the ticket's update is the gate: its proposal was pending
            self._tell(tx, conversation, ticket_id, outcome, sent, user_id, agent_name)
        return outcome if won else None

    def _tell(
        self,
        tx: HelpdeskTransaction,
        conversation: StoredConversation,
        ticket_id: int,
        outcome: ProposalOutcome,
        sent: str | None,
        user_id: str | None,
        agent_name: str | None,
    ) -> None:
        """Move the conversation on and store what the customer (and the thread) are told."""
        assert conversation.id is not None
        now = self.clock()
        if outcome.sent:
            assert sent is not None
            # The bot's scenario ended with the proposal: the bot carries on from there.
            tx.conversations.back_to_bot(conversation.id, ticket_id, now, keep_bot_state=True)
            # As the bot would have sent it unsupervised: with its buttons (the menu, a person).
            answer = Notice.bot_reply(self.responder.answer(sent))
            self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, answer)
        elif outcome is ProposalOutcome.TAKEN:
            assert user_id is not None
            tx.conversations.connected(conversation.id, now)
            tx.audit.record(user_id, AuditAction.CLAIM, now, ticket_id=ticket_id, details={"via": "proposal"})
            self._notify(tx, conversation.id, ticket_id, Audience.AGENTS, Notice.claimed_note(user_id))
            self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice.connected(agent_name))
        else:  # to the queue: rejected, nobody decided in time, or the customer asked for a person
            tx.conversations.waiting(conversation.id, now)
            position = tx.tickets.position(ticket_id)
            self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, self._queued(position, ticket_id))


class Supervision(ProposalDecisions):
    # -- decisions ------------------------------------------------------------------------------

    def approve(self, ticket_id: int, user_id: str, edited_text: str | None = None) -> ProposalDecision:
        """Send the proposed answer (or `edited_text`, an agent's edit of it) to the customer, once."""
        if edited_text is not None and not edited_text.strip():
            edited_text = None  # an emptied edit sends nothing new: it is an approval as proposed
        outcome = ProposalOutcome.APPROVED if edited_text is None else ProposalOutcome.EDITED
        return self._decide(ticket_id, outcome, user_id, edited_text=edited_text)

    def reject(
        self,
        ticket_id: int,
        user_id: str,
        take: bool,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ProposalDecision:
        """Nothing of the proposal is sent: the customer waits in the queue, or (`take`) is connected
        to the rejecting agent at once."""
        outcome = ProposalOutcome.TAKEN if take else ProposalOutcome.REJECTED_TO_QUEUE
        return self._decide(ticket_id, outcome, user_id, agent_name=agent_name, agent_avatar_url=agent_avatar_url)

    def time_out_proposals(self) -> list[ProposalDecision]:
        """Hand over every proposal nobody decided in time (those this call timed out)."""
        with self.storage.transaction() as tx:
            expired = tx.proposals.expired(self.clock(), TIMEOUT_BATCH)
        decisions = [self._decide(ticket_id, ProposalOutcome.TIMED_OUT, None) for ticket_id in expired]
        return [decision for decision in decisions if decision.decided]

    def _decide(
        self,
        ticket_id: int,
        outcome: ProposalOutcome,
        user_id: str | None,
        edited_text: str | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ProposalDecision:
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None or tx.proposals.get(ticket_id) is None:
                return ProposalDecision(DecisionResult.NOT_FOUND)
            conversation = tx.conversations.locked(ticket.conversation_id)
            assert conversation is not None and conversation.id is not None  # a ticket's conversation stays
            recorded = self._decide_locked(
                tx, conversation, ticket_id, outcome, user_id, edited_text, agent_name, agent_avatar_url
            )
            decided = recorded is outcome  # else decided before, or (a late click) timed out just now
            view = self._view(tx, ticket_id)
            return ProposalDecision(DecisionResult.DECIDED if decided else DecisionResult.ALREADY_DECIDED, *view)

    @staticmethod
    def _view(tx: HelpdeskTransaction, ticket_id: int) -> tuple[ProposalView | None, TicketView | None]:
        proposal = tx.proposals.get(ticket_id, fresh=True)
        ticket = tx.tickets.get(ticket_id, fresh=True)
        if proposal is None or ticket is None:
            return None, None
        return ProposalView.from_row(proposal), TicketView.from_rows(
            ticket, tx.conversations.get(ticket.conversation_id)
        )

    # -- reads ----------------------------------------------------------------------------------

    def proposal(self, ticket_id: int) -> ProposalView | None:
        with self.storage.transaction() as tx:
            found = tx.proposals.get(ticket_id)
            return ProposalView.from_row(found) if found is not None else None

    def bot_conversation(self, ticket: TicketView, limit: int = 10) -> list[ConversationLine]:
        """The conversation with the bot before this ticket (since any earlier one ended), oldest first:
        the customer's messages and the bot's replies."""
        with self.storage.transaction() as tx:
            previous_end = tx.tickets.previous_end(ticket.conversation_id, ticket.id)
            rows = tx.messages.with_the_bot(ticket.conversation_id, ticket.created_at, previous_end, limit)
            lines: list[ConversationLine] = []
            for row in reversed(rows):
                if row.direction == Direction.FROM_CUSTOMER:
                    lines.append(ConversationLine(True, TranscriptLine.from_row(row.text, row.files)))
                    continue
                notice = Notice.from_json(row.notice) if row.notice else None
                if notice is not None and notice.kind is NoticeKind.BOT_REPLY:
                    lines.append(ConversationLine(False, TranscriptLine(str(notice.facts.get("text") or ""))))
            return lines

    def approval_rates(self) -> list[ScenarioApproval]:
        """Per scenario: how agents decided its proposals (for telling which could run unsupervised)."""
        with self.storage.transaction() as tx:
            rows = tx.proposals.outcome_counts()
        found: dict[str, ScenarioApproval] = {}
        for scenario_id, title, outcome, count in rows:
            known = found.get(scenario_id) or ScenarioApproval(scenario_id, title, {})
            counts = {**known.counts, ProposalOutcome(outcome): count}
            found[scenario_id] = replace(known, counts=counts)
        return list(found.values())
