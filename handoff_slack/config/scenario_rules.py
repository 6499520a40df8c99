"""The checks between keys that a type cannot say: a scenario's conversation can start, go on and
end; IDs, triggers and choice labels are told apart; `{step_id}` quotes an answer given before.

The schema's validators call these once each part's own keys are valid. A problem raises
`errors.rule`, naming the key to blame relative to the part being checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from handoff_slack.config.errors import OTHER, Loc, did_you_mean, rule
from handoff_slack.core.phrases import normalise

if TYPE_CHECKING:
    from handoff_slack.config.schema import CauseEntry, QuestionEntry, ScenarioEntry, StepEntry

SAID = "said"  # in a cause's `weights`, the key of its phrases' weight

# `{step_id}` in a text quotes the customer's reply to that free-text question.
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def check_step(step: StepEntry) -> None:
    """A step is a question (with buttons, or typed and then `goto`), an answer or a diagnosis."""
    given = step.model_fields_set
    if step.diagnose is not None:
        for key in ("ask", "answer", "choices", "goto", "expect", "escalate"):
            if key in given:
                raise rule(
                    f"'{key}' does not go with 'diagnose': a diagnose step ends the scenario with the answer "
                    "of the likeliest cause",
                    (key,),
                    on_key=True,
                )
        return
    if (step.ask is None) == (step.answer is None):
        both = "both" if step.ask is not None else "neither"
        raise rule(f"step {step.id!r} needs either 'ask' (a question) or 'answer', not {both}")
    if step.answer is not None:
        for key in ("choices", "goto", "expect"):
            if key in given:
                raise rule(f"'{key}' belongs to questions; an answer step ends the scenario", (key,), on_key=True)
        return
    if "escalate" in given:
        raise rule("'escalate' only goes on answer steps", ("escalate",), on_key=True)
    if (step.choices is None) == (step.goto is None):
        both = "both" if step.goto is not None else "neither"
        raise rule(
            f"question {step.id!r} needs either 'choices' (buttons) or 'goto' (the step after a typed answer), "
            f"not {both}"
        )
    if step.choices is None:
        return
    if "expect" in given:
        raise rule("'expect' checks typed answers; it goes with 'goto', not with 'choices'", ("expect",), on_key=True)
    labels: dict[str, int] = {}  # normalised label -> index: customers may type a label instead
    for index, choice in enumerate(step.choices):
        words = normalise(choice.label) or choice.label
        if words in labels:
            raise rule(
                f"label {choice.label!r} is the same as {OTHER}'s",
                ("choices", index, "label"),
                other=("choices", labels[words]),
            )
        labels[words] = index


def check_cause(cause: CauseEntry) -> None:
    """A cause has clues; its phrases have words; each weight belongs to one of its clues."""
    if not cause.when and not cause.said:
        raise rule(f"cause {cause.id!r} has no clues: give it 'when' (earlier answers) and/or 'said' (phrases)")
    for index, phrase in enumerate(cause.said or ()):
        if not normalise(phrase):
            raise rule(f"phrase {phrase!r} has no words to match", ("said", index))
    when = cause.when or {}
    for key in cause.weights or {}:
        if key == SAID and SAID in when:
            raise rule(
                f"'{SAID}' is ambiguous here: this cause also has a condition on a step called {SAID!r}",
                ("weights", key),
                on_key=True,
            )
        if key == SAID and not cause.said:
            raise rule(f"'{SAID}' weighs the cause's phrases, but it has no 'said'", ("weights", key), on_key=True)
        if key != SAID and key not in when:
            known = ", ".join([*when, *([SAID] if cause.said else [])])
            raise rule(
                f"{key!r} is not one of this cause's clues{did_you_mean(key, [*when, SAID])}; weights go on: {known}",
                ("weights", key),
                on_key=True,
            )


def check_causes(causes: Sequence[CauseEntry], most: int) -> None:
    """Between one and `most` causes, with distinct IDs."""
    if not causes:
        raise rule("a diagnosis needs at least one cause")
    if len(causes) > most:
        raise rule(f"at most {most} causes, got {len(causes)}")
    ids: dict[str, int] = {}
    for index, cause in enumerate(causes):
        if cause.id in ids:
            raise rule(f"duplicate cause ID {cause.id!r} (also {OTHER})", (index, "id"), other=(ids[cause.id],))
        ids[cause.id] = index


def check_scenario(scenario: ScenarioEntry) -> None:
    given = scenario.model_fields_set
    if (scenario.answer is None) == (scenario.steps is None):
        both = "both" if scenario.answer is not None else "neither"
        raise rule(f"scenario {scenario.id!r} needs either 'answer' (a fixed reply) or 'steps', not {both}")
    if scenario.steps is not None:
        if "escalate" in given:
            raise rule(
                "'escalate' here goes with 'answer'; with steps, put it on an answer step", ("escalate",), on_key=True
            )
        _check_steps(scenario.id, scenario.steps)
    elif scenario.answer is not None:
        _check_placeholders(scenario.answer, ("answer",), scenario.id, set(), set())
    mine: set[str] = set()
    for index, trigger in enumerate(scenario.triggers):
        words = normalise(trigger)
        if not words:
            raise rule(f"trigger {trigger!r} has no words to match", ("triggers", index))
        if words in mine:
            raise rule(f"trigger {trigger!r} is listed twice in this scenario", ("triggers", index))
        mine.add(words)


def check_scenarios(scenarios: Sequence[ScenarioEntry]) -> None:
    """No two scenarios share an ID, nor a trigger (which one would a message start?)."""
    ids: dict[str, int] = {}
    owners: dict[str, str] = {}  # normalised trigger -> scenario ID
    for index, scenario in enumerate(scenarios):
        if scenario.id in ids:
            raise rule(
                f"duplicate scenario ID {scenario.id!r} (also {OTHER})", (index, "id"), other=(ids[scenario.id],)
            )
        ids[scenario.id] = index
        for position, trigger in enumerate(scenario.triggers):
            owner = owners.get(normalise(trigger))
            if owner is not None:
                raise rule(
                    f"trigger {trigger!r} is also a trigger of scenario {owner!r}", (index, "triggers", position)
                )
        owners.update(dict.fromkeys((normalise(t) for t in scenario.triggers), scenario.id))


def check_questions(questions: Sequence[QuestionEntry]) -> None:
    """Question IDs are distinct, and each fact Slack knows fills one question at most."""
    ids: dict[str, int] = {}
    prefills: dict[str, int] = {}
    for index, question in enumerate(questions):
        if question.id in ids:
            raise rule(
                f"duplicate question ID {question.id!r} (also {OTHER})", (index, "id"), other=(ids[question.id],)
            )
        ids[question.id] = index
        if question.prefill is not None:
            if question.prefill in prefills:
                raise rule(
                    f"{question.prefill.value!r} already fills {OTHER}",
                    (index, "prefill"),
                    other=(prefills[question.prefill],),
                )
            prefills[question.prefill] = index


def _check_steps(scenario_id: str, steps: Sequence[StepEntry]) -> None:
    """Distinct step IDs; every goto leads to a step; every step is reached from the first one and
    can still reach an answer; `{step_id}` quotes a free-text answer given before that text."""
    positions: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step.id in positions:
            raise rule(f"duplicate step ID {step.id!r} in scenario {scenario_id!r}", ("steps", index, "id"))
        positions[step.id] = index
    by_id = {step.id: step for step in steps}
    for index, step in enumerate(steps):
        for target, at in _gotos(step):
            if target not in by_id:
                hint = did_you_mean(target, list(by_id))
                raise rule(f"no step {target!r} in scenario {scenario_id!r}{hint}", ("steps", index, *at))
    first = steps[0].id
    reached = _reachable(by_id, first)
    for index, step in enumerate(steps):
        if step.id not in reached:
            raise rule(f"step {step.id!r} is never reached from the first step {first!r}", ("steps", index))
    free_text = {s.id for s in steps if s.ask is not None and s.choices is None}
    for index, step in enumerate(steps):
        if not any(_ends(by_id[s]) for s in _reachable(by_id, step.id)):
            raise rule(f"step {step.id!r} never leads to an answer (its gotos go round in a loop)", ("steps", index))
        # The engine fills `{step_id}` in questions and answers alike.
        before = {s for s in free_text if step.id in _reachable(by_id, by_id[s].goto or s)}
        key = "ask" if step.ask is not None else "answer"
        _check_placeholders(step.ask or step.answer or "", ("steps", index, key), scenario_id, free_text, before)
        if step.diagnose is not None:
            _check_diagnosis(scenario_id, index, step, by_id, free_text, before)


def _ends(step: StepEntry) -> bool:
    return step.answer is not None or step.diagnose is not None


def _check_diagnosis(
    scenario_id: str, index: int, step: StepEntry, by_id: dict[str, StepEntry], free_text: set[str], before: set[str]
) -> None:
    """Each condition names a question asked before the diagnosis, with answers it can have; each
    answer quotes only free-text answers given before."""
    assert step.diagnose is not None
    asked = {  # the questions that can come before this step
        s.id for s in by_id.values() if s.ask is not None and any(step.id in _reachable(by_id, t) for t, _ in _gotos(s))
    }
    for position, cause in enumerate(step.diagnose.causes):
        at: Loc = ("steps", index, "diagnose", "causes", position)
        for step_id, accepted in (cause.when or {}).items():
            _check_condition(scenario_id, (*at, "when", step_id), by_id.get(step_id), step_id, accepted, asked, by_id)
        _check_placeholders(cause.answer, (*at, "answer"), scenario_id, free_text, before)


def _check_condition(
    scenario_id: str,
    at: Loc,
    question: StepEntry | None,
    step_id: str,
    accepted: Sequence[str],
    asked: set[str],
    by_id: dict[str, StepEntry],
) -> None:
    if question is None:
        hint = did_you_mean(step_id, [s for s in by_id if by_id[s].ask is not None])
        raise rule(f"no step {step_id!r} in scenario {scenario_id!r}{hint}", at, on_key=True)
    if question.ask is None:
        raise rule(f"step {step_id!r} is not a question: conditions go on questions' answers", at, on_key=True)
    if step_id not in asked:
        raise rule(f"question {step_id!r} is never asked before this diagnosis", at, on_key=True)
    labels = [choice.label for choice in question.choices or ()]
    for answer in accepted:
        if labels and normalise(answer) not in {normalise(label) for label in labels}:
            raise rule(
                f"{answer!r} is not a choice of question {step_id!r}{did_you_mean(answer, labels)}; "
                f"its choices: {', '.join(labels)}",
                at,
            )
        if not labels and not normalise(answer):
            raise rule(f"{answer!r} has no words to look for in the typed answer", at)


def _check_placeholders(text: str, at: Loc, scenario_id: str, free_text: set[str], before: set[str]) -> None:
    """`{step_id}` must name a free-text question of the scenario that can come before this text."""
    for name in PLACEHOLDER.findall(text):
        if name not in free_text:
            known = ", ".join(sorted(free_text)) or "none"
            raise rule(
                f"{{{name}}} is not a free-text question of scenario {scenario_id!r} (free-text questions: {known})", at
            )
        if name not in before:
            raise rule(f"{{{name}}} quotes step {name!r}, which is never asked before this step", at)


def _gotos(step: StepEntry) -> list[tuple[str, Loc]]:
    """Where the step can lead, each with its key below the step."""
    gotos: list[tuple[str, Loc]] = [
        (choice.goto, ("choices", index, "goto")) for index, choice in enumerate(step.choices or ())
    ]
    if step.goto is not None:
        gotos.append((step.goto, ("goto",)))
    return gotos


def _reachable(by_id: dict[str, StepEntry], start: str) -> set[str]:
    """The IDs of the steps a conversation can pass through from `start` (itself included)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        step = by_id.get(todo.pop())
        if step is None or step.id in seen:
            continue
        seen.add(step.id)
        todo.extend(target for target, _ in _gotos(step))
    return seen
