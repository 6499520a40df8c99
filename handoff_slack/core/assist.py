"""Agent assist: while a customer is connected, the bot suggests replies the agent may send.

A connected customer's message that clearly matches a scenario with a fixed answer (its first step
is an answer that does not hand over), or a scenario whose diagnosis is sure of a cause from the
message's words alone (`said` phrases; its questions were never asked), makes the bot store a
suggestion: a notice to the ticket's thread (`NoticeKind.SUGGESTION`), delivered by the outbox
after the customer's relayed message. It never reaches the customer by itself. The owning agent's
Send (or Edit, then send) stores the text as that agent's own reply, relayed like one, and the
suggestion's notice then says who sent it (the outbox brings its copy up to date: `StaleCopy.notice`).

Exactly once: the sent reply's source is the suggestion (`source_ts` "suggestion-<id>" in the
support channel), so the unique source of a message admits one reply per suggestion, whatever
double clicks and replicas race; the suggestion's row is also locked while a click decides it.

Cost: the match runs after the relay is stored and flushed (the listener's lazy phase), in a
transaction of its own, and only when the configuration has a fixed-answer scenario and
`assist: on` (`assists`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from handoff_slack.core.bot import BotEngine
from handoff_slack.core.bot_config import PLACEHOLDER, AssistMode, BotConfig, Diagnose, Scenario
from handoff_slack.core.bot_turn import CauseScore
from handoff_slack.core.diagnosis import diagnose
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredNotice
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.scenario_matching import MatchKind, match_scenario
from handoff_slack.core.states import Direction, TicketState

SOURCE_PREFIX = "suggestion-"  # the sent reply's source_ts: one reply per suggestion


class SuggestionState(StrEnum):
    OPEN = "open"  # Send and Edit shown
    SENT = "sent"
    EXPIRED = "expired"  # the ticket closed or changed hands first: nothing was sent


class SuggestionResult(StrEnum):
    SENT = "sent"
    MAY_SEND = "may_send"  # only checked (Edit opens its modal)
    ALREADY_SENT = "already_sent"
    NOT_OWNER = "not_owner"  # someone other than the ticket's agent
    STALE = "stale"  # the ticket is closed or with another agent now
    EMPTY = "empty"  # an edit with nothing left to send
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class SuggestionOutcome:
    result: SuggestionResult
    conversation_id: int | None = None  # set when its outbox has something new (a reply, an update)
    text: str = ""  # the suggested text (Edit pre-fills it)
    owner_user_id: str | None = None  # the agent the ticket is with (NOT_OWNER says who)
    sent_by: str | None = None  # ALREADY_SENT: who sent it


def suggestion_notice(
    suggestion_id: int, scenario: Scenario, text: str, agent_user_id: str, cause: CauseScore | None = None
) -> Notice:
    facts: dict[str, Any] = {
        "suggestion_id": suggestion_id,
        "scenario_id": scenario.id,
        "scenario": scenario.title,
        "text": text,
        "agent_user_id": agent_user_id,
        "state": SuggestionState.OPEN.value,
    }
    if cause is not None:  # a diagnosis: which cause, how sure, and what pointed to it
        facts |= {"cause": cause.title, "score": cause.score, "evidence": list(cause.evidence)}
    return Notice(NoticeKind.SUGGESTION, facts)


def fixed_answer(scenario: Scenario) -> str | None:
    """The answer a scenario gives at once, without questions or a hand-over; None if it has none."""
    first = scenario.steps[0] if scenario.steps else None
    if first is None or first.is_question or first.escalate or not first.answer:
        return None
    return first.answer


def diagnosis_step(scenario: Scenario) -> Diagnose | None:
    """A scenario's diagnosis, when one of its causes can be told from words alone (`said`)."""
    for step in scenario.steps:
        if step.diagnose is not None and any(cause.said for cause in step.diagnose.causes):
            return step.diagnose
    return None


def answer_for(scenario: Scenario, text: str) -> tuple[str, CauseScore | None] | None:
    """What assist would suggest for `text` in `scenario`: its fixed answer, or the answer for the
    cause its diagnosis is sure of from this message alone (none of its questions was asked, so only
    the phrases a customer writes can point to a cause); None when neither."""
    answer = fixed_answer(scenario)
    if answer is not None:
        return answer, None
    step = diagnosis_step(scenario)
    if step is None:
        return None
    found = diagnose(scenario, step, {}, (text,))
    if not found.sure or PLACEHOLDER.search(found.best.answer):  # an answer quoting unasked questions
        return None
    return found.best.answer, found.best


