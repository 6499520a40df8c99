"""Reading the bot's YAML configuration (HANDOFF_CONFIG) into `core.bot_config` objects.

The file is parsed into YAML *nodes* (PyYAML's safe composer, nothing is constructed from tags),
so every problem can be reported with its line. Problems raise one `ConfigError`, a line each (each
top-level key and each scenario is read even when another has a problem):

    HANDOFF_CONFIG /etc/bot.yaml, line 12: scenarios[1].steps[0].choices[0].goto: no step 'foo' in …

Without a path the default shipped inside the package (`default_config.yaml`) is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import NoReturn, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
from handoff_slack.core.phrases import normalise
from handoff_slack.settings import SettingsError

DEFAULT_CONFIG_FILE = "default_config.yaml"
DEFAULT_CONFIG_SOURCE = f"(built-in {DEFAULT_CONFIG_FILE})"

ID_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")  # IDs travel in Slack button values and block IDs
MAX_BUTTON_TEXT = 75  # Slack's limit for a button's text
MAX_SECTION_TEXT = 3000  # Slack's limit for a section block's text
MAX_BUTTONS = 24  # one row of buttons holds 25; one is kept for "Talk to an agent"
MAX_TRIAGE_QUESTIONS = 10  # a longer form is a survey, not triage
# `{step_id}` in an answer quotes the customer's reply to that free-text question.
PLACEHOLDER = re.compile(r"\{(\w+)\}")

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SCALARS = SafeConstructor()  # only its int/float/bool readers are used, on single scalar nodes

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class ConfigError(SettingsError):
    """The configuration file is unreadable or invalid; the message names the key and line."""


def load_bot_config(path: str | None = None) -> BotConfig:
    """The bot's configuration from `path`, or the built-in default when `path` is None."""
    if path is None:
        text = resources.files("handoff_slack").joinpath(DEFAULT_CONFIG_FILE).read_text(encoding="utf-8")
        return parse_bot_config(text, DEFAULT_CONFIG_SOURCE)
    return parse_bot_config(_read(path), path)


