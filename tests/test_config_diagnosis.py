"""A scenario's `diagnose` step in the YAML file: read into the model, and each mistake named by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.bot_config import (
    DEFAULT_DIAGNOSIS_THRESHOLD,
    DEFAULT_UNSURE_MESSAGE,
    AnswerClue,
    Cause,
    Diagnose,
)
from tests.test_config_file import error_for, write

HEAD = """
scenarios:
  - id: wifi
    title: Wi-Fi
    triggers: [wifi]
    steps:
      - id: light
        ask: Is the light on?
        choices:
          - {label: "On", goto: typed}
          - {label: "Off", goto: typed}
      - id: typed
        ask: What changed?
        goto: cause
      - id: cause
        diagnose:
"""  # the diagnose step's keys start on line 16
CAUSES = "          causes:\n"  # line 16; the first cause's keys start on line 17
AT = "scenarios[0].steps[2].diagnose"


def with_cause(*lines: str) -> str:
    """HEAD, then one cause whose keys are `lines` (the first on line 17)."""
    return (
        HEAD
        + CAUSES
        + "".join(("            - " if i == 0 else "              ") + f"{line}\n" for i, line in enumerate(lines))
    )


def test_a_diagnose_step_is_read_with_its_causes_weights_and_defaults(tmp_path: Path) -> None:
    config = load_bot_config(
        write(
            tmp_path,
            with_cause(
                "id: off",
                "title: Switched off",
                "when: {light: Off, typed: [airplane mode, flight mode]}",
                "said: [switch]",
                "weights: {light: 2, said: 0.5}",
                "answer: 'Switch it on: {typed}'",
            )
            + "            - {id: other, title: Other, said: [broken], answer: Call us.}\n",
        )
    )
    scenario = config.scenario("wifi")
    assert scenario is not None
    step = scenario.step("cause")
    assert step is not None and step.answer is None and not step.is_question
    assert step.diagnose == Diagnose(
        causes=(
            Cause(
                "off",
                "Switched off",
                "Switch it on: {typed}",
                when=(AnswerClue("light", ("Off",), 2.0), AnswerClue("typed", ("airplane mode", "flight mode"))),
                said=("switch",),
                said_weight=0.5,
            ),
            Cause("other", "Other", "Call us.", said=("broken",)),
        ),
        threshold=DEFAULT_DIAGNOSIS_THRESHOLD,
        unsure=DEFAULT_UNSURE_MESSAGE,
    )


def test_the_threshold_and_the_unsure_message_can_be_set(tmp_path: Path) -> None:
    text = HEAD + "          threshold: 0.7\n          unsure: Let me find someone.\n" + CAUSES
    text += "            - {id: off, title: Off, when: {light: Off}, answer: Switch it on.}\n"
    scenario = load_bot_config(write(tmp_path, text)).scenario("wifi")
    step = scenario.step("cause") if scenario else None
    assert step is not None and step.diagnose is not None
    assert (step.diagnose.threshold, step.diagnose.unsure) == (0.7, "Let me find someone.")


MISTAKES = [
    pytest.param(
        with_cause("id: off", "title: Off", "when: {lamp: Off}", "answer: On."),
        f", line 19: {AT}.causes[0].when.lamp: no step 'lamp' in scenario 'wifi'",
        id="condition-on-unknown-step",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {cause: Off}", "answer: On."),
        f", line 19: {AT}.causes[0].when.cause: step 'cause' is not a question",
        id="condition-on-a-step-that-is-no-question",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: Of}", "answer: On."),
        f", line 19: {AT}.causes[0].when.light: 'Of' is not a choice of question 'light' (did you mean 'Off'?); "
        "its choices: On, Off",
        id="condition-with-no-such-choice",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: []}", "answer: On."),
        f", line 19: {AT}.causes[0].when.light: needs at least one accepted answer",
        id="condition-with-no-answers",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "answer: On."),
        f", line 17: {AT}.causes[0]: cause 'off' has no clues: give it 'when'",
        id="cause-without-clues",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "said: [broken, '?!']", "answer: On."),
        f", line 19: {AT}.causes[0].said[1]: phrase '?!' has no words to match",
        id="phrase-without-words",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: Off}", "weights: {light: 20}", "answer: On."),
        f", line 20: {AT}.causes[0].weights.light: must be between 0.1 and 10, got 20",
        id="weight-out-of-range",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: Off}", "weights: {light: 0}", "answer: On."),
        f", line 20: {AT}.causes[0].weights.light: must be between 0.1 and 10, got 0",
        id="weight-zero",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: Off}", "weights: {ligth: 2}", "answer: On."),
        f", line 20: {AT}.causes[0].weights.ligth: 'ligth' is not one of this cause's clues (did you mean 'light'?)",
        id="weight-for-no-clue",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "when: {light: Off}", "weights: {said: 2}", "answer: On."),
        f", line 20: {AT}.causes[0].weights.said: 'said' weighs the cause's phrases, but it has no 'said'",
        id="weight-for-absent-phrases",
    ),
    pytest.param(
        HEAD + CAUSES + "            - {id: off, title: A, said: [a], answer: B}\n"
        "            - {id: off, title: C, said: [c], answer: D}\n",
        f", line 18: {AT}.causes[1].id: duplicate cause ID 'off' (also {AT}.causes[0])",
        id="duplicate-cause-id",
    ),
    pytest.param(
        HEAD + "          causes: []\n",
        f", line 16: {AT}.causes: a diagnosis needs at least one cause",
        id="no-causes",
    ),
    pytest.param(
        HEAD + "          threshold: 1.5\n" + CAUSES + "            - {id: off, title: A, said: [a], answer: B}\n",
        f", line 16: {AT}.threshold: must be between 0 and 1, got 1.5",
        id="threshold-out-of-range",
    ),
    pytest.param(
        HEAD + "          threshold: 0.5\n",
        f", line 16: {AT}: missing required key 'causes'",
        id="causes-missing",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "whem: {light: Off}", "answer: On."),
        f", line 19: {AT}.causes[0]: unknown key 'whem' (did you mean 'when'?)",
        id="unknown-cause-key",
    ),
    pytest.param(
        with_cause("id: off", "title: Off", "said: [a]", "answer: 'You said {nope}'"),
        f", line 20: {AT}.causes[0].answer: {{nope}} is not a free-text question of scenario 'wifi'",
        id="answer-quotes-no-question",
    ),
    pytest.param(
        HEAD.replace(
            "      - id: cause\n        diagnose:\n", "      - id: cause\n        answer: Hi\n        diagnose:\n"
        )
        + CAUSES
        + "            - {id: off, title: A, said: [a], answer: B}\n",
        ", line 15: scenarios[0].steps[2].answer: 'answer' does not go with 'diagnose'",
        id="diagnose-with-answer",
    ),
    pytest.param(
        HEAD.replace(
            'goto: typed}\n          - {label: "Off", goto: typed}',
            'goto: typed}\n          - {label: "Off", goto: fixed}',
        )
        + CAUSES
        + "            - {id: off, title: A, when: {fixed: x}, answer: B}\n"
        '      - {id: fixed, ask: "Did that help?", goto: done}\n'
        "      - {id: done, answer: Good.}\n",
        f", line 17: {AT}.causes[0].when.fixed: question 'fixed' is never asked before this diagnosis",
        id="condition-on-a-question-of-another-branch",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES)
def test_each_diagnosis_mistake_names_the_line_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_for(tmp_path, text)
    assert message.startswith(expected), message
