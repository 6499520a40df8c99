"""The bot's YAML configuration: the shipped default, a custom file, and one clear line per mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from handoff_slack import config_file
from handoff_slack.config_file import ConfigError, load_bot_config
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
from handoff_slack.settings import SettingsError

FIXTURES = Path(__file__).parent / "fixtures" / "config"
DEFAULT_FILE = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bot.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_bot_config(path)
    message = str(raised.value)
    assert message.startswith(f"HANDOFF_CONFIG {path}") and "\n" not in message
    return message.removeprefix(f"HANDOFF_CONFIG {path}")


# --- the shipped default ----------------------------------------------------------------------


def test_default_config_loads_with_its_scenarios_and_questions() -> None:
    config = load_bot_config()
    assert [s.id for s in config.scenarios] == ["password_reset", "order_status", "opening_hours", "wifi_connection"]
    assert all(5 <= len(s.triggers) <= 10 for s in config.scenarios)
    assert config.talk_to_agent_label == "Talk to an agent"

    password = config.scenario("password_reset")
    assert password is not None and password.steps[0].choices == (
        Choice("Yes", "send_link"),
        Choice("No", "verify_identity"),
    )
    verify = password.step("verify_identity")
    assert verify is not None and verify.escalate

    order = config.scenario("order_status")
    assert order is not None
    question = order.steps[0]
    assert question.id == "order_number" and question.goto == "tracking" and question.expect is not None
    assert question.expect.accepts("12345") and question.expect.accepts("#1234567")
    assert not question.expect.accepts("abc") and not question.expect.accepts("123")
    tracking = order.step("tracking")
    assert tracking is not None and tracking.answer is not None and "{order_number}" in tracking.answer

    hours = config.scenario("opening_hours")
    assert hours is not None and [s.id for s in hours.steps] == ["answer"] and hours.steps[0].answer

    wifi = config.scenario("wifi_connection")  # three questions, then a diagnosis of four causes
    assert wifi is not None and config.is_supervised(wifi)
    assert [s.id for s in wifi.steps if s.is_question] == ["wifi_icon", "other_devices", "recent_change"]
    diagnosis = wifi.steps[-1].diagnose
    assert diagnosis is not None and len(diagnosis.causes) == 4
    assert not any(config.is_supervised(s) for s in config.scenarios if s is not wifi)

    assert config.triage.mode is TriageMode.BEFORE_HANDOFF
    assert [(q.id, q.prefill, q.skippable, q.multiline) for q in config.triage.questions] == [
        ("name", Prefill.PROFILE_NAME, False, False),
        ("company", Prefill.ORGANISATION, True, False),
        ("problem", None, False, True),
    ]
    assert config.escalation == EscalationConfig()


def test_the_default_read_from_the_package_is_the_file_in_the_source_tree() -> None:
    assert load_bot_config(None) == load_bot_config(str(DEFAULT_FILE))


# --- a custom file ----------------------------------------------------------------------------


def test_a_complete_custom_file_round_trips_into_the_model() -> None:
    config = load_bot_config(str(FIXTURES / "good.yaml"))
    assert config == BotConfig(
        greeting="Welcome to *Acme* support!",
        talk_to_agent_label="Chat with a person",
        no_match="Hmm, I didn't get that.",
        scenarios=(
            Scenario(
                id="refund",
                title="Ask for a refund",
                triggers=("refund", "money back", "return an item"),
                steps=(
                    Step(
                        id="kind",
                        ask="Was the item damaged?",
                        choices=(Choice("Yes", "damaged"), Choice("No", "order")),
                    ),
                    Step(id="damaged", answer="Sorry about that! A colleague will sort it out.", escalate=True),
                    Step(
                        id="order",
                        ask="Which order is it?",
                        expect=Validation(r"\d{5}", "Five digits, please."),
                        goto="email",
                    ),
                    Step(
                        id="email",
                        ask="Which e-mail address should the return label go to?",
                        expect=Validation.email(),
                        goto="done",
                    ),
                    Step(id="done", answer="Return label for order {order} is on its way to {email}."),
                ),
            ),
            Scenario(
                id="invoices",
                title="Get an invoice",
                triggers=("invoice", "receipt"),
                steps=(Step(id="answer", answer="Invoices are under *Account → Billing*."),),
            ),
            Scenario(
                id="cancel_contract",
                title="Cancel my contract",
                triggers=("cancel contract",),
                steps=(
                    Step(id="answer", answer="Our team handles cancellations; I'm handing you over.", escalate=True),
                ),
            ),
        ),
        triage=TriageConfig(
            mode=TriageMode.TRIAGE_FIRST,
            intro="First, a few questions.",
            questions=(
                TriageQuestion("name", "Name", "What's your name?", prefill=Prefill.PROFILE_NAME),
                TriageQuestion("org", "Company", "Which company?", skippable=True, prefill=Prefill.ORGANISATION),
                TriageQuestion("email", "E-mail", "Your e-mail?", validation=Validation.email(), skippable=True),
                TriageQuestion(
                    "phone",
                    "Phone",
                    "A phone number we can call?",
                    validation=Validation(r"\+?[0-9 ]{6,20}", "Digits only, please."),
                ),
                TriageQuestion("problem", "Problem", "What's wrong?", multiline=True),
            ),
        ),
        escalation=EscalationConfig(
            no_match_limit=0,
            match_threshold=1.0,
            suggest_threshold=0.25,
            frustration=FrustrationConfig(FrustrationAction.ESCALATE, window=5, threshold=0.75),
        ),
    )


def test_omitted_keys_take_the_model_defaults(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "{}")) == BotConfig()
    partial = load_bot_config(write(tmp_path, "triage: {mode: 'off'}\nescalation: {frustration: {window: 4}}\n"))
    assert partial.triage == TriageConfig(mode=TriageMode.OFF)
    assert partial.escalation.frustration == FrustrationConfig(window=4)
    assert partial.greeting == BotConfig().greeting


def test_no_scenarios_is_allowed(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "scenarios: []\n")).scenarios == ()


def test_yaml_1_1_booleans_and_numbers_in_text_fields_stay_as_written(tmp_path: Path) -> None:
    config = load_bot_config(
        write(
            tmp_path,
            """
            triage: {mode: off}
            scenarios:
              - id: s
                title: 1.10
                triggers: [on, 2024-01-01]
                steps:
                  - {id: q, ask: Sure, choices: [{label: Yes, goto: a}, {label: No, goto: a}]}
                  - {id: a, answer: OK}
            """,
        )
    )
    scenario = config.scenarios[0]
    assert config.triage.mode is TriageMode.OFF
    assert scenario.title == "1.10" and scenario.triggers == ("on", "2024-01-01")
    assert [c.label for c in scenario.steps[0].choices] == ["Yes", "No"]


# --- mistakes: each names the line and the key -------------------------------------------------

SCENARIO_HEAD = """
scenarios:
  - id: password_reset
    title: Reset my password
    triggers: [reset password]
