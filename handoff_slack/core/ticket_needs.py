"""What a new ticket asks of its agent (core.eligibility.TicketNeeds), from the bot's configuration:
its language from a triage answer (routing.language_question and routing.languages) or else the
customer's Slack locale, its skills from the scenario it came from and the triage answers
(routing.skills), and the customer's UTC offset. Kept apart from core.routing_filters because the
phrase matching (core.diagnosis) imports the bot's configuration."""

from __future__ import annotations

from collections.abc import Iterable

from handoff_slack.core.agent_profiles import InvalidProfile, language_from
from handoff_slack.core.bot_config import Scenario
from handoff_slack.core.diagnosis import contains_phrase, words_of
from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.routing_filters import RoutingFilters


def language_from_triage(filters: RoutingFilters, answers: Iterable[tuple[str, str | None]]) -> str | None:
    """The code of the first configured answer the language question's answer contains; None when
    the question is not set, not answered, or its answer names no configured language."""
    if filters.language_question is None:
        return None
    answer = next((a for question_id, a in answers if question_id == filters.language_question and a), None)
    if answer is None:
        return None
    given = words_of(answer)
    return next((code for phrase, code in filters.languages if contains_phrase(given, phrase)), None)


def language_of_locale(locale: object) -> str | None:
    """The primary language of a Slack locale (users.info's `locale`, "de-DE" -> "de"); None when
    it is missing or not a language code."""
    if not isinstance(locale, str) or not locale.strip():
        return None
    try:
        return language_from(locale.strip().replace("_", "-")).split("-", 1)[0]
    except InvalidProfile:
        return None


def skills_for(
    filters: RoutingFilters, scenario_skills: Iterable[str], answers: Iterable[tuple[str, str | None]]
) -> tuple[str, ...]:
    """The scenario's skills, then those of every skill rule a triage answer matches (no repeats)."""
    given = {question_id: words_of(answer) for question_id, answer in answers if answer}
    needed = list(dict.fromkeys(scenario_skills))
    for rule in filters.skill_rules:
        words = given.get(rule.question_id)
        if words is not None and any(contains_phrase(words, phrase) for phrase in rule.answers):
            needed.extend(skill for skill in rule.skills if skill not in needed)
    return tuple(needed)


class NeedsRules:
    """A new ticket's needs from the configuration: the helpdesk asks it when a ticket opens."""

    def __init__(self, filters: RoutingFilters | None = None, scenarios: Iterable[Scenario] = ()) -> None:
        self.filters = filters or RoutingFilters()
        self._scenario_skills = {scenario.id: scenario.skills for scenario in scenarios if scenario.skills}

    def for_new_ticket(self, answers: Iterable[tuple[str, str | None]], scenario_id: str | None) -> TicketNeeds:
        """Its language from the triage answers (the locale comes later, looked up by routing) and its
        skills from the scenario and the answers; the customer's UTC offset is not known yet."""
        given = list(answers)
        scenario_skills = self._scenario_skills.get(scenario_id or "", ())
        return TicketNeeds(
            language=language_from_triage(self.filters, given),
            skills=skills_for(self.filters, scenario_skills, given),
        )
