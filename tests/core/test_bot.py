"""The bot engine as a pure step: state + what the customer did → replies, new state, maybe a hand-off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from handoff_slack.core.bot import (
    BotEngine,
    BotState,
    BotTurn,
    ButtonAction,
    CustomerFacts,
    FormFilled,
    Pressed,
    ReplyKind,
    Said,
)
from handoff_slack.core.bot_config import (
    BotConfig,
    Choice,
    EscalationConfig,
    FrustrationAction,
    FrustrationConfig,
    Prefill,
    Scenario,
    Step,
    TriageConfig,
    TriageMode,
    TriageQuestion,
    Validation,
)
from handoff_slack.core.frustration import FrustrationReading
from handoff_slack.core.phrases import READ_LIMIT
from handoff_slack.core.states import EscalationReason

HOURS = Scenario("hours", "Opening hours", ("opening hours", "when are you open"), (Step("answer", answer="9 to 5."),))
PASSWORD = Scenario(
    "password",
    "Reset my password",
    ("forgot my password", "reset password"),
    (
        Step("email", ask="Can you still read your e-mail?", choices=(Choice("Yes", "link"), Choice("No", "verify"))),
        Step("link", answer="Use the reset link."),
        Step("verify", answer="A person must check who you are.", escalate=True),
    ),
)
ORDERS = Scenario(
    "orders",
    "Where is my order?",
    ("where is my order", "order status"),
    (
        Step("number", ask="What's the order number?", expect=Validation(r"#?\d{4,}", "Numbers only."), goto="done"),
        Step("done", answer="Order {number} is on its way."),
    ),
)
NAME = TriageQuestion("name", "Name", "What's your name?", prefill=Prefill.PROFILE_NAME)
COMPANY = TriageQuestion("company", "Company", "Which company?", prefill=Prefill.ORGANISATION, skippable=True)
EMAIL = TriageQuestion("email", "E-mail", "Your e-mail?", validation=Validation.email())
PROBLEM = TriageQuestion("problem", "Problem", "What's wrong?", multiline=True)
NOBODY = CustomerFacts()
OFF = FrustrationConfig(action=FrustrationAction.OFF)


def engine(
    triage: TriageMode = TriageMode.OFF,
    questions: Sequence[TriageQuestion] = (NAME, COMPANY, EMAIL, PROBLEM),
    no_match_limit: int = 2,
    frustration: FrustrationConfig = OFF,
    stuck: FrustrationAction = FrustrationAction.OFF,  # tests/core/test_stuck.py turns it on
) -> BotEngine:
    return BotEngine(
        BotConfig(
            scenarios=(HOURS, PASSWORD, ORDERS),
            triage=TriageConfig(mode=triage, questions=tuple(questions)),
            escalation=EscalationConfig(no_match_limit=no_match_limit, frustration=frustration, stuck=stuck),
        )
    )


def talk(bot: BotEngine, *texts: str, state: BotState | None = None, facts: CustomerFacts = NOBODY) -> BotTurn:
    """The turn after the last of `texts`, each answered in order (the state carried through JSON)."""
    turn = BotTurn(state or BotState())
    for text in texts:
        saved = BotState.from_json(turn.state.to_json())  # as the database keeps it
        turn = bot.respond(saved, Said(text), facts)
    return turn


def kinds(turn: BotTurn) -> list[ReplyKind]:
    return [reply.kind for reply in turn.replies]


# -- menus and scenarios ------------------------------------------------------------------------


def test_menu_and_help_show_the_menu_with_talk_to_an_agent_last() -> None:
    for text in ("menu", "help", "Hi there!", "hello"):
        turn = talk(engine(), text)
        assert kinds(turn) == [ReplyKind.MENU]
        buttons = turn.replies[0].buttons
        assert [b.value for b in buttons] == ["hours", "password", "orders", "menu"]
        assert buttons[-1].action is ButtonAction.TALK_TO_AGENT


def test_a_fixed_answer() -> None:
    turn = talk(engine(), "what are your opening hours?")
    assert [r.text for r in turn.replies] == ["9 to 5."]
    assert turn.handover is None


def test_steps_branch_on_a_typed_choice_or_a_button() -> None:
    asked = talk(engine(), "I forgot my password")
    assert kinds(asked) == [ReplyKind.QUESTION]
    assert [b.label for b in asked.replies[0].buttons] == ["Yes", "No"]

    assert talk(engine(), "yes", state=asked.state).replies[0].text == "Use the reset link."
    pressed = engine().respond(asked.state, Pressed(ButtonAction.CHOICE, "password:email:0"), NOBODY)
    assert pressed.replies[0].text == "Use the reset link."


def test_an_unclear_choice_is_asked_again() -> None:
    turn = talk(engine(), "I forgot my password", "maybe")
    assert kinds(turn) == [ReplyKind.NOTE, ReplyKind.QUESTION]
    assert turn.state.step_id == "email"


def test_a_free_text_answer_is_checked_and_quoted() -> None:
    wrong = talk(engine(), "where is my order", "soon please")
    assert [r.text for r in wrong.replies][:1] == ["Numbers only."]

    done = talk(engine(), "where is my order", "#12345")
    assert done.replies[0].text == "Order #12345 is on its way."
    assert done.state.scenario_id is None


def test_a_scenario_can_end_by_handing_over() -> None:
    turn = talk(engine(), "I forgot my password", "no")
    assert turn.replies[0].text == "A person must check who you are."
    assert turn.handover is not None and turn.handover.reason is EscalationReason.SCENARIO


def test_a_new_request_in_the_middle_of_a_scenario_is_followed() -> None:
    turn = talk(engine(), "I forgot my password", "what are your opening hours")
    assert turn.replies[-1].text == "9 to 5."


def test_a_weak_match_asks_did_you_mean_and_yes_runs_it() -> None:
    guess = talk(engine(), "password")
    assert kinds(guess) == [ReplyKind.SUGGESTIONS]
    assert "Reset my password" in guess.replies[0].text
    assert [b.action for b in guess.replies[0].buttons] == [ButtonAction.SCENARIO, ButtonAction.TALK_TO_AGENT]

    assert kinds(talk(engine(), "yes", state=guess.state)) == [ReplyKind.QUESTION]


def test_a_first_message_the_bot_does_not_understand_gets_the_greeting() -> None:
    turn = talk(engine(), "hey, quick question")
    assert kinds(turn) == [ReplyKind.MENU] and turn.state.misses == 0


def test_a_miss_is_honest_and_the_second_in_a_row_hands_over() -> None:
    first = talk(engine(), "hi", "my printer is on fire")
    assert kinds(first) == [ReplyKind.NO_MATCH]
    assert first.replies[0].buttons[-1].action is ButtonAction.TALK_TO_AGENT
    assert first.handover is None

    second = talk(engine(), "hi", "my printer is on fire", "the toner smells odd")
    assert second.handover is not None and second.handover.reason is EscalationReason.NO_SCENARIO


def test_a_hit_between_misses_resets_the_count() -> None:
    turn = talk(engine(), "hi", "my printer is on fire", "opening hours", "the toner smells odd")
    assert turn.handover is None and turn.state.misses == 1


def test_no_match_limit_zero_never_hands_over_on_its_own() -> None:
    assert talk(engine(no_match_limit=0), *["gibberish text"] * 5).handover is None


def test_typing_agent_hands_over() -> None:
    turn = talk(engine(), "can I talk to a human")
    assert turn.handover is not None and turn.handover.reason is EscalationReason.ASKED_FOR_HUMAN


def test_a_stale_choice_button_still_works_and_a_vanished_one_shows_the_menu() -> None:
    works = engine().respond(BotState(), Pressed(ButtonAction.CHOICE, "password:email:1"), NOBODY)
    assert works.handover is not None
    gone = engine().respond(BotState(), Pressed(ButtonAction.CHOICE, "password:email:7"), NOBODY)
    assert kinds(gone) == [ReplyKind.MENU]


# -- triage ---------------------------------------------------------------------------------------


def test_before_handoff_asks_the_questions_then_hands_over_with_the_answers() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF)
    asked = talk(bot, "agent please")
    assert asked.handover is None
    assert kinds(asked) == [ReplyKind.NOTE, ReplyKind.TRIAGE_QUESTION]
    assert asked.replies[-1].text == "What's your name?"
    assert [b.action for b in asked.replies[-1].buttons] == [ButtonAction.FORM]

    done = talk(bot, "Ada", "skip", "ada@example.com", "The printer jams", state=asked.state)
    assert done.handover is not None
    assert done.handover.reason is EscalationReason.ASKED_FOR_HUMAN
    assert [(a.question_id, a.answer, a.source) for a in done.handover.triage] == [
        ("name", "Ada", "typed"),
        ("company", None, "skipped"),
        ("email", "ada@example.com", "typed"),
        ("problem", "The printer jams", "typed"),
    ]


def test_known_answers_are_filled_in_from_slack_not_asked() -> None:
    facts = CustomerFacts(name="Ada Lovelace", organisation="Acme Corp")
    turn = talk(engine(TriageMode.BEFORE_HANDOFF, questions=(NAME, COMPANY, PROBLEM)), "agent", facts=facts)
    assert turn.replies[-1].text == "What's wrong?"
    done = talk(
        engine(TriageMode.BEFORE_HANDOFF, questions=(NAME, COMPANY, PROBLEM)), "Jammed", state=turn.state, facts=facts
    )
    assert done.handover is not None
    assert [(a.answer, a.source) for a in done.handover.triage] == [
        ("Ada Lovelace", "slack"),
        ("Acme Corp", "slack"),
        ("Jammed", "typed"),
    ]


def test_everything_known_hands_over_at_once() -> None:
    facts = CustomerFacts(name="Ada", organisation="Acme")
    turn = talk(engine(TriageMode.BEFORE_HANDOFF, questions=(NAME, COMPANY)), "agent", facts=facts)
    assert turn.handover is not None and turn.replies == ()


def test_an_invalid_answer_is_explained_and_asked_again() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF, questions=(EMAIL,))
    turn = talk(bot, "agent", "not an address")
    assert [r.text for r in turn.replies] == [EMAIL.validation.message, "Your e-mail?"]  # type: ignore[union-attr]
    assert turn.handover is None


def test_a_question_that_cannot_be_skipped_is_asked_again() -> None:
    turn = talk(engine(TriageMode.BEFORE_HANDOFF, questions=(PROBLEM,)), "agent", "skip")
    assert turn.handover is None and turn.replies[-1].text == "What's wrong?"


def test_the_skip_button_skips_only_the_current_skippable_question() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF, questions=(COMPANY, PROBLEM))
    asked = talk(bot, "agent")
    skipped = bot.respond(asked.state, Pressed(ButtonAction.SKIP, "company"), NOBODY)
    assert skipped.replies[-1].text == "What's wrong?"
    ignored = bot.respond(skipped.state, Pressed(ButtonAction.SKIP, "problem"), NOBODY)
    assert ignored.replies[-1].text == "What's wrong?" and ignored.handover is None


def test_never_mind_during_triage_returns_to_the_bot() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF)
    turn = talk(bot, "agent", "Ada", "never mind")
    assert turn.handover is None and not turn.state.in_triage
    assert kinds(turn) == [ReplyKind.MENU]
    assert kinds(talk(bot, "opening hours", state=turn.state)) == [ReplyKind.ANSWER]


def test_typing_agent_during_triage_hands_over_with_what_is_known() -> None:
    turn = talk(engine(TriageMode.BEFORE_HANDOFF), "agent", "Ada", "agent")
    assert turn.handover is not None
    assert [a.source for a in turn.handover.triage] == ["typed", "not_asked", "not_asked", "not_asked"]


def test_triage_first_starts_every_new_conversation_with_the_questions() -> None:
    bot = engine(TriageMode.TRIAGE_FIRST, questions=(NAME, PROBLEM))
    asked = talk(bot, "hello")
    assert asked.replies[-1].text == "What's your name?"
    done = talk(bot, "Ada", "Printer jams", state=asked.state)
    assert done.handover is not None and done.handover.reason is EscalationReason.TRIAGE
    # After "never mind", the customer stays with the bot until their next conversation.
    declined = talk(bot, "hello", "never mind")
    assert kinds(talk(bot, "opening hours", state=declined.state)) == [ReplyKind.ANSWER]


def test_the_form_answers_everything_at_once() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF)
    asked = talk(bot, "agent")
    answers = {"name": "Ada", "company": "", "email": "ada@example.com", "problem": "Jams"}
    assert bot.form_errors(answers) == {}
    assert bot.form_errors({"name": "", "email": "nope", "problem": "x"}) == {
        "name": "Please answer this one.",
        "email": EMAIL.validation.message,  # type: ignore[union-attr]
    }
    done = bot.respond(asked.state, FormFilled(answers), NOBODY)
    assert done.handover is not None and done.handover.reason is EscalationReason.ASKED_FOR_HUMAN
    assert [(a.answer, a.source) for a in done.handover.triage] == [
        ("Ada", "form"),
        (None, "skipped"),
        ("ada@example.com", "form"),
        ("Jams", "form"),
    ]


def test_form_questions_carry_what_is_known() -> None:
    bot = engine(TriageMode.BEFORE_HANDOFF, questions=(NAME, COMPANY))
    asked = talk(bot, "agent", facts=CustomerFacts(organisation="Acme"))
    known = bot.form_questions(asked.state, CustomerFacts(organisation="Acme"))
    assert [(q.id, value) for q, value in known] == [("name", None), ("company", "Acme")]


# -- frustration ----------------------------------------------------------------------------------


class Always:
    """A detector that reads every conversation the same way."""

    def __init__(self, frustrated: bool, score: float = 0.8) -> None:
        self.reading = FrustrationReading(score, frustrated, ("test",))

    def read(self, messages: Sequence[str]) -> FrustrationReading:
        return self.reading


def frustrated_engine(action: FrustrationAction, frustrated: bool = True) -> BotEngine:
    bot = engine(frustration=FrustrationConfig(action=action))
    bot.detector = Always(frustrated)  # type: ignore[assignment]
    return bot


def test_offer_mode_answers_and_offers_a_person_once() -> None:
    bot = frustrated_engine(FrustrationAction.OFFER)
    turn = talk(bot, "what are your opening hours")
    assert kinds(turn) == [ReplyKind.ANSWER, ReplyKind.OFFER]
    assert [b.action for b in turn.replies[-1].buttons] == [ButtonAction.TALK_TO_AGENT, ButtonAction.NO_THANKS]
    assert turn.replies[-1].buttons[0].value == EscalationReason.FRUSTRATION.value
    assert kinds(talk(bot, "opening hours", state=turn.state)) == [ReplyKind.ANSWER]  # not again


def test_a_frustrated_customer_the_bot_cannot_help_gets_the_offer_without_the_apology_for_no_match() -> None:
    greeted = talk(frustrated_engine(FrustrationAction.OFFER, False), "hello").state
    turn = talk(frustrated_engine(FrustrationAction.OFFER), "I have explained this three times now", state=greeted)
    assert kinds(turn) == [ReplyKind.OFFER]  # not "Sorry, I can't help with that one" and then the offer
    assert turn.state.misses == greeted.misses + 1  # the miss still counts towards no_match_limit
    calm = talk(
        frustrated_engine(FrustrationAction.OFFER, False), "I have explained this three times now", state=greeted
    )
    assert kinds(calm) == [ReplyKind.NO_MATCH]


def test_accepting_the_offer_hands_over_for_frustration_with_the_score() -> None:
    bot = frustrated_engine(FrustrationAction.OFFER)
    offered = talk(bot, "what are your opening hours")
    turn = bot.respond(offered.state, Pressed(ButtonAction.TALK_TO_AGENT, "frustration"), NOBODY)
    assert turn.handover is not None
    assert (turn.handover.reason, turn.handover.frustration_score) == (EscalationReason.FRUSTRATION, 0.8)


def test_escalate_mode_hands_over_at_once() -> None:
    turn = talk(frustrated_engine(FrustrationAction.ESCALATE), "what are your opening hours")
    assert turn.handover is not None and turn.handover.reason is EscalationReason.FRUSTRATION
    assert turn.handover.frustration_score == 0.8


def test_calm_customers_get_no_offer() -> None:
    assert ReplyKind.OFFER not in kinds(talk(frustrated_engine(FrustrationAction.OFFER, False), "hours?"))


def test_the_window_keeps_only_the_latest_messages() -> None:
    bot = engine(no_match_limit=0, frustration=FrustrationConfig(window=2))
    assert talk(bot, "one", "two", "three").state.recent == ("two", "three")


def test_state_survives_the_database_round_trip() -> None:
    state = replace(talk(engine(TriageMode.BEFORE_HANDOFF), "agent", "Ada").state, suggestions=("hours",))
    assert BotState.from_json(state.to_json()) == state
    assert BotState.from_json(None) == BotState()


# -- long messages ----------------------------------------------------------------------------------

LONG_TAIL = " and then, much later in a very long paste, I forgot my password, agent, WHY!!!"


def pasted(opening: str, length: int = 160_000) -> str:
    """`opening`, filler up to the read limit, and a tail that would change the turn if it were read."""
    filler = " lorem ipsum dolor sit amet" * (READ_LIMIT // 20)
    return (opening + filler)[:READ_LIMIT] + (LONG_TAIL * (length // len(LONG_TAIL) + 1))[: length - READ_LIMIT]


@pytest.mark.parametrize(
    ("opening", "state"),
    [
        ("where is my order", BotState(greeted=True)),
        ("my printer is on fire", BotState(greeted=True, misses=1)),
        ("yes", BotState(greeted=True, scenario_id="password", step_id="email")),
        ("this is ridiculous", BotState(greeted=True, recent=("my order is late", "still late"))),
        ("x" * 5_000, BotState()),
    ],
    ids=["a trigger", "a second miss", "a typed choice", "frustration", "one long word"],
)
def test_the_turn_on_a_huge_message_is_the_turn_on_what_the_bot_reads(opening: str, state: BotState) -> None:
    bot = engine(frustration=FrustrationConfig(action=FrustrationAction.OFFER))
    huge = pasted(opening)
    assert len(huge) == 160_000
    on_huge, on_prefix = bot.respond(state, Said(huge), NOBODY), bot.respond(state, Said(huge[:READ_LIMIT]), NOBODY)
    assert (on_huge.replies, on_huge.handover, on_huge.state) == (
        on_prefix.replies,
        on_prefix.handover,
        on_prefix.state,
    )


def test_the_saved_state_keeps_only_what_the_bot_reads() -> None:
    bot = engine(frustration=FrustrationConfig(action=FrustrationAction.OFFER))
    turn = talk(bot, "hello", pasted("where is my order"), pasted("#48213"))
    assert [len(text) for text in turn.state.recent] == [5, READ_LIMIT, READ_LIMIT]


# -- the scenario a hand-over came from (routing: its skills) --------------------------------------


def test_a_hand_over_names_the_scenario_it_came_from_also_after_triage() -> None:
    escalated = talk(engine(), "forgot my password", "No")
    assert escalated.handover is not None and escalated.handover.scenario_id == "password"

    # With triage before the hand-over, the scenario is kept (through JSON) until the last answer.
    asked = engine(TriageMode.BEFORE_HANDOFF, questions=(EMAIL,))
    turn = talk(asked, "forgot my password", "No", "ana@example.com")
    assert turn.handover is not None and turn.handover.scenario_id == "password"
    assert turn.state.handover_scenario is None  # the next conversation starts afresh


def test_asking_for_a_person_mid_scenario_names_it_and_otherwise_none() -> None:
    mid = talk(engine(), "where is my order", "agent")
    assert mid.handover is not None and mid.handover.scenario_id == "orders"
    plain = talk(engine(), "agent")
    assert plain.handover is not None and plain.handover.scenario_id is None
    # "never mind" during triage forgets it: a later plain request names no scenario.
    asked = engine(TriageMode.BEFORE_HANDOFF, questions=(EMAIL,))
    left = talk(asked, "forgot my password", "No", "never mind")
    assert left.handover is None and left.state.handover_scenario is None
    later = talk(asked, "agent", "ana@example.com", state=left.state)
    assert later.handover is not None and later.handover.scenario_id is None
