"""The `routing` section: read into core.routing.RoutingConfig, manual by default, each mistake
named by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.routing import RoutingConfig, Strategy
from handoff_slack.core.routing_filters import RoutingFilters, SkillRule
from handoff_slack.core.transfer_config import TransferConfig
from tests.test_config_file import error_for, write


def test_left_out_routing_is_manual_the_claim_button_alone(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, "greeting: Hello\n"))
    assert config.routing == RoutingConfig()
    assert config.routing.strategy is Strategy.MANUAL and not config.routing.offers


def test_a_strategy_and_its_times_are_read(tmp_path: Path) -> None:
    text = "routing:\n  strategy: least_busy\n  offer_timeout_seconds: 45\n  fallback_after_seconds: 600\n"
    config = load_bot_config(write(tmp_path, text))
    assert config.routing == RoutingConfig(Strategy.LEAST_BUSY, 45, 600)
    assert config.routing.offers


TRIAGE = (
    "triage:\n  questions:\n"
    "    - {id: lang, label: Language, prompt: 'Which language?'}\n"
    "    - {id: product, label: Product, prompt: 'Which product?'}\n"
)


def test_filters_are_read_with_their_defaults_off(tmp_path: Path) -> None:
    assert RoutingConfig().filters == RoutingFilters()
    assert RoutingFilters().time_zone_hours is None and RoutingFilters().fallback_after_seconds == 300
    text = (
        f"{TRIAGE}"
        "scenarios:\n  - id: bill\n    title: Billing\n    triggers: [invoice]\n    answer: One moment.\n"
        "    escalate: true\n    skills: [Billing, refunds]\n"
        "routing:\n  strategy: round_robin\n  language_question: lang\n"
        "  languages: {Deutsch: de, Português: pt-br}\n"
        "  skills:\n    - question: product\n      answers: [printer, scanner]\n      skills: hardware\n"
        "  time_zone_hours: 3\n  filters_fallback_after_seconds: 120\n"
    )
    config = load_bot_config(write(tmp_path, text))
    assert config.routing.filters == RoutingFilters(
        language_question="lang",
        languages=(("Deutsch", "de"), ("Português", "pt-BR")),
        skill_rules=(SkillRule("product", ("printer", "scanner"), ("hardware",)),),
        time_zone_hours=3,
        fallback_after_seconds=120,
    )
    assert config.scenarios[0].skills == ("billing", "refunds")


def test_the_default_config_file_documents_routing_as_manual() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).routing == RoutingConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "routing:\n  strategy: random\n",
            ", line 2: routing.strategy: unknown value 'random'; expected one of: manual, round_robin, least_busy",
        ),
        (
            "routing:\n  offer_timeout_seconds: 5\n",
            ", line 2: routing.offer_timeout_seconds: must be between 10 and 3600 seconds, got 5",
        ),
        (
            "routing:\n  fallback_after_seconds: 1.5\n",
            ", line 2: routing.fallback_after_seconds: must be a whole number, got '1.5'",
        ),
        (
            "routing:\n  strategy:\n",
            ", line 2: routing.strategy: has no value; expected one of manual, round_robin, least_busy",
        ),
        (
            "routing:\n  timeout: 60\n",
            ", line 2: routing: unknown key 'timeout'; expected one of: "
            "strategy, offer_timeout_seconds, fallback_after_seconds, language_question, languages, skills, "
            "time_zone_hours, filters_fallback_after_seconds",
        ),
        (
            "routing:\n  time_zone_hours: 30\n",
            ", line 2: routing.time_zone_hours: must be between 0 and 26 hours, got 30",
        ),
        (
            "routing:\n  filters_fallback_after_seconds: 0\n",
            ", line 2: routing.filters_fallback_after_seconds: must be between 10 and 86400 seconds, got 0",
        ),
        (
            f"{TRIAGE}routing:\n  language_question: lang\n  languages:\n    Deutsch: german\n",
            ", line 8: routing.languages.Deutsch: must be a language code like de, fr or pt-BR, got 'german'",
        ),
        (
            f"{TRIAGE}routing:\n  language_question: lang\n",
            ", line 6: routing.language_question: needs routing.languages beside it: each answer's language code, "
            "like Deutsch: de",
        ),
        (
            f"{TRIAGE}routing:\n  language_question: language\n  languages: {{Deutsch: de}}\n",
            ", line 6: routing.language_question: no triage question 'language' "
            "(the triage questions are: lang, product)",
        ),
        (
            f"{TRIAGE}routing:\n  skills:\n    - question: product\n      answers: printer\n      skills: [a b]\n",
            ", line 9: routing.skills[0].skills[0]: must be a skill tag like billing (letters, digits, - and _; "
            "at most 32), got 'a b'",
        ),
        (
            "scenarios:\n  - id: bill\n    title: Billing\n    triggers: [invoice]\n    answer: Hi\n    skills: []\n",
            ", line 6: scenarios[0].skills: needs at least one skill",
        ),
    ],
)
def test_a_routing_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected


def test_the_transfer_offer_timeout_is_ten_minutes_unless_set(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "greeting: Hello\n")).transfers == TransferConfig(600)
    assert load_bot_config(write(tmp_path, "transfers:\n  offer_timeout_seconds: 120\n")).transfers == TransferConfig(
        120
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "transfers:\n  offer_timeout_seconds: 30\n",
            ", line 2: transfers.offer_timeout_seconds: must be between 60 and 86400 seconds, got 30",
        ),
        (
            "transfers:\n  offer_timeout_seconds: soon\n",
            ", line 2: transfers.offer_timeout_seconds: must be a whole number, got text 'soon'",
        ),
        (
            "transfers:\n  timeout: 60\n",
            ", line 2: transfers: unknown key 'timeout'; expected one of: offer_timeout_seconds",
        ),
    ],
)
def test_a_transfers_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