"""  # the scenario's steps start on line 5

# (file text, expected message after "HANDOFF_CONFIG <path>")
MISTAKES = [
    pytest.param(
        "greeting: hi\ngreting: hello\n",
        ", line 2: unknown key 'greting' (did you mean 'greeting'?); expected one of: greeting, talk_to_agent_label, "
        "no_match, scenarios, triage, escalation, supervision",
        id="unknown-top-level-key",
    ),
    pytest.param(
        SCENARIO_HEAD + "    answer: hi\n    tittle: x\n",
        ", line 6: scenarios[0]: unknown key 'tittle' (did you mean 'title'?)",
        id="unknown-scenario-key",
    ),
    pytest.param("greeting: a\ngreeting: b\n", ", line 2: duplicate key 'greeting' (first on line 1)", id="dup-key"),
    pytest.param("greeting: [hi]\n", ", line 1: greeting: must be text, got a list", id="wrong-type-text"),
    pytest.param("greeting: '  '\n", ", line 1: greeting: must not be empty", id="empty-text"),
    pytest.param("greeting:\n", ", line 1: greeting: has no value; expected text", id="null-text"),
    pytest.param("scenarios: {}\n", ", line 1: scenarios: must be a list, got a mapping", id="scenarios-not-list"),
    pytest.param(
        "talk_to_agent_label: " + "x" * 76 + "\n",
        ", line 1: talk_to_agent_label: is 76 characters long; at most 75 fit here",
        id="button-too-long",
    ),
    pytest.param(
        "scenarios:\n  - id: x\n    title: " + "t" * 80 + "\n    triggers: [a]\n    answer: b\n",
        ", line 3: scenarios[0].title: is 80 characters long; at most 75 fit here",
        id="title-too-long",
    ),
    pytest.param(
        "scenarios:\n  - title: T\n    triggers: [a]\n    answer: b\n",
        ", line 2: scenarios[0]: missing required key 'id'",
        id="scenario-missing-id",
    ),
    pytest.param(
        "scenarios:\n  - id: Password-Reset\n    title: T\n    triggers: [a]\n    answer: b\n",
        ", line 2: scenarios[0].id: IDs are 1 to 40 lower-case letters, digits or underscores, got 'Password-Reset'",
        id="bad-id",
    ),
    pytest.param(
        "scenarios:\n  - id: a\n    title: T\n    triggers: []\n    answer: b\n",
        ", line 4: scenarios[0].triggers: a scenario needs at least one trigger",
        id="no-triggers",
    ),
    pytest.param(
        "scenarios:\n  - id: a\n    title: T\n    triggers: ['?!']\n    answer: b\n",
        ", line 4: scenarios[0].triggers[0]: trigger '?!' has no words to match",
        id="trigger-without-words",
    ),
    pytest.param(
        "scenarios:\n"
        "  - {id: a, title: A, triggers: [refund], answer: x}\n"
        "  - {id: b, title: B, triggers: [invoice, Refund!], answer: y}\n",
        ", line 3: scenarios[1].triggers[1]: trigger 'Refund!' is also a trigger of scenario 'a'",
        id="shared-trigger",
    ),
    pytest.param(
        "scenarios:\n"
        "  - {id: a, title: A, triggers: [x], answer: x}\n"
        "  - {id: a, title: B, triggers: [y], answer: y}\n",
        ", line 3: scenarios[1].id: duplicate scenario ID 'a' (also scenarios[0])",
        id="duplicate-scenario-id",
    ),
    pytest.param(
        SCENARIO_HEAD,
        ", line 2: scenarios[0]: scenario 'password_reset' needs either 'answer' (a fixed reply) or 'steps', "
        "not neither",
        id="scenario-without-answer-or-steps",
    ),
    pytest.param(
        SCENARIO_HEAD + "    answer: a\n    steps: [{id: x, answer: b}]\n",
        ", line 2: scenarios[0]: scenario 'password_reset' needs either 'answer' (a fixed reply) or 'steps', not both",
        id="scenario-with-answer-and-steps",
    ),
    pytest.param(
        SCENARIO_HEAD + "    escalate: true\n    steps: [{id: x, answer: b}]\n",
        ", line 5: scenarios[0].escalate: 'escalate' here goes with 'answer'",
        id="scenario-escalate-with-steps",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps: []\n",
        ", line 5: scenarios[0].steps: a scenario needs at least one step",
        id="no-steps",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - id: a\n",
        ", line 6: scenarios[0].steps[0]: step 'a' needs either 'ask' (a question) or 'answer', not neither",
        id="step-neither",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, ask: Q, answer: A}\n",
        ", line 6: scenarios[0].steps[0]: step 'a' needs either 'ask' (a question) or 'answer', not both",
        id="step-both",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - id: a\n        ask: Q?\n",
        ", line 6: scenarios[0].steps[0]: question 'a' needs either 'choices' (buttons) or 'goto'",
        id="question-without-choices-or-goto",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - id: a\n        ask: Q?\n        choices: []\n      - {id: b, answer: B}\n",
        ", line 8: scenarios[0].steps[0].choices: a question with choices needs at least one choice",
        id="empty-choices",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - id: has_email\n"
        "        ask: Q?\n"
        "        choices:\n"
        "          - {label: Yes, goto: send_link}\n"
        "          - {label: No, goto: foo}\n"
        "      - {id: send_link, answer: A}\n",
        ", line 10: scenarios[0].steps[0].choices[1].goto: no step 'foo' in scenario 'password_reset'",
        id="goto-missing-step",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, ask: Q, goto: ansewr}\n      - {id: answer, answer: A}\n",
        ", line 6: scenarios[0].steps[0].goto: no step 'ansewr' in scenario 'password_reset' (did you mean 'answer'?)",
        id="goto-typo",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, answer: A}\n      - {id: a, answer: B}\n",
        ", line 7: scenarios[0].steps[1].id: duplicate step ID 'a' in scenario 'password_reset'",
        id="duplicate-step-id",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, answer: A}\n      - {id: b, answer: B}\n",
        ", line 7: scenarios[0].steps[1]: step 'b' is never reached from the first step 'a'",
        id="unreachable-step",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: a, ask: Q, choices: [{label: Again, goto: b}, {label: Done, goto: c}]}\n"
        "      - {id: b, ask: Again, goto: a}\n"
        "      - {id: c, answer: C}\n"
        "      - {id: d, ask: Loop, goto: d}\n",
        ", line 9: scenarios[0].steps[3]: step 'd' is never reached from the first step 'a'",
        id="unreachable-loop",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, ask: Q, goto: b}\n      - {id: b, ask: R, goto: a}\n",
        ", line 6: scenarios[0].steps[0]: step 'a' never leads to an answer",
        id="endless-loop",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, answer: A, goto: b}\n",
        ", line 6: scenarios[0].steps[0].goto: 'goto' belongs to questions; an answer step ends the scenario",
        id="answer-with-goto",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, ask: Q, goto: b, escalate: true}\n      - {id: b, answer: B}\n",
        ", line 6: scenarios[0].steps[0].escalate: 'escalate' only goes on answer steps",
        id="question-with-escalate",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: a, ask: Q, expect: email, choices: [{label: X, goto: b}]}\n"
        "      - {id: b, answer: B}\n",
        ", line 6: scenarios[0].steps[0].expect: 'expect' checks typed answers",
        id="expect-with-choices",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: a, ask: Q, choices: [{label: Yes!, goto: b}, {label: yes, goto: b}]}\n"
        "      - {id: b, answer: B}\n",
        ", line 6: scenarios[0].steps[0].choices[1].label: label 'yes' is the same as "
        "scenarios[0].steps[0].choices[0]'s",
        id="duplicate-choice-label",
    ),
    pytest.param(
        SCENARIO_HEAD
        + "    steps:\n      - id: a\n        ask: Order?\n        expect: {pattern: '#[0-9', message: M}\n"
        "        goto: b\n      - {id: b, answer: B}\n",
        ", line 8: scenarios[0].steps[0].expect.pattern: invalid regular expression '#[0-9': unterminated character "
        "set at position 1",
        id="bad-expect-regex",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: a, ask: Q, expect: phone, goto: b}\n      - {id: b, answer: B}\n",
        ", line 6: scenarios[0].steps[0].expect: must be email or a mapping with pattern and message, got 'phone'",
        id="unknown-expect",
    ),
    pytest.param(
        SCENARIO_HEAD
        + "    steps:\n      - {id: a, ask: Q, expect: {pattern: x}, goto: b}\n      - {id: b, answer: B}\n",
        ", line 6: scenarios[0].steps[0].expect: missing required key 'message'",
        id="expect-without-message",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: order_number, ask: Number, goto: done}\n"
        "      - id: done\n"
        "        answer: Order {order_numbr} is on its way.\n",
        ", line 8: scenarios[0].steps[1].answer: {order_numbr} is not a free-text question of scenario "
        "'password_reset' (free-text questions: order_number)",
        id="placeholder-unknown",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: pick, ask: Which, choices: [{label: A, goto: a}, {label: B, goto: number}]}\n"
        "      - id: a\n"
        "        answer: Order {number}.\n"
        "      - {id: number, ask: Number, goto: b}\n"
        "      - {id: b, answer: Done}\n",
        ", line 8: scenarios[0].steps[1].answer: {number} quotes step 'number', which is never asked before this step",
        id="placeholder-not-before",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n"
        "      - {id: number, ask: Order number, goto: confirm}\n"
        "      - id: confirm\n"
        "        ask: Is {number} right? And {confirm}?\n"
        "        choices: [{label: Yes, goto: done}]\n"
        "      - {id: done, answer: Done}\n",
        ", line 8: scenarios[0].steps[1].ask: {confirm} is not a free-text question of scenario 'password_reset' "
        "(free-text questions: number)",
        id="placeholder-in-question",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - id: number\n        ask: Is {number} your number?\n        goto: done\n"
        "      - {id: done, answer: Done}\n",
        ", line 7: scenarios[0].steps[0].ask: {number} quotes step 'number', which is never asked before this step",
        id="placeholder-quotes-itself",
    ),
    pytest.param(
        SCENARIO_HEAD + "    answer: Hi {name}\n",
        ", line 5: scenarios[0].answer: {name} is not a free-text question of scenario 'password_reset' "
        "(free-text questions: none)",
        id="placeholder-in-fixed-answer",
    ),
    pytest.param(
        SCENARIO_HEAD + "    answer: A\n    escalate: 'yes'\n",
        ", line 6: scenarios[0].escalate: must be true or false, got text 'yes'",
        id="bool-wrong-type",
    ),
    pytest.param(
        "triage:\n  mode: before-handoff\n",
        ", line 2: triage.mode: unknown value 'before-handoff' (did you mean 'before_handoff'?); "
        "expected one of: off, triage_first, before_handoff",
        id="unknown-triage-mode",
    ),
    pytest.param(
        "triage:\n  questions:\n    - {id: name, label: Name, prompt: Name}\n    - {id: name, label: N, prompt: N}\n",
        ", line 4: triage.questions[1].id: duplicate question ID 'name' (also triage.questions[0])",
        id="duplicate-question-id",
    ),
    pytest.param(
        "triage:\n  questions:\n    - {id: name, label: Name}\n",
        ", line 3: triage.questions[0]: missing required key 'prompt'",
        id="question-missing-prompt",
    ),
    pytest.param(
        "triage:\n  questions:\n    - {id: name, label: Name, prompt: Name, prefill: email}\n",
        ", line 3: triage.questions[0].prefill: unknown value 'email'; expected one of: profile_name, organisation",
        id="unknown-prefill",
    ),
    pytest.param(
        "triage:\n  questions:\n    - {id: a, label: A, prompt: A, prefill: organisation}\n"
        "    - {id: b, label: B, prompt: B, prefill: organisation}\n",
        ", line 4: triage.questions[1].prefill: 'organisation' already fills triage.questions[0]",
        id="prefill-twice",
    ),
    pytest.param(
        "triage:\n  questions:\n    - id: e\n      label: E\n      prompt: E?\n"
        "      validate: {pattern: '(', message: M}\n",
        ", line 6: triage.questions[0].validate.pattern: invalid regular expression '(': missing ), "
        "unterminated subpattern at position 0",
        id="bad-validate-regex",
    ),
    pytest.param(
        "triage:\n  questions:\n" + "".join(f"    - {{id: q{i}, label: Q, prompt: Q}}\n" for i in range(11)),
        ", line 3: triage.questions: at most 10 triage questions, got 11",
        id="too-many-questions",
    ),
    pytest.param(
        "escalation:\n  match_threshold: 1.5\n",
        ", line 2: escalation.match_threshold: must be between 0 and 1, got 1.5",
        id="threshold-above-1",
    ),
    pytest.param(
        "escalation:\n  match_threshold: '0.8'\n",
        ", line 2: escalation.match_threshold: must be a number from 0 to 1, got text '0.8'",
        id="threshold-as-text",
    ),
    pytest.param(
        "escalation:\n  match_threshold: 0.5\n  suggest_threshold: 0.6\n",
        ", line 3: escalation.suggest_threshold: suggest_threshold (0.6) must not be above match_threshold (0.5)",
        id="suggest-above-match",
    ),
    pytest.param(
        "escalation:\n  match_threshold: 0.4\n",
        ", line 2: escalation.match_threshold: suggest_threshold (0.55) must not be above match_threshold (0.4)",
        id="match-below-default-suggest",
    ),
    pytest.param(
        "escalation:\n  no_match_limit: -1\n",
        ", line 2: escalation.no_match_limit: must be at least 0, got -1",
        id="negative-no-match-limit",
    ),
    pytest.param(
        "escalation:\n  no_match_limit: 2.5\n",
        ", line 2: escalation.no_match_limit: must be a whole number, got '2.5'",
        id="fractional-no-match-limit",
    ),
    pytest.param(
        "escalation:\n  frustration:\n    window: 0\n",
        ", line 3: escalation.frustration.window: must be at least 1, got 0",
        id="window-below-1",
    ),
    pytest.param(
        "escalation:\n  frustration:\n    threshold: -0.1\n",
        ", line 3: escalation.frustration.threshold: must be between 0 and 1, got -0.1",
        id="frustration-threshold-negative",
    ),
    pytest.param(
        "escalation:\n  frustration: {action: shout}\n",
        ", line 2: escalation.frustration.action: unknown value 'shout'; expected one of: offer, escalate, off",
        id="unknown-frustration-action",
    ),
    pytest.param(
        "- greeting: hi\n",
        ", line 1: the top level must be a mapping with keys (greeting, talk_to_agent_label",
        id="top-level-list",
    ),
    pytest.param("just words\n", ", line 1: the top level must be a mapping", id="top-level-text"),
    pytest.param(
        "greeting: hi\nscenarios:\n  - id: a\n   title: misindented\n",
        ", line 4: YAML syntax error:",
        id="yaml-syntax",
    ),
    pytest.param("greeting: 'unclosed\n", ", line 2: YAML syntax error: found unexpected end of stream", id="unclosed"),
    pytest.param(
        "triage:\n  questions:\n    - {id: company, label: Company, prompt: Which company?}\n",
        ", line 3: YAML syntax error: expected ',' or '}', but got '?' (while parsing a flow mapping); inside { } "
        "or [ ], put texts containing ? : , { } [ ] in quotes",
        id="unquoted-question-mark-in-flow-mapping",
    ),
    pytest.param("greeting: a\n---\ngreeting: b\n", ", line 2: YAML syntax error:", id="two-documents"),
    pytest.param("", ": the file is empty", id="empty-file"),
    pytest.param("# only a comment\n", ": the file is empty", id="only-comments"),
    pytest.param(
        "base: &b {greeting: hi}\n",
        ", line 1: unknown key 'base'",
        id="unknown-anchor-holder",
    ),
    pytest.param(
        "escalation:\n  <<: {no_match_limit: 1}\n",
        ", line 2: escalation: merge keys (<<) are not supported",
        id="merge-key",
    ),
    pytest.param("[1, 2]: x\n", ", line 1: keys must be words, got a list", id="list-as-key"),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: q, ask:, goto: e}\n      - {id: e, answer: E}\n",
        ", line 6: scenarios[0].steps[0].ask: has no value; expected text",
        id="optional-key-without-value",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: q, ask: Q, expect:, goto: e}\n      - {id: e, answer: E}\n",
        ", line 6: scenarios[0].steps[0].expect: must be email or a mapping with pattern and message, got nothing",
        id="expect-without-value",
    ),
    pytest.param(
        SCENARIO_HEAD + "    steps:\n      - {id: q, ask: Q, choices: [{label: A}]}\n",
        ", line 6: scenarios[0].steps[0].choices[0]: missing required key 'goto'",
        id="choice-without-goto",
    ),
    pytest.param(
        SCENARIO_HEAD
        + "    steps:\n      - {id: q, ask: Q, choices: ["
        + ", ".join(f"{{label: L{i}, goto: e}}" for i in range(25))
        + "]}\n      - {id: e, answer: E}\n",
        ", line 6: scenarios[0].steps[0].choices: at most 24 choices fit in one row of buttons, got 25",
        id="too-many-choices",
    ),
    pytest.param(
        "escalation:\n  match_threshold: .nan\n",
        ", line 2: escalation.match_threshold: must be between 0 and 1, got .nan",
        id="threshold-not-a-number",
    ),
    pytest.param(
        "escalation:\n  no_match_limit: true\n",
        ", line 2: escalation.no_match_limit: must be a whole number, got 'true'",
        id="bool-as-number",
    ),
    pytest.param(
        "triage:\n  questions:\n    - {id: a, label: A, prompt: P, skippable: 1}\n",
        ", line 3: triage.questions[0].skippable: must be true or false, got '1'",
        id="number-as-bool",
    ),
    pytest.param(
        "scenarios: &loop [*loop]\n",
        ", line 1: scenarios[0]: an alias here names a value that contains it",
        id="alias-loop",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES)
def test_each_mistake_names_the_line_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_for(tmp_path, text)
    assert message.startswith(expected), message


def test_every_problem_of_a_file_is_named_in_one_run_in_the_files_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        greting: hi
        scenarios:
          - {id: a, title: A, triggers: [apples], answer: x, answer: y}
          - {id: B, title: B, triggers: [bananas], answer: z}
        triage:
          mode: sometimes
          <<: {intro: hello}
        escalation: {window: 2}
        """,
    )
    with pytest.raises(ConfigError) as raised:
        load_bot_config(path)
    assert [problem.removeprefix(f"HANDOFF_CONFIG {path}, ") for problem in raised.value.problems] == [
        "line 1: unknown key 'greting' (did you mean 'greeting'?); expected one of: greeting, talk_to_agent_label, "
        "no_match, scenarios, triage, escalation, supervision, assist, shared_channels, priority, routing, "
        "transfers, satisfaction, business_hours, reminders, waiting_timeout, queue_updates, idle_close",
        "line 3: scenarios[0]: duplicate key 'answer' (first on line 3)",
        "line 4: scenarios[1].id: IDs are 1 to 40 lower-case letters, digits or underscores, got 'B'",
        "line 6: triage.mode: unknown value 'sometimes'; expected one of: off, triage_first, before_handoff",
        "line 7: triage: merge keys (<<) are not supported; repeat the keys, or alias a whole value",
        "line 8: escalation: unknown key 'window'; expected one of: no_match_limit, match_threshold, "
        "suggest_threshold, frustration, stuck",
    ]