class AgentAssist(HandoffSteps):
    """The Helpdesk's part for suggested replies (a mixin: it shares the helpdesk's storage and clock)."""

    @cached_property
    def _assist_config(self) -> BotConfig | None:
        """The bot's configuration when assist can fire: on, and a fixed-answer scenario to match."""
        responder = self.responder
        if not isinstance(responder, BotEngine) or responder.config.assist is AssistMode.OFF:
            return None
        config = responder.config
        suggestable = any(fixed_answer(s) is not None or diagnosis_step(s) is not None for s in config.scenarios)
        return config if suggestable else None

    @property
    def assists(self) -> bool:
        """Whether a connected customer's message may get a suggestion (else nothing is matched)."""
        return self._assist_config is not None

    def suggested_answer(self, text: str) -> tuple[Scenario, str, CauseScore | None] | None:
        """The scenario `text` clearly asks for (as surely as the bot itself would run it), and its
        fixed answer or the answer for the cause its diagnosis is sure of; None for no clear match,
        or a match with neither."""
        config = self._assist_config
        if config is None:
            return None
        thresholds = config.escalation
        found = match_scenario(text, config.scenarios, thresholds.match_threshold, thresholds.suggest_threshold)
        if found.kind is not MatchKind.HIT:
            return None
        scenario = config.scenario(found.scenario_ids[0])
        answer = answer_for(scenario, text) if scenario is not None else None
        return None if scenario is None or answer is None else (scenario, *answer)

    def suggest_reply(self, conversation_id: int, ticket_id: int, text: str) -> bool:
        """After a connected customer's message was relayed: store a suggestion for the ticket's agent
        if the message clearly matches a fixed answer. True when one was stored (flush the outbox)."""
        found = self.suggested_answer(text)
        if found is None:
            return False
        scenario, answer, cause = found
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None or ticket.state != TicketState.CONNECTED or not ticket.agent_user_id:
                return False  # closed meanwhile: nobody to suggest it to
            agent = ticket.agent_user_id
            # Its ID is on its buttons: stored first, then told its own ID.
            message_id = tx.store_notice(
                conversation_id, ticket_id, Audience.AGENTS, suggestion_notice(0, scenario, answer, agent, cause)
            )
            told = suggestion_notice(message_id, scenario, answer, agent, cause)
            tx.messages.replace_notice(message_id, told.to_json(), revision="")  # not posted yet: no copy to change
        return True

    def check_suggestion(self, suggestion_id: int, user_id: str) -> SuggestionOutcome:
        """Whether `user_id` may send the suggestion now (Edit asks before opening its modal)."""
        return self._decide_suggestion(suggestion_id, user_id, sending=False, edited=None)

    def send_suggestion(self, suggestion_id: int, user_id: str, edited: str | None = None) -> SuggestionOutcome:
        """Send the suggestion (or `edited`, its text as the agent changed it) as the owning agent's
        reply, once. Anyone else is refused; a suggestion whose ticket closed or changed hands is
        marked expired and nothing is sent."""
        return self._decide_suggestion(suggestion_id, user_id, sending=True, edited=edited)

    def _decide_suggestion(
        self, suggestion_id: int, user_id: str, sending: bool, edited: str | None
    ) -> SuggestionOutcome:
        with self.storage.transaction() as tx:
            found = tx.messages.locked_notice(suggestion_id)  # concurrent clicks wait here, then see SENT
            notice = Notice.from_json(found.notice) if found is not None and found.notice else None
            if found is None or notice is None or notice.kind is not NoticeKind.SUGGESTION or found.ticket_id is None:
                return SuggestionOutcome(SuggestionResult.NOT_FOUND)
            facts = notice.facts
            suggested = str(facts.get("text") or "")
            if facts.get("state") == SuggestionState.SENT:
                return SuggestionOutcome(SuggestionResult.ALREADY_SENT, text=suggested, sent_by=facts.get("sent_by"))
            ticket = tx.tickets.get(found.ticket_id)
            owner = ticket.agent_user_id if ticket is not None else None
            if ticket is None or ticket.state != TicketState.CONNECTED or owner != facts.get("agent_user_id"):
                expiring = facts.get("state") == SuggestionState.OPEN
                if expiring:  # its buttons go: nobody is offered it again
                    self._suggestion_says(tx, found, facts, state=SuggestionState.EXPIRED.value)
                conversation_id = found.conversation_id if expiring else None
                return SuggestionOutcome(SuggestionResult.STALE, conversation_id, suggested, owner)
            if owner != user_id:
                return SuggestionOutcome(SuggestionResult.NOT_OWNER, text=suggested, owner_user_id=owner)
            text = suggested if edited is None else edited
            if not sending or not text.strip():
                result = SuggestionResult.EMPTY if sending else SuggestionResult.MAY_SEND
                return SuggestionOutcome(result, text=suggested, owner_user_id=owner)
            if not self._suggestion_as_reply(tx, found, ticket.message_channel_id or "", user_id, text):
                return SuggestionOutcome(SuggestionResult.ALREADY_SENT, text=suggested)  # (the lock makes it rare)
            sent: dict[str, Any] = {"state": SuggestionState.SENT.value, "sent_by": user_id}
            if text != suggested:
                sent["sent_text"] = text  # both versions are kept
            self._suggestion_says(tx, found, facts, **sent)
            return SuggestionOutcome(SuggestionResult.SENT, found.conversation_id, suggested, owner)

    def _suggestion_as_reply(
        self, tx: HelpdeskTransaction, suggestion: StoredNotice, channel_id: str, user_id: str, text: str
    ) -> bool:
        """Store `text` as the agent's reply to the customer (relayed like one), its source the
        suggestion (in the support channel, `channel_id`); False if that reply exists already."""
        message = self._new_message(
            suggestion.conversation_id,
            suggestion.ticket_id,
            Direction.FROM_AGENT,
            user_id,
            channel_id,
            f"{SOURCE_PREFIX}{suggestion.id}",
            text,
            (),
        )
        return self._store_new(tx, message) is not None

    @staticmethod
    def _suggestion_says(tx: HelpdeskTransaction, suggestion: StoredNotice, facts: Any, **changes: Any) -> None:
        """The suggestion's notice as it reads now; the outbox updates its copy in the thread."""
        notice = Notice(NoticeKind.SUGGESTION, {**facts, **changes})
        tx.messages.replace_notice(suggestion.id, notice.to_json(), revision=str(changes["state"]))