def parse_bot_config(text: str, source: str = "(text)") -> BotConfig:
    """`text` as a configuration; `source` names it in error messages."""
    return _Parser(source).config(text)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "is a directory, not a file"
    except PermissionError:
        problem = "cannot be read (permission denied)"
    except UnicodeDecodeError as error:
        problem = f"is not UTF-8 text (bad byte at offset {error.start})"
    except OSError as error:
        problem = f"cannot be read ({error.strerror or type(error).__name__})"
    raise ConfigError(f"HANDOFF_CONFIG {path}: {problem}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(node: Node) -> str:
    """What the file holds where something else was expected, for "must be X, got Y"."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing"
    if node.tag == _STR:
        return f"text {node.value!r}"
    return repr(node.value)


def _choices(allowed: Sequence[str]) -> str:
    return ", ".join(allowed)


def _did_you_mean(word: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []  # from parts read independently (gather), raised together

    def gather(self, read: Callable[[], T], fallback: T) -> T:
        """One independent part of the file (a top-level key, one scenario): a problem in it is
        noted and the other parts are still read, so one start names all of them."""
        try:
            return read()
        except ConfigError as error:
            self.problems.extend(error.problems)
            return fallback

    def fail(self, node: Node | None, path: str, problem: str) -> NoReturn:
        raise ConfigError(self.located(node, path, problem))

    def located(self, node: Node | None, path: str, problem: str) -> str:
        where = f"HANDOFF_CONFIG {self.source}"
        if node is not None:
            where += f", line {node.start_mark.line + 1}"
        key = f"{path}: " if path else ""
        return f"{where}: {key}{_one_line(problem)}"

    # --- the document -------------------------------------------------------------------------

    def config(self, text: str) -> BotConfig:
        root = self.compose(text)
        if root is None:
            raise ConfigError(
                f"HANDOFF_CONFIG {self.source}: the file is empty; expected a mapping with keys like "
                "greeting, scenarios, triage"
            )
        keys = self.mapping(
            root,
            "",
            ("greeting", "talk_to_agent_label", "no_match", "scenarios", "triage", "escalation"),
            (),
            read_known_keys=True,
        )
        defaults = BotConfig()

        def part(key: str, default: T, read: Callable[[Node, str], T]) -> T:
            return self.gather(lambda: self.optional(keys, "", key, default, read), default)

        config = BotConfig(
            greeting=part("greeting", defaults.greeting, self.section_text),
            talk_to_agent_label=part("talk_to_agent_label", defaults.talk_to_agent_label, self.button_text),
            no_match=part("no_match", defaults.no_match, self.section_text),
            scenarios=part("scenarios", defaults.scenarios, self.scenarios),
            triage=part("triage", defaults.triage, self.triage),
            escalation=part("escalation", defaults.escalation, self.escalation),
        )
        if self.problems:
            raise ConfigError(*self.problems)
        return config

    def compose(self, text: str) -> Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = f", line {mark.line + 1}" if mark is not None else ""
            detail = error.problem or "invalid YAML"
            if error.context:
                detail = f"{detail} ({error.context})"
            if error.context and "flow" in error.context:  # `{label: Sure?, …}`: PyYAML stops at the ?
                detail += "; inside { } or [ ], put texts containing ? : , { } [ ] in quotes"
            raise ConfigError(f"HANDOFF_CONFIG {self.source}{line}: YAML syntax error: {_one_line(detail)}") from None
        except yaml.YAMLError as error:  # e.g. a control character the reader refuses
            raise ConfigError(f"HANDOFF_CONFIG {self.source}: YAML error: {_one_line(str(error))}") from None

    # --- scenarios ----------------------------------------------------------------------------

    def scenarios(self, node: Node, path: str) -> tuple[Scenario, ...]:
        items = self.sequence(node, path)
        if len(items) > MAX_BUTTONS:
            self.fail(node, path, f"at most {MAX_BUTTONS} scenarios fit in the menu, got {len(items)}")
        scenarios: list[Scenario] = []
        ids: dict[str, int] = {}
        trigger_owners: dict[str, str] = {}  # normalised trigger -> scenario ID
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"

            def read(item: Node = item, item_path: str = item_path, index: int = index) -> Scenario:
                keys = self.mapping(item, item_path, _SCENARIO_KEYS, ("id", "title", "triggers"))
                scenario = self.scenario(item, item_path, keys)
                if scenario.id in ids:
                    self.fail(
                        keys["id"][1],
                        f"{item_path}.id",
                        f"duplicate scenario ID {scenario.id!r} (also {path}[{ids[scenario.id]}])",
                    )
                ids[scenario.id] = index
                self.check_triggers(keys["triggers"][1], f"{item_path}.triggers", scenario, trigger_owners)
                return scenario

            scenario = self.gather(read, None)  # each scenario on its own: all their problems at once
            if scenario is not None:
                scenarios.append(scenario)
        return tuple(scenarios)

    def check_triggers(self, node: Node, path: str, scenario: Scenario, owners: dict[str, str]) -> None:
        """Each trigger has words to match, and no two triggers (in any scenario) are the same words."""
        mine: set[str] = set()
        for index, (trigger, trigger_node) in enumerate(zip(scenario.triggers, node.value, strict=True)):
            words = normalise(trigger)
            where = f"{path}[{index}]"
            if not words:
                self.fail(trigger_node, where, f"trigger {trigger!r} has no words to match")
            if words in mine:
                self.fail(trigger_node, where, f"trigger {trigger!r} is listed twice in this scenario")
            if words in owners:
                self.fail(trigger_node, where, f"trigger {trigger!r} is also a trigger of scenario {owners[words]!r}")
            mine.add(words)
        owners.update(dict.fromkeys(mine, scenario.id))

    def scenario(self, node: Node, path: str, keys: _Keys) -> Scenario:
        scenario_id = self.identifier(keys["id"][1], f"{path}.id")
        title = self.button_text(keys["title"][1], f"{path}.title")
        trigger_nodes = self.sequence(keys["triggers"][1], f"{path}.triggers")
        if not trigger_nodes:
            self.fail(keys["triggers"][1], f"{path}.triggers", "a scenario needs at least one trigger")
        triggers = tuple(self.text(n, f"{path}.triggers[{i}]") for i, n in enumerate(trigger_nodes))
        if ("answer" in keys) == ("steps" in keys):
            both = "both" if "answer" in keys else "neither"
            self.fail(
                node, path, f"scenario {scenario_id!r} needs either 'answer' (a fixed reply) or 'steps', not {both}"
            )
        if "steps" in keys:
            if "escalate" in keys:
                self.fail(
                    keys["escalate"][0],
                    f"{path}.escalate",
                    "'escalate' here goes with 'answer'; with steps, put it on an answer step",
                )
            steps = self.steps(keys["steps"][1], f"{path}.steps", scenario_id)
        else:
            answer = self.section_text(keys["answer"][1], f"{path}.answer")
            self.check_placeholders(answer, keys["answer"][1], f"{path}.answer", scenario_id, set(), set())
            steps = (
                Step(id="answer", answer=answer, escalate=self.optional(keys, path, "escalate", False, self.boolean)),
            )
        return Scenario(id=scenario_id, title=title, triggers=triggers, steps=steps)

    def steps(self, node: Node, path: str, scenario_id: str) -> tuple[Step, ...]:
        items = self.sequence(node, path)
        if not items:
            self.fail(node, path, "a scenario needs at least one step")
        parsed: dict[str, _ParsedStep] = {}
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            keys = self.mapping(item, item_path, _STEP_KEYS, ("id",))
            step = self.step(item, item_path, keys)
            if step.step.id in parsed:
                self.fail(
                    keys["id"][1], f"{item_path}.id", f"duplicate step ID {step.step.id!r} in scenario {scenario_id!r}"
                )
            parsed[step.step.id] = step
        by_id = {step_id: p.step for step_id, p in parsed.items()}
        for p in parsed.values():
            for target, target_node, target_path in p.gotos:
                if target not in by_id:
                    hint = _did_you_mean(target, list(by_id))
                    self.fail(target_node, target_path, f"no step {target!r} in scenario {scenario_id!r}{hint}")
        first = next(iter(parsed))
        reached = _reachable(by_id, first)
        for p in parsed.values():
            if p.step.id not in reached:
                self.fail(p.node, p.path, f"step {p.step.id!r} is never reached from the first step {first!r}")
        free_text = {s.id for s in by_id.values() if s.is_question and not s.choices}
        for p in parsed.values():
            after = _reachable(by_id, p.step.id)
            if not any(by_id[s].answer is not None for s in after):
                self.fail(p.node, p.path, f"step {p.step.id!r} never leads to an answer (its gotos go round in a loop)")
            # The engine fills `{step_id}` in questions and answers alike.
            before = {s for s in free_text if p.step.id in _reachable(by_id, by_id[s].goto or s)}
            text = p.step.ask if p.step.ask is not None else p.step.answer or ""
            self.check_placeholders(text, p.text_node, f"{p.path}.{p.text_key}", scenario_id, free_text, before)
        return tuple(by_id.values())

    def step(self, node: Node, path: str, keys: _Keys) -> _ParsedStep:
        step_id = self.identifier(keys["id"][1], f"{path}.id")
        if ("ask" in keys) == ("answer" in keys):
            both = "both" if "ask" in keys else "neither"
            self.fail(node, path, f"step {step_id!r} needs either 'ask' (a question) or 'answer', not {both}")
        if "answer" in keys:
            for key in ("choices", "goto", "expect"):
                if key in keys:
                    self.fail(
                        keys[key][0], f"{path}.{key}", f"'{key}' belongs to questions; an answer step ends the scenario"
                    )
            answer = self.section_text(keys["answer"][1], f"{path}.answer")
            escalate = self.optional(keys, path, "escalate", False, self.boolean)
            step = Step(id=step_id, answer=answer, escalate=escalate)
            return _ParsedStep(step, node, path, [], "answer", keys["answer"][1])
        if "escalate" in keys:
            self.fail(keys["escalate"][0], f"{path}.escalate", "'escalate' only goes on answer steps")
        ask = self.section_text(keys["ask"][1], f"{path}.ask")
        if ("choices" in keys) == ("goto" in keys):
            both = "both" if "goto" in keys else "neither"
            self.fail(
                node,
                path,
                f"question {step_id!r} needs either 'choices' (buttons) or 'goto' (the step after a typed "
                f"answer), not {both}",
            )
        if "choices" in keys:
            if "expect" in keys:
                self.fail(
                    keys["expect"][0],
                    f"{path}.expect",
                    "'expect' checks typed answers; it goes with 'goto', not with 'choices'",
                )
            choices, gotos = self.choices(keys["choices"][1], f"{path}.choices")
            return _ParsedStep(Step(id=step_id, ask=ask, choices=choices), node, path, gotos, "ask", keys["ask"][1])
        goto_node = keys["goto"][1]
        goto = self.identifier(goto_node, f"{path}.goto")
        expect = self.optional(keys, path, "expect", None, self.validation)
        step = Step(id=step_id, ask=ask, goto=goto, expect=expect)
        return _ParsedStep(step, node, path, [(goto, goto_node, f"{path}.goto")], "ask", keys["ask"][1])

    def choices(self, node: Node, path: str) -> tuple[tuple[Choice, ...], list[_Goto]]:
        items = self.sequence(node, path)
        if not items:
            self.fail(node, path, "a question with choices needs at least one choice")
        if len(items) > MAX_BUTTONS:
            self.fail(node, path, f"at most {MAX_BUTTONS} choices fit in one row of buttons, got {len(items)}")
        choices: list[Choice] = []
        gotos: list[_Goto] = []
        labels: dict[str, int] = {}  # normalised label -> index: customers may type a label instead
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            keys = self.mapping(item, item_path, ("label", "goto"), ("label", "goto"))
            label = self.button_text(keys["label"][1], f"{item_path}.label")
            words = normalise(label) or label
            if words in labels:
                self.fail(
                    keys["label"][1], f"{item_path}.label", f"label {label!r} is the same as {path}[{labels[words]}]'s"
                )
            labels[words] = index
            goto = self.identifier(keys["goto"][1], f"{item_path}.goto")
            choices.append(Choice(label=label, goto=goto))
            gotos.append((goto, keys["goto"][1], f"{item_path}.goto"))
        return tuple(choices), gotos

    def check_placeholders(
        self, text: str, node: Node, path: str, scenario_id: str, free_text: set[str], before: set[str]
    ) -> None:
        """`{step_id}` must name a free-text question of the scenario that can come before this text."""
        for name in PLACEHOLDER.findall(text):
            if name not in free_text:
                known = ", ".join(sorted(free_text)) or "none"
                self.fail(
                    node,
                    path,
                    f"{{{name}}} is not a free-text question of scenario {scenario_id!r} "
                    f"(free-text questions: {known})",
                )
            if name not in before:
                self.fail(node, path, f"{{{name}}} quotes step {name!r}, which is never asked before this step")

    # --- triage -------------------------------------------------------------------------------

    def triage(self, node: Node, path: str) -> TriageConfig:
        keys = self.mapping(node, path, ("mode", "intro", "questions"), ())
        defaults = TriageConfig()
        return TriageConfig(
            mode=self.optional(keys, path, "mode", defaults.mode, self.enum_reader(TriageMode)),
            intro=self.optional(keys, path, "intro", defaults.intro, self.section_text),
            questions=self.optional(keys, path, "questions", defaults.questions, self.questions),
        )

    def questions(self, node: Node, path: str) -> tuple[TriageQuestion, ...]:
        items = self.sequence(node, path)
        if len(items) > MAX_TRIAGE_QUESTIONS:
            self.fail(node, path, f"at most {MAX_TRIAGE_QUESTIONS} triage questions, got {len(items)}")
        questions: list[TriageQuestion] = []
        ids: dict[str, int] = {}
        prefills: dict[Prefill, int] = {}
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            keys = self.mapping(item, item_path, _QUESTION_KEYS, ("id", "label", "prompt"))
            question = TriageQuestion(
                id=self.identifier(keys["id"][1], f"{item_path}.id"),
                label=self.button_text(keys["label"][1], f"{item_path}.label"),
                prompt=self.section_text(keys["prompt"][1], f"{item_path}.prompt"),
                validation=self.optional(keys, item_path, "validate", None, self.validation),
                skippable=self.optional(keys, item_path, "skippable", False, self.boolean),
                prefill=self.optional(keys, item_path, "prefill", None, self.enum_reader(Prefill)),
                multiline=self.optional(keys, item_path, "multiline", False, self.boolean),
            )
            if question.id in ids:
                self.fail(
                    keys["id"][1],
                    f"{item_path}.id",
                    f"duplicate question ID {question.id!r} (also {path}[{ids[question.id]}])",
                )
            ids[question.id] = index
            if question.prefill is not None:
                if question.prefill in prefills:
                    self.fail(
                        keys["prefill"][1],
                        f"{item_path}.prefill",
                        f"{question.prefill.value!r} already fills {path}[{prefills[question.prefill]}]",
                    )
                prefills[question.prefill] = index
            questions.append(question)
        return tuple(questions)

    # --- escalation ---------------------------------------------------------------------------

    def escalation(self, node: Node, path: str) -> EscalationConfig:
        keys = self.mapping(node, path, ("no_match_limit", "match_threshold", "suggest_threshold", "frustration"), ())
        defaults = EscalationConfig()
        config = EscalationConfig(
            no_match_limit=self.optional(keys, path, "no_match_limit", defaults.no_match_limit, self.natural(0)),
            match_threshold=self.optional(keys, path, "match_threshold", defaults.match_threshold, self.fraction),
            suggest_threshold=self.optional(keys, path, "suggest_threshold", defaults.suggest_threshold, self.fraction),
            frustration=self.optional(keys, path, "frustration", defaults.frustration, self.frustration),
        )
        if config.suggest_threshold > config.match_threshold:
            blame = "suggest_threshold" if "suggest_threshold" in keys else "match_threshold"
            self.fail(
                keys[blame][1],
                _join(path, blame),
                f"suggest_threshold ({config.suggest_threshold}) must not be above match_threshold "
                f"({config.match_threshold}): a guess needs less similarity than a sure match",
            )
        return config

    def frustration(self, node: Node, path: str) -> FrustrationConfig:
        keys = self.mapping(node, path, ("action", "window", "threshold"), ())
        defaults = FrustrationConfig()
        return FrustrationConfig(
            action=self.optional(keys, path, "action", defaults.action, self.enum_reader(FrustrationAction)),
            window=self.optional(keys, path, "window", defaults.window, self.natural(1)),
            threshold=self.optional(keys, path, "threshold", defaults.threshold, self.fraction),
        )

    # --- building blocks ----------------------------------------------------------------------

    def mapping(
        self, node: Node, path: str, allowed: Sequence[str], required: Sequence[str], read_known_keys: bool = False
    ) -> _Keys:
        """The mapping's keys -> (key node, value node); unknown, duplicate and missing keys fail.
        With `read_known_keys` (the top level, where every key is optional and independent)
        unknown keys are only noted, and the file fails once the others have been read."""
        if not isinstance(node, MappingNode):
            what = "the top level must be" if not path else "must be"
            self.fail(node, path, f"{what} a mapping with keys ({_choices(allowed)}), got {_describe(node)}")
        keys: _Keys = {}
        unknown: list[str] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, path, "merge keys (<<) are not supported; repeat the keys, or alias a whole value")
            if not isinstance(key_node, ScalarNode) or key_node.tag not in (_STR, _INT, _BOOL, _FLOAT):
                self.fail(key_node, path, f"keys must be words, got {_describe(key_node)}")
            key = key_node.value
            if key in keys:
                self.fail(key_node, path, f"duplicate key {key!r} (first on line {keys[key][0].start_mark.line + 1})")
            if key not in allowed:
                problem = f"unknown key {key!r}{_did_you_mean(key, allowed)}; expected one of: {_choices(allowed)}"
                unknown.append(self.located(key_node, path, problem))
                continue
            keys[key] = (key_node, value_node)
        if unknown and read_known_keys:
            self.problems.extend(unknown)
        elif unknown:  # reading on would report what the misspelt key left out; the problem is the key
            raise ConfigError(*unknown)
        for key in required:
            if key not in keys:
                self.fail(node, path, f"missing required key {key!r}")
        return keys

    def optional(self, keys: _Keys, path: str, key: str, default: T, read: Callable[[Node, str], T]) -> T:
        if key not in keys:
            return default
        return read(keys[key][1], _join(path, key))

    def sequence(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, path, f"must be a list, got {_describe(node)}")
        return list(node.value)

    def scalar(self, node: Node, path: str, expected: str) -> ScalarNode:
        if not isinstance(node, ScalarNode):
            self.fail(node, path, f"must be {expected}, got {_describe(node)}")
        if node.tag == _NULL:
            self.fail(node, path, f"has no value; expected {expected}")
        return node

    def text(self, node: Node, path: str, max_length: int = MAX_SECTION_TEXT) -> str:
        # Any scalar's source text counts: `label: Yes` is the word Yes, not YAML 1.1's true.
        value = self.scalar(node, path, "text").value.strip()
        if not value:
            self.fail(node, path, "must not be empty")
        if len(value) > max_length:
            self.fail(node, path, f"is {len(value)} characters long; at most {max_length} fit here")
        return value

    def section_text(self, node: Node, path: str) -> str:
        return self.text(node, path, MAX_SECTION_TEXT)

    def button_text(self, node: Node, path: str) -> str:
        return self.text(node, path, MAX_BUTTON_TEXT)

    def identifier(self, node: Node, path: str) -> str:
        value = self.scalar(node, path, "an ID").value
        if not ID_PATTERN.match(value):
            self.fail(node, path, f"IDs are 1 to 40 lower-case letters, digits or underscores, got {value!r}")
        return value

    def boolean(self, node: Node, path: str) -> bool:
        scalar = self.scalar(node, path, "true or false")
        if scalar.tag != _BOOL:
            self.fail(node, path, f"must be true or false, got {_describe(node)}")
        return bool(_SCALARS.construct_yaml_bool(scalar))

    def natural(self, low: int) -> Callable[[Node, str], int]:
        def read(node: Node, path: str) -> int:
            scalar = self.scalar(node, path, "a whole number")
            if scalar.tag != _INT:
                self.fail(node, path, f"must be a whole number, got {_describe(node)}")
            value = int(_SCALARS.construct_yaml_int(scalar))
            if value < low:
                self.fail(node, path, f"must be at least {low}, got {value}")
            return value

        return read

    def fraction(self, node: Node, path: str) -> float:
        scalar = self.scalar(node, path, "a number from 0 to 1")
        if scalar.tag not in (_INT, _FLOAT):
            self.fail(node, path, f"must be a number from 0 to 1, got {_describe(node)}")
        reader = _SCALARS.construct_yaml_int if scalar.tag == _INT else _SCALARS.construct_yaml_float
        value = float(reader(scalar))
        if not 0 <= value <= 1:  # also refuses .nan
            self.fail(node, path, f"must be between 0 and 1, got {scalar.value}")
        return value

    def enum_reader(self, kind: type[E]) -> Callable[[Node, str], E]:
        allowed = [member.value for member in kind]

        def read(node: Node, path: str) -> E:
            value = self.scalar(node, path, f"one of {_choices(allowed)}").value
            if value not in allowed:
                self.fail(
                    node,
                    path,
                    f"unknown value {value!r}{_did_you_mean(value, allowed)}; expected one of: {_choices(allowed)}",
                )
            return kind(value)

        return read

    def validation(self, node: Node, path: str) -> Validation:
        """`email`, or {pattern, message}: the check on a typed answer and what to say when it fails."""
        if isinstance(node, ScalarNode) and node.tag != _NULL:
            if node.value != "email":
                self.fail(node, path, f"must be email or a mapping with pattern and message, got {node.value!r}")
            return Validation.email()
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"must be email or a mapping with pattern and message, got {_describe(node)}")
        keys = self.mapping(node, path, ("pattern", "message"), ("pattern", "message"))
        pattern_node = keys["pattern"][1]
        pattern = self.scalar(pattern_node, f"{path}.pattern", "a regular expression").value
        if not pattern.strip():
            self.fail(pattern_node, f"{path}.pattern", "must not be empty")
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            self.fail(pattern_node, f"{path}.pattern", f"invalid regular expression {pattern!r}: {error}")
        return Validation(pattern=pattern, message=self.section_text(keys["message"][1], f"{path}.message"))


_Keys = dict[str, tuple[Node, Node]]  # key -> (key node, value node)
_Goto = tuple[str, Node, str]  # target step ID, its node, its key path


@dataclass(frozen=True)
class _ParsedStep:
    step: Step
    node: Node
    path: str
    gotos: list[_Goto]
    text_key: str  # "ask" or "answer"
    text_node: Node


_SCENARIO_KEYS = ("id", "title", "triggers", "answer", "escalate", "steps")
_STEP_KEYS = ("id", "ask", "choices", "expect", "goto", "answer", "escalate")
_QUESTION_KEYS = ("id", "label", "prompt", "validate", "skippable", "prefill", "multiline")


def _reachable(by_id: dict[str, Step], start: str) -> set[str]:
    """The IDs of the steps a conversation can pass through from `start` (itself included)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        step = by_id.get(todo.pop())
        if step is None or step.id in seen:
            continue
        seen.add(step.id)
        todo.extend(choice.goto for choice in step.choices)
        if step.goto is not None:
            todo.append(step.goto)
    return seen