def test_too_many_scenarios_for_the_menu(tmp_path: Path) -> None:
    scenarios = "".join(f"  - {{id: s{i}, title: S{i}, triggers: [topic {i}], answer: A}}\n" for i in range(25))
    assert error_for(tmp_path, "scenarios:\n" + scenarios) == (
        ", line 2: scenarios: at most 24 scenarios fit in the menu, got 25"
    )


def test_aliases_are_followed(tmp_path: Path) -> None:
    config = load_bot_config(
        write(
            tmp_path,
            """
            scenarios:
              - id: a
                title: A
                triggers: [apples]
                steps:
                  - {id: q, ask: Sure, choices: &yes_no [{label: Yes, goto: y}, {label: No, goto: n}]}
                  - {id: y, answer: Good}
                  - {id: n, answer: Bad}
              - id: b
                title: B
                triggers: [bananas]
                steps:
                  - {id: q, ask: Really, choices: *yes_no}
                  - {id: y, answer: Great}
                  - {id: n, answer: Pity}
            """,
        )
    )
    assert config.scenarios[0].steps[0].choices == config.scenarios[1].steps[0].choices


# --- the file itself --------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"^HANDOFF_CONFIG .*nope\.yaml: no such file$"):
        load_bot_config(str(path))


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r": is a directory, not a file$"):
        load_bot_config(str(tmp_path))


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config_file, "open", refuse, raising=False)  # root could read a chmod-0 file
    with pytest.raises(ConfigError, match=r"^HANDOFF_CONFIG .*bot\.yaml: cannot be read \(permission denied\)$"):
        load_bot_config(write(tmp_path, "{}"))


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("greeting: Grüß Gott\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r": is not UTF-8 text \(bad byte at offset 12\)$"):
        load_bot_config(str(path))


def test_config_error_is_its_own_error_not_a_settings_error() -> None:
    # The file's problems are the configuration's, not the environment's: no dependency on settings.
    assert not issubclass(ConfigError, SettingsError) and issubclass(ConfigError, ValueError)


# --- escalation.stuck (core.stuck) ------------------------------------------------------------------


def test_stuck_is_offered_by_default_and_may_escalate_or_be_off(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "greeting: hi\n")).escalation.stuck is FrustrationAction.OFFER
    for value in ("escalate", "off"):
        config = load_bot_config(write(tmp_path, f"escalation: {{stuck: {value}}}\n"))
        assert config.escalation.stuck is FrustrationAction(value)


def test_a_bad_stuck_action_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    assert error_for(tmp_path, "escalation:\n  stuck: sometimes\n") == (
        ", line 2: escalation.stuck: unknown value 'sometimes'; expected one of: offer, escalate, off"
    )
