"""Routing's filters as support teams configure them (the YAML's `routing` section): where a
ticket's language and skills come from, the time-zone window, and how long a ticket waits for an
eligible agent before it is offered to everyone (core.eligibility decides; core.ticket_needs
derives a ticket's needs). Plain settings only, so core.bot_config can hold them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FILTERS_FALLBACK_SECONDS = 300


@dataclass(frozen=True)
class SkillRule:
    """An answer to triage question `question_id` containing one of `answers` needs `skills`."""

    question_id: str
    answers: tuple[str, ...]
    skills: tuple[str, ...]


@dataclass(frozen=True)
class RoutingFilters:
    # The triage question whose answer names the customer's language, and each answer's code
    # (an answer containing the phrase, as priority rules match): ("Deutsch", "de"), ...
    language_question: str | None = None
    languages: tuple[tuple[str, str], ...] = ()
    skill_rules: tuple[SkillRule, ...] = ()  # triage answers that need skills (scenarios carry their own)
    time_zone_hours: int | None = None  # None: off; else the most hours between agent and customer
    # A ticket no eligible agent took for this long is offered to everyone available (filters dropped).
    fallback_after_seconds: int = DEFAULT_FILTERS_FALLBACK_SECONDS
