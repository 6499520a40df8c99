"""The bot's side of a conversation in bot mode: menus, scenarios, triage and the ways to escalate.

`BotEngine.respond` is a pure step: (saved state, what the customer did, what Slack knows about
them) → (new state, replies, maybe a hand-off). The helpdesk saves the state with the message in
one transaction, so a restart mid-scenario or mid-triage carries on where it was; the Slack edge
renders the replies. Nothing here knows about Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from handoff_slack.core.bot_config import (
    BotConfig,
    Choice,
    Diagnose,
    FrustrationAction,
    Scenario,
    Step,
    TriageMode,
    TriageQuestion,
    fill,
)
from handoff_slack.core.bot_signals import FRUSTRATED_OFFER, ConversationSignals, offer
from handoff_slack.core.bot_triage import TriageFlow
from handoff_slack.core.bot_turn import (
    BotInput,
    BotResponder,
    BotState,
    BotTurn,
    Button,
    ButtonAction,
    CustomerFacts,
    Diagnosis,
    FormFilled,
    Handover,
    Pressed,
    Proposal,
    Reply,
    ReplyKind,
    Said,
    TriageAnswer,
)
from handoff_slack.core.channel_settings import ChannelSettings
from handoff_slack.core.diagnosis import diagnose
from handoff_slack.core.frustration import FrustrationDetector
from handoff_slack.core.phrases import (
    asks_for_human,
    asks_for_menu,
    asks_to_cancel,
    normalised_prefix,
    says_no,
    says_yes,
)
from handoff_slack.core.scenario_matching import MatchKind, MessageWords, match_scenario
from handoff_slack.core.states import EscalationReason
from handoff_slack.core.stuck import StuckEvent

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
_MAX_QUOTED_ANSWER = 200
_MAX_CHANNEL_ENGINES = 256


# -- the engine ---------------------------------------------------------------------------------


class BotEngine:
    def __init__(self, config: BotConfig | None = None, detector: FrustrationDetector | None = None) -> None:
        self.config = config or BotConfig()
        settings = self.config.escalation.frustration
        detector = detector or FrustrationDetector(
            window=settings.window,
            threshold=settings.threshold,
            # On: TextBlob loads now, not in the first customer's request. Off: it never loads.
            preload=settings.action is not FrustrationAction.OFF,
        )
        self.signals = ConversationSignals(self.config.escalation, detector)
        self.triage = TriageFlow(self.config.triage, self.menu, self._rejected)
        self._in_channels: dict[ChannelSettings, BotEngine] = {}

    @property
    def detector(self) -> FrustrationDetector:
        return self.signals.detector

    @detector.setter
    def detector(self, detector: FrustrationDetector) -> None:
        self.signals.detector = detector

    def in_channel(self, settings: ChannelSettings) -> BotEngine:
        """This bot with a served channel's own greeting and triage switch (core.channel_settings);
        one engine per distinct choice, sharing the frustration detector."""
        if settings.is_default:
            return self
        found = self._in_channels.get(settings)
        if found is None:
            triage = self.config.triage
            if settings.triage is not None:  # on: as configured, or before the hand-off if the YAML has it off
                on = triage.mode if triage.mode is not TriageMode.OFF else TriageMode.BEFORE_HANDOFF
                triage = replace(triage, mode=on if settings.triage else TriageMode.OFF)
            greeting = self.config.greeting if settings.greeting is None else settings.greeting
            found = BotEngine(replace(self.config, greeting=greeting, triage=triage), self.detector)
            if len(self._in_channels) >= _MAX_CHANNEL_ENGINES:  # bounded: a choice is cheap to build again
                self._in_channels.clear()
            self._in_channels[settings] = found
        return found

    @property
    def needs_customer_facts(self) -> bool:
        """Whether any triage question is filled in from Slack (else nobody needs to look)."""
        triage = self.config.triage
        return triage.mode is not TriageMode.OFF and any(q.prefill for q in triage.questions)

    # The menu, and the replies every path shares.

    def menu(self, text: str | None = None) -> Reply:
        buttons = [Button(s.title, ButtonAction.SCENARIO, s.id) for s in self.config.scenarios]
        buttons.append(self._talk_button(EscalationReason.MENU))
        return Reply(ReplyKind.MENU, text or self.config.greeting, tuple(buttons), greeting=not text)

    def _talk_button(self, reason: EscalationReason) -> Button:
        # Its value is the ticket's reason: "menu" wherever the customer chose it themselves.
        return Button(self.config.talk_to_agent_label, ButtonAction.TALK_TO_AGENT, reason.value)

    def respond(self, state: BotState, received: BotInput, facts: CustomerFacts) -> BotTurn:
        if isinstance(received, FormFilled):
            return self.triage.form_filled(state, received.answers, facts)
        if isinstance(received, Said):
            turn = self._said(
                self.signals.saw(state, StuckEvent.said(received.text, received.at)), received.text, facts
            )
        else:
            turn = self._pressed(state, received, facts)
        return self.signals.settle(turn, self.triage.hand_over, facts)

    def _rejected(self, state: BotState) -> BotState:
        """An answer to a triage or scenario question was rejected as malformed."""
        return self.signals.saw(state, StuckEvent.triage_rejected())

    def form_errors(self, answers: Mapping[str, str]) -> dict[str, str]:
        return self.triage.form_errors(answers)

    def form_questions(self, state: BotState, facts: CustomerFacts) -> list[tuple[TriageQuestion, str | None]]:
        return self.triage.form_questions(state, facts)

    # Typed messages.

    def _said(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn:
        first_contact = not state.greeted
        state, frustrated = self.signals.read_mood(replace(state, greeted=True), text)
        if state.in_triage:
            return self.triage.answer(state, text, facts)
        if self.triage.starts_first(state):
            return self.triage.hand_over(state, EscalationReason.TRIAGE, facts)
        if asks_for_human(text):
            return self.triage.hand_over(state, EscalationReason.ASKED_FOR_HUMAN, facts)
        if frustrated and self.config.escalation.frustration.action is FrustrationAction.ESCALATE:
            return self.triage.hand_over(state, EscalationReason.FRUSTRATION, facts)
        turn = self._converse(state, text, facts, first_contact)
        if frustrated and turn.handover is None and not turn.state.offered:
            offered = replace(turn.state, offered=True, signals=state.signals)
            # A frustrated customer gets the offer of a person, not "Sorry, I can't help with that one" before it.
            kept = tuple(reply for reply in turn.replies if reply.kind is not ReplyKind.NO_MATCH)
            turn = replace(turn, state=offered, replies=(*kept, offer(FRUSTRATED_OFFER, EscalationReason.FRUSTRATION)))
        return turn

    def _converse(self, state: BotState, text: str, facts: CustomerFacts, first_contact: bool = False) -> BotTurn:
        if asks_for_menu(text):
            return BotTurn(state.fresh(), (self.menu(),))
        if state.scenario_id is not None:
            turn = self._scenario_answer(state, text, facts)
            if turn is not None:
                return turn
        if state.suggestions:
            if says_yes(text) and len(state.suggestions) == 1:
                return self._run_scenario(state, state.suggestions[0], facts, state.scenario_texts)
            # "No", or asking again in other words instead of picking a guess: declined.
            state = self.signals.saw(state, StuckEvent.suggestion_declined())
            if says_no(text):
                return self._no_match(replace(state, suggestions=()), facts)
        config = self.config.escalation
        found = match_scenario(text, self.config.scenarios, config.match_threshold, config.suggest_threshold)
        if found.kind is MatchKind.HIT:
            return self._run_scenario(state, found.scenario_ids[0], facts, (text,))
        if found.kind is MatchKind.SUGGEST:
            titles = [self._scenario(sid).title for sid in found.scenario_ids]
            question = "Did you mean " + " or ".join(f"*{t}*" for t in titles) + "?"
            buttons = [Button(t, ButtonAction.SCENARIO, sid) for t, sid in zip(titles, found.scenario_ids, strict=True)]
            buttons.append(self._talk_button(EscalationReason.MENU))
            # The request is kept for a diagnosis in the scenario the customer then picks.
            asked = replace(state.fresh(), suggestions=found.scenario_ids, misses=state.misses)
            return BotTurn(
                asked.wrote(text),
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
            return self.triage.hand_over(state, EscalationReason.NO_SCENARIO, facts)
        # "Talk to an agent" last, as in every menu.
        buttons = [Button("Show the menu", ButtonAction.MENU), self._talk_button(EscalationReason.MENU)]
        return BotTurn(state, (Reply(ReplyKind.NO_MATCH, self.config.no_match, tuple(buttons)),))

    # Scenarios.

    def _run_scenario(
        self, state: BotState, scenario_id: str, facts: CustomerFacts, opening: tuple[str, ...] = ()
    ) -> BotTurn:
        """Start a scenario; `opening`: what the customer wrote that asked for it (for a diagnosis)."""
        scenario = self.config.scenario(scenario_id)
        if scenario is None or not scenario.steps:  # a button from before the config changed
            return BotTurn(state.fresh(), (self.menu("I can't do that one any more. Here's what I can do:"),))
        started = self.signals.saw(
            replace(state.fresh(), scenario_id=scenario.id), StuckEvent.scenario_started(scenario.id)
        )
        for text in opening:
            started = started.wrote(text)
        return self._enter_step(started, scenario, scenario.steps[0], facts)

    def _enter_step(self, state: BotState, scenario: Scenario, step: Step, facts: CustomerFacts) -> BotTurn:
        if step.is_question:
            buttons = tuple(
                Button(c.label, ButtonAction.CHOICE, f"{scenario.id}:{step.id}:{i}") for i, c in enumerate(step.choices)
            )
            state = replace(state, scenario_id=scenario.id, step_id=step.id)
            return BotTurn(state, (Reply(ReplyKind.QUESTION, fill(step.ask or "", state.scenario_answers), buttons),))
        done = state.fresh()
        if step.diagnose is not None:
            return self._diagnosed(done, scenario, state, step.diagnose, facts)
        answer = self.answer(fill(step.answer or "", state.scenario_answers), step.escalate)
        if step.escalate:
            handed = self.triage.hand_over(done, EscalationReason.SCENARIO, facts, scenario.id)
            return replace(handed, replies=(answer, *handed.replies))
        if self.config.is_supervised(scenario):
            return self._propose(done, scenario, state, answer.text)
        return BotTurn(done, (answer,))

    def answer(self, text: str, escalate: bool = False) -> Reply:
        """A scenario's answer as the customer gets it (also an approved proposal's, core.supervision)."""
        # An answer that hands over has no buttons: the hand-over follows at once.
        buttons = (
            () if escalate else (Button("Show the menu", ButtonAction.MENU), self._talk_button(EscalationReason.MENU))
        )
        return Reply(ReplyKind.ANSWER, text, buttons)

    def _diagnosed(
        self, done: BotState, scenario: Scenario, state: BotState, step: Diagnose, facts: CustomerFacts
    ) -> BotTurn:
        """A diagnose step: the likeliest cause's answer, or (unsure, unsupervised) a hand-over.

        Supervised, the best cause is always proposed, even when unsure: the agent sees its score and
        the runner-up beside it, and decides (Edit or Reject cover a wrong guess).
        """
        found = diagnose(scenario, step, state.scenario_answers, state.scenario_texts)
        if self.config.is_supervised(scenario):
            return self._propose(done, scenario, state, found.best.answer, found)
        if found.sure:
            return BotTurn(done, (self.answer(found.best.answer),))
        handed = self.triage.hand_over(done, EscalationReason.DIAGNOSIS_UNSURE, facts, scenario.id)
        return replace(handed, replies=(Reply(ReplyKind.NOTE, step.unsure), *handed.replies))

    def _propose(
        self, done: BotState, scenario: Scenario, state: BotState, text: str, diagnosis: Diagnosis | None = None
    ) -> BotTurn:
        """Supervised: the answer goes to an agent for approval; the customer is told a person is checking."""
        answers = tuple(
            (step.ask or step.id, state.scenario_answers[step.id])
            for step in scenario.steps
            if step.is_question and step.id in state.scenario_answers
        )
        proposal = Proposal(scenario.id, scenario.title, text, answers, diagnosis)
        checking = Reply(ReplyKind.NOTE, self.config.supervision.checking_message)
        return BotTurn(done, (checking,), proposal=proposal)

    def _scenario_answer(self, state: BotState, text: str, facts: CustomerFacts) -> BotTurn | None:
        """The customer's answer to an open scenario question; None when it no longer applies."""
        scenario = self.config.scenario(state.scenario_id or "")
        step = scenario.step(state.step_id or "") if scenario else None
        if scenario is None or step is None or not step.is_question:
            return None
        if asks_to_cancel(text):
            return BotTurn(state.fresh(), (self.menu("OK, let's leave that. Anything else?"),))
        state = state.wrote(text)  # even an unclear reply may name the symptom a diagnosis looks for
        if step.choices:
            chosen = self._typed_choice(step, text)
            if chosen is None:
                # Maybe they moved on to another request; if not, ask again.
                if self._strong_other_match(text, scenario):
                    return None
                again = self._enter_step(state, scenario, step, facts)
                note = Reply(ReplyKind.NOTE, "Please pick one of the options below.")
                return replace(again, replies=(note, *again.replies))
            return self._chose(state, scenario, step, chosen, facts)
        if step.expect is not None and not step.expect.accepts(text):
            if self._strong_other_match(text, scenario):
                return None
            again = self._enter_step(self._rejected(state), scenario, step, facts)
            return replace(again, replies=(Reply(ReplyKind.NOTE, step.expect.message), *again.replies))
        answers = {**state.scenario_answers, step.id: text.strip()[:_MAX_QUOTED_ANSWER]}
        return self._go(replace(state, scenario_answers=answers), scenario, step.goto or "", facts)

    def _go(self, state: BotState, scenario: Scenario, step_id: str, facts: CustomerFacts) -> BotTurn:
        step = scenario.step(step_id)
        if step is None:
            return BotTurn(state.fresh(), (self.menu(),))
        return self._enter_step(state, scenario, step, facts)

    def _chose(self, state: BotState, scenario: Scenario, step: Step, choice: Choice, facts: CustomerFacts) -> BotTurn:
        # Kept like a typed answer: a supervised proposal and a diagnosis show what was picked.
        answers = {**state.scenario_answers, step.id: choice.label}
        return self._go(replace(state, scenario_answers=answers), scenario, choice.goto, facts)

    @staticmethod
    def _typed_choice(step: Step, text: str) -> Choice | None:
        words = MessageWords(normalised_prefix(text).split())
        typed = " ".join(words.words)
        best, best_score = None, 0.0
        for choice in step.choices:
            score = 1.0 if typed == normalised_prefix(choice.label) else words.trigger_score(choice.label)
            if score > best_score:
                best, best_score = choice, score
        return best if best_score >= _CHOICE_SIMILARITY else None

    def _strong_other_match(self, text: str, current: Scenario) -> bool:
        config = self.config.escalation
        others = [s for s in self.config.scenarios if s.id != current.id]
        return match_scenario(text, others, config.match_threshold, config.suggest_threshold).kind is MatchKind.HIT

    # Buttons.

    def _pressed(self, state: BotState, pressed: Pressed, facts: CustomerFacts) -> BotTurn:
        action = pressed.action
        if action is ButtonAction.TALK_TO_AGENT:
            try:
                reason = EscalationReason(pressed.value)
            except ValueError:
                reason = EscalationReason.MENU
            if state.in_triage:  # pressed again while answering: carry on with the questions
                return BotTurn(state, (self.triage.question_reply(state, facts),))
            return self.triage.hand_over(state, reason, facts)
        if action is ButtonAction.SKIP:
            current = self.triage.current_question(state, facts)
            if state.in_triage and current is not None and current.id == pressed.value and current.skippable:
                return self.triage.record(state, current, None, "skipped", facts)
            return BotTurn(state, (self.triage.question_reply(state, facts),) if state.in_triage else ())
        if state.in_triage:
            # Any other bot button means they'd rather use the bot: leave the triage.
            state = self.triage.leave(state)
        if action is ButtonAction.SCENARIO:
            # A "did you mean" guess carries the request that raised it; a menu button starts afresh.
            opening = state.scenario_texts if pressed.value in state.suggestions else ()
            return self._run_scenario(state, pressed.value, facts, opening)
        if action is ButtonAction.CHOICE:
            scenario_id, _, rest = pressed.value.partition(":")
            step_id, _, index = rest.partition(":")
            scenario = self.config.scenario(scenario_id)
            step = scenario.step(step_id) if scenario else None
            if scenario is None or step is None or not index.isdigit() or int(index) >= len(step.choices):
                return BotTurn(state.fresh(), (self.menu("That option has expired. Here's what I can do:"),))
            state = replace(state, scenario_id=scenario.id, step_id=step.id)
            return self._chose(state, scenario, step, step.choices[int(index)], facts)
        if action is ButtonAction.NO_THANKS:
            return BotTurn(replace(state, offered=True), (Reply(ReplyKind.NOTE, "OK! I'm still here to help."),))
        return BotTurn(state.fresh(), (self.menu(),))  # MENU, FORM (opened at the edge), anything else

    def _scenario(self, scenario_id: str) -> Scenario:
        """A scenario the matcher found (its IDs come from the configuration: it exists)."""
        scenario = self.config.scenario(scenario_id)
        if scenario is None:
            raise KeyError(scenario_id)
        return scenario
