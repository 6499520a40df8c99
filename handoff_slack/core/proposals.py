"""Supervised mode's plain values: a proposal as stored, what a decision did, and approval rates.

A proposal is the bot's answer in a supervised scenario, held until an agent decides (core.supervision
makes the decisions). These values are what the edge renders and what reports read; never rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from handoff_slack.core.bot_turn import CauseScore, Diagnosis
from handoff_slack.core.views import TicketView


class ProposalOutcome(StrEnum):
    PENDING = "pending"  # waiting for a decision
    APPROVED = "approved"  # the proposed text was sent
    EDITED = "edited"  # an agent's edit of it was sent
    REJECTED_TO_QUEUE = "rejected_to_queue"  # rejected: the customer waits in the queue
    TAKEN = "taken"  # rejected: the rejecting agent took the customer at once
    TIMED_OUT = "timed_out"  # nobody decided in time: the customer waits in the queue
    WITHDRAWN = "withdrawn"  # the customer said "never mind" first
    HANDED_OVER = "handed_over"  # the customer asked for a person first: they wait in the queue

    @property
    def sent(self) -> bool:
        """The customer got the bot's answer (as proposed or edited)."""
        return self in (ProposalOutcome.APPROVED, ProposalOutcome.EDITED)


def cause_to_json(cause: CauseScore) -> dict[str, Any]:
    return {"cause_id": cause.cause_id, "title": cause.title, "score": cause.score, "evidence": list(cause.evidence)}


def cause_from_json(data: Mapping[str, Any]) -> CauseScore:
    return CauseScore(
        str(data.get("cause_id", "")),
        str(data.get("title", "")),
        float(data.get("score") or 0.0),
        tuple(str(e) for e in data.get("evidence") or ()),
    )


def diagnosis_to_json(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    if diagnosis is None:
        return None
    runner_up = diagnosis.runner_up
    return {"best": cause_to_json(diagnosis.best), "runner_up": cause_to_json(runner_up) if runner_up else None}


def diagnosis_from_json(data: Mapping[str, Any] | None) -> Diagnosis | None:
    if not data or not data.get("best"):
        return None
    runner_up = data.get("runner_up")
    return Diagnosis(cause_from_json(data["best"]), cause_from_json(runner_up) if runner_up else None)


@dataclass(frozen=True)
class ProposalView:
    """One proposal as stored: what the bot proposed, what was sent, and who decided what when."""

    ticket_id: int
    conversation_id: int
    scenario_id: str
    scenario_title: str
    proposed_text: str
    outcome: ProposalOutcome
    created_at: datetime
    expires_at: datetime
    answers: tuple[tuple[str, str], ...] = ()  # (the bot's question, the customer's answer)
    diagnosis: Diagnosis | None = None
    sent_text: str | None = None
    decided_by_user_id: str | None = None  # None for a timeout (nobody), or the customer's withdrawal
    decided_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.outcome is ProposalOutcome.PENDING

    @classmethod
    def from_row(cls, row: Any) -> ProposalView:
        answers: Sequence[Any] = row.answers or ()
        return cls(
            ticket_id=int(row.ticket_id),
            conversation_id=int(row.conversation_id),
            scenario_id=str(row.scenario_id),
            scenario_title=str(row.scenario_title),
            proposed_text=str(row.proposed_text),
            outcome=ProposalOutcome(row.outcome),
            created_at=row.created_at,
            expires_at=row.expires_at,
            answers=tuple((str(pair[0]), str(pair[1])) for pair in answers if len(pair) == 2),
            diagnosis=diagnosis_from_json(row.diagnosis),
            sent_text=row.sent_text,
            decided_by_user_id=row.decided_by_user_id,
            decided_at=row.decided_at,
        )


class DecisionResult(StrEnum):
    DECIDED = "decided"  # this decision won: the proposal has its outcome
    ALREADY_DECIDED = "already_decided"  # someone (or the timeout, or the customer) decided first
    NOT_FOUND = "not_found"  # no proposal on that ticket (a forged or very old button)


@dataclass(frozen=True)
class ProposalDecision:
    """What a decision did: who won, and the proposal and ticket as they are now (for the edge to show)."""

    result: DecisionResult
    proposal: ProposalView | None = None  # None only when not found
    ticket: TicketView | None = None

    @property
    def decided(self) -> bool:
        return self.result is DecisionResult.DECIDED


@dataclass(frozen=True)
class ScenarioApproval:
    """How agents decided one scenario's proposals: counts per outcome, and the approval rate.

    The rate is of proposals an agent decided (approved, edited, rejected, taken): a timeout, a
    withdrawal or the customer asking for a person first (handed over) says nothing about the answer.
    Edited answers count as not approved as proposed.
    """

    scenario_id: str
    scenario_title: str
    counts: Mapping[ProposalOutcome, int]

    def count(self, outcome: ProposalOutcome) -> int:
        return self.counts.get(outcome, 0)

    @property
    def decided_by_agents(self) -> int:
        return sum(
            self.count(o)
            for o in (
                ProposalOutcome.APPROVED,
                ProposalOutcome.EDITED,
                ProposalOutcome.REJECTED_TO_QUEUE,
                ProposalOutcome.TAKEN,
            )
        )

    @property
    def approval_rate(self) -> float | None:
        """Approved unchanged / decided by an agent; None before any agent decided."""
        decided = self.decided_by_agents
        return self.count(ProposalOutcome.APPROVED) / decided if decided else None
