"""The likely cause: scoring causes on answers and phrases (core.diagnosis), and the bot's turn at a
diagnose step (sure, unsure, supervised)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from handoff_slack.core.bot import BotEngine, BotState, BotTurn, ButtonAction, CustomerFacts, Pressed, ReplyKind, Said
from handoff_slack.core.bot_config import (
    AnswerClue,
    BotConfig,
    Cause,
    Choice,
    Diagnose,
    EscalationConfig,
    FrustrationAction,
    FrustrationConfig,
    Scenario,
    Step,
    SupervisionConfig,
    SupervisionDefault,
    TriageConfig,
    TriageMode,
)
from handoff_slack.core.bot_turn import MAX_SCENARIO_TEXTS, SCENARIO_TEXT_LIMIT, CauseScore, Diagnosis
from handoff_slack.core.diagnosis import contains_phrase, diagnose, stem, words_of
from handoff_slack.core.states import EscalationReason

LIGHT = Step(
    "light",
    ask="Is the Wi-Fi light on?",
    choices=(Choice("On", "others"), Choice("Off", "others"), Choice("Blinking", "others")),
)
OTHERS = Step("others", ask="Do other devices connect?", choices=(Choice("Yes", "change"), Choice("No", "change")))
CHANGE = Step("change", ask="What changed recently?", goto="cause")


def cause(cause_id: str, *when: AnswerClue, said: Sequence[str] = (), said_weight: float = 1.0) -> Cause:
    return Cause(
        cause_id, cause_id.replace("_", " ").title(), f"Fix for {cause_id}.", tuple(when), tuple(said), said_weight
    )


def scenario(*causes: Cause, threshold: float = 0.5, supervised: bool | None = None) -> Scenario:
    return Scenario(
        "wifi",
        "Wi-Fi trouble",
        ("wifi not working", "cannot connect to wifi"),
        (LIGHT, OTHERS, CHANGE, Step("cause", diagnose=Diagnose(tuple(causes), threshold, "Not sure, handing over."))),
        supervised=supervised,
    )


SWITCHED_OFF = cause("switched_off", AnswerClue("light", ("Off",)), said=("airplane mode",))
OUTAGE = cause("outage", AnswerClue("others", ("No",), weight=2), AnswerClue("light", ("On", "Blinking")))
DRIVER = cause("driver", AnswerClue("light", ("On",)), AnswerClue("others", ("Yes",)), said=("driver", "update"))
WIFI = scenario(SWITCHED_OFF, OUTAGE, DRIVER)


def scored(
    answers: Mapping[str, str], texts: Sequence[str] = (), subject: Scenario = WIFI
) -> tuple[Diagnosis, dict[str, CauseScore]]:
    step = subject.steps[-1].diagnose
    assert step is not None
    found = diagnose(subject, step, answers, texts)
    everyone = {c.id: diagnose(subject, Diagnose((c,)), answers, texts).best for c in step.causes}
    return found, everyone


# -- words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("drivers", "driver"),
        ("updated", "update"),
        ("updating", "updates"),
        ("plugged", "plug"),
        ("batteries", "battery"),
    ],
)
def test_simple_word_forms_are_one_word(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_words_that_only_look_like_plurals_keep_their_ending() -> None:
    assert stem("access") == "access" and stem("wireless") == "wireless" and stem("yes") == "yes"


def test_phrases_match_whatever_the_case_punctuation_and_word_form() -> None:
    words = words_of("After the UPDATE, my Wi-Fi drivers seem broken!!")
    assert contains_phrase(words, "driver") and contains_phrase(words, "updated")
    assert contains_phrase(words, "wi-fi driver")  # several words: in order, next to each other
    assert not contains_phrase(words, "driver wifi")
    assert not contains_phrase(words, "airplane mode")
    assert not contains_phrase(words, "?!")  # no words: never matches


# -- scores ---------------------------------------------------------------------------------------


def test_a_cause_whose_conditions_are_all_met_scores_one() -> None:
    found, everyone = scored({"light": "On", "others": "Yes"})
    assert found.best.cause_id == "driver" and found.best.score == 1.0
    assert everyone["outage"].score == pytest.approx(1 / 3, abs=1e-3)  # "On" met (1), "No" not (2)
    assert everyone["switched_off"].score == 0.0


def test_a_choice_condition_compares_labels_ignoring_case_and_punctuation() -> None:
    _, everyone = scored({"light": "off!"})
    assert everyone["switched_off"].score == 1.0


def test_a_condition_may_accept_several_answers() -> None:
    _, on = scored({"light": "On", "others": "No"})
    _, blinking = scored({"light": "Blinking", "others": "No"})
    assert on["outage"].score == blinking["outage"].score == 1.0


def test_a_question_that_was_not_asked_counts_as_not_met() -> None:
    _, everyone = scored({"light": "On"})
    assert everyone["driver"].score == 0.5
    assert everyone["outage"].score == pytest.approx(1 / 3, abs=1e-3)


def test_weights_make_a_clue_count_more() -> None:
    _, everyone = scored({"light": "Off", "others": "No"})
    assert everyone["outage"].score == pytest.approx(2 / 3, abs=1e-3)  # others (2) met, light (1) not


def test_phrases_raise_a_score_when_heard_and_cost_nothing_when_not() -> None:
    _, quiet = scored({"light": "On", "others": "No"})
    _, heard = scored({"light": "On", "others": "No"}, ["I think it broke after an update"])
    assert quiet["driver"].score == 0.5  # light met, others not; no phrase heard: not counted
    assert heard["driver"].score == pytest.approx(2 / 3, abs=1e-3)  # (1 + 1) / (2 + 1)


def test_a_phrase_weight_counts_like_a_condition_weight() -> None:
    heavy = cause(
        "driver", AnswerClue("light", ("On",)), AnswerClue("others", ("Yes",)), said=("driver",), said_weight=2
    )
    _, everyone = scored({"light": "On", "others": "No"}, ["the driver?"], scenario(heavy))
    assert everyone["driver"].score == 0.75  # (1 + 2) / (2 + 2)


def test_a_cause_of_phrases_alone_scores_one_once_heard() -> None:
    words_only = cause("words_only", said=("flight mode", "airplane mode"))
    _, heard = scored({}, ["It's in Airplane-Mode I think"], scenario(words_only))
    _, quiet = scored({}, ["no idea"], scenario(words_only))
    assert heard["words_only"].score == 1.0 and quiet["words_only"].score == 0.0


def test_typed_answers_are_read_for_phrases_and_typed_conditions() -> None:
    typed = cause("typed", AnswerClue("change", ("new router", "moved desks")))
    _, everyone = scored(
        {"light": "On", "others": "Yes", "change": "We got a NEW ROUTER."}, (), scenario(typed, DRIVER)
    )
    assert everyone["typed"].score == 1.0
    assert everyone["typed"].evidence == ("What changed recently? → We got a NEW ROUTER.",)
    _, driver = scored({"light": "Off", "change": "driver update"})
    assert driver["driver"].evidence == ("said “driver”", "said “update”")


def test_evidence_names_the_question_and_answer_and_the_phrases_heard() -> None:
    found, _ = scored({"light": "On", "others": "Yes"}, ["Since the update, no wifi", "drivers maybe"])
    assert found.best.evidence == (
        "Is the Wi-Fi light on? → On",
        "Do other devices connect? → Yes",
        "said “driver”",
        "said “update”",
    )
    assert found.best.title == "Driver" and found.best.answer == "Fix for driver."


def test_a_long_typed_answer_is_shortened_in_the_evidence() -> None:
    typed = cause("typed", AnswerClue("change", ("router",)))
    _, everyone = scored({"change": "the router " + "x" * 200}, (), scenario(typed))
    (line,) = everyone["typed"].evidence
    assert line.endswith("…") and len(line) < 130


def test_the_runner_up_is_the_second_best() -> None:
    found, _ = scored({"light": "On", "others": "No"})
    assert (found.best.cause_id, found.runner_up and found.runner_up.cause_id) == ("outage", "driver")
    assert found.runner_up is not None and found.runner_up.score == 0.5


def test_a_tie_goes_to_the_cause_listed_first_and_is_not_sure() -> None:
    first = cause("first", AnswerClue("light", ("On",)))
    second = cause("second", AnswerClue("light", ("On",)))
    found, _ = scored({"light": "On"}, (), scenario(first, second))
    assert found.best.cause_id == "first" and found.runner_up is not None and found.runner_up.cause_id == "second"
    assert found.best.score == found.runner_up.score == 1.0
    assert not found.sure


def test_sure_means_at_least_the_threshold_and_ahead() -> None:
    found, _ = scored({"light": "On"}, (), scenario(DRIVER, SWITCHED_OFF, threshold=0.5))
    assert found.best.score == 0.5 and found.threshold == 0.5 and found.sure
    found, _ = scored({"light": "On"}, (), scenario(DRIVER, SWITCHED_OFF, threshold=0.6))
    assert not found.sure
    nothing, _ = scored({}, (), scenario(DRIVER, SWITCHED_OFF, threshold=0.0))
    assert nothing.best.score == 0.0 and not nothing.sure  # no evidence at all is never sure


def test_one_cause_has_no_runner_up() -> None:
    found, _ = scored({"light": "Off"}, (), scenario(SWITCHED_OFF))
    assert found.runner_up is None and found.sure


def test_a_causes_answer_quotes_typed_answers() -> None:
    quoting = Cause("q", "Q", "You said: {change}.", (AnswerClue("light", ("On",)),))
    found, _ = scored({"light": "On", "change": "new router"}, (), scenario(quoting))
    assert found.best.answer == "You said: new router."


# -- the bot's turn at a diagnose step --------------------------------------------------------------


def engine(subject: Scenario, supervised_default: bool = False) -> BotEngine:
    supervision = SupervisionConfig(default=SupervisionDefault.ALL if supervised_default else SupervisionDefault.OFF)
    return BotEngine(
        BotConfig(
            scenarios=(subject,),
            triage=TriageConfig(mode=TriageMode.OFF),
            escalation=EscalationConfig(frustration=FrustrationConfig(action=FrustrationAction.OFF)),
            supervision=supervision,
        )
    )


def talk(bot: BotEngine, *inputs: str | Pressed) -> BotTurn:
    """Each input in order, the state carried through JSON as the database keeps it."""
    turn = BotTurn(BotState())
    for received in inputs:
        saved = BotState.from_json(turn.state.to_json())
        turn = bot.respond(saved, Said(received) if isinstance(received, str) else received, CustomerFacts())
    return turn


def test_unsupervised_and_sure_the_best_causes_answer_is_sent_like_an_answer_step() -> None:
    turn = talk(engine(WIFI), "my wifi is not working", "On", "Yes", "nothing much")
    assert [r.kind for r in turn.replies] == [ReplyKind.ANSWER]
    assert turn.replies[0].text == "Fix for driver."
    assert [b.action for b in turn.replies[0].buttons] == [ButtonAction.MENU, ButtonAction.TALK_TO_AGENT]
    assert turn.handover is None and turn.proposal is None
    assert turn.state.scenario_id is None and turn.state.scenario_answers == {} and turn.state.scenario_texts == ()


def test_unsupervised_and_unsure_the_bot_says_so_and_hands_over() -> None:
    turn = talk(engine(scenario(DRIVER, OUTAGE, threshold=0.9)), "wifi not working", "Blinking", "Yes", "no idea")
    assert [r.text for r in turn.replies] == ["Not sure, handing over."]
    assert turn.handover is not None and turn.handover.reason is EscalationReason.DIAGNOSIS_UNSURE
    assert turn.proposal is None


def test_the_message_that_started_the_scenario_counts_for_phrases() -> None:
    words_only = cause("words_only", said=("airplane mode",))
    bot = engine(scenario(words_only, threshold=1.0))
    assert talk(bot, "wifi not working since I pressed airplane mode", "On", "Yes", "-").replies[0].text == (
        "Fix for words_only."
    )
    assert talk(bot, "wifi not working", "On", "Yes", "-").handover is not None


def test_an_unclear_reply_to_a_question_counts_for_phrases_too() -> None:
    words_only = cause("words_only", said=("driver",))
    bot = engine(scenario(words_only, threshold=1.0))
    turn = talk(bot, "wifi not working", "hmm it broke after a driver thing", "On", "Yes", "-")
    assert turn.replies[0].text == "Fix for words_only."


def test_a_did_you_mean_guess_keeps_the_request_for_the_diagnosis() -> None:
    words_only = cause("words_only", said=("driver",))
    bot = engine(scenario(words_only, threshold=1.0))
    asked = talk(bot, "my wifi driver is not great")  # a weak match: "did you mean"
    assert asked.replies[0].kind is ReplyKind.SUGGESTIONS
    by_yes = talk(bot, "my wifi driver is not great", "yes", "On", "Yes", "-")
    by_button = talk(bot, "my wifi driver is not great", Pressed(ButtonAction.SCENARIO, "wifi"), "On", "Yes", "-")
    from_menu = talk(bot, "menu", Pressed(ButtonAction.SCENARIO, "wifi"), "On", "Yes", "-")
    assert by_yes.replies[0].text == by_button.replies[0].text == "Fix for words_only."
    assert from_menu.handover is not None


def test_supervised_the_best_cause_is_proposed_with_the_diagnosis_and_answers() -> None:
    turn = talk(engine(scenario(SWITCHED_OFF, OUTAGE, DRIVER, supervised=True)), "wifi not working", "On", "No", "-")
    assert [r.kind for r in turn.replies] == [ReplyKind.NOTE]  # "checking": nothing of the answer is sent
    assert turn.handover is None
    proposal = turn.proposal
    assert proposal is not None and proposal.scenario_id == "wifi" and proposal.scenario_title == "Wi-Fi trouble"
    assert proposal.text == "Fix for outage."
    assert proposal.answers == (
        ("Is the Wi-Fi light on?", "On"),
        ("Do other devices connect?", "No"),
        ("What changed recently?", "-"),
    )
    diagnosis = proposal.diagnosis
    assert diagnosis is not None and diagnosis.sure
    assert (diagnosis.best.cause_id, diagnosis.best.score) == ("outage", 1.0)
    assert diagnosis.best.evidence == ("Do other devices connect? → No", "Is the Wi-Fi light on? → On")
    assert diagnosis.runner_up is not None and diagnosis.runner_up.cause_id == "driver"
    assert diagnosis.runner_up.answer == "Fix for driver."


def test_supervised_and_unsure_the_best_guess_is_still_proposed_marked_unsure() -> None:
    bot = engine(scenario(DRIVER, OUTAGE, threshold=0.9), supervised_default=True)
    turn = talk(bot, "wifi not working", "Blinking", "Yes", "-")
    assert turn.handover is None and turn.proposal is not None and turn.proposal.diagnosis is not None
    assert not turn.proposal.diagnosis.sure
    assert turn.proposal.text == turn.proposal.diagnosis.best.answer


def test_the_scenario_texts_survive_json_and_stay_bounded() -> None:
    state = BotState()
    for index in range(MAX_SCENARIO_TEXTS + 3):
        state = state.wrote(f"message {index} " + "x" * SCENARIO_TEXT_LIMIT)
    assert len(state.scenario_texts) == MAX_SCENARIO_TEXTS
    assert all(len(text) == SCENARIO_TEXT_LIMIT for text in state.scenario_texts)
    assert state.scenario_texts[-1].startswith(f"message {MAX_SCENARIO_TEXTS + 2} ")
    assert BotState.from_json(state.to_json()) == state
    assert BotState.from_json({"scenario_answers": {}}).scenario_texts == ()  # saved before the field existed
