"""The bot's side of a conversation in bot mode: menus, scenarios, triage and the ways to escalate.

`BotEngine.respond` is a pure step: (saved state, what the customer did, what Slack knows about
them) → (new state, replies, maybe a hand-off). The helpdesk saves the state with the message in
one transaction, so a restart mid-scenario or mid-triage carries on where it was; the Slack edge
renders the replies. Nothing here knows about Slack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from handoff_slack.core.bot_config import (
    BotConfig,
    FrustrationAction,
    Scenario,
    Step,
    TriageMode,
    TriageQuestion,
)
from handoff_slack.core.bot_turn import (
    BotInput,
    BotResponder,
    BotState,
    BotTurn,
    Button,
    ButtonAction,
    CustomerFacts,
    FormFilled,
    Handover,
    Pressed,
    Reply,
    ReplyKind,
    Said,
    TriageAnswer,
)
from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.phrases import (
    asks_for_human,
    asks_for_menu,
    asks_to_cancel,
    asks_to_skip,
    normalised_prefix,
    read_prefix,
    says_no,
    says_yes,
)
from handoff_slack.core.scenario_matching import MatchKind, MessageWords, match_scenario
from handoff_slack.core.states import EscalationReason

# The turn's values are defined in core.bot_turn; importing them from here keeps working.
__all__ = [
    "BotEngine",
    "BotInput",
    "BotResponder",
    "BotState",
    "BotTurn",
    "Button",
    "ButtonAction",
    "CustomerFacts",
    "FormFilled",
    "Handover",
    "Pressed",
    "Reply",
    "ReplyKind",
    "Said",
    "TriageAnswer",
]

_CHOICE_SIMILARITY = 0.8
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]{1,40})\}")
_MAX_QUOTED_ANSWER = 200
_SHORT_REQUEST_WORDS = 5  # "agent", "a human please": a request, not an answer to a question


# -- the engine ---------------------------------------------------------------------------------


class BotEngine:
    def __init__(self, config: BotConfig | None = None, detector: FrustrationDetector | None = None) -> None:
        self.config = config or BotConfig()
        settings = self.config.escalation.frustration
        self.detector = detector or FrustrationDetector(
            window=settings.window,
            threshold=settings.threshold,
            # On: TextBlob loads now, not in the first customer's request. Off: it never loads.
            preload=settings.action is not FrustrationAction.OFF,
        )

    @property
    def needs_customer_facts(self) -> bool:
        """Whether any triage question is filled in from Slack (else nobody needs to look)."""
        triage = self.config.triage
        return triage.mode is not TriageMode.OFF and any(q.prefill for q in triage.questions)

    # The menu, and the replies every path shares.

    def menu(self, text: str | None = None) -> Reply:
        buttons = [Button(s.title, ButtonAction.SCENARIO, s.id) for s in self.config.scenarios]
        buttons.append(self._talk_button(EscalationReason.MENU))
        return Reply(ReplyKind.MENU, text or self.config.greeting, tuple(buttons))

    def _talk_button(self, reason: EscalationReason) -> Button:
        # Its value is the ticket's reason: "menu" wherever the customer chose it themselves.
        return Button(self.config.talk_to_agent_label, ButtonAction.TALK_TO_AGENT, reason.value)

    def respond(self, state: BotState, received: BotInput, facts: CustomerFacts) -> BotTurn:
        if isinstance(received, Said):
            return self._said(state, received.text, facts)
        if isinstance(received, FormFilled):
            return self._form_filled(state, received.answers, facts)
        return self._pressed(state, received, facts)

    def form_errors(self, answers: Mapping[str, str]) -> dict[str, str]:
        """Question ID → what's wrong, for the triage form (checked before it is accepted)."""
        errors: dict[str, str] = {}
        for question in self.config.triage.questions:
            value = (answers.get(question.id) or "").strip()
            if not value:
                if not question.skippable:
                    errors[question.id] = "Please answer this one."
            elif question.validation and not question.validation.accepts(value):
                errors[question.id] = question.validation.message
        return errors

    def form_questions(self, state: BotState, facts: CustomerFacts) -> list[tuple[TriageQuestion, str | None]]:
        """The triage questions with what is known so far, to fill the form with."""
        known = self._known_answers(state, facts)
        return [(q, known[q.id].answer if q.id in known else None) for q in self.config.triage.questions]

    # Typed messages.

    def _said(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn:
        first_contact = not state.greeted
        state, frustrated = self._read_mood(replace(state, greeted=True), text)
        if state.in_triage:
            return self._triage_answer(state, text, facts)
        if self._starts_with_triage(state):
            return self._hand_over(state, EscalationReason.TRIAGE, facts)
        if asks_for_human(text):
            return self._hand_over(state, EscalationReason.ASKED_FOR_HUMAN, facts)
        if frustrated and self.config.escalation.frustration.action is FrustrationAction.ESCALATE:
            return self._hand_over(state, EscalationReason.FRUSTRATION, facts)
        turn = self._converse(state, text, facts, first_contact)
        if frustrated and turn.handover is None and not turn.state.offered:
            offer = Reply(
                ReplyKind.OFFER,
                "I'm sorry this is frustrating. Would you like to talk to a person?",
                (
                    Button("Yes, talk to a person", ButtonAction.TALK_TO_AGENT, EscalationReason.FRUSTRATION.value),
                    Button("No thanks", ButtonAction.NO_THANKS),
                ),
            )
            turn = replace(turn, state=replace(turn.state, offered=True), replies=(*turn.replies, offer))
        return turn

    def _read_mood(self, state: BotState, text: str) -> tuple[BotState, bool]:
        """Add the message to the window; True when it tips the customer into frustration (once)."""
        settings = self.config.escalation.frustration
        # Only the part the detector reads is kept: the state is saved with every turn.
        recent = (*state.recent, read_prefix(text))[-max(settings.window, 1) :]
        state = replace(state, recent=recent)
        if settings.action is FrustrationAction.OFF:
            return state, False
        reading = self.detector.read(recent)
        state = replace(state, frustration_score=reading.score)
        if not reading.frustrated:
            return replace(state, offered=False), False  # calmed down: a later spell may be offered again
        return state, not state.offered

    def _converse(self, state: BotState, text: str, facts: CustomerFacts, first_contact: bool = False) -> BotTurn:
        if asks_for_menu(text):
            return BotTurn(self._fresh(state), (self.menu(),))
        if state.scenario_id is not None:
            turn = self._scenario_answer(state, text, facts)
            if turn is not None:
                return turn
        if state.suggestions:
            if says_yes(text) and len(state.suggestions) == 1:
                return self._run_scenario(self._fresh(state), state.suggestions[0], facts)
            if says_no(text):
                return self._no_match(replace(state, suggestions=()), facts)
        config = self.config.escalation
        found = match_scenario(text, self.config.scenarios, config.match_threshold, config.suggest_threshold)
        if found.kind is MatchKind.HIT:
            return self._run_scenario(self._fresh(state), found.scenario_ids[0], facts)
        if found.kind is MatchKind.SUGGEST:
            titles = [self._scenario(sid).title for sid in found.scenario_ids]
            question = "Did you mean " + " or ".join(f"*{t}*" for t in titles) + "?"
            buttons = [Button(t, ButtonAction.SCENARIO, sid) for t, sid in zip(titles, found.scenario_ids, strict=True)]
            buttons.append(self._talk_button(EscalationReason.MENU))
            return BotTurn(
                replace(state, scenario_id=None, step_id=None, suggestions=found.scenario_ids),
                (Reply(ReplyKind.SUGGESTIONS, question, tuple(buttons)),),
            )
        if first_contact:  # "hey, quick question": a greeting and the menu, not "can't help"
            return BotTurn(state, (self.menu(),))
        return self._no_match(state, facts)

    def _no_match(self, state: BotState, facts: CustomerFacts) -> BotTurn:
        misses = state.misses + 1
        state = replace(state, misses=misses, suggestions=(), scenario_id=None, step_id=None)
        limit = self.config.escalation.no_match_limit
        if limit and misses >= limit:
            return self._hand_over(state, EscalationReason.NO_SCENARIO, facts)
        # "Talk to an agent" last, as in every menu.
        buttons = [Button("Show the menu", ButtonAction.MENU), self._talk_button(EscalationReason.MENU)]
        return BotTurn(state, (Reply(ReplyKind.NO_MATCH, self.config.no_match, tuple(buttons)),))

    @staticmethod
    def _fresh(state: BotState) -> BotState:
        """Out of any scenario, guess or run of misses (mood and triage kept)."""
        return replace(state, scenario_id=None, step_id=None, scenario_answers={}, misses=0, suggestions=())

    # Scenarios.

    def _run_scenario(self, state: BotState, scenario_id: str, facts: CustomerFacts) -> BotTurn:
        scenario = self.config.scenario(scenario_id)
        if scenario is None or not scenario.steps:  # a button from before the config changed
            return BotTurn(self._fresh(state), (self.menu("I can't do that one any more. Here's what I can do:"),))
        return self._enter_step(
            replace(self._fresh(state), scenario_id=scenario.id), scenario, scenario.steps[0], facts
        )

    def _enter_step(self, state: BotState, scenario: Scenario, step: Step, facts: CustomerFacts) -> BotTurn:
        if step.is_question:
            buttons = tuple(
                Button(c.label, ButtonAction.CHOICE, f"{scenario.id}:{step.id}:{i}") for i, c in enumerate(step.choices)
            )
            state = replace(state, scenario_id=scenario.id, step_id=step.id)
            return BotTurn(state, (Reply(ReplyKind.QUESTION, self._fill(step.ask or "", state), buttons),))
        answer = Reply(
            ReplyKind.ANSWER,
            self._fill(step.answer or "", state),
            ()
            if step.escalate
            else (Button("Show the menu", ButtonAction.MENU), self._talk_button(EscalationReason.MENU)),
        )
        done = replace(self._fresh(state), scenario_answers={})
        if step.escalate:
            handed = self._hand_over(done, EscalationReason.SCENARIO, facts)
            return replace(handed, replies=(answer, *handed.replies))
        return BotTurn(done, (answer,))

    def _scenario_answer(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn | None:
        """The customer's answer to an open scenario question; None when it no longer applies."""
        scenario = self.config.scenario(state.scenario_id or "")
        step = scenario.step(state.step_id or "") if scenario else None
        if scenario is None or step is None or not step.is_question:
            return None
        if asks_to_cancel(text):
            return BotTurn(self._fresh(state), (self.menu("OK, let's leave that. Anything else?"),))
        if step.choices:
            chosen = self._typed_choice(step, text)
            if chosen is None:
                # Maybe they moved on to another request; if not, ask again.
                if self._strong_other_match(text, scenario):
                    return None
                again = self._enter_step(state, scenario, step, facts)
                note = Reply(ReplyKind.NOTE, "Please pick one of the options below.")
                return replace(again, replies=(note, *again.replies))
            return self._go(state, scenario, chosen, facts)
        if step.expect is not None and not step.expect.accepts(text):
            if self._strong_other_match(text, scenario):
                return None
            again = self._enter_step(state, scenario, step, facts)
            return replace(again, replies=(Reply(ReplyKind.NOTE, step.expect.message), *again.replies))
        answers = {**state.scenario_answers, step.id: text.strip()[:_MAX_QUOTED_ANSWER]}
        return self._go(replace(state, scenario_answers=answers), scenario, step.goto or "", facts)

    def _go(self, state: BotState, scenario: Scenario, step_id: str, facts: CustomerFacts) -> BotTurn:
        step = scenario.step(step_id)
        if step is None:
            return BotTurn(self._fresh(state), (self.menu(),))
        return self._enter_step(state, scenario, step, facts)

    @staticmethod
    def _typed_choice(step: Step, text: str) -> str | None:
        words = MessageWords(normalised_prefix(text).split())
        typed = " ".join(words.words)
        best, best_score = None, 0.0
        for choice in step.choices:
            score = 1.0 if typed == normalised_prefix(choice.label) else words.trigger_score(choice.label)
            if score > best_score:
                best, best_score = choice.goto, score
        return best if best_score >= _CHOICE_SIMILARITY else None

    def _strong_other_match(self, text: str, current: Scenario) -> bool:
        config = self.config.escalation
        others = [s for s in self.config.scenarios if s.id != current.id]
        return match_scenario(text, others, config.match_threshold, config.suggest_threshold).kind is MatchKind.HIT

    @staticmethod
    def _fill(template: str, state: BotState) -> str:
        return _PLACEHOLDER.sub(lambda m: state.scenario_answers.get(m.group(1), m.group(0)), template)

    # Buttons.

    def _pressed(self, state: BotState, pressed: Pressed, facts: CustomerFacts) -> BotTurn:
        action = pressed.action
        if action is ButtonAction.TALK_TO_AGENT:
            try:
                reason = EscalationReason(pressed.value)
            except ValueError:
                reason = EscalationReason.MENU
            if state.in_triage:  # pressed again while answering: carry on with the questions
                return BotTurn(state, (self._triage_question_reply(state, facts),))
            return self._hand_over(state, reason, facts)
        if action is ButtonAction.SKIP:
            current = self._current_question(state, facts)
            if state.in_triage and current is not None and current.id == pressed.value and current.skippable:
                return self._record(state, current, None, "skipped", facts)
            return BotTurn(state, (self._triage_question_reply(state, facts),) if state.in_triage else ())
        if state.in_triage:
            # Any other bot button means they'd rather use the bot: leave the triage.
            state = self._leave_triage(state)
        if action is ButtonAction.SCENARIO:
            return self._run_scenario(state, pressed.value, facts)
        if action is ButtonAction.CHOICE:
            scenario_id, _, rest = pressed.value.partition(":")
            step_id, _, index = rest.partition(":")
            scenario = self.config.scenario(scenario_id)
            step = scenario.step(step_id) if scenario else None
            if scenario is None or step is None or not index.isdigit() or int(index) >= len(step.choices):
                return BotTurn(self._fresh(state), (self.menu("That option has expired. Here's what I can do:"),))
            state = replace(state, scenario_id=scenario.id, step_id=step.id)
            return self._go(state, scenario, step.choices[int(index)].goto, facts)
        if action is ButtonAction.NO_THANKS:
            return BotTurn(replace(state, offered=True), (Reply(ReplyKind.NOTE, "OK! I'm still here to help."),))
        return BotTurn(self._fresh(state), (self.menu(),))  # MENU, FORM (opened at the edge), anything else

    # Triage and hand-over.

    def _scenario(self, scenario_id: str) -> Scenario:
        """A scenario the matcher found (its IDs come from the configuration: it exists)."""
        scenario = self.config.scenario(scenario_id)
        if scenario is None:
            raise KeyError(scenario_id)
        return scenario

    @staticmethod
    def _triage_reason(state: BotState) -> EscalationReason:
        """Why the customer is being triaged (set when triage starts; the menu button otherwise)."""
        return EscalationReason(state.triage_reason or EscalationReason.MENU)

    def _starts_with_triage(self, state: BotState) -> bool:
        triage = self.config.triage
        return triage.mode is TriageMode.TRIAGE_FIRST and bool(triage.questions) and not state.triage_done

    def _hand_over(self, state: BotState, reason: EscalationReason, facts: CustomerFacts) -> BotTurn:
        """Hand over now, or first ask the triage questions that Slack can't answer for us."""
        triage = self.config.triage
        if triage.mode is TriageMode.OFF or not triage.questions:
            return self._handover_turn(state, reason, facts)
        state = replace(self._fresh(state), triage_reason=reason.value)
        if self._current_question(state, facts) is None:  # everything already known
            return self._handover_turn(state, reason, facts)
        intro = Reply(ReplyKind.NOTE, triage.intro) if triage.intro else None
        first = self._triage_question_reply(state, facts)
        return BotTurn(state, (intro, first) if intro else (first,))

    def _handover_turn(self, state: BotState, reason: EscalationReason, facts: CustomerFacts) -> BotTurn:
        known = self._known_answers(state, facts)
        answers = tuple(
            known.get(q.id) or TriageAnswer(q.id, q.label, None, "not_asked")
            for q in self.config.triage.questions
            if self.config.triage.mode is not TriageMode.OFF
        )
        handover = Handover(reason, answers, state.frustration_score)
        # The next time they're back with the bot, it starts afresh (a new conversation).
        return BotTurn(BotState(triage_done=True), (), handover)

    def _known_answers(self, state: BotState, facts: CustomerFacts) -> dict[str, TriageAnswer]:
        known = {qid: TriageAnswer.from_json(data) for qid, data in state.triage_answers.items()}
        for question in self.config.triage.questions:
            prefilled = facts.value_for(question.prefill)
            if question.id not in known and prefilled:
                known[question.id] = TriageAnswer(question.id, question.label, prefilled, "slack")
        return known

    def _current_question(self, state: BotState, facts: CustomerFacts) -> TriageQuestion | None:
        known = self._known_answers(state, facts)
        return next((q for q in self.config.triage.questions if q.id not in known), None)

    def _triage_question_reply(self, state: BotState, facts: CustomerFacts) -> Reply:
        question = self._current_question(state, facts)
        assert question is not None
        buttons = [Button("Fill in the form", ButtonAction.FORM)]
        if question.skippable:
            buttons.insert(0, Button("Skip", ButtonAction.SKIP, question.id))
        return Reply(ReplyKind.TRIAGE_QUESTION, question.prompt, tuple(buttons))

    def _triage_answer(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn:
        question = self._current_question(state, facts)
        if question is None:  # answered meanwhile (the form): hand over
            return self._handover_turn(state, self._triage_reason(state), facts)
        if asks_to_cancel(text):
            left = self._leave_triage(state)
            return BotTurn(left, (self.menu("OK, I won't hand you over. I'm here if you need anything else."),))
        if asks_for_human(text) and len(normalised_prefix(text).split()) <= _SHORT_REQUEST_WORDS:
            # "The customer can always type agent": hand over with what we have.
            return self._handover_turn(state, self._triage_reason(state), facts)
        if asks_to_skip(text):
            if question.skippable:
                return self._record(state, question, None, "skipped", facts)
            return BotTurn(
                state,
                (
                    Reply(ReplyKind.NOTE, "I need an answer to this one, sorry."),
                    self._triage_question_reply(state, facts),
                ),
            )
        value = text.strip()
        if question.validation and not question.validation.accepts(value):
            again = Reply(ReplyKind.NOTE, question.validation.message)
            return BotTurn(state, (again, self._triage_question_reply(state, facts)))
        return self._record(state, question, value, "typed", facts)

    def _record(
        self, state: BotState, question: TriageQuestion, value: str | None, source: str, facts: CustomerFacts
    ) -> BotTurn:
        answer = TriageAnswer(question.id, question.label, value, source)
        state = replace(state, triage_answers={**state.triage_answers, question.id: answer.to_json()})
        if self._current_question(state, facts) is None:
            return self._handover_turn(state, self._triage_reason(state), facts)
        return BotTurn(state, (self._triage_question_reply(state, facts),))

    def _form_filled(self, state: BotState, answers: Mapping[str, str], facts: CustomerFacts) -> BotTurn:
        reason = EscalationReason(state.triage_reason) if state.triage_reason else EscalationReason.TRIAGE
        recorded = dict(state.triage_answers)
        for question in self.config.triage.questions:
            value = (answers.get(question.id) or "").strip()
            source = "form" if value else "skipped"
            recorded[question.id] = TriageAnswer(question.id, question.label, value or None, source).to_json()
        return self._handover_turn(replace(state, triage_answers=recorded), reason, facts)

    @staticmethod
    def _leave_triage(state: BotState) -> BotState:
        # "never mind": back to the bot; triage_first won't ask again until the next conversation.
        return replace(state, triage_reason=None, triage_answers={}, triage_done=True)
