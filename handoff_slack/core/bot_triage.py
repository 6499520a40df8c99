"""The bot's triage: the questions asked before a hand-over (or first, in `triage_first` mode).

Answers are kept in the bot's saved state; whatever Slack already knows (the profile's name, the
organisation) is filled in instead of asked. A finished triage is a `Handover` with every answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from handoff_slack.core.bot_config import TriageConfig, TriageMode, TriageQuestion
from handoff_slack.core.bot_turn import (
    BotState,
    BotTurn,
    Button,
    ButtonAction,
    CustomerFacts,
    Handover,
    Reply,
    ReplyKind,
    TriageAnswer,
)
from handoff_slack.core.phrases import asks_for_human, asks_to_cancel, asks_to_skip, normalised_prefix
from handoff_slack.core.states import EscalationReason

_SHORT_REQUEST_WORDS = 5  # "agent", "a human please": a request, not an answer to a question


class TriageFlow:
    def __init__(
        self,
        triage: TriageConfig,
        menu: Callable[[str], Reply],
        rejected: Callable[[BotState], BotState] = lambda state: state,
    ) -> None:
        """`rejected`: the state after an answer failed a question's validation (core.stuck counts them)."""
        self.triage = triage
        self._menu = menu
        self._rejected = rejected

    def form_errors(self, answers: Mapping[str, str]) -> dict[str, str]:
        """Question ID → what's wrong, for the triage form (checked before it is accepted)."""
        errors: dict[str, str] = {}
        for question in self.triage.questions:
            value = (answers.get(question.id) or "").strip()
            if not value:
                if not question.skippable:
                    errors[question.id] = "Please answer this one."
            elif question.validation and not question.validation.accepts(value):
                errors[question.id] = question.validation.message
        return errors

    def form_questions(self, state: BotState, facts: CustomerFacts) -> list[tuple[TriageQuestion, str | None]]:
        """The triage questions with what is known so far, to fill the form with."""
        known = self.known_answers(state, facts)
        return [(q, known[q.id].answer if q.id in known else None) for q in self.triage.questions]

    @staticmethod
    def reason(state: BotState) -> EscalationReason:
        """Why the customer is being triaged (set when triage starts; the menu button otherwise)."""
        return EscalationReason(state.triage_reason or EscalationReason.MENU)

    def starts_first(self, state: BotState) -> bool:
        triage = self.triage
        return triage.mode is TriageMode.TRIAGE_FIRST and bool(triage.questions) and not state.triage_done

    def hand_over(
        self, state: BotState, reason: EscalationReason, facts: CustomerFacts, scenario_id: str | None = None
    ) -> BotTurn:
        """Hand over now, or first ask the triage questions that Slack can't answer for us.
        `scenario_id`: the scenario it comes from (else the one the customer is in, if any)."""
        triage = self.triage
        state = replace(state, handover_scenario=scenario_id or state.scenario_id)
        if triage.mode is TriageMode.OFF or not triage.questions:
            return self.handover_turn(state, reason, facts)
        state = replace(state.fresh(), triage_reason=reason.value)
        if self.current_question(state, facts) is None:  # everything already known
            return self.handover_turn(state, reason, facts)
        intro = Reply(ReplyKind.NOTE, triage.intro) if triage.intro else None
        first = self.question_reply(state, facts)
        return BotTurn(state, (intro, first) if intro else (first,))

    def handover_turn(self, state: BotState, reason: EscalationReason, facts: CustomerFacts) -> BotTurn:
        known = self.known_answers(state, facts)
        answers = tuple(
            known.get(q.id) or TriageAnswer(q.id, q.label, None, "not_asked")
            for q in self.triage.questions
            if self.triage.mode is not TriageMode.OFF
        )
        handover = Handover(reason, answers, state.frustration_score, state.handover_scenario, state.signals)
        # The next time they're back with the bot, it starts afresh (a new conversation).
        return BotTurn(BotState(triage_done=True), (), handover)

    def known_answers(self, state: BotState, facts: CustomerFacts) -> dict[str, TriageAnswer]:
        known = {qid: TriageAnswer.from_json(data) for qid, data in state.triage_answers.items()}
        for question in self.triage.questions:
            prefilled = facts.value_for(question.prefill)
            if question.id not in known and prefilled:
                known[question.id] = TriageAnswer(question.id, question.label, prefilled, "slack")
        return known

    def current_question(self, state: BotState, facts: CustomerFacts) -> TriageQuestion | None:
        known = self.known_answers(state, facts)
        return next((q for q in self.triage.questions if q.id not in known), None)

    def question_reply(self, state: BotState, facts: CustomerFacts) -> Reply:
        question = self.current_question(state, facts)
        assert question is not None
        buttons = [Button("Fill in the form", ButtonAction.FORM)]
        if question.skippable:
            buttons.insert(0, Button("Skip", ButtonAction.SKIP, question.id))
        return Reply(ReplyKind.TRIAGE_QUESTION, question.prompt, tuple(buttons))

    def answer(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn:
        question = self.current_question(state, facts)
        if question is None:  # answered meanwhile (the form): hand over
            return self.handover_turn(state, self.reason(state), facts)
        if asks_to_cancel(text):
            left = self.leave(state)
            return BotTurn(left, (self._menu("OK, I won't hand you over. I'm here if you need anything else."),))
        if asks_for_human(text) and len(normalised_prefix(text).split()) <= _SHORT_REQUEST_WORDS:
            # "The customer can always type agent": hand over with what we have.
            return self.handover_turn(state, self.reason(state), facts)
        if asks_to_skip(text):
            if question.skippable:
                return self.record(state, question, None, "skipped", facts)
            return BotTurn(
                state,
                (
                    Reply(ReplyKind.NOTE, "I need an answer to this one, sorry."),
                    self.question_reply(state, facts),
                ),
            )
        value = text.strip()
        if question.validation and not question.validation.accepts(value):
            again = Reply(ReplyKind.NOTE, question.validation.message)
            return BotTurn(self._rejected(state), (again, self.question_reply(state, facts)))
        return self.record(state, question, value, "typed", facts)

    def record(
        self, state: BotState, question: TriageQuestion, value: str | None, source: str, facts: CustomerFacts
    ) -> BotTurn:
        answer = TriageAnswer(question.id, question.label, value, source)
        state = replace(state, triage_answers={**state.triage_answers, question.id: answer.to_json()})
        if self.current_question(state, facts) is None:
            return self.handover_turn(state, self.reason(state), facts)
        return BotTurn(state, (self.question_reply(state, facts),))

    def form_filled(self, state: BotState, answers: Mapping[str, str], facts: CustomerFacts) -> BotTurn:
        reason = EscalationReason(state.triage_reason) if state.triage_reason else EscalationReason.TRIAGE
        recorded = dict(state.triage_answers)
        for question in self.triage.questions:
            value = (answers.get(question.id) or "").strip()
            source = "form" if value else "skipped"
            recorded[question.id] = TriageAnswer(question.id, question.label, value or None, source).to_json()
        return self.handover_turn(replace(state, triage_answers=recorded), reason, facts)

    @staticmethod
    def leave(state: BotState) -> BotState:
        # "never mind": back to the bot; triage_first won't ask again until the next conversation.
        return replace(state, triage_reason=None, triage_answers={}, triage_done=True, handover_scenario=None)
