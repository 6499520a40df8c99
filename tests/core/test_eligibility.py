"""Who may be offered a ticket (core.eligibility) and what a new ticket needs (core.ticket_needs):
plain values in, a decision out."""

from __future__ import annotations

import pytest

from handoff_slack.core.bot_config import Scenario, Step
from handoff_slack.core.eligibility import TicketNeeds, Unfit, eligibility, eligible_agents, speaks
from handoff_slack.core.routing import Candidate
from handoff_slack.core.routing_filters import RoutingFilters, SkillRule
from handoff_slack.core.ticket_needs import NeedsRules, language_from_triage, language_of_locale, skills_for

H = 3600


def agent(  # type: ignore[no-untyped-def]
    user_id: str = "UA", languages=(), skills=(), offset=None, available=True, load=0, capacity=3
) -> Candidate:
    return Candidate(user_id, available, load, capacity, None, tuple(languages), tuple(skills), offset)


def test_an_available_agent_with_room_is_eligible_for_a_ticket_that_needs_nothing() -> None:
    decision = eligibility(TicketNeeds(), agent())
    assert decision.eligible and decision.unfit == ()


def test_every_reason_an_agent_fails_is_given() -> None:
    needs = TicketNeeds("de", ("billing",), 0)
    tired = agent(languages=["fr"], available=False, load=3, capacity=3, offset=9 * H)
    decision = eligibility(needs, tired, time_zone_hours=2)
    assert decision.unfit == (Unfit.UNAVAILABLE, Unfit.FULL, Unfit.LANGUAGE, Unfit.SKILLS, Unfit.TIME_ZONE)
    assert not decision.eligible and not decision.fits_filters
    # Away with room but matching: fits the filters, not eligible now.
    away = eligibility(needs, agent(languages=["de"], skills=["billing"], available=False), 2)
    assert away.fits_filters and not away.eligible


@pytest.mark.parametrize(
    ("languages", "language", "expected"),
    [
        ((), "de", True),  # no languages set: any
        (("de",), None, True),  # a ticket with no language: anyone
        (("de", "fr"), "fr", True),
        (("fr",), "de", False),
        (("pt-BR",), "pt", True),  # compared by the primary language
        (("pt",), "pt-PT", True),
        (("DE",), "de-AT", True),
        (("en",), "es-419", False),
    ],
)
def test_language_is_compared_by_the_primary_language_and_no_languages_means_any(
    languages: tuple[str, ...], language: str | None, expected: bool
) -> None:
    assert speaks(languages, language) is expected
    assert eligibility(TicketNeeds(language), agent(languages=languages)).eligible is expected


def test_an_agent_needs_every_skill_of_the_ticket_and_none_means_only_tickets_that_need_none() -> None:
    needs = TicketNeeds(skills=("billing", "refunds"))
    assert eligibility(needs, agent(skills=["refunds", "billing", "hardware"])).eligible
    assert eligibility(needs, agent(skills=["billing"])).unfit == (Unfit.SKILLS,)
    assert eligibility(needs, agent()).unfit == (Unfit.SKILLS,)
    assert eligibility(TicketNeeds(), agent()).eligible


def test_the_time_zone_filter_is_off_by_default_and_unknown_offsets_pass() -> None:
    needs = TicketNeeds(utc_offset=-5 * H)  # New York in winter
    tokyo, chicago = agent("UT", offset=9 * H), agent("UC", offset=-6 * H)
    assert eligibility(needs, tokyo).eligible  # off
    assert eligibility(needs, tokyo, 3).unfit == (Unfit.TIME_ZONE,)
    assert eligibility(needs, chicago, 1).eligible  # exactly one hour apart
    assert eligibility(needs, chicago, 0).unfit == (Unfit.TIME_ZONE,)
    assert eligibility(needs, agent(offset=None), 0).eligible  # the agent's zone unknown
    assert eligibility(TicketNeeds(), tokyo, 0).eligible  # the customer's zone unknown
    assert not TicketNeeds(utc_offset=0).filters(None) and TicketNeeds(utc_offset=0).filters(3)


def test_eligible_agents_are_listed_sorted_for_the_queue() -> None:
    agents = [
        agent("UC", languages=["de"]),
        agent("UA"),  # no languages: any
        agent("UB", languages=["fr"]),
        agent("UD", languages=["de"], available=False),
    ]
    assert eligible_agents(TicketNeeds("de"), agents) == ["UA", "UC"]
    assert eligible_agents(TicketNeeds(), agents) == ["UA", "UB", "UC"]


FILTERS = RoutingFilters(
    language_question="lang",
    languages=(("Deutsch", "de"), ("Português", "pt-BR"), ("English", "en")),
    skill_rules=(
        SkillRule("product", ("printer", "scanner"), ("hardware",)),
        SkillRule("product", ("invoice",), ("billing",)),
    ),
)


def test_the_language_comes_from_the_configured_triage_answer() -> None:
    assert language_from_triage(FILTERS, [("lang", "Deutsch bitte")]) == "de"
    assert language_from_triage(FILTERS, [("lang", "  português ")]) == "pt-BR"
    assert language_from_triage(FILTERS, [("lang", "Klingon")]) is None
    assert language_from_triage(FILTERS, [("lang", None), ("other", "Deutsch")]) is None
    assert language_from_triage(RoutingFilters(), [("lang", "Deutsch")]) is None


@pytest.mark.parametrize(
    ("locale", "language"),
    [("de-DE", "de"), ("pt-BR", "pt"), ("en_US", "en"), ("fr", "fr"), ("", None), (None, None), ("x", None), (3, None)],
)
def test_a_slack_locale_gives_its_primary_language(locale: object, language: str | None) -> None:
    assert language_of_locale(locale) == language


def test_skills_come_from_the_scenario_then_the_matching_triage_rules() -> None:
    assert skills_for(FILTERS, ("billing",), [("product", "my Printer jams")]) == ("billing", "hardware")
    assert skills_for(FILTERS, (), [("product", "a scanner and an invoice")]) == ("hardware", "billing")
    assert skills_for(FILTERS, ("billing",), [("product", "invoice")]) == ("billing",)
    assert skills_for(FILTERS, (), [("product", None)]) == ()


def test_a_new_tickets_needs_from_its_scenario_and_answers() -> None:
    scenario = Scenario("bill", "Billing", ("invoice",), (Step("answer", answer="Hi"),), skills=("billing",))
    rules = NeedsRules(FILTERS, [scenario])
    assert rules.for_new_ticket([("lang", "English"), ("product", "printer")], "bill") == TicketNeeds(
        "en", ("billing", "hardware")
    )
    assert rules.for_new_ticket([], None) == TicketNeeds()
    assert rules.for_new_ticket([], "gone") == TicketNeeds()  # a scenario no longer configured
